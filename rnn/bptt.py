"""Backpropagation through time written by hand from the seed's chain rule (eqs. 4–18), not autograd.

For the loss at the last step, L = ½‖ŷ_T − y‖²   (seed eq. 3),

    ∂L/∂W = ∂L/∂ŷ_T · ∂ŷ_T/∂h_T · Σ_{i=1}^{T} ∂h_T/∂h_i · ∂h_i/∂W,   ∂h_T/∂h_i = ∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}

and the same for U and b_h. The sum runs over the steps i at which W acts; its term i is `per_step[...][i-1]`.
Going backwards, δh_i = ∂L/∂h_i is carried one Jacobian at a time: δa_i = δh_i ⊙ f′(a_i) and
δh_{i-1} = W δa_i (in code, one row per sample: `da @ W.T`).

Erratum. The seed's eqs. 10–11 and 16–17 write ∂L/∂V and ∂L/∂b_y with a recurrent sum. V and b_y act
only at the output ŷ_T = g(Vᵀh_T + b_y), so ∂L/∂V = h_T δo_Tᵀ and ∂L/∂b_y = δo_T: one term, no sum.
That is what is computed here; with the loss summed over all steps (pseudocode line 14) each step's own
output adds its own single term.

Truncation N (pseudocode lines 19–21): for the loss at step s, only the steps s−N … s are kept; this is
autograd with the state h_{s−N−1} detached.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from . import checks
from .model import VanillaRNN, as_sequence

Tensor = torch.Tensor
KEYS = ("U", "W", "V", "b_h", "b_y")
LOSSES = ("last", "sum")


@dataclass
class BPTTResult:
    """loss: L (float). grads: ∂L/∂θ for θ in U, W, V, b_h, b_y (shapes of the parameters).
    per_step: the same keys with a leading dimension T; entry t−1 is step t's term; they sum to grads.
    dh: ∂L/∂h_i for i = 0 … T, shape (T+1, H) or (T+1, B, H), what BPTT sends back to each state."""

    loss: float
    grads: dict[str, Tensor]
    per_step: dict[str, Tensor]
    dh: Tensor
    truncation: int | None = None
    loss_kind: str = "last"
    extra: dict = field(default_factory=dict)


@torch.no_grad()
def bptt(m: VanillaRNN, x, y, truncation: int | None = None, loss: str = "last") -> BPTTResult:
    """The seed's BPTT by hand. x: (T, in) or (T, B, in). y: the target of ŷ_T, shape (out,) or (B, out)
    for loss="last"; the targets of ŷ_1 … ŷ_T, shape (T, out) or (T, B, out), for loss="sum"
    (L = Σ_t ½‖ŷ_t − y_t‖², pseudocode line 14). With a batch the loss is summed over the batch.
    truncation: None for full BPTT, or N ≥ 0 to keep, for each loss term at step s, the steps s−N … s."""
    if not isinstance(m, VanillaRNN):
        raise ValueError(f"bptt is written for rnn.VanillaRNN, got {type(m).__name__}")
    checks.choice(loss, "loss", LOSSES, key=loss)
    N = checks.truncation(truncation)
    batched = torch.as_tensor(x).dim() == 3
    tr = m.unroll(x)
    T, B, H = tr.a.shape  # (T, B, H)
    n_out = m.output_size
    y = torch.as_tensor(y).to(dtype=tr.y_hat.dtype, device=tr.y_hat.device)
    want = (T, B, n_out) if loss == "sum" else (B, n_out)
    shown = (((T,) if loss == "sum" else ()) + ((B,) if batched else ()) + (n_out,))
    if y.numel() != B * n_out * (T if loss == "sum" else 1) or y.shape[-1] != n_out or (
            y.dim() != len(shown)):
        raise ValueError(f"expected y of shape {shown} for loss={loss!r}, got {tuple(y.shape)}")
    y = y.reshape(want)
    W, V = m.W, m.V

    # the output side: δo_t = ∂L/∂o_t = (ŷ_t − y_t) ⊙ g′(o_t)                      (seed eqs. 3, 5–6)
    if loss == "last":
        err = tr.y_hat[-1] - y  # (B, out)
        L = 0.5 * (err ** 2).sum()
        do = torch.zeros_like(tr.o)
        do[-1] = err * m.out_act.df(tr.o[-1])
    else:
        err = tr.y_hat - y  # (T, B, out)
        L = 0.5 * (err ** 2).sum()
        do = err * m.out_act.df(tr.o)  # (T, B, out)

    # ∂L/∂V = Σ_t h_t δo_tᵀ and ∂L/∂b_y = Σ_t δo_t, one term per loss term (the erratum above)
    per_V = torch.einsum("tbh,tbo->tho", tr.h[1:], do)  # (T, H, out)
    per_by = do.sum(1)  # (T, out)
    # ∂L_t/∂h_t through the readout: δo_t Vᵀ                                          (seed eq. 7)
    dh_out = do @ V.T  # (T, B, H)
    fprime = m.act.df(tr.a)  # f′(a_t), (T, B, H)

    if N is None:
        # δa_t = ∂L/∂a_t and δh_{t-1} = ∂L/∂h_{t-1}, one Jacobian per step back        (seed eqs. 8–9, 12–15)
        da = torch.empty_like(tr.a)
        dh = torch.empty_like(tr.h)  # (T+1, B, H)
        dh[T] = dh_out[T - 1]
        for t in range(T, 0, -1):
            # δa_t = δh_t ⊙ f′(a_t)
            da[t - 1] = dh[t] * fprime[t - 1]
            # δh_{t-1} = W δa_t (+ the output's own term when the loss is summed)
            dh[t - 1] = da[t - 1] @ W.T
            if t - 1 >= 1:
                dh[t - 1] += dh_out[t - 2]
    else:
        # truncated: each loss term at step s goes back through steps s, s−1, …, s−N only
        da = torch.zeros_like(tr.a)
        dh = torch.zeros_like(tr.h)
        sources = range(T, 0, -1) if loss == "sum" else (T,)
        for s in sources:
            if not bool(do[s - 1].any()):
                continue
            g = dh_out[s - 1]  # ∂L_s/∂h_s
            dh[s] += g
            for t in range(s, max(s - N, 1) - 1, -1):
                d = g * fprime[t - 1]
                da[t - 1] += d
                g = d @ W.T  # ∂L_s/∂h_{t-1}
                dh[t - 1] += g

    # per-step terms: step t uses W with h_{t-1}, U with x_t, b_h alone           (seed eqs. 12–18)
    per = {
        "W": torch.einsum("tbh,tbk->thk", tr.h[:-1], da),  # (T, H, H)
        "U": torch.einsum("tbi,tbk->tik", tr.x, da),  # (T, in, H)
        "b_h": da.sum(1),  # (T, H)
        "V": per_V,
        "b_y": per_by,
    }
    grads = {k: v.sum(0) for k, v in per.items()}
    return BPTTResult(float(L), grads, per, dh if batched else dh[:, 0], N, loss)


def autograd_grads(m: VanillaRNN, x, y, truncation: int | None = None, loss: str = "last") -> dict[str, Tensor]:
    """The same gradients by torch.autograd, with the state detached N+1 steps back for truncation.
    A reference for the gradient-check table and the tests; `bptt` above does not use it."""
    N = checks.truncation(truncation)
    x, _ = as_sequence(x, m.input_size, m.U.dtype, m.U.device)
    T, B, _ = x.shape
    y = torch.as_tensor(y).to(m.U.dtype).reshape((T, B, -1) if loss == "sum" else (B, -1))
    params = [m.U, m.W, m.V, m.b_h, m.b_y]
    with torch.enable_grad():
        hs = [x.new_zeros(B, m.hidden_size)]
        for t in range(T):
            hs.append(m.act.f(x[t] @ m.U + hs[-1] @ m.W + m.b_h))
        total = 0.0
        for s in (range(1, T + 1) if loss == "sum" else (T,)):
            if N is None:
                h = hs[s]
            else:  # recompute steps s−N … s from a detached h_{s−N−1}
                start = max(s - N, 1)
                h = hs[start - 1].detach()
                for t in range(start, s + 1):
                    h = m.act.f(x[t - 1] @ m.U + h @ m.W + m.b_h)
            yhat = m.out_act.f(h @ m.V + m.b_y)
            target = y[s - 1] if loss == "sum" else y
            total = total + 0.5 * ((yhat - target) ** 2).sum()
        gs = torch.autograd.grad(total, params)
    return dict(zip(KEYS, (g.detach() for g in gs)))
