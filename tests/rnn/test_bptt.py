"""rnn.bptt (BPTT by hand) against torch.autograd written here, not rnn.bptt.autograd_grads.

The reference gives every step its own copy of U, W, b_h (and every output its own copy of V, b_y), so
autograd's gradient with respect to copy t is exactly the report's term of step t in Σ_i: that checks
`per_step` entry by entry, and their sum checks `grads`. Truncation N is autograd with the state detached
N+1 steps back (h_{s−N−1}.detach()); `dh` is checked with retain_grad on every state."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import rnn
from rnn import VanillaRNN
from reference_activations import ACTS, REF_F

F64 = torch.float64
KEYS = ("U", "W", "V", "b_h", "b_y")


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def reference(m: VanillaRNN, x, y, truncation=None):
    """Autograd's answer for the loss at the last step. Returns (loss, grads, per_step, dh)."""
    f, g = REF_F[m.act.name], REF_F[m.out_act.name]
    x = torch.as_tensor(x, dtype=m.U.dtype)
    y = torch.as_tensor(y, dtype=m.U.dtype)
    T = x.shape[0]
    U, W, V, bh, by = (p.detach() for p in (m.U, m.W, m.V, m.b_h, m.b_y))

    def copies(p):
        return [p.clone().requires_grad_(True) for _ in range(T)]

    Uc, Wc, bhc, Vc, byc = copies(U), copies(W), copies(bh), copies(V), copies(by)

    def step(t, h_prev):  # h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h) with step t's own parameter copies
        return f(x[t - 1] @ Uc[t - 1] + h_prev @ Wc[t - 1] + bhc[t - 1])

    def out_loss(s, h_s):  # ½‖g(Vᵀh_s + b_y) − y‖² with output s's own V, b_y
        return 0.5 * ((g(h_s @ Vc[s - 1] + byc[s - 1]) - y) ** 2).sum()

    h0 = torch.zeros(x.shape[:-1][1:] + (m.hidden_size,), dtype=x.dtype, requires_grad=True)
    sources = (T,)
    dh = None
    if truncation is None:
        hs = [h0]
        for t in range(1, T + 1):
            h = step(t, hs[-1])
            h.retain_grad()
            hs.append(h)
        L = sum(out_loss(s, hs[s]) for s in sources)
        L.backward()
        dh = torch.stack([h.grad if h.grad is not None else torch.zeros_like(h) for h in hs])
    else:
        N = truncation
        with torch.no_grad():
            hs = [h0.detach()]
            for t in range(1, T + 1):
                hs.append(step(t, hs[-1]))
        L = 0.0
        states = {}
        for s in sources:
            start = max(s - N, 1)
            # h_{s−N−1}.detach(): the loss at s sees only steps s−N … s
            h = hs[start - 1].detach().requires_grad_(True)
            states = {start - 1: h}
            for t in range(start, s + 1):
                h = step(t, h)
                h.retain_grad()
                states[t] = h
            L_s = out_loss(s, h)
            L_s.backward()
            L = L + float(L_s.detach())
        dh = torch.zeros((T + 1,) + hs[0].shape, dtype=x.dtype)
        for i, h in states.items():
            dh[i] = h.grad
    L = float(L.detach()) if torch.is_tensor(L) else float(L)

    def grad_or_zero(p):
        return p.grad if p.grad is not None else torch.zeros_like(p)

    per = {k: torch.stack([grad_or_zero(p) for p in c]) for k, c in
           zip(KEYS, (Uc, Wc, Vc, bhc, byc))}
    grads = {k: v.sum(0) for k, v in per.items()}
    return L, grads, per, dh


