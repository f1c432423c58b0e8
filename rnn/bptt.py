"""Backpropagation through time written by hand from the report's chain rule (eqs. 4–18), not autograd.

For the loss at the last step, L = ½‖ŷ_T − y‖²   (report eq. 3),

    ∂L/∂W = ∂L/∂ŷ_T · ∂ŷ_T/∂h_T · Σ_{i=1}^{T} ∂h_T/∂h_i · ∂h_i/∂W,   ∂h_T/∂h_i = ∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}

and the same for U and b_h. The sum runs over the steps i at which W acts; its term i is `per_step[...][i-1]`.
Going backwards, δh_i = ∂L/∂h_i is carried one Jacobian at a time: δa_i = δh_i ⊙ f′(a_i) and
δh_{i-1} = W δa_i (in code, one row per sample: `da @ W.T`).

Erratum. The report's eqs. 10–11 and 16–17 write ∂L/∂V and ∂L/∂b_y with a recurrent sum. V and b_y act
only at the output ŷ_T = g(Vᵀh_T + b_y), so ∂L/∂V = h_T δo_Tᵀ and ∂L/∂b_y = δo_T: one term, no sum.
That is what is computed here.

Truncation N (pseudocode lines 19–21): for the loss at step T, only the steps T−N … T are kept; this is
autograd with the state h_{T−N−1} detached.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from . import checks
from .model import VanillaRNN, as_sequence

Tensor = torch.Tensor
KEYS = ("U", "W", "V", "b_h", "b_y")


@dataclass
class BPTTResult:
    """loss: L (float). grads: ∂L/∂θ for θ in U, W, V, b_h, b_y (shapes of the parameters).
    per_step: the same keys with a leading dimension T; entry t−1 is step t's term; they sum to grads.
    dh: ∂L/∂h_i for i = 0 … T, shape (T+1, H) or (T+1, B, H), what BPTT sends back to each state."""

    loss: float
    grads: dict[str, Tensor]
    per_step: dict[str, Tensor]
    dh: Tensor


@torch.no_grad()
def bptt(m: VanillaRNN, x, y, truncation: int | None = None) -> BPTTResult:
    """The report's BPTT by hand for the loss at the last step. x: (T, in) or (T, B, in). y: the target of ŷ_T,
    shape (out,) or (B, out); with a batch the loss is summed over the batch. truncation: None for full BPTT,
    or N ≥ 0 to keep the steps T−N … T."""
    if not isinstance(m, VanillaRNN):
        raise ValueError(f"bptt is written for rnn.VanillaRNN, got {type(m).__name__}")
    N = checks.truncation(truncation)
    batched = torch.as_tensor(x).dim() == 3
    tr = m.unroll(x)
    T, B, H = tr.a.shape  # (T, B, H)
    n_out = m.output_size
    y = torch.as_tensor(y).to(dtype=tr.y_hat.dtype, device=tr.y_hat.device)
    shown = ((B,) if batched else ()) + (n_out,)
    if y.numel() != B * n_out or y.shape[-1] != n_out or y.dim() != len(shown):
        raise ValueError(f"expected y of shape {shown}, got {tuple(y.shape)}")
    y = y.reshape(B, n_out)
    W, V = m.W, m.V

    # the output side: δo_T = ∂L/∂o_T = (ŷ_T − y) ⊙ g′(o_T)                          (report eqs. 3, 5–6)
    err = tr.y_hat[-1] - y  # (B, out)
    L = 0.5 * (err ** 2).sum()
    do_T = err * m.out_act.df(tr.o[-1])  # (B, out)

    # ∂L/∂V = h_T δo_Tᵀ and ∂L/∂b_y = δo_T: one term, at step T (the erratum above)
    per_V = tr.h.new_zeros(T, H, n_out)
    per_V[-1] = tr.h[-1].T @ do_T  # (H, out)
    per_by = tr.h.new_zeros(T, n_out)
    per_by[-1] = do_T.sum(0)
    fprime = m.act.df(tr.a)  # f′(a_t), (T, B, H)

    # δa_t = ∂L/∂a_t and δh_{t-1} = ∂L/∂h_{t-1}, one Jacobian per step back          (report eqs. 8–9, 12–15);
    # truncated, only the steps T−N … T (zero before them)
    da = torch.zeros_like(tr.a)
    dh = torch.zeros_like(tr.h)  # (T+1, B, H)
    # ∂L/∂h_T through the readout: δo_T Vᵀ                                            (report eq. 7)
    dh[T] = do_T @ V.T
    first = 1 if N is None else max(T - N, 1)
    for t in range(T, first - 1, -1):
        # δa_t = δh_t ⊙ f′(a_t)
        da[t - 1] = dh[t] * fprime[t - 1]
        # δh_{t-1} = W δa_t
        dh[t - 1] = da[t - 1] @ W.T

    # per-step terms: step t uses W with h_{t-1}, U with x_t, b_h alone           (report eqs. 12–18)
    per = {
        "W": torch.einsum("tbh,tbk->thk", tr.h[:-1], da),  # (T, H, H)
        "U": torch.einsum("tbi,tbk->tik", tr.x, da),  # (T, in, H)
        "b_h": da.sum(1),  # (T, H)
        "V": per_V,
        "b_y": per_by,
    }
    grads = {k: v.sum(0) for k, v in per.items()}
    return BPTTResult(float(L), grads, per, dh if batched else dh[:, 0])


def autograd_grads(m: VanillaRNN, x, y, truncation: int | None = None) -> dict[str, Tensor]:
    """The same gradients by torch.autograd, with the state detached N+1 steps back for truncation.
    A reference for the gradient-check table and the tests; `bptt` above does not use it."""
    N = checks.truncation(truncation)
    x, _ = as_sequence(x, m.input_size, m.U.dtype, m.U.device)
    T, B, _ = x.shape
    y = torch.as_tensor(y).to(m.U.dtype).reshape(B, -1)
    params = [m.U, m.W, m.V, m.b_h, m.b_y]
    with torch.enable_grad():
        hs = [x.new_zeros(B, m.hidden_size)]
        for t in range(T):
            hs.append(m.act.f(x[t] @ m.U + hs[-1] @ m.W + m.b_h))
        if N is None:
            h = hs[T]
        else:  # recompute steps T−N … T from a detached h_{T−N−1}
            start = max(T - N, 1)
            h = hs[start - 1].detach()
            for t in range(start, T + 1):
                h = m.act.f(x[t - 1] @ m.U + h @ m.W + m.b_h)
        yhat = m.out_act.f(h @ m.V + m.b_y)
        total = 0.5 * ((yhat - y) ** 2).sum()
        gs = torch.autograd.grad(total, params)
    return dict(zip(KEYS, (g.detach() for g in gs)))
