"""Each cell's step s_{t-1} → s_t and, under it, its state Jacobian ∂s_t/∂s_{t-1}, written once and used by
the model (rnn.model), the trainer (rnn.training) and the Jacobian products (rnn.jacobians).

- The report's vanilla RNN: h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h) (report eq. 1); state s = h.
- The LSTM of torch.nn.LSTM (Hochreiter & Schmidhuber 1997; gates in torch's order i, f, g, o); state
  s = (h, c), so its Jacobian is the 2H × 2H block matrix [[∂h_t/∂h, ∂h_t/∂c], [∂c_t/∂h, ∂c_t/∂c]].
- The GRU of torch.nn.GRU (Cho et al. 2014; gates r, z, n); state s = h.

A step takes the input side already computed for all t in one product (xu_t = Uᵀx_t + b_h; for the
LSTM gx_t = W_ih x_t + b_ih + b_hh; for the GRU gx_t = W_ih x_t + b_ih, its b_hn acting inside r ⊙ (·)), works on a batch (B, ·), and returns what its Jacobian needs. A Jacobian takes
those saved values for K steps, each (K, H), and returns (K, n, n). Derivatives: σ′ = σ(1 − σ),
tanh′ = 1 − tanh². The Jacobians are tested against torch.func.jacrev of torch's own cells.
"""
from __future__ import annotations

from typing import Callable

import torch

Tensor = torch.Tensor


def _rows(v: Tensor) -> Tensor:
    """diag(v) A is v[:, :, None] * A: v (K, H) as a row scaling of a batch of matrices."""
    return v[..., :, None]


# ---------------------------------------------------------------------------------------------------------
# the report's vanilla RNN

def rnn_step(xu_t: Tensor, h: Tensor, W: Tensor, f: Callable[[Tensor], Tensor]) -> tuple[Tensor, Tensor]:
    """(a_t, h_t) from xu_t = Uᵀx_t + b_h (B, H) and h_{t-1} (B, H)."""
    # a_t = Uᵀx_t + Wᵀh_{t-1} + b_h   (one row per sample: x_t U + h_{t-1} W)
    a = torch.addmm(xu_t, h, W)
    # h_t = f(a_t)                                                                  (report eq. 1)
    return a, f(a)


def rnn_jacobian(W: Tensor, fprime: Tensor) -> Tensor:
    """∂h_t/∂h_{t-1} for K steps from f′(a_t) (K, H): (K, H, H)."""
    # ∂h_t/∂h_{t-1} = diag(f′(a_t)) Wᵀ
    return _rows(fprime) * W.T


# ---------------------------------------------------------------------------------------------------------
# LSTM (torch.nn.LSTM)

def lstm_step(gx_t: Tensor, h: Tensor, c: Tensor, W_hh: Tensor) -> tuple[Tensor, Tensor, tuple]:
    """(h_t, c_t, (i, f, g, o)) from gx_t = W_ih x_t + b_ih + b_hh (B, 4H), h_{t-1} and c_{t-1} (B, H)."""
    # [i f g o] pre-activations = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    gi, gf, gg, go = torch.addmm(gx_t, h, W_hh.T).chunk(4, dim=-1)
    # i, f, o = σ(·), g = tanh(·)
    i, f, g, o = torch.sigmoid(gi), torch.sigmoid(gf), torch.tanh(gg), torch.sigmoid(go)
    # c_t = f ⊙ c_{t-1} + i ⊙ g
    c_t = f * c + i * g
    # h_t = o ⊙ tanh(c_t)
    return o * torch.tanh(c_t), c_t, (i, f, g, o)


def lstm_jacobian(W_hh: Tensor, i: Tensor, f: Tensor, g: Tensor, o: Tensor, c_prev: Tensor,
                  c: Tensor) -> Tensor:
    """∂(h_t, c_t)/∂(h_{t-1}, c_{t-1}) for K steps from the gates and cell states, each (K, H): (K, 2H, 2H)."""
    Wi, Wf, Wg, Wo = W_hh.split(W_hh.shape[0] // 4, dim=0)  # each (H, H): a gate's pre-activation = … + W h
    tc = torch.tanh(c)
    # ∂c_t/∂h_{t-1} = diag(c_{t-1} f′) W_f + diag(g i′) W_i + diag(i g′) W_g
    dc_dh = _rows(c_prev * f * (1 - f)) * Wf + _rows(g * i * (1 - i)) * Wi + _rows(i * (1 - g * g)) * Wg
    # ∂c_t/∂c_{t-1} = diag(f)
    dc_dc = torch.diag_embed(f)
    # ∂h_t/∂· = diag(tanh(c_t) o′) ∂(W_o h)/∂· + diag(o tanh′(c_t)) ∂c_t/∂·
    k = _rows(o * (1 - tc * tc))
    dh_dh = _rows(tc * o * (1 - o)) * Wo + k * dc_dh
    dh_dc = k * dc_dc
    return torch.cat([torch.cat([dh_dh, dh_dc], dim=2), torch.cat([dc_dh, dc_dc], dim=2)], dim=1)


# ---------------------------------------------------------------------------------------------------------
# GRU (torch.nn.GRU)

def gru_step(gx_t: Tensor, h: Tensor, W_hh: Tensor, b_hh: Tensor) -> tuple[Tensor, tuple]:
    """(h_t, (r, z, n, hn)) from gx_t = W_ih x_t + b_ih (B, 3H) and h_{t-1} (B, H); hn = W_hn h_{t-1} + b_hn."""
    xr, xz, xn = gx_t.chunk(3, dim=-1)
    # W_hr h + b_hr, W_hz h + b_hz, W_hn h + b_hn
    hr, hz, hn = torch.addmm(b_hh, h, W_hh.T).chunk(3, dim=-1)
    # r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    # n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
    n = torch.tanh(xn + r * hn)
    # h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
    return n + z * (h - n), (r, z, n, hn)


def gru_jacobian(W_hh: Tensor, r: Tensor, z: Tensor, n: Tensor, hn: Tensor, h_prev: Tensor) -> Tensor:
    """∂h_t/∂h_{t-1} for K steps from the gates, hn and h_{t-1}, each (K, H): (K, H, H)."""
    Wr, Wz, Wn = W_hh.split(W_hh.shape[0] // 3, dim=0)
    # ∂n/∂h_{t-1} = diag(n′) [diag(r) W_n + diag(W_n h + b_n) diag(r′) W_r]
    dn = _rows(1 - n * n) * (_rows(r) * Wn + _rows(hn * r * (1 - r)) * Wr)
    # ∂h_t/∂h_{t-1} = diag(z) + diag(h_{t-1} − n) diag(z′) W_z + diag(1 − z) ∂n/∂h_{t-1}
    return torch.diag_embed(z) + _rows((h_prev - n) * z * (1 - z)) * Wz + _rows(1 - z) * dn
