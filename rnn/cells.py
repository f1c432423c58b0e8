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

The trainer runs the LSTM as `LSTMSequence`: lstm_step's operations for all T steps in one autograd node, its
backward (BPTT) written out, tested against autograd through lstm_step (tests/rnn/test_lstm_sequence.py).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch.autograd.function import once_differentiable

Tensor = torch.Tensor
# u ⊙ σ′ and u ⊙ tanh′ from the activation's output, written into `grad_input` (the kernels autograd uses)
_sigmoid_backward = torch.ops.aten.sigmoid_backward.grad_input
_tanh_backward = torch.ops.aten.tanh_backward.grad_input


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
              W_hhT: Tensor | None = None) -> tuple[Tensor, Tensor, tuple]:
    """(h_t, c_t, (i, f, g, o)) from gx_t = W_ih x_t + b_ih + b_hh (B, 4H), h_{t-1} and c_{t-1} (B, H).

    W_hh (4H, H) enters the product as W_hhᵀ laid out row by row (`.T.contiguous()`: the BLAS multiplies by it
    faster than by the transposed view); `LSTMSequence` runs these same operations into its buffers. A loop over
    steps makes that copy once and hands it in as `W_hhT` (the copy costs about half a step)."""
    H = h.shape[-1]
    # [i f g o] pre-activations = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
    a = torch.addmm(gx_t, h, W_hh.T.contiguous() if W_hhT is None else W_hhT)
    # i, f, o = σ(·), g = tanh(·)   (σ of i and f in one call)
    i_f = torch.sigmoid(a[:, :2 * H])
    i, f, g, o = i_f[:, :H], i_f[:, H:], torch.tanh(a[:, 2 * H:3 * H]), torch.sigmoid(a[:, 3 * H:])
    # c_t = f ⊙ c_{t-1} + i ⊙ g
    c_t = torch.addcmul(f * c, i, g)
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


