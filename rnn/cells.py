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

The trainer runs the LSTM as `LSTMSequence`: T calls of lstm_step in one autograd node, its backward
(BPTT) written out, tested against autograd through lstm_step (tests/rnn/test_lstm_sequence.py).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.autograd.function import once_differentiable

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

def lstm_step(gx_t: Tensor, h: Tensor, c: Tensor, W_hh: Tensor,
              out: tuple | None = None) -> tuple[Tensor, Tensor, tuple]:
    """(h_t, c_t, (i, f, g, o)) from gx_t = W_ih x_t + b_ih + b_hh (B, 4H), h_{t-1} and c_{t-1} (B, H).

    out: None, or buffers (z (B, 4H), c_t, tanh(c_t), h_t (B, H)) that the same operations write into
    (outside autograd; `LSTMSequence`): the gates then come back as views of z, activated in place."""
    if out is None:
        # [i f g o] pre-activations = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        gi, gf, gg, go = torch.addmm(gx_t, h, W_hh.T).chunk(4, dim=-1)
        # i, f, o = σ(·), g = tanh(·)
        i, f, g, o = torch.sigmoid(gi), torch.sigmoid(gf), torch.tanh(gg), torch.sigmoid(go)
        # c_t = f ⊙ c_{t-1} + i ⊙ g
        c_t = f * c + i * g
        # h_t = o ⊙ tanh(c_t)
        return o * torch.tanh(c_t), c_t, (i, f, g, o)
    z, c_t, tc, h_t = out  # the same four lines, into the buffers
    gi, gf, gg, go = torch.addmm(gx_t, h, W_hh.T, out=z).chunk(4, dim=-1)
    i, f, g, o = gi.sigmoid_(), gf.sigmoid_(), gg.tanh_(), go.sigmoid_()
    torch.add(torch.mul(f, c, out=c_t), i * g, out=c_t)
    return torch.mul(o, torch.tanh(c_t, out=tc), out=h_t), c_t, (i, f, g, o)


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


