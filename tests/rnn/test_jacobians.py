"""rnn.jacobians against references nobody here wrote: torch.func.jacrev of one step (for the vanilla RNN
and for torch.nn.LSTMCell / torch.nn.GRUCell built here with copied weights), products of those Jacobians
with numpy's spectral norm (and, past float64's range, rescaled by rnn.jacobians.reference_log10_norms, the
plain loop, itself held to numpy's norm of the explicit products), autograd's ∂L/∂h_i (retain_grad), the closed form of a linear RNN with
W = s·Q (‖Q^k‖ = 1, so log10‖∂h_T/∂h_{T−k}‖ = k·log10 s), and Pascanu et al.'s bound (γ·σ_max)^k."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.func import jacrev, vmap

import rnn
from rnn import GatedRNN, VanillaRNN
from rnn.init import orthogonal
from rnn.jacobians import reference_log10_norms
from reference_activations import ACTS, GAMMA, REF_F

F64 = torch.float64


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------------------------------------------------
# references: one step as a function of the previous state, its jacrev, products, norms

def vanilla_step(m: VanillaRNN):
    f = REF_F[m.act.name]
    U, W, bh = (p.detach() for p in (m.U, m.W, m.b_h))

    def step(h_prev, x_t):  # h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h)
        return f(x_t @ U + h_prev @ W + bh)

    return step


def gated_step(m: GatedRNN):
    """One step of a torch.nn.LSTMCell / GRUCell holding m's weights, as a map of the full state
    s = (h, c) for the LSTM and s = h for the GRU."""
    H = m.hidden_size
    cell = (nn.LSTMCell if m.kind == "lstm" else nn.GRUCell)(m.input_size, H, dtype=F64)
    with torch.no_grad():
        cell.weight_ih.copy_(m.core.weight_ih_l0)
        cell.weight_hh.copy_(m.core.weight_hh_l0)
        cell.bias_ih.copy_(m.core.bias_ih_l0)
        cell.bias_hh.copy_(m.core.bias_hh_l0)
    for p in cell.parameters():
        p.requires_grad_(False)
    if m.kind == "lstm":
        def step(s, x_t):
            h, c = cell(x_t, (s[:H], s[H:]))
            return torch.cat([h, c])
    else:
        def step(s, x_t):
            return cell(x_t, s)
    return step


def reference_jacobians(m, x: torch.Tensor):
    """(states s_0 … s_T, one-step Jacobians J_1 … J_T by jacrev)."""
    step = vanilla_step(m) if isinstance(m, VanillaRNN) else gated_step(m)
    n = m.state_size if isinstance(m, GatedRNN) else m.hidden_size
    with torch.no_grad():
        s = [torch.zeros(n, dtype=x.dtype)]
        for t in range(x.shape[0]):
            s.append(step(s[-1], x[t]))
    S = torch.stack(s)
    J = vmap(jacrev(step))(S[:-1], x)  # J[t-1] = ∂s_t/∂s_{t-1}
    return S, J, step


def explicit_products_log10_norms(J: torch.Tensor) -> np.ndarray:
    """log10‖J_T ⋯ J_{i+1}‖₂ from the explicit products and numpy's 2-norm, nothing rescaled (short T)."""
    Jn = J.detach().cpu().double().numpy()
    P, out = np.eye(Jn.shape[1]), np.empty(Jn.shape[0])
    for i in range(Jn.shape[0] - 1, -1, -1):
        P = P @ Jn[i]
        out[i] = math.log10(np.linalg.norm(P, 2))
    return out


def linear_sQ(H: int, s: float, dtype=F64, seed: int = 1, n_in: int = 2) -> VanillaRNN:
    m = VanillaRNN(n_in, H, 1, activation="linear", seed=seed, dtype=dtype)
    Q = orthogonal(H, gen(seed + 7))
    with torch.no_grad():
        m.W.copy_((s * Q).to(dtype))
    return m