def plain_autograd(m: VanillaRNN, x, y, truncation=None):
    """A second, plainer reference: the model's own parameters, loss at T, state detached N+1 steps back."""
    f, g = REF_F[m.act.name], REF_F[m.out_act.name]
    params = [m.U, m.W, m.V, m.b_h, m.b_y]
    for p in params:
        p.grad = None
    T = x.shape[0]
    h = torch.zeros(x.shape[1:-1] + (m.hidden_size,), dtype=x.dtype)
    for t in range(1, T + 1):
        if truncation is not None and t == T - truncation:
            h = h.detach()  # h_{T−N−1}
        h = f(x[t - 1] @ m.U + h @ m.W + m.b_h)
    L = 0.5 * ((g(h @ m.V + m.b_y) - y) ** 2).sum()
    gs = torch.autograd.grad(L, params)
    return float(L.detach()), dict(zip(KEYS, gs))


def make(act="tanh", n_in=3, H=5, n_out=2, seed=0, out_act=None, scale=1.0, bias=True):
    m = VanillaRNN(n_in, H, n_out, activation=act, output_activation=out_act, seed=seed, scale=scale,
                   dtype=F64)
    if bias:
        with torch.no_grad():
            m.b_h.copy_(0.3 * torch.randn(H, generator=gen(seed + 100), dtype=F64))
            m.b_y.copy_(0.3 * torch.randn(n_out, generator=gen(seed + 200), dtype=F64))
    return m


def data(T, n_in, n_out, B=None, seed=0):
    xs = (T, n_in) if B is None else (T, B, n_in)
    ys = (() if B is None else (B,)) + (n_out,)
    return (torch.randn(xs, generator=gen(seed), dtype=F64),
            torch.randn(ys, generator=gen(seed + 1), dtype=F64))


def assert_matches(res, ref, check_dh=True, tol=1e-10):
    L, grads, per, dh = ref
    assert res.loss == pytest.approx(L, rel=1e-12, abs=1e-14)
    for k in KEYS:
        assert res.grads[k].shape == grads[k].shape, k
        torch.testing.assert_close(res.grads[k], grads[k], rtol=tol, atol=tol, msg=f"grads[{k}]")
        assert res.per_step[k].shape == per[k].shape, k
        torch.testing.assert_close(res.per_step[k], per[k], rtol=tol, atol=tol, msg=f"per_step[{k}]")
        torch.testing.assert_close(res.per_step[k].sum(0), res.grads[k], rtol=1e-12, atol=1e-12)
    if check_dh and dh is not None:
        assert res.dh.shape == dh.shape
        torch.testing.assert_close(res.dh, dh, rtol=tol, atol=tol, msg="dh")


# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("B", [None, 4])
def test_full_bptt_equals_autograd(act, B):
    m = make(act, seed=1)
    x, y = data(9, 3, 2, B=B, seed=2)
    res = rnn.bptt(m, x, y)
    assert_matches(res, reference(m, x, y))
    L, gs = plain_autograd(m, x, y)
    assert res.loss == pytest.approx(L, rel=1e-12)
    for k in KEYS:
        torch.testing.assert_close(res.grads[k], gs[k], rtol=1e-10, atol=1e-10)
        assert res.grads[k].shape == getattr(m, k).shape


@pytest.mark.parametrize("act", ACTS)
def test_full_bptt_with_linear_readout(act):
    m = make(act, seed=3, out_act="linear")
    x, y = data(6, 3, 2, B=2, seed=4)
    assert_matches(rnn.bptt(m, x, y), reference(m, x, y))


def test_loss_is_half_squared_error_at_last_step():
    m = make("tanh", seed=5)
    x, y = data(7, 3, 2, B=3, seed=6)
    y_hat, _ = m(x)
    want = 0.5 * float(((y_hat[-1].detach() - y) ** 2).sum())
    assert rnn.bptt(m, x, y).loss == pytest.approx(want, rel=1e-13)


def test_relu_kink_at_zero_follows_autograd():
    """x_1 = 0 and b_h = 0 make a_1 = 0 exactly: relu′(0) must be torch's 0 there."""
    m = make("relu", seed=7, bias=False)
    x, y = data(5, 3, 2, seed=8)
    x[0] = 0.0
    x[2] = 0.0
    tr = m.unroll(x)
    assert bool((tr.a[0] == 0).all())
    assert_matches(rnn.bptt(m, x, y), reference(m, x, y))