class LSTMSequence(torch.autograd.Function):
    """T steps of `lstm_step` as one autograd node whose backward (BPTT through the LSTM) is written out below,
    instead of the dozen autograd nodes a step makes. The forward is `lstm_step` itself, step after step: the
    same numbers. The backward is the same chain rule as autograd's, its factors regrouped (the gate
    derivatives a few steps at a time, ∂L/∂W_hh one product over all steps), so gradients agree with
    autograd's to rounding.

    apply(gx, h0, c0, W_hh, sink): gx = W_ih x_t + b_ih + b_hh for t = 1 … T (T, B, 4H), the state (h0, c0)
    (B, H) each, W_hh (4H, H) → (h_1 … h_T (T, B, H), c_T (B, H), not differentiable). The backward fills
    the dict `sink` with "dh" (T, B, H): ∂L/∂h_t, all that reaches h_t (its readout and step t+1);
    "dc" (T, B, H): ∂L/∂c_t through step t+1 only (not the same step's h_t = o ⊙ tanh(c_t)), zero at t = T;
    "dh0", "dc0" (B, H): ∂L/∂h_0 and ∂L/∂c_0."""

    @staticmethod
    def forward(ctx, gx, h0, c0, W_hh, sink):
        T, B, H4 = gx.shape
        H = H4 // 4
        z = gx.new_empty(T, B, H4)  # the activated gates i, f, g, o of every step
        c = gx.new_empty(T + 1, B, H)  # c_0 … c_T
        tc = gx.new_empty(T, B, H)  # tanh(c_t)
        hs = gx.new_empty(T, B, H)  # h_1 … h_T
        c[0] = c0
        h, cs = h0, c.unbind(0)
        for gx_t, c_prev, *buffers in zip(gx.unbind(0), cs, z.unbind(0), cs[1:], tc.unbind(0), hs.unbind(0)):
            h = lstm_step(gx_t, h, c_prev, W_hh, out=buffers)[0]
        ctx.z, ctx.c, ctx.tc, ctx.sink = z, c, tc, sink
        ctx.save_for_backward(h0, W_hh, hs)
        c_T = c[T].clone()
        ctx.mark_non_differentiable(c_T)
        return hs, c_T

    @staticmethod
    @once_differentiable
    def backward(ctx, dH, _dc_T):
        h0, W_hh, hs = ctx.saved_tensors
        T, B, H = hs.shape
        z = ctx.z.view(T, B, 4, H)  # i, f, g, o
        c, tc = ctx.c, ctx.tc
        dG = dH.new_empty(T, B, 4, H)  # ∂L/∂(pre-activations of i, f, g, o) at each step
        dh = dH.new_empty(T, B, H)  # ∂L/∂h_t, t = 1 … T
        dc = dH.new_empty(T + 1, B, H)  # ∂L/∂c_t through step t+1, t = 0 … T
        dc[T] = 0
        D = dH.new_empty(B, 4, H)  # (∂L/∂c_t three times, ∂L/∂h_t): what each gate's derivative multiplies
        one = dH.new_ones(())
        # the factors of a few steps at once (a few fit in cache, all T would not)
        block, lo = max(1, 2 ** 16 // max(1, B * 4 * H)), T
        dHs, dGs, dhs, dcs = dH.unbind(0), dG.unbind(0), dh.unbind(0), dc.unbind(0)  # views of one step
        f = z[:, :, 1].unbind(0)
        for t in range(T - 1, -1, -1):  # z[t], hs[t], c[t + 1] belong to step t+1
            if t < lo:
                hi, lo = lo, max(0, t + 1 - block)
                zb, tcb = z[lo:hi], tc[lo:hi]
                i, g, o = zb[:, :, 0], zb[:, :, 2], zb[:, :, 3]
                # σ′ = σ(1 − σ) for i, f, o;  tanh′ = 1 − g² for g
                k = torch.addcmul(zb, zb, zb, value=-1)
                torch.addcmul(one, g, g, value=-1, out=k[:, :, 2])
                # ∂c_t/∂(pre-activations of i, f, g) = diag(g i′), diag(c_{t-1} f′), diag(i g′);
                # ∂h_t/∂(pre-activation of o) = diag(tanh(c_t) o′)
                k.mul_(torch.stack([g, c[lo:hi], i, tcb], dim=2))
                # ∂h_t/∂c_t = diag(o tanh′(c_t))
                k_c = torch.addcmul(one, tcb, tcb, value=-1).mul_(o)
            j = t - lo
            # ∂L/∂h_t = its readout's part + W_hhᵀ ∂L/∂(pre-activations at t+1)
            dh_t = dhs[t]
            if t == T - 1:
                dh_t.copy_(dHs[t])
            else:
                torch.addmm(dHs[t], dGs[t + 1].view(B, 4 * H), W_hh, out=dh_t)
            # ∂L/∂c_t, all of it: the part through h_t + the part through step t+1
            dc_t = torch.addcmul(dcs[t + 1], dh_t, k_c[j])
            torch.stack([dc_t, dc_t, dc_t, dh_t], dim=1, out=D)
            torch.mul(k[j], D, out=dGs[t])
            # the part of ∂L/∂c_{t-1} through step t: F_t ⊙ ∂L/∂c_t
            torch.mul(dc_t, f[t], out=dcs[t])
        dG = dG.view(T, B, 4 * H)
        dh0 = dG[0] @ W_hh
        ctx.sink.update(dh=dh, dc=dc[1:], dh0=dh0, dc0=dc[0])
        dW = None
        if ctx.needs_input_grad[3]:
            # ∂L/∂W_hh = Σ_t ∂L/∂(pre-activations at t) h_{t-1}ᵀ: two products over all steps
            dW = h0.T @ dG[0]
            if T > 1:
                dW.addmm_(hs[:-1].reshape((T - 1) * B, H).T, dG[1:].reshape((T - 1) * B, 4 * H))
            dW = dW.T
        return dG, dh0, dc[0], dW, None


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
