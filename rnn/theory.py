"""Theory beside measurement: the mean-field edge of chaos, the Lyapunov spectrum of the state Jacobians,
and the singular values of their products.

Mean field (Poole et al. 2016, "Exponential expressivity in deep neural networks through transient chaos";
Schoenholz et al. 2017, "Deep information propagation"; for RNNs Chen, Pennington & Schoenholz 2018,
"Dynamical isometry and a mean field theory of RNNs"). With W_ij ~ N(0, σ_w²/n) and σ_b² the variance of
the drive Uᵀx_t + b_h over units, a wide network's pre-activations are Gaussian with a variance q that
settles at the fixed point of the q-map, and a small change of h grows per step by χ₁ in squared norm:

    q* = σ_w² E_z[f(√q* z)²] + σ_b²,     χ₁ = σ_w² E_z[f′(√q* z)²],     z ~ N(0, 1)

so ‖∂h_T/∂h_{T−k}‖ ≈ χ₁^{k/2}: the slope ½·log10 χ₁ decades per step, the units of rnn.slope_per_step.
χ₁ < 1 vanishing, χ₁ > 1 exploding, χ₁ = 1 the edge of chaos (σ_w² = rnn.critical_sigma_w2).

Lyapunov spectrum (Benettin, Galgani, Giorgilli & Strelcyn 1980; computed for RNNs this way by Engelken,
Wolf & Abbott 2020, "Lyapunov spectra of chaotic recurrent neural networks"): push an orthonormal frame
through the chain, Q_t R_t = J_t Q_{t−1}, and λ_i = (1/T) Σ_t log10|R_t,ii| (the QR taken every few steps
where float64 allows it: see lyapunov_spectrum). The frame never grows or shrinks, so every exponent is
finite at any T; their sum is the mean log10|det J_t|.

Singular values of a product (dynamical isometry: Pennington, Schoenholz & Ganguli 2017): the exponents
above are rates; the k singular values of ∂h_T/∂h_{T−k} themselves come from the same QR chain kept in a
graded form, P = Q·diag(10^l)·T with l in float64 (the stratification of Loh & Gubernatis 1992 for long chains
of matrix products), then a few sweeps of the QR algorithm on diag(10^l)·T. See product_singular_values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .activations import LEAKY_SLOPE, get_activation
from .jacobians import _chain, state_jacobians
from .model import GatedRNN, VanillaRNN

F64 = torch.float64

# f = a for a > 0, f = α·a below: relu (α = 0), leaky relu, linear (α = 1). For these the expectations are
# closed forms: E[f(√q z)²] = q(1 + α²)/2 and E[f′(√q z)²] = (1 + α²)/2.
PIECEWISE_LINEAR = {"relu": 0.0, "leaky_relu": LEAKY_SLOPE, "linear": 1.0}


# the bounded activations as numpy f² and f′² for the quadrature, f′ in a form that does not round to 0 in
# the tails: tanh′(a) = 4e^{−2|a|}/(1 + e^{−2|a|})², σ′(a) = σ(a)σ(−a) = e^{−|a|}/(1 + e^{−|a|})²
def _tanh_df2(a):
    e = np.exp(-2.0 * np.abs(a))
    return (4.0 * e / (1.0 + e) ** 2) ** 2


def _sigmoid_df2(a):
    e = np.exp(-np.abs(a))
    return (e / (1.0 + e) ** 2) ** 2


# name: (f², f′², γ = sup|f′|); σ(a) = (1 + tanh(a/2))/2
BOUNDED = {"tanh": (lambda a: np.tanh(a) ** 2, _tanh_df2, 1.0),
           "sigmoid": (lambda a: (0.5 + 0.5 * np.tanh(0.5 * a)) ** 2, _sigmoid_df2, 0.25)}
Z_MAX = 10.0  # the quadrature covers z ∈ [−10, 10]: the Gaussian mass outside is 1.5e-23
MAX_NODES = 400_001


@dataclass(frozen=True)
class MeanField:
    """The mean-field prediction for one activation, σ_w² and σ_b²."""

    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float  # fixed point of the q-map reached from any q > 0; inf where q grows without bound
    chi1: float  # σ_w² E[f′(√q* z)²]: the growth per step of ‖δh‖²
    slope: float  # ½·log10 χ₁, decades per step (−inf for χ₁ = 0)
    converged: bool  # the solve for q* closed its bracket to float64 resolution
    iterations: int  # evaluations of the q-map spent on q* (0 for a closed form)


def _variance(v, name: str) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"expected {name} to be a finite number ≥ 0, got {v!r}") from None
    if not (math.isfinite(x) and x >= 0.0):
        raise ValueError(f"expected {name} to be a finite number ≥ 0, got {v!r}")
    return x


def _activation_name(activation) -> str:
    name = get_activation(activation).name  # a ValueError listing the choices for an unknown name
    if name not in BOUNDED and name not in PIECEWISE_LINEAR:
        raise ValueError(f"mean-field theory here covers {', '.join([*BOUNDED, *PIECEWISE_LINEAR])}; "
                         f"got {name!r}")
    return name


def _nodes(q_max: float) -> tuple[np.ndarray, np.ndarray]:
    """z-nodes and weights of the trapezoid rule for E_z[g(√q z)], q ≤ q_max. f(√q z) is analytic in the
    strip |Im z| < π/(2√q) (tanh's nearest poles; sigmoid's lie twice as far), so spacing h has error
    ≈ exp(−π²/(h√q)) times a constant that grows with the order of the poles (f′² = sech⁴ has poles of
    order 4): h = 0.2/√q_max keeps both expectations within about 1e-15 (0.3/√q_max left 5e-12 on E[f′²]
    at q = 26, against mpmath). Gauss–Hermite with a fixed number N of nodes does not: its nodes near 0 lie
    ~π/√(2N) apart whatever q while f′(√q z)² narrows to a width 1/√q (200 nodes: 1.5e-10 at q = 2.7)."""
    h = min(0.1, 0.2 / math.sqrt(q_max)) if q_max > 0 else 0.1
    N = min(MAX_NODES, 2 * math.ceil(Z_MAX / h) + 1)
    z = np.linspace(-Z_MAX, Z_MAX, N)
    w = np.exp(-0.5 * z * z)
    return z, w / w.sum()


def mean_field(activation, sigma_w2, sigma_b2) -> MeanField:
    """q*, χ₁ and the predicted slope ½·log10 χ₁ (decades per step) for W_ij ~ N(0, σ_w²/n) and input
    variance σ_b².

    tanh and sigmoid: q* as the root of q − F(q) (false position, _root), F(q) = σ_w² E[f(√q z)²] + σ_b²
    increasing and concave with F ≤ σ_w²·sup f² + σ_b² (so [0, σ_w² + σ_b²] brackets the root; plain
    iteration of F would crawl near χ₁ = 1), the expectations by the trapezoid rule in z (see _nodes). With σ_b² = 0 and
    σ_w² ≤ 1, tanh's fixed point is q* = 0 and χ₁ = σ_w².
    relu, leaky relu, linear: closed forms, χ₁ = σ_w²(1 + α²)/2 whatever q; q* = σ_b²/(1 − χ₁) for
    χ₁ < 1, inf for χ₁ > 1 (and for χ₁ = 1 with σ_b² > 0): the variance grows without bound, though χ₁,
    which does not depend on q, is still the growth per step; 0 with σ_b² = 0 and χ₁ ≤ 1 (relu's χ₁ there
    is the limit q → 0⁺, ½σ_w²)."""
    name = _activation_name(activation)
    sw, sb = _variance(sigma_w2, "sigma_w2"), _variance(sigma_b2, "sigma_b2")
    if name in PIECEWISE_LINEAR:
        # χ₁ = σ_w² E[f′²] = σ_w²(1 + α²)/2, and F(q) = χ₁·q + σ_b² is linear in q
        chi = sw * (1.0 + PIECEWISE_LINEAR[name] ** 2) / 2.0
        if chi < 1.0:
            q = sb / (1.0 - chi)  # q* = σ_b² / (1 − χ₁)
        else:
            q = math.inf if (chi > 1.0 or sb > 0.0) else 0.0
        return MeanField(name, sw, sb, q, chi, _slope(chi), True, 0)

    f2, df2, gamma = BOUNDED[name]
    z, w = _nodes(sw + sb)

    def G(q: float) -> float:
        # q − F(q),  F(q) = σ_w² E_z[f(√q z)²] + σ_b²
        return q - (sw * float(w @ f2(math.sqrt(q) * z)) + sb)

    # G(0) = −F(0) ≤ 0 and G(σ_w²·sup f² + σ_b²) ≥ 0 (sup f² = 1 for both)
    lo, hi = 0.0, sw + sb
    g_lo, g_hi = G(lo), G(hi)
    if g_lo == 0.0:  # tanh with σ_b² = 0: q = 0 is a fixed point …
        if sw * gamma ** 2 <= 1.0:  # … the only one (F concave, F′(0) = σ_w² ≤ 1)
            hi = 0.0
        else:  # … unstable; the stable one lies where G turns positive again: bracket it away from 0
            lo = hi
            while lo > 0.0 and not (g_lo := G(lo)) < 0.0:
                hi, g_hi, lo = lo, g_lo, 0.5 * lo
    q, it, done = (0.0, 0, True) if hi == 0.0 else _root(G, lo, hi, g_lo, g_hi)
    # χ₁ = σ_w² E_z[f′(√q* z)²]
    chi = sw * float(w @ df2(math.sqrt(q) * z))
    return MeanField(name, sw, sb, q, chi, _slope(chi), done, it)


def _root(g, a: float, b: float, ga: float, gb: float, max_iter: int = 200) -> tuple[float, int, bool]:
    """A root of g in [a, b] with ga = g(a) ≤ 0 ≤ gb = g(b): false position with the Illinois rule (the end
    that stays twice in a row has its g halved, so both ends move; Dahlquist & Björck 1974), falling back
    to bisection where the secant leaves the bracket. (root, evaluations, bracket closed to float64
    resolution)."""
    side = 0
    for it in range(1, max_iter + 1):
        if ga == 0.0 or gb == 0.0:
            return (a if ga == 0.0 else b), it - 1, True
        c = (a * gb - b * ga) / (gb - ga)
        if not a < c < b:
            c = 0.5 * (a + b)
        if c <= a or c >= b or b - a <= 4e-16 * abs(c):
            return c, it - 1, True
        gc = g(c)
        if gc <= 0.0:
            a, ga = c, gc
            if side == -1:
                gb *= 0.5
            side = -1
        else:
            b, gb = c, gc
            if side == 1:
                ga *= 0.5
            side = 1
    return 0.5 * (a + b), max_iter, False


def _slope(chi: float) -> float:
    # slope = ½·log10 χ₁ (decades per step)
    return 0.5 * math.log10(chi) if chi > 0.0 else -math.inf


def critical_sigma_w2(activation, sigma_b2) -> float:
    """The σ_w² where χ₁ = 1 at input variance σ_b²: 2/(1 + α²) for the piecewise-linear activations (relu
    2, linear 1, whatever σ_b²); for tanh and sigmoid the root of σ_w² ↦ χ₁ − 1 (_root), bracketed below by
    1/γ² (there χ₁ ≤ σ_w²γ² ≤ 1, γ = sup|f′|) and above by doubling until χ₁ > 1. tanh at σ_b² = 0 gives 1;
    with σ_b² > 0 the inputs push tanh off its linear part and the edge moves above 1."""
    name = _activation_name(activation)
    sb = _variance(sigma_b2, "sigma_b2")
    if name in PIECEWISE_LINEAR:
        return 2.0 / (1.0 + PIECEWISE_LINEAR[name] ** 2)
    gamma = BOUNDED[name][2]
    if name == "tanh" and sb == 0.0:  # q* = 0 up to σ_w² = 1/γ², where χ₁ = σ_w²γ² reaches 1 (tangentially)
        return 1.0 / gamma ** 2
    g = lambda s: mean_field(name, s, sb).chi1 - 1.0  # noqa: E731
    lo = 1.0 / gamma ** 2
    g_lo, hi = g(lo), 2.0 * lo
    while (g_hi := g(hi)) <= 0.0:
        lo, g_lo, hi = hi, g_hi, 2.0 * hi
        if hi > 1e12:
            raise ValueError(f"no σ_w² ≤ 1e12 reaches χ₁ = 1 for {name} at sigma_b2 = {sb}")
    return _root(g, lo, hi, g_lo, g_hi)[0]


@torch.no_grad()
def mean_field_for(m: VanillaRNN, input_scale) -> MeanField:
    """mean_field for a real vanilla RNN driven by inputs x_t ~ N(0, input_scale² I), with σ_w² and σ_b² read
    off its weights: σ_w² = n·mean(W_ij²) = ‖W‖_F²/n (g² for the Gaussian init at gain g), and σ_b² the
    variance of Uᵀx_t + b_h over the units and the inputs, input_scale²·‖U‖_F²/n + ‖b_h‖²/n. The theory
    assumes W Gaussian and n large: for orthogonal or identity W, or a small n, it is only a guide."""
    if not isinstance(m, VanillaRNN):
        raise ValueError(f"expected an rnn.VanillaRNN, got {type(m).__name__}")
    s = _variance(input_scale, "input_scale")
    n = m.hidden_size
    W, U, b = (p.detach().to("cpu", F64) for p in (m.W, m.U, m.b_h))
    # σ_w² = ‖W‖_F²/n;  σ_b² = s²‖U‖_F²/n + ‖b_h‖²/n
    sw = float((W * W).sum()) / n
    sb = s * s * float((U * U).sum()) / n + float((b * b).sum()) / n
    return mean_field(m.act.name, sw, sb)


# ---------------------------------------------------------------------------------------------------------
# the chain of state Jacobians

CHUNK = 256  # the most factors formed at a time …
CHUNK_BYTES = 8 * 2**20  # … and at most about this much of them in float64 (n = 512: 4 at a time)
# Benettin's method with a QR every k steps (see lyapunov_spectrum). A block of k factors is kept when no column
# of its product lost more than LOST_MAX decades to the others, ‖(J_k ⋯ J_1 Q)e_j‖/|R_jj| ≤ 10^6 (so each
# |R_jj| keeps about 10 of float64's 16 digits), and its numbers stay within 10^{±SCALE_MAX}; the next k is
# sized from the rates the last block showed to lose about LOST_TARGET decades, at most twice the last k
# and K_MAX
LOST_MAX = 6.0
LOST_TARGET = 5.0
SCALE_MAX = 150.0
K_MAX = 32


def _factor_chunks(m, x):
    """(T, n, chunks) with chunks(start) an iterator over J_t = ∂s_t/∂s_{t−1}, t = start+1 … T, as float64
    chunks (K, n, n) of at most about CHUNK_BYTES (K ≤ CHUNK).
    The factors are formed a chunk at a time from one forward pass, so memory is O(T·n) for the trajectory
    and O(K·n²) for a chunk, whatever T is: the vanilla RNN's from f′(a_t), the gated cells' from the gates
    and states that rnn.jacobians' chain keeps (the LSTM's state is (h, c))."""
    xt = torch.as_tensor(x)
    if xt.dim() == 3 and xt.shape[1] != 1:
        raise ValueError(f"expected one sequence, x of shape (T, input) or (T, 1, input), "
                         f"got {tuple(xt.shape)}")
    if isinstance(m, VanillaRNN):
        a = m.unroll(xt).a[:, 0]  # (T, H) pre-activations (unroll checks the shape)
        T, n = a.shape
        WT = m.W.detach().to(F64).T
        K = _chunk(n)

        def chunks(start=0):
            for lo in range(start, T, K):
                d = m.act.df(a[lo:lo + K]).to(F64)
                # ∂h_t/∂h_{t−1} = diag(f′(a_t)) Wᵀ                                        (K, H, H)
                yield d[:, :, None] * WT
        return T, n, chunks
    if isinstance(m, GatedRNN):
        chain = _chain(m, xt)  # one forward pass (its gates and states, O(T·n))
        T, n, K = chain.T, chain.n, _chunk(chain.n)
        return T, n, lambda start=0: (chain.factors(lo, min(lo + K, T)).to(F64) for lo in range(start, T, K))
    raise ValueError(f"expected an rnn.VanillaRNN or rnn.GatedRNN, got {type(m).__name__}")


def _chunk(n: int) -> int:
    return max(1, min(CHUNK, CHUNK_BYTES // (8 * n * n)))


@torch.no_grad()
def mean_log10_det(m, x) -> float:
    """The mean over t of log10|det J_t| for the state Jacobians J_t = ∂s_t/∂s_{t−1} along x, by LU
    (torch.linalg.slogdet) in float64, a chunk of factors at a time (memory O(K·n²), not T·n²): the sum that
    the Lyapunov spectrum must add up to, computed without any QR."""
    T, _, chunks = _factor_chunks(m, x)
    return sum(float(torch.linalg.slogdet(J).logabsdet.sum()) for J in chunks()) / T / math.log(10.0)


def _factors(chunks):
    """The factors J_t one at a time (views into their chunk), each with whether it holds an exact 0 (one
    check a chunk)."""
    for J in chunks:
        yield from zip(J.unbind(0), (J == 0).flatten(1).any(dim=1).tolist())


# Exact zeros. A row of J_t that is exactly 0 is a unit that passes nothing back at step t (relu off, f′
# rounded to exactly 0 in a saturated unit, no recurrent input: a zero column of W); a column exactly 0 is a
# unit whose state feeds nothing (a zero row of W). Such a direction is dead, not small: the products below
# are carried on the live rows only, S_t, so that J_t ⋯ J_1 = E_{S_t}·(what is carried), E_S the columns S
# of the identity, and a product of rank r has n − r singular values that are −inf by construction, with no
# threshold on small numbers. Its rank is at most the fewest live rows (or columns) along the chain; a rank
# lost any other way (W = u·vᵀ, an exact cancellation) is not detected and shows as a tiny finite value.

def _restrict(J: torch.Tensor, S: torch.Tensor | None, zero: bool = True):
    """J_t seen from the live rows S (indices; None for all) of the product so far: (rows, cols, G) with rows
    the indices of J[:, S]'s rows that are not all exactly 0, cols the positions in S of its columns that
    are not (None for all of them), and G = J[rows][:, S[cols]], so that J_t·E_S·X = E_rows·G·X[cols]
    exactly for every X. `zero` False says J holds no exact 0 (so nothing is dropped). index_select, not
    J[:, S]: advanced indexing along columns was far slower here."""
    B = J if S is None else J.index_select(1, S)
    if not zero:
        return None, None, B
    nz = B != 0
    rows, cols = nz.any(dim=1), nz.any(dim=0)
    rows = None if bool(rows.all()) else rows.nonzero().squeeze(1)
    cols = None if bool(cols.all()) else cols.nonzero().squeeze(1)
    B = B if rows is None else B.index_select(0, rows)
    return rows, cols, B if cols is None else B.index_select(1, cols)


def _width(S: torch.Tensor | None, n: int) -> int:
    return n if S is None else len(S)


@torch.no_grad()
def lyapunov_spectrum(m, x) -> np.ndarray:
    """All Lyapunov exponents of the chain J_T ⋯ J_1 along the trajectory of x, in log10 per step (the
    units of rnn.slope_per_step), descending, float64: n of them for the vanilla RNN and the GRU, 2n for
    the LSTM's state (h, c). Benettin's method: Q_t R_t = J_t Q_{t−1}, λ_i = (1/T) Σ_t log10|R_t,ii|,
    in float64. Their sum is the mean of log10|det J_t|. Finite at any T, except the directions that are
    exactly dead: the chain is carried on its live rows (_restrict), so where a unit is off (relu), f′ is
    exactly 0 (saturated) or W = 0, the n − r directions beyond the chain's rank r are −inf by construction,
    not rounding noise (_dead_step: such a step is taken on its own, the frame's first r′ columns kept).

    The QR is taken every k steps rather than every step: Q′R = J_{t+k} ⋯ J_{t+1} Q is, in exact
    arithmetic, the product of the k one-step QRs (R = R_{t+k} ⋯ R_{t+1}, so log|R_jj| is the sum of theirs),
    and a QR with its Q costs about ten 128 × 128 matrix products. What a longer block costs is accuracy:
    Householder QR is backward stable column by column, so |R_jj| comes out with a relative error of about
    eps·‖(J ⋯ J Q)e_j‖/|R_jj|, a ratio that grows with k as the directions spread (10^{k(λ₁ − λ_j)}).
    Each block is therefore checked: it is kept when that ratio stays within 10^LOST_MAX for every column
    and its numbers within 10^{±SCALE_MAX} (far from overflow and subnormals), else done again with fewer
    steps, down to one step a QR, which is always kept (the plain method). The next k comes from
    the rates of loss and growth per step the last block showed. The frame Q stays in Householder form
    (geqrf's reflectors): the next block's first product J·Q is Qᵀ applied to Jᵀ (ormqr), cheaper than
    forming Q and multiplying. What this buys against one QR a step (reference_lyapunov_spectrum, below), and
    how closely the two agree, is measured by `python -m benchmarks.run` (P9, benchmarks/RESULTS.md). The
    factors are formed a chunk at a time (_factor_chunks), so memory is O(T·n + chunk·n²) for every cell."""
    T, n, chunks = _factor_chunks(m, x)
    frame = None  # Q_t over the live rows S as geqrf's (reflectors, tau), r columns; None for Q_0 = I
    S, r = None, n  # the live rows of J_t ⋯ J_1 (None: all n) and its rank so far (the frame's width)
    total = torch.zeros(n, dtype=F64)  # total[r:] is −inf: the directions a rank drop killed
    factors = _factors(chunks())
    pending: list[tuple[torch.Tensor, bool]] = []  # factors read but not yet in a kept block
    k, done = 1, 0
    while done < T and r > 0:
        while len(pending) < min(k, T - done):
            pending.append(next(factors))
        rows, cols, G = _restrict(pending[0][0], S, pending[0][1])
        if G.shape[1] < _width(S, n) or G.shape[0] < r:  # the step drops rows of the frame, or the rank
            r, frame = _dead_step(G, cols, frame, _width(S, n), r, total)  # (on its own)
            S = rows
            del pending[:1]
            done += 1
            k = 1
            continue
        kk = min(k, len(pending))
        # X = J_{t+kk} ⋯ J_{t+1} Q_t on the live rows, the first product as (Q_tᵀ G_{t+1}ᵀ)ᵀ (its first r columns)
        X = G if frame is None else torch.ormqr(*frame, G.mT, left=True, transpose=True)[:r].mT
        S_k, used = rows, 1
        for J_t, zero in pending[1:kk]:
            rows, cols, G = _restrict(J_t, S_k, zero)
            if G.shape[1] < _width(S_k, n) or G.shape[0] < r:  # the block ends before a step that drops any
                break
            X, S_k, used = torch.mm(G, X), rows, used + 1
        kk = used
        # X = Q_{t+kk} R: R in the upper triangle of `a`, Q_{t+kk} as the reflectors (a, tau)
        a, tau = torch.geqrf(X)
        ld = torch.log10(torch.diagonal(a).abs())  # log10|R_jj|
        lc = torch.log10(torch.linalg.vector_norm(X, dim=0))  # log10‖X e_j‖ (≥ log10|R_jj|)
        lost = float((lc - ld).max())  # decades the worst column lost (inf for a zero R_jj, NaN for 0/0)
        scale = float(torch.maximum(lc.max(), -ld.min()))  # how far the numbers went from 1, in decades
        if kk > 1 and not (lost <= LOST_MAX and scale <= SCALE_MAX):
            k = max(1, kk // 2)  # again, shorter
            continue
        # Σ_t log10|R_t,jj| over the block
        total[:r] += ld
        frame, S = (a, tau), S_k
        del pending[:kk]
        done += kk
        # the next block's length from the rates per step this one showed; 1 after a zero R_jj or a number
        # that is not finite (a singular factor keeps one QR a step)
        if math.isfinite(lost) and math.isfinite(scale):
            k = max(1, int(min(2 * kk, K_MAX,
                               LOST_TARGET * kk / lost if lost > 0 else math.inf,
                               0.5 * SCALE_MAX * kk / scale if scale > 0 else math.inf)))
        else:
            k = 1
    total[r:] = -math.inf
    return np.sort((total / T).numpy())[::-1].copy()


@torch.no_grad()
def reference_lyapunov_spectrum(m, x) -> np.ndarray:
    """The plain loop, equal to lyapunov_spectrum (same exponents, same order) where no direction is exactly
    dead: Benettin's method as written, one QR a step, Q_t R_t = J_t Q_{t−1} from Q_0 = I, and
    λ_i = (1/T) Σ_t log10|R_t,ii|, float64, descending. It holds all T Jacobians (rnn.state_jacobians, T·n²
    numbers) and takes a QR at every step; a dead direction comes out as rounding noise here (or −inf), by
    chance, not by construction."""
    J = state_jacobians(m, x).detach().to("cpu", F64)  # J[t-1] = ∂s_t/∂s_{t-1}
    T, n, _ = J.shape
    Q, total = torch.eye(n, dtype=F64), torch.zeros(n, dtype=F64)
    for J_t in J:
        # Q_t R_t = J_t Q_{t−1}
        Q, R = torch.linalg.qr(J_t @ Q)
        # Σ_t log10|R_t,ii|
        total += torch.log10(torch.diagonal(R).abs())
    return np.sort((total / T).numpy())[::-1].copy()


def _kill_zero_columns(M: torch.Tensor, r: int, *totals: torch.Tensor):
    """Frame columns j whose image M e_j is exactly 0 are dead: M keeps the others in their order, and so
    does each of totals (its first r entries), the dead ones moved behind them as −inf. Returns (M, the
    new r)."""
    live = (M != 0).any(dim=0).nonzero().squeeze(1)
    if len(live) < r:
        for t in totals:
            t[:len(live)] = t[:r][live].clone()
            t[len(live):r] = -math.inf
    return M.index_select(1, live), len(live)


def _dead_step(G, cols, frame, nS: int, r: int, total: torch.Tensor):
    """One step of Benettin's chain where the factor drops live rows of the frame or the rank (see
    _restrict): the frame Q (nS × r, orthonormal columns) keeps its rows cols; a frame column that is
    exactly 0 there is dead; Q[cols] = Q₁R₁ (rank ≤ |cols|), then G·Q₁ = Q₂R₂ (rank ≤ the rows of G), again
    without the columns that are exactly 0. R₂R₁ is upper trapezoidal, its diagonal R₂,jj·R₁,jj: those of the
    first r′ = min(r, |cols|, rows of G) columns are added to total, the other columns of the frame are
    killed (−inf). Returns (r′, the new frame as geqrf's reflectors, None when r′ = 0)."""
    Q = torch.eye(nS, r, dtype=F64) if frame is None else torch.linalg.householder_product(*frame)
    Q, r = _kill_zero_columns(Q if cols is None else Q.index_select(0, cols), r, total)
    nc = G.shape[1]  # |cols|
    d = torch.zeros(r, dtype=F64)
    if nc < r:  # Q[cols] = Q₁R₁ with R₁ of |cols| rows
        Q, R1 = torch.linalg.qr(Q)
        d[:nc] += torch.log10(torch.diagonal(R1).abs())
    X, q = _kill_zero_columns(G @ Q, min(r, nc), d, total)
    rr = min(q, G.shape[0])
    if rr == 0:
        total[:r] = -math.inf
        return 0, None
    # G·Q₁ = Q₂R₂
    a, tau = torch.geqrf(X)
    total[:rr] += d[:rr] + torch.log10(torch.diagonal(a)[:rr].abs())
    total[rr:r] = -math.inf
    return rr, (a[:, :rr], tau[:rr])


# ---------------------------------------------------------------------------------------------------------
# singular values of a long product, in graded form

PASSES = 100  # the most QR sweeps on diag(10^l)·T before the blocks are taken as they are
COUPLING = 1e-9  # an off-diagonal entry this small (its row's largest is 1) moves σ by ~1e-18, relatively
SPAN = 4.0  # a block of coupled directions spanning at most this many decades is solved by one SVD


def _graded_qr(X: torch.Tensor, l: torch.Tensor):
    """X·diag(10^l) = Q·diag(10^l′)·T′·Πᵀ with Q orthogonal and T′ upper triangular, each row of T′ with
    largest |entry| 1 (l′ = −inf for a zero row); returns (Q, l′, T′, the column order Π). The columns
    are first ordered by their norms, largest first (pre-pivoting), so that l′ comes out descending and
    T′'s off-diagonal entries small. Nothing is formed at the scale 10^l: only logs of |entries| are added."""
    order = torch.argsort(-(torch.log10(torch.linalg.vector_norm(X, dim=0)) + l), stable=True)
    Q, R = torch.linalg.qr(X.index_select(1, order))
    # R·diag(10^{l_π}) = diag(10^{l′})·T′,  l′_i = max_j log10|R_ij·10^{l_πj}|
    E = torch.log10(R.abs()) + l[order][None, :]
    ln = E.max(dim=1).values
    Tn = torch.nan_to_num(torch.sign(R) * torch.pow(10.0, E - ln[:, None]), nan=0.0)
    return Q, ln, Tn, order


def _normalise_rows(T: torch.Tensor, l: torch.Tensor):
    """diag(10^l)·T with each row of T rescaled to largest |entry| 1 (l += log10 of it)."""
    s = T.abs().max(dim=1).values
    return torch.nan_to_num(T / s[:, None], nan=0.0), l + torch.log10(s)


def _blocks(T: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive index blocks [a, b) of an upper-triangular T with no entry above COUPLING linking two
    blocks."""
    n = T.shape[0]
    M = np.triu(np.abs(T) > COUPLING, 1)
    reach = np.where(M.any(axis=1), n - 1 - np.argmax(M[:, ::-1], axis=1), np.arange(n))
    reach = np.maximum.accumulate(reach)  # the farthest column any row up to i couples to
    cuts = [0, *(np.flatnonzero(reach[:-1] < np.arange(1, n)) + 1).tolist(), n]
    return list(zip(cuts[:-1], cuts[1:]))


def _graded_svd_log10(T: torch.Tensor, l: torch.Tensor) -> np.ndarray:
    """log10 of the singular values of diag(10^l)·T, descending. Each sweep transposes and re-factors,
    Tᵀ·diag(10^l) = Q·diag(10^l′)·T′·Πᵀ (the same singular values): a step of the QR algorithm on the Gram
    matrix, which shrinks the entry coupling i and j by about σ_j/σ_i. Once every block of still-coupled
    directions spans at most SPAN decades, each block's singular values come from one float64 SVD of the
    block scaled by its largest 10^l (exact to rounding: relatively ~eps·10^SPAN at worst)."""
    for _ in range(PASSES):
        _, l, T, _ = _graded_qr(T.T, l)
        Tn, ln = T.numpy(), l.numpy()
        blocks = _blocks(Tn)
        with np.errstate(invalid="ignore"):  # (−inf rows count as settled)
            if all(not (ln[a] - ln[b - 1] > SPAN) for a, b in blocks):
                break
    out = []
    for a, b in blocks:
        top = ln[a:b].max()
        if not np.isfinite(top):
            out.append(np.full(b - a, -np.inf))
            continue
        S = Tn[a:b, a:b] * 10.0 ** (ln[a:b] - top)[:, None]
        with np.errstate(divide="ignore"):
            out.append(np.log10(np.linalg.svd(S, compute_uv=False)) + top)
    return np.sort(np.concatenate(out))[::-1].copy()


@torch.no_grad()
def product_singular_values(m, x, k: int) -> np.ndarray:
    """log10 of all singular values of ∂s_T/∂s_{T−k} = J_T ⋯ J_{T−k+1} (s = h, or (h, c) for the LSTM),
    descending, float64, for k = 1 … T. The largest is rnn.jacobian_log10_norms' entry T − k.

    Overflow-safe at any k: the product is carried as P = Q·diag(10^l)·T, Q orthogonal, l in float64, T
    with rows of largest |entry| 1; each step re-factors J_t·Q·diag(10^l) by _graded_qr (T ← T′·Πᵀ·T),
    so no number is formed at the product's scale, and a direction 10^{−500} below the top
    keeps its own digits (a plain float64 product rounds away all below about 1e-16 of the top). The
    singular values of diag(10^l)·T then come from _graded_svd_log10. Exact zeros are exact: the product is
    carried on its live rows (_restrict), Q with r ≤ (the fewest live rows along the chain) columns, so a
    product of rank r has n − r values −inf by construction (a dead relu unit, f′ exactly 0, W = 0), and the
    r live ones are its nonzero singular values. Plain reference for short k: torch.linalg.svdvals of the
    product (whose exact zeros come out as rounding noise, ~1e-16·σ₁)."""
    T_len, n, chunks = _factor_chunks(m, x)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= T_len:
        raise ValueError(f"expected k to be an integer from 1 to T = {T_len}, got {k!r}")
    # P = E_S·Q·diag(10^l)·T: S the live rows, Q (|S| × r) orthonormal columns, T (r × n); r bounds the rank
    S, Q, l, T = None, torch.eye(n, dtype=F64), torch.zeros(n, dtype=F64), torch.eye(n, dtype=F64)
    for J_t, zero in _factors(chunks(T_len - int(k))):
        rows, cols, G = _restrict(J_t, S, zero)
        if G.numel() == 0:  # every direction dead
            return np.full(n, -np.inf)
        if cols is not None:
            Q = Q.index_select(0, cols)
        if G.shape[1] < Q.shape[1]:  # Q[cols]·diag(10^l)·T has rank ≤ |cols|: re-factored to that width
            Q, l, Tn, order = _graded_qr(Q, l)
            T, l = _normalise_rows(Tn @ T[order], l)
        # J_t·P = E_rows·(G Q)·diag(10^l)·T = E_rows·Q′·diag(10^l′)·T′·Πᵀ·T
        Q, l, Tn, order = _graded_qr(G @ Q, l)
        T, l = _normalise_rows(Tn @ T[order], l)
        S = rows  # indices of J_t's own rows (None: all n)
    # n − r singular values exactly 0
    return np.concatenate([_graded_svd_log10(T, l), np.full(n - len(l), -np.inf)])