def test_per_step_sums_to_grads():
    m = make("tanh", seed=9)
    x, y = data(8, 3, 2, B=3, seed=10)
    res = rnn.bptt(m, x, y)
    for k in KEYS:
        assert res.per_step[k].shape == (8,) + tuple(getattr(m, k).shape)
        torch.testing.assert_close(res.per_step[k].sum(0), res.grads[k], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("B", [None, 3])
def test_per_step_V_and_b_y_only_at_last_step(B):
    """The erratum: V and b_y act only at the output ŷ_T, so their gradient has a single term."""
    m = make("tanh", seed=11)
    x, y = data(6, 3, 2, B=B, seed=12)
    res = rnn.bptt(m, x, y)
    for k in ("V", "b_y"):
        assert bool((res.per_step[k][:-1] == 0).all()), k
        assert float(res.per_step[k][-1].abs().max()) > 0, k
        torch.testing.assert_close(res.per_step[k][-1], res.grads[k], rtol=0, atol=0)
    # ∂L/∂V = h_T δo_Tᵀ with δo_T = (ŷ_T − y) ⊙ tanh′(o_T)
    y_hat, h = m(x)
    do = (y_hat[-1] - y) * (1 - y_hat[-1] ** 2)
    hT = h[-1].detach()
    want = torch.outer(hT, do) if B is None else hT.T @ do
    torch.testing.assert_close(res.grads["V"], want.detach(), rtol=1e-12, atol=1e-12)
    # U and b_h have a term at every step; W too, except at step 1 where it meets h_0 = 0
    for k in ("U", "b_h"):
        assert all(float(res.per_step[k][t].abs().max()) > 0 for t in range(6)), k
    assert bool((res.per_step["W"][0] == 0).all())
    assert all(float(res.per_step["W"][t].abs().max()) > 0 for t in range(1, 6))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("N", [0, 1, 2, 5, 8, 9, 10, 50])
def test_truncation_equals_autograd_with_detached_state(act, N):
    T = 9
    m = make(act, seed=13)
    x, y = data(T, 3, 2, B=2, seed=14)
    res = rnn.bptt(m, x, y, truncation=N)
    assert_matches(res, reference(m, x, y, truncation=N))
    L, gs = plain_autograd(m, x, y, truncation=N)
    for k in KEYS:
        torch.testing.assert_close(res.grads[k], gs[k], rtol=1e-10, atol=1e-10)
    # only the steps T−N … T carry a term
    for t in range(1, T + 1):
        nonzero = float(res.per_step["b_h"][t - 1].abs().max()) > 0
        assert nonzero == (t >= T - N), (t, N)
    if N >= T - 1:  # the window reaches h_0 = 0: full BPTT
        full = rnn.bptt(m, x, y)
        for k in KEYS:
            torch.testing.assert_close(res.grads[k], full.grads[k], rtol=1e-13, atol=1e-13)


def test_truncation_changes_the_gradient():
    m = make("tanh", seed=15, scale=1.2)
    x, y = data(12, 3, 2, seed=16)
    g0 = rnn.bptt(m, x, y, truncation=0).grads["W"]
    g3 = rnn.bptt(m, x, y, truncation=3).grads["W"]
    gf = rnn.bptt(m, x, y).grads["W"]
    assert not torch.allclose(g0, g3) and not torch.allclose(g3, gf)


@pytest.mark.parametrize("B", [None, 3])
def test_dh_equals_autograd_state_gradients(B):
    m = make("tanh", seed=21, scale=1.5)
    x, y = data(10, 3, 2, B=B, seed=22)
    res = rnn.bptt(m, x, y)
    _, _, _, dh = reference(m, x, y)
    assert res.dh.shape == ((11, 5) if B is None else (11, 3, 5))
    torch.testing.assert_close(res.dh, dh, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("N", [0, 2, 4])
def test_dh_with_truncation(N):
    """Inside the window s−N … s, dh is autograd's; at the cut it is what arrives at h_{T−N−1}; before, 0."""
    T = 8
    m = make("tanh", seed=23)
    x, y = data(T, 3, 2, seed=24)
    res = rnn.bptt(m, x, y, truncation=N)
    _, _, _, dh = reference(m, x, y, truncation=N)
    torch.testing.assert_close(res.dh, dh, rtol=1e-10, atol=1e-12)
    assert bool((res.dh[:T - N - 1] == 0).all())


def test_single_step_sequence():
    m = make("sigmoid", seed=25)
    x, y = data(1, 3, 2, seed=26)
    for N in (None, 0, 3):
        assert_matches(rnn.bptt(m, x, y, truncation=N), reference(m, x, y, truncation=N))


def test_float32_model_close_to_float64_reference():
    m64 = make("tanh", seed=27)
    m32 = VanillaRNN(3, 5, 2, seed=27, dtype=torch.float32)
    m32.load_state_dict({k: v.float() for k, v in m64.state_dict().items()})
    x, y = data(10, 3, 2, B=2, seed=28)
    r32 = rnn.bptt(m32, x.float(), y.float())
    ref = reference(m64, x, y)
    for k in KEYS:
        assert r32.grads[k].dtype == torch.float32
        torch.testing.assert_close(r32.grads[k].double(), ref[1][k], rtol=1e-4, atol=1e-5)


def test_bptt_leaves_parameters_without_grad():
    m = make("tanh", seed=29)
    x, y = data(5, 3, 2, seed=30)
    res = rnn.bptt(m, x, y)
    assert all(p.grad is None for p in m.parameters())
    assert all(not v.requires_grad for v in res.grads.values())


# ---------------------------------------------------------------------------------------------------------
# errors

@pytest.mark.parametrize("bad", [-1, 1.5, True, "2", -0.5])
def test_bad_truncation_raises(bad):
    m = make("tanh")
    x, y = data(5, 3, 2)
    with pytest.raises(ValueError) as ei:
        rnn.bptt(m, x, y, truncation=bad)
    assert "truncation" in str(ei.value) and "got" in str(ei.value)


@pytest.mark.parametrize("B,shape", [
    (None, (3,)), (None, (1, 2)), (None, (5, 2)), (None, ()),
    (4, (2,)), (4, (3, 2)), (4, (4, 3)), (4, (5, 4, 2)),
])
def test_wrong_y_shape_raises(B, shape):
    m = make("tanh")
    x, _ = data(5, 3, 2, B=B)
    with pytest.raises(ValueError) as ei:
        rnn.bptt(m, x, torch.zeros(shape, dtype=F64))
    msg = str(ei.value)
    assert "expected" in msg and f"got {tuple(shape)}" in msg


def test_wrong_x_shape_and_gated_model_raise():
    m = make("tanh")
    with pytest.raises(ValueError, match="expected x"):
        rnn.bptt(m, torch.zeros(5, 4, dtype=F64), torch.zeros(2, dtype=F64))
    with pytest.raises(ValueError):
        rnn.bptt(rnn.GatedRNN("lstm", 3, 5, 2, dtype=F64), *data(5, 3, 2))


# ---------------------------------------------------------------------------------------------------------
# a property test over random sizes, seeds, activations, batch and truncation

@settings(max_examples=60, deadline=None)
@given(
    T=st.integers(1, 7), n_in=st.integers(1, 4), H=st.integers(1, 6), n_out=st.integers(1, 3),
    B=st.one_of(st.none(), st.integers(1, 3)), act=st.sampled_from(ACTS),
    out_act=st.sampled_from([None, "linear", "sigmoid"]), seed=st.integers(0, 10_000),
    scale=st.floats(0.2, 2.0), truncation=st.one_of(st.none(), st.integers(0, 9)),
)
def test_property_bptt_equals_autograd(T, n_in, H, n_out, B, act, out_act, seed, scale, truncation):
    m = make(act, n_in, H, n_out, seed=seed, out_act=out_act, scale=scale)
    x, y = data(T, n_in, n_out, B=B, seed=seed)
    res = rnn.bptt(m, x, y, truncation=truncation)
    ref = reference(m, x, y, truncation=truncation)
    assert_matches(res, ref, tol=1e-9)
