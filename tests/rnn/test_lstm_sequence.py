"""rnn.cells.LSTMSequence (the trainer's LSTM: T steps of lstm_step as one autograd node with its backward
written out) against lstm_step step by step, differentiated by autograd.

The two forwards run the same operations, but not on the same memory: LSTMSequence adds W_hh h_{t-1} in place
into a strided row of its gate buffer, lstm_step into a fresh tensor. A BLAS may pick another kernel (another
order of summation) for another stride or alignment, and does on some CPUs, so the forwards are compared to
rounding (FWD_TOL), never bit for bit."""
import numpy as np
import pytest
import torch

from rnn.cells import LSTMSequence, lstm_step


# forward against forward: a few roundings per step, over at most 40 steps of a contracting cell
FWD_TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14), torch.float32: dict(rtol=2e-5, atol=1e-6)}


def inputs(T, B, H, dtype, seed=0):
    g = torch.Generator().manual_seed(seed)
    gx = torch.randn(T, B, 4 * H, generator=g, dtype=dtype)
    h0, c0 = torch.randn(B, H, generator=g, dtype=dtype), torch.randn(B, H, generator=g, dtype=dtype)
    W = torch.randn(4 * H, H, generator=g, dtype=dtype) / H ** 0.5
    R = torch.randn(T, B, H, generator=g, dtype=dtype)  # the loss L = Σ_t Σ R_t ⊙ h_t
    return gx, h0, c0, W, R


def by_autograd(gx, h0, c0, W, R):
    """The steps one by one; each state handed on is a view whose .grad is ∂L/∂s_t (as the trainer's
    generic path): ∂L/∂c_t then leaves out the same step's h_t."""
    gx, h0, c0, W = (t.detach().clone().requires_grad_(True) for t in (gx, h0, c0, W))
    h, c, hs, states = h0, c0, [], []
    for t in range(gx.shape[0]):
        h, c, _ = lstm_step(gx[t], h, c, W)
        h, c = h.view_as(h), c.view_as(c)
        h.retain_grad()
        c.retain_grad()
        hs.append(h)
        states.append((h, c))
    hs = torch.stack(hs)
    (hs * R).sum().backward()
    zero = torch.zeros_like(h0)
    return dict(hs=hs.detach(), c_T=c.detach(), gx=gx.grad, h0=h0.grad, c0=c0.grad, W=W.grad,
                dh=torch.stack([s[0].grad for s in states]),
                dc=torch.stack([s[1].grad if s[1].grad is not None else zero for s in states]))


def by_sequence(gx, h0, c0, W, R):
    gx, h0, c0, W = (t.detach().clone().requires_grad_(True) for t in (gx, h0, c0, W))
    sink = {}
    hs, c_T = LSTMSequence.apply(gx, None, None, h0, c0, W, sink)
    assert not c_T.requires_grad
    (hs * R).sum().backward()
    assert torch.equal(sink["dh0"], h0.grad) and torch.equal(sink["dc0"], c0.grad)
    return dict(hs=hs.detach(), c_T=c_T, gx=gx.grad, h0=h0.grad, c0=c0.grad, W=W.grad, dh=sink["dh"],
                dc=sink["dc"])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("T, B, H", [(1, 1, 1), (2, 3, 5), (13, 4, 6), (9, 32, 16), (40, 2, 3), (3, 1, 40),
                                     (3, 7, 33), (2, 32, 128)])
def test_forward_is_lstm_step_and_backward_is_autograd(T, B, H, dtype):
    args = inputs(T, B, H, dtype, seed=T * 100 + H)
    want, got = by_autograd(*args), by_sequence(*args)
    # the forward is lstm_step's own operations, to rounding
    torch.testing.assert_close(got["hs"], want["hs"], **FWD_TOL[dtype], msg="hs")
    torch.testing.assert_close(got["c_T"], want["c_T"], **FWD_TOL[dtype], msg="c_T")
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == torch.float64 else dict(rtol=2e-5, atol=1e-6)
    for k in ("gx", "h0", "c0", "W", "dh", "dc"):
        torch.testing.assert_close(got[k], want[k], **tol, msg=k)
    assert torch.all(got["dc"][-1] == 0)  # c_T: nothing after step T


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("T, B, H, n_in", [(1, 1, 1, 1), (2, 3, 5, 4), (13, 4, 6, 3), (9, 32, 16, 24)])
def test_input_side_in_the_sequence_is_input_side_then_lstm_step(T, B, H, n_in, dtype):
    """apply(x, W_ih, b, …): the input side W_ih x_t + b computed in the sequence's own buffer is the product
    GatedRNN.input_side makes (to rounding, so the forward is too), and ∂L/∂x, ∂L/∂W_ih, ∂L/∂b are autograd's."""
    g = torch.Generator().manual_seed(T * 10 + n_in)
    x = torch.randn(T, B, n_in, generator=g, dtype=dtype)
    W_ih = torch.randn(4 * H, n_in, generator=g, dtype=dtype) / n_in ** 0.5
    b = torch.randn(4 * H, generator=g, dtype=dtype)
    _, h0, c0, W, R = inputs(T, B, H, dtype, seed=T + H)

    def leaves():
        return (t.detach().clone().requires_grad_(True) for t in (x, W_ih, b, h0, c0, W))

    x1, W_ih1, b1, *state1 = leaves()
    gx = torch.addmm(b1, x1.reshape(T * B, n_in), W_ih1.T).unflatten(0, (T, B))  # GatedRNN.input_side's product
    want = by_autograd(gx, *state1, R)
    torch.autograd.backward(gx, want["gx"])  # autograd's ∂L/∂x, ∂L/∂W_ih, ∂L/∂b, from its ∂L/∂gx
    x2, W_ih2, b2, h0_2, c0_2, W2 = leaves()
    sink = {}
    hs, c_T = LSTMSequence.apply(x2, W_ih2, b2, h0_2, c0_2, W2, sink)
    torch.testing.assert_close(hs.detach(), want["hs"], **FWD_TOL[dtype], msg="hs")
    torch.testing.assert_close(c_T, want["c_T"], **FWD_TOL[dtype], msg="c_T")
    (hs * R).sum().backward()
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == torch.float64 else dict(rtol=2e-5, atol=1e-6)
    for got, ref, name in ((x2.grad, x1.grad, "x"), (W_ih2.grad, W_ih1.grad, "W_ih"), (b2.grad, b1.grad, "b"),
                           (h0_2.grad, want["h0"], "h0"), (c0_2.grad, want["c0"], "c0"), (W2.grad, want["W"], "W"),
                           (sink["dh"], want["dh"], "dh"), (sink["dc"], want["dc"], "dc")):
        torch.testing.assert_close(got, ref, **tol, msg=name)


