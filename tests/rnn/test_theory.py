"""rnn.theory against references nobody here wrote: the closed forms of mean-field theory for the
piecewise-linear activations, Monte-Carlo averages over random z and numpy's Gauss–Hermite rule for tanh
and sigmoid (and an edge of chaos found by our own root of those); a linear RNN whose exponents are known
(W = s·Q, W diagonal or symmetric), numpy's QR step by step, torch.linalg.slogdet (the exponents sum to
the mean log10|det J_t|), rnn.jacobian_log10_norms and its slope; torch.linalg.svdvals of the explicit
float64 product and, where that product is beyond float64, mpmath's SVD at 400 digits."""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import torch
from numpy.polynomial.hermite_e import hermegauss

import rnn
from rnn import GatedRNN, VanillaRNN
from rnn.init import orthogonal
from rnn.theory import reference_lyapunov_spectrum

F64 = torch.float64
LEAKY = 0.01  # torch's leaky_relu slope as the app uses it (tests/rnn/reference_activations.py)



def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def inputs(T: int, seed: int = 1, scale: float = 0.5, n_in: int = 4) -> torch.Tensor:
    return torch.randn(T, n_in, generator=gen(seed), dtype=F64) * scale


def linear_rnn(W: torch.Tensor) -> VanillaRNN:
    m = VanillaRNN(4, W.shape[0], 2, activation="linear", seed=0, dtype=F64)
    with torch.no_grad():
        m.W.copy_(W)
    return m


# ---------------------------------------------------------------------------------------------------------
# mean field: references

def mc_moments(name: str, q: float, n: int = 2_000_000, seed: int = 0):
    """Monte-Carlo E[f(√q z)²], E[f′(√q z)²] and their standard errors, z ~ N(0, 1), torch's own f and
    f′ by autograd."""
    z = torch.randn(n, generator=gen(seed), dtype=F64)
    a = (math.sqrt(q) * z).requires_grad_(True)
    f = torch.tanh(a) if name == "tanh" else torch.sigmoid(a)
    (df,) = torch.autograd.grad(f.sum(), a)
    out = []
    for v in (f.detach() ** 2, df ** 2):
        out += [float(v.mean()), float(v.std()) / math.sqrt(n)]
    return out


@functools.lru_cache
def _hermite(nodes: int):
    z, w = hermegauss(nodes)
    return z, w / math.sqrt(2 * math.pi)


def gh_moments(name: str, q: float, nodes: int = 200):
    """E[f(√q z)²], E[f′(√q z)²] by numpy's Gauss–Hermite rule (probabilists' weight e^{−z²/2}): exact to
    rounding for q ≲ 1 (its error grows with q: 1.5e-10 at q = 2.7)."""
    z, w = _hermite(nodes)
    a = math.sqrt(q) * z
    if name == "tanh":
        f, df = np.tanh(a), 1 / np.cosh(a) ** 2
    else:
        f = 1 / (1 + np.exp(-a))
        df = f * (1 - f)
    return float(w @ f ** 2), float(w @ df ** 2)