class LSTMSequence(torch.autograd.Function):
    """T steps of `lstm_step` as one autograd node whose backward (BPTT through the LSTM) is written out below,
    instead of the dozen autograd nodes a step makes. The forward runs lstm_step's own operations, step after
    step, into buffers made once (the same numbers to rounding: the in-place product into a strided buffer row
    may take another BLAS kernel than lstm_step's, and on some CPUs does). The backward is the same chain rule
    as autograd's, its factors regrouped (the gate derivatives of all steps first, ∂L/∂W_hh one product over all steps), so
    gradients agree with autograd's to rounding.

    apply(x, W_ih, b, h0, c0, W_hh, sink): the input side gx_t = W_ih x_t + b (b = b_ih + b_hh) of every step
    from x (T, B, in), W_ih (4H, in), b (4H,) in one product (GatedRNN.input_side's); or, with W_ih and b None,
    x = gx itself (T, B, 4H). The state (h0, c0) (B, H) each, W_hh (4H, H) → (h_1 … h_T (T, B, H), c_T (B, H),
    not differentiable). The backward fills the dict `sink` with "dh" (T, B, H): ∂L/∂h_t, all that reaches h_t
    (its readout and step t+1); "dc" (T, B, H): ∂L/∂c_t through step t+1 only (not the same step's
    h_t = o ⊙ tanh(c_t)), zero at t = T; "dh0", "dc0" (B, H): ∂L/∂h_0 and ∂L/∂c_0.

    The backward reuses the forward's buffers (the gates become the gradients), so it runs once: no
    retain_graph."""

    @staticmethod
    def forward(ctx, x, W_ih, b, h0, c0, W_hh, sink):
        T, B = x.shape[:2]
        H = W_hh.shape[1]
        # one buffer, a row of 5 blocks (B, 5, H) per step: [spare, i, f, g, o], the gates' pre-activations
        # W_ih x_t + b_ih + b_hh, then W_hh h_{t-1} added step by step, then activated in place; the spare block
        # and row T serve the backward, which turns the rows into gradients
        zb = x.new_empty(T + 1, B, 5, H)
        gates = zb[:T, :, 1:].flatten(2)  # (T, B, 4H), rows 5H apart
        if W_ih is None:
            gates.copy_(x)
        else:
            # [i f g o] pre-activations, input side: W_ih x_t + b_ih + b_hh for all t in one product
            torch.addmm(b, x.reshape(T * B, -1), W_ih.T, out=gates.view(T * B, 4 * H))
        c = x.new_empty(T + 1, B, H)  # c_0 … c_T
        tc = x.new_empty(T, B, H)  # tanh(c_t)
        hs = x.new_empty(T, B, H)  # h_1 … h_T
        c[0] = c0
        W_T = W_hh.T.contiguous()
        # every step's views, made once: a view costs about as much as one of these small operations
        Z, IF, I, F, G, O = (v.unbind(0) for v in (gates, zb[:T, :, 1:3].flatten(2), *zb[:T, :, 1:].unbind(2)))
        C, TC, HS = c.unbind(0), tc.unbind(0), hs.unbind(0)
        h = h0
        for t in range(T):  # lstm_step, into the buffers
            Z[t].addmm_(h, W_T)
            IF[t].sigmoid_(), G[t].tanh_(), O[t].sigmoid_()
            torch.mul(F[t], C[t], out=C[t + 1]).addcmul_(I[t], G[t])
            h = torch.mul(O[t], torch.tanh(C[t + 1], out=TC[t]), out=HS[t])
        ctx.zb, ctx.c, ctx.tc, ctx.sink = zb, c, tc, sink
        ctx.save_for_backward(x if W_ih is not None else None, W_ih, h0, W_hh, hs)
        c_T = c[T].clone()
        ctx.mark_non_differentiable(c_T)
        return hs, c_T

    @staticmethod
    @once_differentiable
    def backward(ctx, dH, _dc_T):
        x, W_ih, h0, W_hh, hs = ctx.saved_tensors
        K, c, tc = ctx.zb, ctx.c, ctx.tc
        if K is None:
            raise RuntimeError("LSTMSequence's backward runs once (it reuses the forward's buffers): "
                               "retain_graph is not supported")
        ctx.zb = ctx.c = ctx.tc = None
        T, B, H = hs.shape
        # K[t] (B, 5, H) for step t+1, t = 0 … T−1: first, for all steps at once, what each part of ∂L/∂c_t or
        # ∂L/∂h_t is multiplied by, [F_t = diag(f), ∂c_t/∂a_i = diag(g i′), ∂c_t/∂a_f = diag(c_{t-1} f′),
        # ∂c_t/∂a_g = diag(i g′), ∂h_t/∂a_o = diag(tanh(c_t) o′)] (a: pre-activations; σ′ = σ(1 − σ),
        # tanh′ = 1 − g²), written over the gates [spare, i, f, g, o] in an order that reads each gate before
        # it is overwritten; then the loop below turns K[t] into [∂L/∂c_{t-1} through step t, ∂L/∂a_i, ∂L/∂a_f,
        # ∂L/∂a_g, ∂L/∂a_o]. K[T] = 0: nothing comes after step T.
        # (σ_backward(u, σ) = u σ(1 − σ) and tanh_backward(u, τ) = u (1 − τ²), each one operation: autograd's own)
        k0, i, f, g, o = K[:T].unbind(2)
        k0.copy_(g)  # g, kept while its block is overwritten
        _tanh_backward(i, g, grad_input=g)  # i g′
        _sigmoid_backward(k0, i, grad_input=i)  # g i′
        k0.copy_(f)  # f
        _sigmoid_backward(c[:-1], f, grad_input=f)  # c_{t-1} f′
        # ∂h_t/∂c_t = diag(o tanh′(c_t)), written over c_1 … c_T (not needed any more)
        k_c = _tanh_backward(o, tc, grad_input=c[1:])
        _sigmoid_backward(tc, o, grad_input=o)  # tanh(c_t) o′
        K[T].zero_()
        dh = dH.clone(memory_format=torch.contiguous_format)  # ∂L/∂h_t, t = 1 … T: the readout's part, + below
        dc = dH.new_empty(B, H)  # ∂L/∂c_t of the current step, all of it
        dc_b = dc[:, None]
        DH, KC, dA = dh.unbind(0), k_c.unbind(0), K[:, :, 1:].flatten(2).unbind(0)  # dA[t] (B, 4H)
        K4, Ko, dC = K[:, :, :4].unbind(0), K[:, :, 4].unbind(0), K[:, :, 0].unbind(0)
        for t in range(T - 1, -1, -1):  # index t is step t+1: h_{t+1}, c_{t+1}
            dh_t = DH[t]
            if t < T - 1:
                # ∂L/∂h_t = its readout's part + W_hhᵀ ∂L/∂(pre-activations at t+1)
                dh_t.addmm_(dA[t + 1], W_hh)
            # ∂L/∂c_t, all of it: the part through step t+1 + the part through h_t
            torch.addcmul(dC[t + 1], dh_t, KC[t], out=dc)
            # ∂L/∂c_{t-1} through step t = F_t ∂L/∂c_t;  ∂L/∂a_{i,f,g} = ∂c_t/∂a_{i,f,g} ∂L/∂c_t
            K4[t].mul_(dc_b)
            # ∂L/∂a_o = ∂h_t/∂a_o ∂L/∂h_t
            Ko[t].mul_(dh_t)
        dG = K[:T, :, 1:].flatten(2)  # ∂L/∂(pre-activations) (T, B, 4H), rows 5H apart
        dh0 = dA[0] @ W_hh
        ctx.sink.update(dh=dh, dc=K[1:, :, 0], dh0=dh0, dc0=dC[0])
        dx = dW_ih = db = dW = None
        if W_ih is None:
            dx = dG
        else:
            dG2 = dG.view(T * B, 4 * H)
            if ctx.needs_input_grad[0]:
                dx = (dG2 @ W_ih).view(x.shape)
            if ctx.needs_input_grad[1]:
                # ∂L/∂W_ih = Σ_t ∂L/∂(pre-activations at t) x_tᵀ
                dW_ih = (x.reshape(T * B, -1).T @ dG2).T
            if ctx.needs_input_grad[2]:
                db = dG2.sum(0)
        if ctx.needs_input_grad[5]:
            # ∂L/∂W_hh = Σ_t ∂L/∂(pre-activations at t) h_{t-1}ᵀ: two products over all steps
            dW = h0.T @ dA[0]
            if T > 1:
                dW.addmm_(hs[:-1].reshape((T - 1) * B, H).T, dG[1:].reshape((T - 1) * B, 4 * H))
            dW = dW.T
        return dx, dW_ih, db, dh0, dC[0], dW, None


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