def test_backward_runs_once():
    """The backward writes the gradients over the forward's buffers: a second backward through the same graph
    is refused, not computed from overwritten numbers."""
    gx, h0, c0, W, R = inputs(3, 2, 4, torch.float64)
    hs, _ = LSTMSequence.apply(gx, None, None, h0, c0, W.requires_grad_(True), {})
    loss = (hs * R).sum()
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="runs once"):
        loss.backward()


@pytest.mark.parametrize("T, B, H", [(1, 5, 7), (6, 3, 5), (4, 32, 16)])
def test_buffers_hold_lstm_steps_values(T, B, H):
    """What the forward keeps for the backward (the activated gates, c_0 … c_T, tanh(c_t)) is what lstm_step
    computes, to rounding (FWD_TOL)."""
    gx, h0, c0, W, _ = inputs(T, B, H, torch.float64, seed=7)
    hs, _ = LSTMSequence.apply(gx, None, None, h0, c0, W.requires_grad_(True), {})
    ctx = hs.grad_fn  # the node of a torch.autograd.Function is its ctx
    z = ctx.zb[:T, :, 1:]  # (T, B, 4, H): the gates i, f, g, o
    h, c = h0, c0
    tol = FWD_TOL[torch.float64]
    assert torch.equal(ctx.c[0], c0)  # a copy, no arithmetic
    for t in range(T):
        # step t of lstm_step from the sequence's own h_{t-1}, c_{t-1}: each step's rounding compared alone
        h, c, gates = lstm_step(gx[t], hs[t - 1] if t else h0, ctx.c[t], W.detach())
        for k, gate in enumerate(gates):
            torch.testing.assert_close(z[t, :, k], gate, **tol, msg=f"gate {k} at step {t}")
        torch.testing.assert_close(ctx.c[t + 1], c, **tol)
        torch.testing.assert_close(ctx.tc[t], torch.tanh(ctx.c[t + 1]), **tol)
        torch.testing.assert_close(hs[t], h, **tol)


# ----------------------------------------------------------------------------------------------------------
# the trainer's LSTM path (one LSTMSequence per stretch between truncation cuts) against its step-by-step path

TEXT = "the cat sat on the mat; the dog sat on the log. " * 3


@pytest.mark.parametrize("task, truncation", [("adding", None), ("adding", 0), ("adding", 3), ("adding", 8),
                                              ("remember_first", 2), ("text", None), ("text", 0), ("text", 1),
                                              ("text", 3), ("text", 4), ("text", 20)])
@pytest.mark.parametrize("optimizer, clip", [("sgd", "none"), ("adam", "norm")])
def test_trainer_lstm_path_equals_the_step_by_step_path(task, truncation, optimizer, clip):
    from rnn.training import SCALARS, TrainConfig, Trainer

    cfg = TrainConfig(task=task, text=TEXT if task == "text" else "", T=9, batch_size=3, model="lstm",
                      hidden_size=5, truncation=truncation, optimizer=optimizer, lr=0.05, clip=clip,
                      clip_threshold=0.5, seed=2)
    fast, slow = Trainer(cfg), Trainer(cfg)
    slow._forward = slow._forward_steps  # autograd through every `_step`, ∂L/∂s_t from retain_grad
    a, b = fast.train(3), slow.train(3)
    np.testing.assert_allclose(a["loss"][0], b["loss"][0], rtol=1e-12)  # the same forward, to rounding
    for k in SCALARS:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-10, atol=1e-300, err_msg=k)
    np.testing.assert_allclose(a["grad_h_norm"], b["grad_h_norm"], rtol=1e-10, atol=1e-300)
    if truncation is not None and truncation < 8:
        assert np.any(a["grad_h_norm"] == 0.0) == (task != "text")  # a last-step loss: zero before the cut
    for p, q in zip(fast.model.parameters(), slow.model.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-10, atol=1e-14)