def mp_moments(name: str, q: float):
    """E[f(√q z)²], E[f′(√q z)²] by mpmath's adaptive quadrature at 30 digits, split where f′(√q z)² has
    its bump."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(30):
        r = mpmath.sqrt(q)
        if name == "tanh":
            f, df = (lambda z: mpmath.tanh(r * z)), (lambda z: mpmath.sech(r * z) ** 2)
        else:
            f = lambda z: 1 / (1 + mpmath.exp(-r * z))  # noqa: E731
            df = lambda z: f(z) * (1 - f(z))  # noqa: E731
        cuts = [-mpmath.inf, *(c / r for c in (-20, -5, -1, 0, 1, 5, 20)), mpmath.inf]
        return tuple(float(mpmath.quad(lambda z: g(z) ** 2 * mpmath.npdf(z), cuts)) for g in (f, df))


def gh_mean_field(name: str, sw: float, sb: float):
    """q* by bisection on the Gauss–Hermite q-map, and χ₁ there."""
    lo, hi = 0.0, sw + sb
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid - (sw * gh_moments(name, mid)[0] + sb) <= 0:
            lo = mid
        else:
            hi = mid
    q = 0.5 * (lo + hi)
    return q, sw * gh_moments(name, q)[1]


# ---------------------------------------------------------------------------------------------------------
# mean field: closed forms

@pytest.mark.parametrize("sw, sb", [(0.0, 0.3), (0.5, 0.0), (0.5, 0.2), (0.9, 1.0), (0.999, 0.01)])
def test_linear_closed_form(sw, sb):
    r = rnn.mean_field("linear", sw, sb)
    assert r.chi1 == pytest.approx(sw, rel=1e-15, abs=0)
    assert r.q_star == pytest.approx(sb / (1 - sw), rel=1e-14, abs=0)
    assert r.slope == (0.5 * math.log10(sw) if sw > 0 else -math.inf)


@pytest.mark.parametrize("name, alpha", [("relu", 0.0), ("leaky_relu", LEAKY)])
@pytest.mark.parametrize("sw, sb", [(0.5, 0.25), (1.0, 0.1), (1.9, 2.0)])
def test_relu_closed_form(name, alpha, sw, sb):
    # E[relu′(√q z)²] = P(z > 0) = ½ and E[relu(√q z)²] = q/2; the leaky one adds α² times the same
    c = (1 + alpha ** 2) / 2
    r = rnn.mean_field(name, sw, sb)
    assert r.chi1 == pytest.approx(sw * c, rel=1e-15)
    assert r.q_star == pytest.approx(sb / (1 - sw * c), rel=1e-14)
    assert r.slope == pytest.approx(0.5 * math.log10(sw * c), rel=1e-14)


@pytest.mark.parametrize("name, sw", [("relu", 3.0), ("relu", 2.5), ("linear", 1.2), ("linear", 1.0)])
def test_unbounded_variance_diverges_but_chi1_is_defined(name, sw):
    r = rnn.mean_field(name, sw, 0.1)
    assert r.q_star == math.inf
    assert r.chi1 == pytest.approx(sw / 2 if name == "relu" else sw)
    assert math.isfinite(r.slope) and r.converged


@pytest.mark.parametrize("sw", [0.0, 0.3, 0.9, 1.0])
def test_tanh_without_input_stays_at_zero_below_the_edge(sw):
    # σ_b² = 0, σ_w² ≤ 1: q* = 0 and χ₁ = σ_w² tanh′(0)² = σ_w²
    r = rnn.mean_field("tanh", sw, 0.0)
    assert r.q_star == 0.0
    assert r.chi1 == pytest.approx(sw, rel=1e-15, abs=0)


# ---------------------------------------------------------------------------------------------------------
# mean field: tanh and sigmoid against Gauss–Hermite and Monte Carlo

@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sw, sb", [(0.5, 0.05), (1.0, 0.25), (1.5, 0.1)])
def test_bounded_against_gauss_hermite(name, sw, sb):
    # at these small q* numpy's 200-node rule is exact to rounding: an independent quadrature and solve
    q, chi = gh_mean_field(name, sw, sb)
    r = rnn.mean_field(name, sw, sb)
    assert r.converged
    assert r.q_star == pytest.approx(q, rel=1e-12, abs=1e-15)
    assert r.chi1 == pytest.approx(chi, rel=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sw, sb", [(2.0, 0.0), (3.0, 1.0), (30.0, 0.5), (400.0, 2.0)])
def test_bounded_against_adaptive_quadrature(name, sw, sb):
    # larger q*, where f′(√q z)² narrows to a bump of width 1/√q: q* is a fixed point of the q-map and χ₁
    # is σ_w² E[f′²] there, both to 1e-12 by mpmath's quadrature
    r = rnn.mean_field(name, sw, sb)
    f2, df2 = mp_moments(name, r.q_star)
    assert r.converged
    assert sw * f2 + sb == pytest.approx(r.q_star, rel=1e-12)
    assert sw * df2 == pytest.approx(r.chi1, rel=1e-12)


@pytest.mark.parametrize("name, sw, sb", [("tanh", 1.0, 0.25), ("tanh", 25.0, 0.5), ("tanh", 100.0, 1.0),
                                          ("sigmoid", 16.0, 0.0), ("sigmoid", 100.0, 2.0)])
def test_bounded_against_monte_carlo(name, sw, sb):
    # large q* too, where f′(√q z)² is a narrow bump: the fixed point's residual and χ₁ within 5 standard
    # errors of a 2·10⁶-sample average
    r = rnn.mean_field(name, sw, sb)
    f2, se_f2, df2, se_df2 = mc_moments(name, r.q_star)
    assert abs(sw * f2 + sb - r.q_star) <= 5 * sw * se_f2
    assert abs(sw * df2 - r.chi1) <= 5 * sw * se_df2


def test_fixed_point_reached_near_the_edge():
    # near χ₁ = 1 the plain iteration q ← F(q) crawls; the solve must still close on the fixed point
    for sw in (1.0 + 1e-6, 1.0001, 1.01):
        r = rnn.mean_field("tanh", sw, 0.0)
        q, chi = gh_mean_field("tanh", sw, 0.0)
        assert r.converged and r.q_star > 0
        assert r.q_star == pytest.approx(q, rel=1e-7)
        assert r.chi1 == pytest.approx(chi, rel=1e-12)


# ---------------------------------------------------------------------------------------------------------
# the edge of chaos

@pytest.mark.parametrize("sb", [0.0, 0.05, 1.0, 10.0])
def test_critical_closed_forms(sb):
    assert rnn.critical_sigma_w2("relu", sb) == 2.0
    assert rnn.critical_sigma_w2("linear", sb) == 1.0
    assert rnn.critical_sigma_w2("leaky_relu", sb) == pytest.approx(2 / (1 + LEAKY ** 2))


def test_critical_tanh_without_input_is_one():
    assert rnn.critical_sigma_w2("tanh", 0.0) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
@pytest.mark.parametrize("sb", [0.01, 0.05, 0.25, 2.0])
def test_chi1_is_one_on_the_critical_line(name, sb):
    c = rnn.critical_sigma_w2(name, sb)
    assert rnn.mean_field(name, c, sb).chi1 == pytest.approx(1.0, abs=1e-8)
    assert c > (1.0 if name == "tanh" else 16.0)  # above 1/γ²: the inputs push f off its steepest part


def test_critical_tanh_at_sigma_b2_005_by_our_own_roots():
    # Poole et al. 2016 / Schoenholz et al. 2017 draw the tanh critical line through σ_b² = 0.05 a little
    # above σ_w² = 1. Our own root on the Gauss–Hermite χ₁ …
    sb = 0.05
    c = rnn.critical_sigma_w2("tanh", sb)
    lo, hi = 1.0, 4.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gh_mean_field("tanh", mid, sb)[1] < 1 else (lo, mid)
    assert c == pytest.approx(0.5 * (lo + hi), rel=1e-9)
    # … and by Monte Carlo: χ₁ − 1 changes sign across c ± 2%, beyond 5 standard errors on each side
    for s, sign in ((0.98 * c, -1), (1.02 * c, 1)):
        q = rnn.mean_field("tanh", s, sb).q_star
        _, _, df2, se = mc_moments("tanh", q)
        assert sign * (s * df2 - 1) > 5 * s * se
    assert 1.0 < c < 2.0


def test_mean_field_for_reads_the_model():
    # σ_w² = ‖W‖_F²/n, σ_b² = s²‖U‖_F²/n + ‖b_h‖²/n; and a Monte-Carlo check that the latter is the
    # variance of Uᵀx + b_h over units and inputs
    m = VanillaRNN(4, 64, 2, seed=0, dtype=F64)
    with torch.no_grad():
        m.b_h.copy_(torch.randn(64, generator=gen(3), dtype=F64) * 0.1)
    r = rnn.mean_field_for(m, 0.5)
    assert r.sigma_w2 == pytest.approx(float((m.W.detach() ** 2).sum()) / 64, rel=1e-14)
    drive = inputs(200_000, seed=4) @ m.U.detach() + m.b_h.detach()  # (T, n)
    assert r.sigma_b2 == pytest.approx(float((drive ** 2).mean()), rel=0.01)
    assert r == rnn.mean_field("tanh", r.sigma_w2, r.sigma_b2)


def test_predicted_slope_against_a_wide_net():
    # n = 512, gain 1, input scale 0.5, T = 300: the measured slope within 0.01 decades per step of
    # ½·log10 χ₁ (measured here: −0.115 against −0.118)
    m = VanillaRNN(4, 512, 2, seed=0, dtype=F64)
    predicted = rnn.mean_field_for(m, 0.5).slope
    measured = rnn.slope_per_step(rnn.jacobian_log10_norms(m, inputs(300)))
    assert abs(predicted - measured) < 0.01


# ---------------------------------------------------------------------------------------------------------
# the Lyapunov spectrum

@pytest.mark.parametrize("s", [0.5, 1.0, 1.5])
def test_lyapunov_orthogonal_linear(s):
    # W = s·Q: every exponent is log10 s exactly, and stays finite at T = 3000
    m = linear_rnn(s * orthogonal(16, gen(1)))
    lam = rnn.lyapunov_spectrum(m, inputs(3000))
    assert lam.shape == (16,) and lam.dtype == np.float64
    np.testing.assert_allclose(lam, math.log10(s), rtol=0, atol=1e-12)


def test_lyapunov_diagonal_and_symmetric_linear():
    d = torch.tensor([1.3, -0.9, 0.5, -0.2, 1e-3, 2.0], dtype=F64)
    ref = np.sort(np.log10(np.abs(d.numpy())))[::-1]
    lam = rnn.lyapunov_spectrum(linear_rnn(torch.diag(d)), inputs(200))
    np.testing.assert_allclose(lam, ref, rtol=0, atol=1e-13)
    # symmetric W = V diag(d) Vᵀ: the exponents are log10|eigenvalues|, up to the change of basis, O(1/T)
    V = orthogonal(6, gen(2))
    T = 4000
    lam = rnn.lyapunov_spectrum(linear_rnn(V @ torch.diag(d) @ V.T), inputs(T))
    np.testing.assert_allclose(lam, ref, rtol=0, atol=5.0 / T)


def numpy_benettin(J: np.ndarray) -> np.ndarray:
    """One numpy QR a step, float64: the plain method with numpy's QR, to hold rnn's plain loop to."""
    Q = np.eye(J.shape[1])
    total = np.zeros(J.shape[1])
    for J_t in J:
        Q, R = np.linalg.qr(J_t @ Q)
        total += np.log10(np.abs(np.diag(R)))
    return np.sort(total / len(J))[::-1]


@pytest.mark.parametrize("s", [0.5, 1.5])
def test_reference_lyapunov_closed_forms(s):
    """rnn.theory.reference_lyapunov_spectrum, the plain loop beside the fast one: log10 s for W = s·Q, the
    log10|d_i| of a diagonal W, and numpy's QR a step on torch.func.jacrev's Jacobians of a tanh RNN."""
    lam = reference_lyapunov_spectrum(linear_rnn(s * orthogonal(8, gen(1))), inputs(500))
    assert lam.shape == (8,) and lam.dtype == np.float64
    np.testing.assert_allclose(lam, math.log10(s), rtol=0, atol=1e-12)
    d = torch.tensor([1.3, -0.9, 0.5, -0.2, 1e-3, 2.0], dtype=F64)
    np.testing.assert_allclose(reference_lyapunov_spectrum(linear_rnn(s * torch.diag(d)), inputs(100)),
                               np.sort(np.log10(np.abs(s * d.numpy())))[::-1], rtol=0, atol=1e-13)
    m, x = VanillaRNN(4, 6, 2, activation="tanh", seed=0, scale=s, dtype=F64), inputs(60)
    _, h = m(x)
    J = torch.stack([torch.func.jacrev(lambda hp, xt=xt: m.act.f(xt @ m.U + hp @ m.W + m.b_h))(h[t].detach())
                     for t, xt in enumerate(x)]).detach()
    np.testing.assert_allclose(reference_lyapunov_spectrum(m, x), numpy_benettin(J.numpy()), rtol=0, atol=1e-12)


def stacked_mean_log10_det(J: torch.Tensor) -> float:
    """mean_t log10|det J_t| by torch.linalg.slogdet of all T factors stacked (T, n, n)."""
    return float((torch.linalg.slogdet(J)[1] / math.log(10)).mean())


MODELS = {
    "tanh": lambda: VanillaRNN(4, 12, 2, activation="tanh", seed=0, scale=1.5, dtype=F64),
    "sigmoid": lambda: VanillaRNN(4, 12, 2, activation="sigmoid", seed=1, scale=4.0, dtype=F64),
    "lstm": lambda: GatedRNN("lstm", 4, 6, 2, seed=0, dtype=F64),
    "gru": lambda: GatedRNN("gru", 4, 12, 2, seed=0, dtype=F64),
}


@pytest.mark.parametrize("kind", list(MODELS))
def test_lyapunov_against_plain_loop_and_determinant(kind):
    m, x = MODELS[kind](), inputs(300)
    J = rnn.state_jacobians(m, x).to(F64)
    lam = rnn.lyapunov_spectrum(m, x)
    assert lam.shape == (12,)  # 2n for the LSTM's (h, c), n otherwise
    np.testing.assert_allclose(lam, reference_lyapunov_spectrum(m, x), rtol=0, atol=1e-10)
    # Σλ_i = mean_t log10|det J_t|
    assert lam.sum() == pytest.approx(stacked_mean_log10_det(J), rel=1e-10)
    assert np.all(np.diff(lam) <= 0)


@pytest.mark.parametrize("kind", list(MODELS))
def test_mean_log10_det_is_slogdet_of_the_stacked_jacobians(kind, monkeypatch):
    """rnn.mean_log10_det (the Lyapunov sum's check, streamed) equals torch.linalg.slogdet over all T
    Jacobians stacked at once, also when the chunks hold one factor each."""
    m, x = MODELS[kind](), inputs(300)
    J = rnn.state_jacobians(m, x).to(F64)
    want = stacked_mean_log10_det(J)
    assert rnn.mean_log10_det(m, x) == pytest.approx(want, rel=1e-12)
    monkeypatch.setattr("rnn.theory.CHUNK_BYTES", 1)  # one factor a chunk
    assert rnn.mean_log10_det(m, x) == pytest.approx(want, rel=1e-12)


WIDE = {
    # λ₁ − λ_n in decades per step, and the QRs over 600 steps (measured): 2.0 and 318 (k about 2); 3.4 and 610
    # (one QR a step, and blocks of 2 tried and done again); 2.7 and 446 for the LSTM's (h, c); 0.25 and 30
    # for the GRU (k up to rnn.theory.K_MAX)
    "tanh": lambda: VanillaRNN(4, 64, 2, activation="tanh", seed=0, dtype=F64),
    "tanh gain 2": lambda: VanillaRNN(4, 64, 2, activation="tanh", seed=0, scale=2.0, dtype=F64),
    "lstm": lambda: GatedRNN("lstm", 4, 32, 2, seed=0, dtype=F64),
    "gru": lambda: GatedRNN("gru", 4, 64, 2, seed=0, dtype=F64),
}


@pytest.mark.parametrize("kind", list(WIDE))
def test_lyapunov_blocked_qr_against_plain_loop_wide(kind):
    # n = 64 over 600 steps, where the QR is taken every few steps: the same exponents as one numpy QR a step
    m, x = WIDE[kind](), inputs(600)
    J = rnn.state_jacobians(m, x).to(F64)
    lam = rnn.lyapunov_spectrum(m, x)
    assert lam.shape == (64,)
    np.testing.assert_allclose(lam, reference_lyapunov_spectrum(m, x), rtol=0, atol=1e-10)
    assert lam.sum() == pytest.approx(stacked_mean_log10_det(J), rel=1e-10)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_lyapunov_streams_the_gated_jacobians(kind, monkeypatch):
    # the gated cells' factors are formed a chunk at a time, never all T at once (and each exactly once)
    import rnn.theory as theory
    real_chain, spans = theory._chain, []

    def chain(m, x):
        c = real_chain(m, x)
        factors = c.factors

        def recorded(lo, hi):
            spans.append((lo, hi))
            return factors(lo, hi)
        c.factors = recorded
        return c
    monkeypatch.setattr(theory, "_chain", chain)
    monkeypatch.setattr(theory, "CHUNK_BYTES", 8 * 64 * 64 * 16)  # 16 factors of n = 64 a chunk
    m, x = WIDE[kind](), inputs(600)
    lam = rnn.lyapunov_spectrum(m, x)
    assert spans == [(lo, min(lo + 16, 600)) for lo in range(0, 600, 16)]
    monkeypatch.undo()
    np.testing.assert_array_equal(lam, rnn.lyapunov_spectrum(m, x))  # the chunk size changes nothing


def test_lyapunov_top_exponent_is_the_measured_slope():
    # the slope of log10‖∂h_T/∂h_{T−k}‖ against k estimates the top exponent; on T = 2000 steps they agree
    # to 0.005 decades per step (measured here: 0.0016 at gain 1, 0.0008 at gain 2)
    for gain in (1.0, 2.0):
        m = VanillaRNN(4, 32, 2, seed=0, scale=gain, dtype=F64)
        x = inputs(2000)
        top = rnn.lyapunov_spectrum(m, x)[0]
        assert abs(top - rnn.slope_per_step(rnn.jacobian_log10_norms(m, x))) < 0.005


@pytest.mark.parametrize("kind, n_exp", [("lstm", 16), ("gru", 8), ("rnn", 8)])
def test_lyapunov_finite_at_long_T(kind, n_exp):
    m = rnn.make_model(kind, 4, 8, 2, seed=0, **({"scale": 1.5} if kind == "rnn" else {}))  # float32 too
    lam = rnn.lyapunov_spectrum(m, inputs(3000).float())
    assert lam.shape == (n_exp,) and np.all(np.isfinite(lam))


# ---------------------------------------------------------------------------------------------------------
# singular values of the product

def explicit_product(m, x, k: int) -> torch.Tensor:
    J = rnn.state_jacobians(m, x).to(F64)
    P = torch.eye(J.shape[1], dtype=F64)
    for J_t in J[len(J) - k:]:
        P = J_t @ P  # ∂h_T/∂h_{T−k} = J_T ⋯ J_{T−k+1}
    return P


@pytest.mark.parametrize("kind", list(MODELS))
@pytest.mark.parametrize("k", [1, 2, 7, 30])
def test_product_singular_values_against_svdvals(kind, k):
    m, x = MODELS[kind](), inputs(40)
    ref = torch.log10(torch.linalg.svdvals(explicit_product(m, x, k))).numpy()
    got = rnn.product_singular_values(m, x, k)
    assert got.shape == ref.shape and got.dtype == np.float64
    # svdvals of the explicit product is exact to ~eps·σ₁: compare what lies within 8 decades of the top
    keep = ref > ref[0] - 8
    np.testing.assert_allclose(got[keep], ref[keep], rtol=0, atol=1e-6)
    assert np.all(np.diff(got) <= 0)


def test_product_singular_values_beyond_float64_against_mpmath():
    mpmath = pytest.importorskip("mpmath")
    m, x, k = MODELS["tanh"](), inputs(300), 250
    J = rnn.state_jacobians(m, x).to(F64).numpy()
    with mpmath.workdps(400):
        P = mpmath.eye(J.shape[1])
        for J_t in J[len(J) - k:]:
            P = mpmath.matrix(J_t.tolist()) * P
        ref = np.sort([float(mpmath.log10(s)) for s in mpmath.svd_r(P, compute_uv=False)])[::-1]
    got = rnn.product_singular_values(m, x, k)
    assert ref[0] - ref[-1] > 100  # a spread no float64 product holds
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-8)


def test_product_singular_values_orthogonal_at_k_3000():
    m = linear_rnn(1.5 * orthogonal(16, gen(1)))
    got = rnn.product_singular_values(m, inputs(3000), 3000)
    np.testing.assert_allclose(got, 3000 * math.log10(1.5), rtol=1e-6)  # ≈ 528.3, not inf
    got = rnn.product_singular_values(linear_rnn(0.5 * orthogonal(16, gen(1))), inputs(3000), 3000)
    np.testing.assert_allclose(got, 3000 * math.log10(0.5), rtol=1e-6)  # ≈ −903.1, not −inf


@pytest.mark.parametrize("kind", ["tanh", "lstm", "gru"])
def test_largest_singular_value_is_the_log_norm(kind):
    m, x = MODELS[kind](), inputs(400)
    logn = rnn.jacobian_log10_norms(m, x)
    for k in (1, 10, 100, 400):
        assert rnn.product_singular_values(m, x, k)[0] == pytest.approx(logn[400 - k], abs=1e-9)


# ---------------------------------------------------------------------------------------------------------
# exact zeros: a direction killed by a dead unit or W = 0 is −inf, not rounding noise (issue 19, item 10)

OFF = {3: [0], 5: [1, 2], 8: [3, 4, 5], 12: [0, 1, 2, 6, 7], 14: [3, 4, 5, 6]}  # step t: units turned off


def relu_with_dead_units(n: int = 8, T: int = 20, off: dict = OFF, seed: int = 0):
    """A relu RNN whose units are all on at every step but those in `off` (x drives each unit through
    U = I: +5 keeps it on, −50 turns it off; W is small, |Wᵀh| stays below 5): 7, 6, 5, 3 and 4 units on at steps 3, 5,
    8, 12 and 14, a different set each time. Returns the model, x, and the factors
    J_t = diag(1[a_t > 0]) Wᵀ built here by hand from a plain forward loop."""
    m = VanillaRNN(n, n, 2, activation="relu", seed=seed, dtype=F64)
    W = 0.3 * torch.randn(n, n, generator=gen(seed + 7), dtype=F64) / math.sqrt(n)
    with torch.no_grad():
        m.U.copy_(torch.eye(n, dtype=F64))
        m.b_h.zero_()
        m.W.copy_(W)
    x = torch.full((T, n), 5.0, dtype=F64)
    for t, units in off.items():
        x[t - 1, units] = -50.0
    h, J, live_at = torch.zeros(n, dtype=F64), [], []
    for t in range(T):
        a = x[t] + W.T @ h  # a_t = Uᵀx_t + Wᵀh_{t−1}
        J.append(torch.diag((a > 0).to(F64)) @ W.T)
        live_at.append(int((a > 0).sum()))
        h = torch.relu(a)
    assert live_at == [n - len(off.get(t, [])) for t in range(1, T + 1)]  # the units on at each step, as built
    return m, x, np.stack([j.numpy() for j in J])


def hand_product(J: np.ndarray, k: int) -> np.ndarray:
    P = np.eye(J.shape[1])
    for J_t in J[len(J) - k:]:
        P = J_t @ P  # ∂h_T/∂h_{T−k} = J_T ⋯ J_{T−k+1}
    return P


@pytest.mark.parametrize("k, rank", [(4, 8), (7, 4), (8, 4), (9, 3), (13, 3), (20, 3)])
def test_product_singular_values_dead_directions_are_minus_inf(k, rank):
    """∂h_20/∂h_{20−k} has rank min over its steps of the units on (4 once the window reaches step 14, 3 once
    it reaches step 12): the other singular values are exactly 0 (−inf), and the live ones are numpy's SVD
    of the product built by hand (within 8 decades of the top, where that SVD holds 1e-8 relatively).
    Before the fix some of the dead ones came out finite: rounding noise, 10^-20 and far below."""
    n = 8
    m, x, J = relu_with_dead_units(n)
    got = rnn.product_singular_values(m, x, k)
    ref = np.log10(np.linalg.svd(hand_product(J, k), compute_uv=False))
    assert np.isneginf(got).sum() == n - rank and np.all(np.isfinite(got[:rank]))
    keep = ref[:rank] > ref[0] - 8
    np.testing.assert_allclose(got[:rank][keep], ref[:rank][keep], rtol=0, atol=1e-7)
    assert np.all(ref[rank:] < ref[rank - 1] - 10)  # what numpy shows for the dead ones is rounding noise


def test_lyapunov_dead_directions_are_minus_inf():
    """The chain J_20 ⋯ J_1 has rank 3: 5 exponents are −inf. The 3 others are Benettin's: the first 3 |R_ii|
    of numpy's QR of the product built by hand (Q_0 = I), log10 over T, to 1e-9 per step. Before the fix
    some of the five came out finite (rounding noise)."""
    n, live, T = 8, 3, 20
    m, x, J = relu_with_dead_units(n, T)
    lam = rnn.lyapunov_spectrum(m, x)
    R = np.linalg.qr(hand_product(J, T), mode="r")
    ref = np.sort(np.log10(np.abs(np.diag(R)[:live])) / T)[::-1]
    assert lam.shape == (n,) and np.isneginf(lam).sum() == n - live
    np.testing.assert_allclose(lam[:live], ref, rtol=0, atol=1e-9)
    assert np.all(np.diff(lam[:live]) <= 0)


def test_diagonal_with_zeros_closed_form():
    # W = diag(d) with two d_i = 0 (linear): λ_i = log10|d_i| and σ_i = |d_i|^k, −inf for the zeros
    d = torch.tensor([1.3, -0.9, 0.0, 0.5, 0.0, 2.0], dtype=F64)
    with np.errstate(divide="ignore"):
        ref = np.sort(np.log10(np.abs(d.numpy())))[::-1]
    m = linear_rnn(torch.diag(d))
    np.testing.assert_allclose(rnn.lyapunov_spectrum(m, inputs(50)), ref, rtol=0, atol=1e-13)
    np.testing.assert_allclose(rnn.product_singular_values(m, inputs(50), 7), 7 * ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("activation", ["linear", "relu", "tanh"])
def test_zero_W_kills_every_direction(activation):
    m = VanillaRNN(4, 6, 2, activation=activation, seed=0, dtype=F64)
    with torch.no_grad():
        m.W.zero_()
    assert np.all(np.isneginf(rnn.lyapunov_spectrum(m, inputs(30))))
    for k in (1, 10):
        assert np.all(np.isneginf(rnn.product_singular_values(m, inputs(30), k)))


def test_a_unit_with_no_recurrent_input_is_one_dead_direction():
    # a zero column of W (unit 2 receives nothing from h_{t−1}): one −inf, the rest numpy's SVD of the power
    W = 1.1 * orthogonal(6, gen(3))
    W[:, 2] = 0.0
    m = linear_rnn(W)
    got = rnn.product_singular_values(m, inputs(40), 5)
    ref = np.log10(np.linalg.svd(np.linalg.matrix_power(W.T.numpy(), 5), compute_uv=False)[:5])
    assert np.isneginf(got[5]) and np.all(np.isfinite(got[:5]))
    np.testing.assert_allclose(got[:5], ref, rtol=0, atol=1e-10)
    assert np.isneginf(rnn.lyapunov_spectrum(m, inputs(40))).sum() == 1


# ---------------------------------------------------------------------------------------------------------
# errors say what was expected and what came

@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, "big", None])
def test_bad_variances(bad):
    with pytest.raises(ValueError, match=r"expected sigma_w2 to be a finite number ≥ 0, got"):
        rnn.mean_field("tanh", bad, 0.1)
    with pytest.raises(ValueError, match=r"expected sigma_b2 to be a finite number ≥ 0, got"):
        rnn.mean_field("relu", 1.0, bad)
    with pytest.raises(ValueError, match=r"expected sigma_b2"):
        rnn.critical_sigma_w2("tanh", bad)


def test_bad_activation():
    for f in (lambda: rnn.mean_field("softplus", 1.0, 0.1), lambda: rnn.critical_sigma_w2("nope", 0.1)):
        with pytest.raises(ValueError, match=r"unknown activation .*expected one of tanh"):
            f()


@pytest.mark.parametrize("k", [0, -1, 41, 2.0, True, "3"])
def test_bad_k(k):
    m, x = MODELS["tanh"](), inputs(40)
    with pytest.raises(ValueError, match=r"expected k to be an integer from 1 to T = 40, got"):
        rnn.product_singular_values(m, x, k)


def test_bad_model_and_batch():
    with pytest.raises(ValueError, match=r"expected an rnn.VanillaRNN or rnn.GatedRNN, got Linear"):
        rnn.lyapunov_spectrum(torch.nn.Linear(4, 4), inputs(10))
    with pytest.raises(ValueError, match=r"expected one sequence"):
        rnn.lyapunov_spectrum(MODELS["tanh"](), torch.zeros(10, 2, 4, dtype=F64))