def randomise_biases(m: VanillaRNN, seed: int) -> VanillaRNN:
    with torch.no_grad():
        m.b_h.copy_(0.2 * torch.randn(m.hidden_size, generator=gen(seed), dtype=F64))
        m.b_y.copy_(0.2 * torch.randn(m.output_size, generator=gen(seed + 1), dtype=F64))
    return m


# ---------------------------------------------------------------------------------------------------------
# one-step Jacobians and their products

@pytest.mark.parametrize("act", ACTS)
def test_state_jacobians_equal_jacrev_vanilla(act):
    m = randomise_biases(VanillaRNN(3, 6, 2, activation=act, seed=2, scale=1.3, dtype=F64), 3)
    x = torch.randn(10, 3, generator=gen(4), dtype=F64)
    S, J, _ = reference_jacobians(m, x)
    torch.testing.assert_close(m(x)[1], S, rtol=1e-12, atol=1e-12)
    got = rnn.state_jacobians(m, x)
    assert got.shape == (10, 6, 6)
    torch.testing.assert_close(got, J, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_state_jacobians_equal_jacrev_gated(kind, scale):
    m = GatedRNN(kind, 3, 5, 2, seed=5, scale=scale, dtype=F64)
    x = torch.randn(12, 3, generator=gen(6), dtype=F64) * 1.5
    S, J, _ = reference_jacobians(m, x)
    n = 10 if kind == "lstm" else 5
    got = rnn.state_jacobians(m, x)
    assert got.shape == (12, n, n)
    torch.testing.assert_close(got, J, rtol=1e-12, atol=1e-12)
    # the reference cells reproduce the model's own states
    u = m.unroll(x)
    torch.testing.assert_close(u["h"][:, 0], S[:, :5], rtol=1e-12, atol=1e-12)
    if kind == "lstm":
        torch.testing.assert_close(u["c"][:, 0], S[:, 5:], rtol=1e-12, atol=1e-12)


def test_product_of_jacrev_steps_is_jacrev_of_the_composed_map():
    """The reference's own premise: ∂h_T/∂h_i = J_T ⋯ J_{i+1} (chain rule), checked once by jacrev."""
    m = VanillaRNN(3, 5, 2, seed=8, scale=1.2, dtype=F64)
    x = torch.randn(8, 3, generator=gen(9), dtype=F64)
    S, J, step = reference_jacobians(m, x)
    for i in (0, 3, 7):
        def run(h, i=i):
            for t in range(i, 8):
                h = step(h, x[t])
            return h
        P = torch.eye(5, dtype=F64)
        for t in range(7, i - 1, -1):
            P = P @ J[t]
        torch.testing.assert_close(jacrev(run)(S[i]), P, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("scale", [0.6, 1.0, 1.8])
def test_log10_norms_equal_products_of_jacrev_vanilla(act, scale):
    m = randomise_biases(VanillaRNN(3, 7, 2, activation=act, seed=10, scale=scale, dtype=F64), 11)
    x = torch.randn(15, 3, generator=gen(12), dtype=F64)
    _, J, _ = reference_jacobians(m, x)
    got = rnn.jacobian_log10_norms(m, x)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (15,)
    want = explicit_products_log10_norms(J)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(reference_log10_norms(m, x), want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(reference_log10_norms(m, x, J), want, rtol=0, atol=1e-10)
    # entry T−1 is a single step's Jacobian
    assert got[-1] == pytest.approx(math.log10(np.linalg.norm(J[-1].numpy(), 2)), abs=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("scale", [0.5, 1.5])
def test_log10_norms_equal_products_of_jacrev_gated(kind, scale):
    m = GatedRNN(kind, 3, 6, 2, seed=13, scale=scale, dtype=F64)
    x = torch.randn(15, 3, generator=gen(14), dtype=F64)
    _, J, _ = reference_jacobians(m, x)
    got = rnn.jacobian_log10_norms(m, x)
    assert got.shape == (15,) and got.dtype == np.float64
    want = explicit_products_log10_norms(J)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)
    ref = reference_log10_norms(m, x)
    assert ref.shape == (15,) and ref.dtype == np.float64
    np.testing.assert_allclose(ref, want, rtol=0, atol=1e-10)
    np.testing.assert_allclose(reference_log10_norms(m, x, J), want, rtol=0, atol=1e-10)


@pytest.mark.parametrize("model", ["tanh", "relu", "lstm", "gru"])
def test_log10_norms_long_sequence_across_chunks(model):
    """T = 600 crosses the engine's chunk boundaries; the reference rescales its own products."""
    if model in ("lstm", "gru"):
        m = GatedRNN(model, 2, 4, 1, seed=15, scale=1.5, dtype=F64)
    else:
        m = randomise_biases(VanillaRNN(2, 6, 1, activation=model, seed=15, scale=1.1, dtype=F64), 16)
    x = torch.randn(600, 2, generator=gen(17), dtype=F64)
    _, J, _ = reference_jacobians(m, x)
    want = reference_log10_norms(m, x, J)
    np.testing.assert_allclose(rnn.jacobian_log10_norms(m, x), want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(reference_log10_norms(m, x), want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("act,H,seed,scale", [("tanh", 4, 2, 1.0), ("tanh", 4, 1, 1.1),
                                               ("sigmoid", 16, 3, 1.1), ("tanh", 64, 0, 1.1)])
def test_log10_norms_identity_init_across_chunks(act, H, seed, scale):
    """IRNN (W = g·I, Le et al. 2015): every factor is diagonal, so P_i is diagonal and the unit that
    dominates the product can change with the lag. The spectral norm must follow it past T = 256."""
    m = VanillaRNN(3, H, 1, activation=act, init="identity", scale=scale, seed=seed, dtype=F64)
    x = torch.randn(700, 3, generator=gen(seed), dtype=F64)
    _, J, _ = reference_jacobians(m, x)
    want = reference_log10_norms(m, x, J)
    np.testing.assert_allclose(rnn.jacobian_log10_norms(m, x), want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(reference_log10_norms(m, x), want, rtol=0, atol=1e-9)


def test_log10_norms_when_the_dominant_unit_switches():
    """A two-unit IRNN built so that unit 1 dominates the last step (tanh′ = 1 vs ≈ 1.8e−4) while unit 2
    dominates every lag beyond ≈ 170 (tanh′ = 1 vs 0.95 per step). Closed form: P_i is diagonal and
    ‖P_i‖₂ = max over the two units of ∏_{t>i} tanh′(a_t)."""
    T = 300
    a = torch.zeros(T, 2, dtype=F64)
    a[:, 0] = math.atanh(math.sqrt(0.05))  # tanh′ = 0.95
    a[-1] = torch.tensor([0.0, 5.0], dtype=F64)
    h_prev = torch.cat([torch.zeros(1, 2, dtype=F64), torch.tanh(a[:-1])])
    x = a - h_prev  # with U = W = I and b_h = 0, a_t = x_t + h_{t-1}
    m = VanillaRNN(2, 2, 1, init="identity", dtype=F64)
    with torch.no_grad():
        m.U.copy_(torch.eye(2, dtype=F64))
    log_fp = np.log10(1 - np.tanh(a.numpy()) ** 2)  # (T, 2)
    want = np.flip(np.cumsum(np.flip(log_fp, 0), 0), 0).max(1)
    _, J, _ = reference_jacobians(m, x)
    np.testing.assert_allclose(reference_log10_norms(m, x, J), want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(reference_log10_norms(m, x), want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(rnn.jacobian_log10_norms(m, x), want, rtol=0, atol=1e-9)


def test_one_sequence_only_and_batch_of_one_accepted():
    m = VanillaRNN(3, 4, 2, dtype=F64)
    x = torch.randn(6, 3, generator=gen(0), dtype=F64)
    np.testing.assert_array_equal(rnn.jacobian_log10_norms(m, x[:, None]), rnn.jacobian_log10_norms(m, x))
    with pytest.raises(ValueError, match="expected"):
        rnn.jacobian_log10_norms(m, torch.zeros(6, 2, 3, dtype=F64))
    with pytest.raises(ValueError, match="expected"):
        rnn.jacobian_log10_norms(m, torch.zeros(6, 4, dtype=F64))


# ---------------------------------------------------------------------------------------------------------
# the closed form W = s·Q at T = 3000: no overflow, no underflow

@pytest.mark.parametrize("dtype,tol", [(F64, 1e-9), (torch.float32, 1e-4)])
@pytest.mark.parametrize("s,first", [(1.5, 528.27), (0.5, -903.09)])
def test_linear_orthogonal_closed_form_at_T_3000(dtype, tol, s, first):
    T = 3000
    m = linear_sQ(8, s, dtype=dtype)
    x = torch.randn(T, 2, generator=gen(18), dtype=dtype)
    got = rnn.jacobian_log10_norms(m, x)
    assert got.dtype == np.float64 and got.shape == (T,)
    assert np.isfinite(got).all()
    k = np.arange(T, 0, -1, dtype=np.float64)  # entry i has lag T − i
    np.testing.assert_allclose(got, k * math.log10(s), rtol=0, atol=tol)
    assert got[0] == pytest.approx(first, abs=0.01)
    ref = reference_log10_norms(m, x)
    np.testing.assert_allclose(ref, k * math.log10(s), rtol=0, atol=tol)


def test_linear_orthogonal_closed_form_larger_hidden():
    m = linear_sQ(48, 1.5, seed=3)
    x = torch.randn(700, 2, generator=gen(19), dtype=F64)
    k = np.arange(700, 0, -1, dtype=np.float64)
    np.testing.assert_allclose(rnn.jacobian_log10_norms(m, x), k * math.log10(1.5), rtol=0, atol=1e-9)


def test_float32_long_sequence_is_finite():
    m = VanillaRNN(4, 128, 2, seed=0, dtype=torch.float32)
    x = torch.randn(1000, 4, generator=gen(20))
    got = rnn.jacobian_log10_norms(m, x)
    assert got.shape == (1000,) and got.dtype == np.float64 and np.isfinite(got).all()
    # a Gaussian W at gain 1 with tanh vanishes: the longest lag is far below the shortest
    assert got[0] < got[-1] - 10


def test_zero_jacobian_gives_minus_inf_not_nan():
    m = VanillaRNN(2, 4, 1, activation="linear", scale=0.0, dtype=F64)
    got = rnn.jacobian_log10_norms(m, torch.randn(5, 2, generator=gen(0), dtype=F64))
    assert np.isneginf(got).all()
    assert rnn.slope_per_step(got) == -math.inf
    assert rnn.classify(rnn.slope_per_step(got)) == "vanishing"


# ---------------------------------------------------------------------------------------------------------
# Pascanu, Mikolov & Bengio (2013): ‖∏ J‖ ≤ (γ·σ_max)^k at every lag

@settings(max_examples=60, deadline=None)
@given(act=st.sampled_from(ACTS), init=st.sampled_from(["gaussian", "orthogonal", "identity"]),
       scale=st.floats(0.05, 3.0), scale_kind=st.sampled_from(["gain", "rho", "sigma_max"]),
       seed=st.integers(0, 10_000), T=st.integers(1, 30), H=st.integers(1, 8),
       x_scale=st.floats(0.0, 3.0))
def test_property_pascanu_bound_and_reference(act, init, scale, scale_kind, seed, T, H, x_scale):
    m = VanillaRNN(2, H, 1, activation=act, init=init, scale=scale, scale_kind=scale_kind, seed=seed,
                   dtype=F64)
    randomise_biases(m, seed)
    x = torch.randn(T, 2, generator=gen(seed), dtype=F64) * x_scale
    got = rnn.jacobian_log10_norms(m, x)
    sigma = np.linalg.svd(m.W.detach().numpy(), compute_uv=False).max()
    k = np.arange(T, 0, -1, dtype=np.float64)
    with np.errstate(divide="ignore"):
        bound = k * np.log10(GAMMA[act] * sigma)
    assert not np.isnan(got).any()
    assert (got <= bound + 1e-9).all(), (got, bound)
    _, J, _ = reference_jacobians(m, x)
    want = reference_log10_norms(m, x, J)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(reference_log10_norms(m, x), want, rtol=0, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(act=st.sampled_from(["tanh", "sigmoid", "leaky_relu"]),
       init=st.sampled_from(["gaussian", "orthogonal", "identity"]), scale=st.floats(0.5, 1.5),
       seed=st.integers(0, 10_000), T=st.integers(257, 520), H=st.integers(1, 6))
def test_property_long_sequences_match_reference(act, init, scale, seed, T, H):
    """Past the engine's first chunk of 256 lags, against the rescaled jacrev products."""
    m = VanillaRNN(2, H, 1, activation=act, init=init, scale=scale, seed=seed, dtype=F64)
    x = torch.randn(T, 2, generator=gen(seed), dtype=F64)
    _, J, _ = reference_jacobians(m, x)
    want = reference_log10_norms(m, x, J)
    np.testing.assert_allclose(rnn.jacobian_log10_norms(m, x), want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(reference_log10_norms(m, x), want, rtol=0, atol=1e-9)


# ---------------------------------------------------------------------------------------------------------
# ∂L/∂h_i against autograd

def autograd_state_grad_norms(m, x, y) -> np.ndarray:
    """log10‖∂L/∂s_i‖ for i = 0 … T, L = ½‖ŷ_T − y‖², by retain_grad on every state s_i."""
    if isinstance(m, VanillaRNN):
        step = vanilla_step(m)
        n, H = m.hidden_size, m.hidden_size
    else:
        step = gated_step(m)
        n, H = m.state_size, m.hidden_size
    g = REF_F[m.out_act.name]
    s = [torch.zeros(n, dtype=F64, requires_grad=True)]
    for t in range(x.shape[0]):
        nxt = step(s[-1], x[t])
        nxt.retain_grad()
        s.append(nxt)
    y_hat = g(s[-1][:H] @ m.V.detach() + m.b_y.detach())
    L = 0.5 * ((y_hat - y) ** 2).sum()
    L.backward()
    with np.errstate(divide="ignore"):
        return np.log10(np.array([float(torch.linalg.vector_norm(v.grad)) for v in s]))


@pytest.mark.parametrize("model", ACTS + ["lstm", "gru"])
def test_gradient_log10_norms_equal_autograd(model):
    if model in ("lstm", "gru"):
        m = GatedRNN(model, 3, 5, 2, seed=21, scale=1.3, output_activation="tanh", dtype=F64)
        with torch.no_grad():
            m.b_y.copy_(torch.tensor([0.3, -0.2], dtype=F64))
    else:
        m = randomise_biases(VanillaRNN(3, 5, 2, activation=model, seed=21, scale=1.3, dtype=F64), 22)
    x = torch.randn(12, 3, generator=gen(23), dtype=F64)
    y = torch.randn(2, generator=gen(24), dtype=F64)
    got = rnn.gradient_log10_norms(m, x, y)
    assert got.shape == (13,) and got.dtype == np.float64
    np.testing.assert_allclose(got, autograd_state_grad_norms(m, x, y), rtol=0, atol=1e-10)


def test_gradient_log10_norms_agree_with_hand_bptt_dh():
    m = randomise_biases(VanillaRNN(3, 6, 2, seed=25, scale=1.4, dtype=F64), 26)
    x = torch.randn(20, 3, generator=gen(27), dtype=F64)
    y = torch.randn(2, generator=gen(28), dtype=F64)
    dh = rnn.bptt(m, x, y).dh
    np.testing.assert_allclose(rnn.gradient_log10_norms(m, x, y),
                               np.log10(torch.linalg.vector_norm(dh, dim=1).numpy()), rtol=0, atol=1e-10)


def test_gradient_log10_norms_finite_where_plain_arithmetic_overflows():
    """x = 0 keeps the forward at h_t = 0 (finite), while ∂L/∂h_i grows like 1.5^{T−i} ≈ 10^{528}."""
    m = linear_sQ(6, 1.5)
    x = torch.zeros(3000, 2, dtype=F64)
    y = torch.ones(1, dtype=F64)
    got = rnn.gradient_log10_norms(m, x, y)
    assert np.isfinite(got).all()
    # ∂L/∂h_i = ∂L/∂h_T (sQᵀ)^{T−i} with Q orthogonal: its norm is s^{T−i}‖∂L/∂h_T‖
    g_T = (m.b_y.detach() - y) @ m.V.detach().T  # ŷ_T = b_y at h_T = 0
    assert got[-1] == pytest.approx(math.log10(float(torch.linalg.vector_norm(g_T))), abs=1e-12)
    k = np.arange(3000, -1, -1, dtype=np.float64)
    np.testing.assert_allclose(got, got[-1] + k * math.log10(1.5), rtol=0, atol=1e-9)


def _log10_sigmoid_prime(a: torch.Tensor) -> torch.Tensor:
    """log10 σ′(a) = log10(σ(a)·σ(−a)) = −(softplus(−a) + softplus(a))/ln 10, exact far into the tails."""
    sp = torch.nn.functional.softplus
    return -(sp(-a) + sp(a)) / math.log(10.0)


@pytest.mark.parametrize("dtype,a", [(F64, -372.0), (F64, -700.0), (torch.float32, -52.0), (torch.float32, -80.0)])
def test_one_tiny_step_is_a_number_not_an_exact_zero(dtype, a):
    """One step of a saturated sigmoid: ∂h_1/∂h_0 = diag(σ′(a))·½I, whose norm ½·max σ′(a) lies far below
    the square root of the smallest float, where a plain sum of squares gives 0. It is not 0."""
    m = VanillaRNN(1, 2, 1, activation="sigmoid", dtype=dtype)
    with torch.no_grad():
        m.U.fill_(1.0)
        m.W.copy_(0.5 * torch.eye(2, dtype=dtype))
        m.b_h.zero_()
    x = torch.tensor([[a]], dtype=dtype)
    got = rnn.jacobian_log10_norms(m, x)
    d = m.act.df(torch.tensor([a], dtype=dtype))
    if float(d) == 0.0:  # σ′(a) itself is below the dtype's range: the factor really is 0
        assert got[0] == -math.inf
    else:  # the reference from the factor's own entries, in log space
        want = math.log10(0.5) + float(_log10_sigmoid_prime(torch.tensor(a, dtype=F64)))
        assert got[0] == pytest.approx(want, abs=1e-9 if dtype == F64 else 1e-5)


@pytest.mark.parametrize("dtype,T", [(torch.float32, 60), (F64, 400)])
def test_gradient_that_decays_faster_than_the_product_keeps_its_own_scale(dtype, T):
    """Linear RNN with W = diag(1, 0.1) and the loss reading h's second unit only: ‖∂h_T/∂h_i‖ = 1 at every
    lag, while ∂L/∂h_i = W^{T−i} g = (0, 0.1^{T−i} g₂) shrinks by 10 a step, to 10^{−T} (below float32's and
    float64's range long before lag T): log10‖∂L/∂h_i‖ = log10|g₂| − (T − i)."""
    m = VanillaRNN(1, 2, 1, activation="linear", dtype=dtype)
    with torch.no_grad():
        m.W.copy_(torch.diag(torch.tensor([1.0, 0.1], dtype=dtype)))
        m.V.copy_(torch.tensor([[0.0], [1.0]], dtype=dtype))
        m.U.fill_(1.0)
    x = torch.ones(T, 1, dtype=dtype)
    y = torch.zeros(1, dtype=dtype)
    m64 = VanillaRNN(1, 2, 1, activation="linear", dtype=F64)
    m64.load_state_dict({k: v.to(F64) for k, v in m.state_dict().items()})
    with torch.no_grad():
        h = m64.unroll(x.to(F64)).h[:, 0]  # (T+1, 2)
        g2 = float((h[-1] @ m64.V + m64.b_y - y.to(F64)) * m64.V[1, 0])  # ∂L/∂h_T = (ŷ_T − y)Vᵀ, linear ŷ
    got = rnn.gradient_log10_norms(m, x, y)
    want = math.log10(abs(g2)) - np.arange(T, -1, -1, dtype=np.float64)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9 if dtype == F64 else 1e-5)


def test_float32_gradient_beyond_float32s_square_root_is_finite():
    """An exploding linear float32 RNN whose h_T (about 1e20) is finite but whose ‖∂L/∂h_T‖² is not: the
    log-norms match autograd on a float64 copy of the same weights."""
    m = VanillaRNN(3, 8, 2, activation="linear", init="orthogonal", scale=1.5, seed=3, dtype=torch.float32)
    x = torch.randn(115, 3, generator=gen(31))
    y = torch.zeros(2)
    m64 = VanillaRNN(3, 8, 2, activation="linear", dtype=F64)
    m64.load_state_dict({k: v.to(F64) for k, v in m.state_dict().items()})
    want = autograd_state_grad_norms(m64, x.to(F64), y.to(F64))
    assert want[-1] > 19.5  # ‖∂L/∂h_T‖ > 10^19.5: its square overflows float32
    got = rnn.gradient_log10_norms(m, x, y)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-4)


# ---------------------------------------------------------------------------------------------------------
# slope, regime, analyze

@pytest.mark.parametrize("s", [0.5, 0.9, 1.0, 1.02, 1.5])
@pytest.mark.parametrize("T", [5, 19, 20, 400])
def test_slope_recovers_log10_s(s, T):
    m = linear_sQ(5, s)
    x = torch.randn(T, 2, generator=gen(30), dtype=F64)
    assert rnn.slope_per_step(rnn.jacobian_log10_norms(m, x)) == pytest.approx(math.log10(s), abs=1e-10)


def test_slope_is_least_squares_against_lag():
    rng = np.random.default_rng(0)
    logn = rng.normal(size=15)  # T < 20: every lag is used
    lag = np.arange(15, 0, -1)
    assert rnn.slope_per_step(logn) == pytest.approx(np.polyfit(lag, logn, 1)[0], abs=1e-12)
    with pytest.raises(ValueError):
        rnn.slope_per_step(np.array([]))


def test_classify_thresholds():
    tol = rnn.jacobians.EDGE_TOL
    assert tol == 0.01
    assert rnn.classify(-1.0) == "vanishing"
    assert rnn.classify(-0.0101) == "vanishing"
    assert rnn.classify(-0.01) == "edge"
    assert rnn.classify(0.0) == "edge"
    assert rnn.classify(0.0099) == "edge"
    assert rnn.classify(0.01) == "edge"
    assert rnn.classify(0.0101) == "exploding"
    assert rnn.classify(math.inf) == "exploding"
    assert rnn.classify(-math.inf) == "vanishing"
    assert rnn.classify(0.05, tol=0.1) == "edge"
    with pytest.raises(ValueError):
        rnn.classify(float("nan"))


def test_regimes_from_models():
    x = torch.randn(200, 2, generator=gen(31), dtype=F64)
    y = torch.zeros(1, dtype=F64)
    small = VanillaRNN(2, 16, 1, activation="tanh", scale=0.5, seed=1, dtype=F64)
    assert rnn.analyze(small, x, y).regime == "vanishing"
    sig = VanillaRNN(2, 16, 1, activation="sigmoid", scale=1.0, seed=1, dtype=F64)
    assert rnn.analyze(sig, x, y).regime == "vanishing"
    big = VanillaRNN(2, 16, 1, activation="linear", init="gaussian", scale=1.5, scale_kind="rho", seed=1,
                     dtype=F64)
    a = rnn.analyze(big, x, y)
    assert a.regime == "exploding"
    assert a.slope == pytest.approx(math.log10(1.5), abs=0.01)
    assert rnn.analyze(linear_sQ(16, 1.0), x, y).regime == "edge"


@pytest.mark.parametrize("act", ACTS)
def test_analyze_fields_consistent(act):
    T = 60
    m = randomise_biases(VanillaRNN(3, 8, 2, activation=act, scale=1.2, seed=32, dtype=F64), 33)
    x = torch.randn(T, 3, generator=gen(34), dtype=F64)
    y = torch.randn(2, generator=gen(35), dtype=F64)
    a = rnn.analyze(m, x, y)
    logn = rnn.jacobian_log10_norms(m, x)
    glog = rnn.gradient_log10_norms(m, x, y)
    np.testing.assert_array_equal(a.lag, np.arange(1, T + 1))
    np.testing.assert_allclose(a.log10_norm, logn[::-1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.log10_grad, glog[:-1][::-1], rtol=0, atol=1e-12)
    assert a.log10_grad_T == pytest.approx(glog[-1], abs=1e-12)
    W = m.W.detach().numpy()
    sigma = np.linalg.svd(W, compute_uv=False).max()
    rho = np.abs(np.linalg.eigvals(W)).max()
    assert a.sigma_max == pytest.approx(sigma, rel=1e-12)
    assert a.rho == pytest.approx(rho, rel=1e-10)
    assert a.gamma == GAMMA[act]
    np.testing.assert_allclose(a.log10_bound, a.lag * np.log10(GAMMA[act] * sigma), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(a.log10_rho, a.lag * np.log10(rho), rtol=1e-10, atol=1e-10)
    assert (a.log10_bound >= a.log10_norm - 1e-9).all()
    assert a.slope == pytest.approx(rnn.slope_per_step(logn), abs=1e-12)
    assert a.regime == rnn.classify(a.slope)
    # mean |f′(a_t)| over the trajectory, f′ by autograd
    pre = m.unroll(x).a.detach().clone().requires_grad_(True)
    (fp,) = torch.autograd.grad(REF_F[act](pre).sum(), pre)
    assert a.mean_abs_fprime == pytest.approx(float(fp.abs().mean()), rel=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_analyze_says_plainly_when_the_input_is_not_finite(kind):
    m = VanillaRNN(3, 4, 2, dtype=F64) if kind == "rnn" else GatedRNN(kind, 3, 4, 2, dtype=F64)
    x = torch.randn(10, 3, generator=gen(41), dtype=F64)
    x[4, 1] = math.nan
    with pytest.raises(ValueError, match="NaN or ±inf"):
        rnn.analyze(m, x, torch.zeros(2, dtype=F64))
    assert np.isnan(rnn.jacobian_log10_norms(m, x)[:5]).all()  # the log-norms themselves say NaN


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_analyze_gated(kind):
    m = GatedRNN(kind, 2, 5, 1, seed=36, dtype=F64)
    x = torch.randn(40, 2, generator=gen(37), dtype=F64)
    y = torch.zeros(1, dtype=F64)
    a = rnn.analyze(m, x, y)
    np.testing.assert_allclose(a.log10_norm, rnn.jacobian_log10_norms(m, x)[::-1], rtol=0, atol=1e-12)
    assert a.log10_bound is None and a.log10_rho is None and a.gamma is None
    assert a.regime in ("vanishing", "edge", "exploding")
    assert a.regime == rnn.classify(a.slope)
