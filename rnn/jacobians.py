"""Products of state Jacobians ∂h_T/∂h_i = ∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}, their norms in log space, the
theory bounds, the slope per step and the regime.

For the vanilla RNN h_j = f(a_j), a_j = Uᵀx_j + Wᵀh_{j-1} + b_h, each factor is

    ∂h_j/∂h_{j-1} = diag(f′(a_j)) Wᵀ,       ‖∂h_j/∂h_{j-1}‖₂ ≤ γ·σ_max(W)   (γ = sup|f′|)

so ‖∂h_T/∂h_{T-k}‖₂ ≤ (γ·σ_max)^k: below 1 it must vanish (Pascanu, Mikolov & Bengio 2013, §3.2). For a
linear RNN the product is W^{k}ᵀ and ‖W^k‖^{1/k} → ρ(W) (Gelfand), hence the ρ^k overlay.

Numerics. The suffix products P_i = ∂h_T/∂h_i are built from the left, P_{i-1} = P_i J_i, one matrix
product per step (as transposes, P_{i-1}ᵀ = J_iᵀ P_iᵀ, with a few steps' J_iᵀ = W diag(f′(a_i)) formed at a
time for the vanilla RNN). The scale is taken out in float64 every few products (P_i = 10^{q_i} M_i), as
often as the growth or decay seen requires to keep M_i far from overflow and from subnormals. So nothing
overflows or underflows at any T (W = 1.5·Q at T = 3000 gives 528.3, W = 0.5·Q gives −903.1). The spectral
norms are certified, not estimated: against a block Z of r = 8 right singular directions refined along
the chain (the products share their left end J_T, so their top directions barely move), the Ritz values
of M_iᵀM_i on span Z and the trace ‖M_i‖_F² outside it bound ‖M_i‖₂ from both sides; where that interval
is wider than 2e-11 (float64) or 4e-5 (float32) relative, residual bounds and subspace iteration narrow
it, and what no bound can settle (a flat top of the spectrum: the shortest products, orthogonal-like
ones) is computed exactly from the Gram matrix in float64. The middle of the interval is reported. See
_top_sigma2. The products are held in chunks of about 8 MiB, so memory stays O(chunk · n²) whatever T is.
One limit no representation of the product as a float matrix escapes: when the entries of one product
span more decades than the dtype holds (a strongly non-normal W such as a shift matrix plus εI, whose
k-th power holds ε^k beside binomial coefficients), the smallest entries are lost and with them digits of
the norm. The app's initialisations (Gaussian, orthogonal, identity, scaled) stay far from that.

The slope of log10‖P‖ against the lag k estimates the top Lyapunov exponent λ₁ (per step, in log10 units;
λ₁ in nats is slope·ln 10). Regimes (`classify`, the one place a slope becomes a regime): vanishing if
slope < −tol, exploding if slope > +tol, edge otherwise, with tol = EDGE_TOL = 0.01 decades per step for the
vanilla RNN (a factor 10^{±1} per 100 steps) and GATED_EDGE_TOL = 0.03 for the LSTM and the GRU (a gated cell
within it holds its gradient: 100 steps change it by less than 10³); a slope measured over fewer than
REGIME_MIN_T lags is TOO_SHORT to judge. `analyze` gives every cell its regime this way, and the pages show
that one (the Gated cells badge among them), never one of their own.

Where a vanilla RNN's forward pass itself overflows (a_t or h_t beyond the dtype's range), f′(a_t) is read
from ∞ or NaN past that step: `cut_before_overflow` gives the steps before it, the one cut every page uses.

The same analysis runs for the LSTM over its full state (h, c) and for the GRU over h, with their Jacobians
written out by hand in rnn.cells, beside each cell's step (tested against torch.func.jacrev).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from . import cells
from .activations import get_activation
from .init import recurrent_stats
from .model import GatedRNN, VanillaRNN, as_sequence

Tensor = torch.Tensor
EDGE_TOL = 0.01  # the vanilla RNN's edge of chaos: |slope| ≤ 0.01 decades per step
# a gated cell whose slope stays within ±GATED_EDGE_TOL holds its gradient (its memory gate keeps it near 1): a
# hundred steps change it by less than a factor 10³
GATED_EDGE_TOL = 0.03
EDGE_TOLS = {"rnn": EDGE_TOL, "lstm": GATED_EDGE_TOL, "gru": GATED_EDGE_TOL}
REGIME_MIN_T = 3  # a regime is judged from the slope of at least this many lags; shorter says TOO_SHORT
TOO_SHORT = "too short"
CHUNK = 256  # most products measured together
CHUNK_BYTES = 8 * 2**20  # and at most about this much of them
BLOCK = 8  # the width r of the block of singular directions carried along the chain (see _top_sigma2)
STEPS = 64  # the longest block of steps between two rescalings of the chain (and refinements of the block Z)
MEASURE = 16  # products measured together (‖Q‖_F, QZ) as soon as they are made, while still in cache
LOG10_2 = math.log10(2.0)


# ---------------------------------------------------------------------------------------------------------
# the factors ∂s_t/∂s_{t-1} for t = lo+1 … hi, batched (rnn.cells writes each cell's Jacobian)

def _one_sequence(m, x):
    p = next(m.parameters())
    xs, batched = as_sequence(x, m.input_size, p.dtype, p.device)
    if xs.shape[1] != 1:
        raise ValueError(f"expected one sequence, x of shape (T, {m.input_size}) or (T, 1, {m.input_size}), "
                         f"got {tuple(torch.as_tensor(x).shape)}")
    return xs


@dataclass
class Chain:
    """One sequence's one-step Jacobians J_t = ∂s_t/∂s_{t-1}, as the suffix products read them."""

    factors: Callable[[int, int], Tensor]  # (lo, hi) -> J_t for t = lo+1 … hi, stacked (hi − lo, n, n)
    T: int  # steps
    n: int  # the state's size: H, or 2H for the LSTM's (h, c)
    h_T: Tensor  # the last hidden state (H,), for ∂L/∂h_T
    # the vanilla RNN's f′(a_t) (T, H) and W: the products then form J_tᵀ = W diag(f′(a_t)) in place, a
    # block of steps at a time, instead of calling `factors`
    fprime: Tensor | None = None
    W: Tensor | None = None


def _reads_state(m) -> bool:
    """Whether the model's one-step Jacobians read its state: a vanilla RNN's diag(f′(a_t)) Wᵀ does unless f′ is
    constant (linear: f′ ≡ 1)."""
    return m.act.name != "linear"


def _overflow_step(m: VanillaRNN, xs: Tensor, tr) -> int | None:
    """The first step t (1 … T) at which a forward pass of finite x and weights left the dtype's range (a_t or
    h_t not finite in any sequence of the trace `tr`), or None. Non-finite x or weights are not an overflow:
    None (their products come out NaN, and rnn.analyze says so)."""
    # the common case first: every a_t and h_t finite makes both sums finite (a NaN or ∞ anywhere makes its sum
    # NaN or ∞; a finite sum that overflows only sends this check on to the exact one below)
    if bool(torch.isfinite(tr.a.sum() + tr.h[1:].sum())):
        return None
    if not (bool(torch.isfinite(xs).all()) and all(bool(torch.isfinite(p).all()) for p in m.parameters())):
        return None
    bad = ~(torch.isfinite(tr.a).flatten(1).all(1) & torch.isfinite(tr.h[1:]).flatten(1).all(1))  # (T,)
    idx = torch.nonzero(bad)
    return int(idx[0, 0]) + 1 if idx.numel() else None


def _check_forward(m: VanillaRNN, xs: Tensor, tr) -> None:
    """A ValueError naming the first step t at which the forward pass overflowed (_overflow_step), unless f′
    does not read a_t (linear: f′ ≡ 1, the Jacobians stay exact). Past that step f′(a_t) would be read from
    ∞ or NaN (relu′(NaN) = 0), and an exploding net would come out as one whose products are exactly 0."""
    t0 = _overflow_step(m, xs, tr) if _reads_state(m) else None
    if t0 is not None:
        raise ValueError(f"the forward pass overflows at step {t0} of {tr.a.shape[0]}: a_t or h_t is not finite in "
                         f"{tr.a.dtype} ({m.act.name} state beyond the dtype's range), so f′(a_t) and every product "
                         f"through step {t0} would be meaningless; steps 1 … {t0 - 1} are exact: pass x[:{t0 - 1}]")


@dataclass
class OverflowCut:
    """What `cut_before_overflow` keeps of a sequence x."""

    x: Tensor  # x[:T_used], the steps to analyse
    T_used: int  # how many steps that is
    overflow_step: int | None  # the first step whose state is not finite, or None


@torch.no_grad()
def cut_before_overflow(m, x, tr=None) -> OverflowCut:
    """The steps of x a Jacobian analysis can use: where a vanilla RNN's forward pass leaves the dtype's range
    at step t0 (a_t or h_t not finite: relu, leaky relu or linear with a large W), the first t0 − 1 steps,
    where every number is exact (at least one step: an overflow at step 1 leaves nothing exact, and the
    chain's functions then raise naming step 1); all of x when it never does. The linear RNN is not cut: its
    Jacobians Wᵀ do not read the state, so its products stay exact over all T (its overflow_step is still
    reported: ŷ_T and the BPTT gradient are lost). LSTM and GRU states are bounded: never cut. This is the
    rule jacobian_log10_norms enforces (it raises where this cuts), so every function of the chain accepts
    the result. `tr`: the vanilla RNN's trace m.unroll(x), when the caller has it already."""
    xs = torch.as_tensor(x)
    T = int(xs.shape[0])
    if not isinstance(m, VanillaRNN):
        return OverflowCut(x, T, None)
    if tr is None:
        tr = m.unroll(x)
    seq, _ = as_sequence(x, m.input_size, m.U.dtype, m.U.device)
    t0 = _overflow_step(m, seq, tr)
    # T_used = t0 − 1 (at least 1) where the Jacobians read the state past the overflow at t0, else T
    T_used = T if t0 is None or not _reads_state(m) else max(t0 - 1, 1)
    return OverflowCut(x if T_used == T else x[:T_used], T_used, t0)


def _chain(m, x) -> Chain:
    """The Chain of model m (an rnn.VanillaRNN or rnn.GatedRNN) on one sequence x, from one forward pass."""
    xs = _one_sequence(m, x)
    T = xs.shape[0]
    if isinstance(m, VanillaRNN):
        tr = m.unroll(xs)
        _check_forward(m, xs, tr)
        d, W = m.act.df(tr.a[:, 0]), m.W  # f′(a_t) (T, H)
        return Chain(lambda lo, hi: cells.rnn_jacobian(W, d[lo:hi]), T, m.hidden_size, tr.h[-1, 0], d, W)
    if not isinstance(m, GatedRNN):
        raise ValueError(f"expected an rnn.VanillaRNN or rnn.GatedRNN, got {type(m).__name__}")
    u = {k: v[:, 0] for k, v in m.unroll(xs).items()}  # one sequence: (T, H) or (T+1, H) each
    W_hh = m.core.weight_hh_l0
    if m.kind == "lstm":
        def factors(lo: int, hi: int) -> Tensor:
            return cells.lstm_jacobian(W_hh, *(u[k][lo:hi] for k in "ifgo"), u["c"][lo:hi], u["c"][lo + 1:hi + 1])
    else:
        def factors(lo: int, hi: int) -> Tensor:
            return cells.gru_jacobian(W_hh, *(u[k][lo:hi] for k in ("r", "z", "n", "hn")), u["h"][lo:hi])
    return Chain(factors, T, m.state_size, u["h"][-1])


@torch.no_grad()
def state_jacobians(m, x) -> Tensor:
    """All one-step Jacobians ∂s_t/∂s_{t-1}, t = 1 … T, stacked (T, n, n); s = h, or (h, c) for the LSTM.
    Memory T·n²: meant for short sequences (the log-norms never build this stack)."""
    chain = _chain(m, x)
    return chain.factors(0, chain.T)


# ---------------------------------------------------------------------------------------------------------
# the suffix products in log space

def _settings(dtype: torch.dtype, n: int) -> tuple[float, float, float, int]:
    """(tol, slack, lim, chunk) for a dtype and state size n.

    tol: the relative width allowed for the certified interval around σ₁²; its geometric middle is reported,
    so log10 σ₁ is off by at most tol/(4 ln 10): 2e-12 in float64, 4e-6 in float32 (where the float32
    products themselves carry more rounding than that at long lags). slack: the rounding allowance on a
    computed trace of 1. lim: how far (in decades) a block of products may move the scale before it is
    rescaled; a quarter of the exponent range, so that twice that neither overflows nor reaches
    subnormals, which are slow. chunk: how many products are certified together (about 8 MiB of them)."""
    fi = torch.finfo(dtype)
    tol = 2e-11 if fi.eps < 1e-10 else max(4e-5, 64 * fi.eps)
    lim = 0.25 * math.log10(fi.max)
    chunk = max(8, min(CHUNK, CHUNK_BYTES // (n * n * fi.bits // 8)))
    return tol, 64 * fi.eps, lim, chunk


def _exact_sigma2(Q: Tensor, fs: Tensor, tol: float) -> np.ndarray:
    """σ₁(Q_k/fro_k)² exactly: the largest eigenvalue of the Gram matrix G, formed in float64. A flat
    spectrum (products of an orthogonal W, or of W = g·I, in a linear RNN) is recognised first and needs no
    eigensolver: λ_max(G) lies in [tr G / n, tr G / n + ‖G − (tr G / n) I‖_F]."""
    Qd = Q.double() / fs.double()
    G = Qd.mT @ Qd
    n = G.shape[-1]
    mean = torch.diagonal(G, dim1=-2, dim2=-1).sum(-1) / n
    dev = torch.linalg.matrix_norm(G - mean[:, None, None] * torch.eye(n, dtype=G.dtype, device=G.device))
    # tr G / n ≤ λ_max(G) ≤ tr G / n + ‖G − (tr G / n) I‖_F: report the geometric middle
    out = torch.sqrt(mean * (mean + dev)).clamp_min(0.0).cpu().numpy()
    rest = np.flatnonzero(~(dev <= tol * mean).cpu().numpy())
    if rest.size:
        sel = torch.from_numpy(rest).to(G.device)
        try:
            top = torch.linalg.eigvalsh(G[sel])[:, -1]
        except RuntimeError:  # the eigensolver gave up on one of them (NaN in, or LAPACK's rare failure)
            top = torch.linalg.matrix_norm(Qd[sel], ord=2) ** 2  # SVD, slower and sturdier
        out[rest] = top.clamp_min(0.0).cpu().numpy()
    return out


def _eig_small(A: Tensor, vectors: bool = False):
    """eigvalsh (or eigh) of a batch of small symmetric matrices A (K, r, r), descending; a matrix with a
    non-finite entry, or a batch the solver gives up on, comes back as NaN (the caller then computes those
    entries exactly)."""
    bad = ~torch.isfinite(A).flatten(1).all(1)
    if bool(bad.any()):
        A = torch.where(bad[:, None, None], torch.eye(A.shape[-1], dtype=A.dtype, device=A.device), A)
    try:
        res = torch.linalg.eigh(A) if vectors else (torch.linalg.eigvalsh(A), None)
    except RuntimeError:
        res = (torch.full(A.shape[:-1], math.nan, dtype=A.dtype, device=A.device),
               torch.eye(A.shape[-1], dtype=A.dtype, device=A.device).expand_as(A) if vectors else None)
    th, Y = res
    if bool(bad.any()):
        th = torch.where(bad[:, None], torch.full_like(th, math.nan), th)
    th = th.flip(-1)
    return (th, Y.flip(-1)) if vectors else th


def _pow2_exponent(X: Tensor, dims=None) -> Tensor:
    """e (float64) with max|X| = m·2^e, ½ ≤ m < 1, over `dims` (kept, for broadcasting) or over all of X;
    0 where that maximum is 0 or not finite; clamped to ±1000, so that 2^{−e} is a float64 (X·2^{−e} is
    exact: a power of two)."""
    a = X.abs().amax(dim=dims, keepdim=True) if dims is not None else X.abs().amax()
    return torch.frexp(a)[1].clamp(-1000, 1000).to(torch.float64)


def _norm_parts(X: Tensor, dims) -> tuple[np.ndarray, np.ndarray]:
    """‖X‖₂ over `dims` as float64 (m, e) with ‖X‖ = m·2^e: each slice is divided by the power of two of its
    largest |entry| before its squares are summed, so none underflows or overflows (a plain sum of squares
    loses numbers below about 1e-154 in float64, 1e-19 in float32, and overflows above the square roots of
    the largest floats). m is 0 for a zero slice, inf or NaN where the slice holds them."""
    X = X.to(torch.float64)
    e = _pow2_exponent(X, dims)
    m = torch.linalg.vector_norm(X * torch.exp2(-e), dim=dims)
    return m.cpu().numpy(), e.reshape(m.shape).cpu().numpy()


def log10_norms(X: Tensor, dims) -> np.ndarray:
    """log10‖X‖₂ over `dims` (a float64 array), without overflow or underflow on the way: −inf for a zero
    slice, inf or NaN where the slice holds them. The app's pages use it for gradients that may be huge."""
    m, e = _norm_parts(X, dims)
    with np.errstate(divide="ignore"):
        return np.log10(m) + e * LOG10_2


def _log10_norm(v: Tensor) -> float:
    """log10‖v‖₂ of all of v (see log10_norms)."""
    return float(log10_norms(v.reshape(1, -1), (1,))[0])


def _rows(Q: Tensor, fs: Tensor, mask: np.ndarray) -> tuple[np.ndarray, Tensor, Tensor]:
    """The rows to keep working on for the entries in mask: a slice (no copy) from the first to the last
    of them when they fill at least half of it, else exactly those rows (a copy)."""
    idx = np.flatnonzero(mask)
    a, b = int(idx[0]), int(idx[-1]) + 1
    if 2 * idx.size >= b - a:
        return np.arange(a, b), Q[a:b], fs[a:b]
    sel = torch.from_numpy(idx).to(Q.device)
    return idx, Q[sel], fs[sel]


def _mass_bound(lo: np.ndarray, hi: np.ndarray, tau: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray]:
    """(upper, ok) for σ₁² from lo ≤ θ₁ ≤ hi and the mass τ outside the block: θ₁ ≤ σ₁² ≤ θ₁ + θ₁τ/(θ₁ − τ), and the
    upper bound increases in θ₁ where θ₁ > 2τ, so lo ≤ σ₁² ≤ hi + hi·τ/(hi − τ) where lo > 2τ; ok where that interval
    is within tol of lo. NaN certifies nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        upper = hi + hi * tau / (hi - tau)
        return upper, (lo > 2 * tau) & (upper - lo <= tol * lo)


def _times_block(A: Tensor, Z: Tensor) -> Tensor:
    """A @ Z for a block Z of few columns (…, n, r), computed as (Zᵀ Aᵀ)ᵀ: the same sums of products, but BLAS
    libraries run a product with few columns on the right far below their speed (MKL: 4–5× slower at r = 8,
    n = 128), and the transposed form, few rows on the left, near it."""
    return (Z.mT @ A.mT).mT


def _block_bounds(QZ: Tensor, n: int, tol: float, slack: float):
    """What the block alone (A = (Q̃Z)ᵀ(Q̃Z) = ZᵀGZ, no further pass over Q̃) says of σ₁² = λ₁(G): the rows it
    certifies (ok), their interval [t1, upper], and the rows whose block sees a flat spectrum (flat)."""
    r = QZ.shape[-1]
    A = (QZ.mT @ QZ).double()  # ZᵀGZ (K, r, r)
    # Σθ = tr A
    trA = torch.diagonal(A, dim1=1, dim2=2).sum(1)
    # ‖A − (tr A / r) I‖_F: whether the block's spectrum is flat
    dev = torch.linalg.matrix_norm(A - (trA / r)[:, None, None] * torch.eye(r, dtype=A.dtype, device=A.device))
    # θ₁ = λ_max(A), first without an eigensolver: ρ, the Rayleigh quotient of A at v after two steps of power
    # iteration from Z's first direction (the top one the chain carries), bounds it from below; from above,
    # Kato–Temple: every other eigenvalue is at most α = tr A − ρ (θ₁ + θ₂ ≤ tr A, θ₁ ≥ ρ), so where ρ > α,
    # θ₁ ≤ ρ + ‖Av − ρv‖²/(ρ − α)
    v = torch.bmm(A, torch.bmm(A, A[:, :, :1]))
    v = v / torch.linalg.vector_norm(v, dim=(1, 2), keepdim=True)
    Av = torch.bmm(A, v)
    rq = (v * Av).sum((1, 2))
    res2 = torch.linalg.vector_norm(Av - rq[:, None, None] * v, dim=(1, 2)) ** 2
    rq, res2 = rq.cpu().numpy(), res2.cpu().numpy()
    tr, dev = trA.cpu().numpy(), dev.cpu().numpy()
    # τ = tr G − Σθ = 1 − tr A, the mass of G outside span Z (widened by the rounding allowance)
    tau = np.maximum(1.0 - tr, 0.0) + slack
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = tr - rq
        t1, t1_hi = rq, np.minimum(tr, np.where(rq > alpha, rq + res2 / (rq - alpha), np.inf))
    rest = np.flatnonzero(~_mass_bound(t1, t1_hi, tau, tol)[1])
    if rest.size:  # the others: θ₁ from one batched eigvalsh of their r × r matrices (NaN where A is not finite)
        sel = torch.from_numpy(rest).to(A.device)
        t1[rest] = t1_hi[rest] = _eig_small(A[sel])[:, 0].cpu().numpy()
    upper, ok = _mass_bound(t1, t1_hi, tau, tol)
    # a flat spectrum: A a multiple of I with each Ritz value 1/n of the mass
    flat = ~ok & (dev <= 1e-3 * tr / r) & (np.abs(tr * n / r - 1.0) <= 1e-3)
    return ok, t1, upper, flat


def _residual_bounds(th: np.ndarray, rho: np.ndarray, slack: float):
    """Bounds on σ₁² = λ₁(G) from the Ritz values θ₁ ≥ … ≥ θ_r (th, (K, r)) and residual norms ‖R_j‖ (rho) of
    the block: (lower, upper, gap, t1, tau); see _top_sigma2."""
    r = th.shape[1]
    t1, r1 = th[:, 0], rho[:, 0]
    # τ = 1 − Σθ, the mass outside the block (with the rounding allowance)
    tau = np.maximum(1.0 - th.sum(1), 0.0) + slack
    # what competes with the top: max(θ₂, τ) + ‖R_{2…r}‖_F
    rest = np.maximum(th[:, 1] if r > 1 else 0.0, tau) + np.sqrt((rho[:, 1:] ** 2).sum(1))
    with np.errstate(divide="ignore", invalid="ignore"):
        # σ₁² ≥ θ₁ + ‖R₁‖²/θ₁
        lower = t1 + r1 ** 2 / t1
        gap = t1 - rest
        # σ₁² ≤ θ₁ + ‖R₁‖²/(θ₁ − max(θ₂, τ) − ‖R_{2…r}‖_F)   where that gap is positive
        by_gap = np.where(gap > 0, t1 + r1 ** 2 / gap, np.inf)
        # σ₁² ≤ θ₁ + θ₁τ/(θ₁ − τ)   where θ₁ > τ
        by_mass = np.where(t1 > tau, t1 + t1 * tau / (t1 - tau), np.inf)
        # σ₁² ≤ max(θ₁, τ) + ‖R‖_F   (Weyl, no gap needed)
        by_weyl = np.maximum(t1, tau) + np.sqrt((rho ** 2).sum(1))
    return lower, np.minimum(np.minimum(by_gap, by_mass), by_weyl), gap, t1, tau


def _refine_sigma2(Q: Tensor, QZ: Tensor, fs: Tensor, Z: Tensor, pending: np.ndarray, s2: np.ndarray, tol: float,
                   slack: float, max_iter: int) -> None:
    """σ₁(Q̃_k)² into s2 for the rows in `pending`, which the block alone did not settle: Rayleigh–Ritz on the
    block, the residual bounds (_residual_bounds), and subspace iteration Z ← orth(GZ′) while the interval is
    wider than tol; rows no iteration can settle go to _exact_sigma2. The rows worked on are a contiguous
    range when the pending entries fill most of it, else a gathered copy (_rows)."""
    rows, Qs, fs_s = _rows(Q, fs, pending)
    sel = torch.from_numpy(rows).to(Q.device)
    Z, QZ, pend = Z[sel], QZ[sel], pending[rows]
    for it in range(max_iter):
        if it:
            # Q̃Z = QZ / ‖Q‖_F
            QZ = _times_block(Qs, Z) / fs_s
        th_t, Y = _eig_small(QZ.mT @ QZ, vectors=True)
        # the Ritz vectors u_j = ZY and Q̃u_j
        Z, QZ = _times_block(Z, Y), _times_block(QZ, Y)
        # G u_j = Q̃ᵀ(Q̃u_j)
        GZ = _times_block(Qs.mT, QZ) / fs_s
        # ‖R_j‖ = ‖G u_j − θ_j u_j‖
        rho = torch.linalg.vector_norm(GZ - Z * th_t[:, None, :], dim=1).double().cpu().numpy()
        lower, upper, gap, t1, tau = _residual_bounds(th_t.double().cpu().numpy(), rho, slack)
        with np.errstate(invalid="ignore"):
            ok = pend & (t1 > 0) & (upper - lower <= tol * lower)
        # the interval's geometric middle: off by at most half its width
        s2[rows[ok]] = np.sqrt(lower[ok] * upper[ok])
        # hopeless for iteration: nothing in the block, or (after one more try) the top holds less than
        # the trace outside the block
        lost = pend & ~ok & (~(t1 > 0) | ((gap <= 0) & (t1 <= tau) & (it >= 1)))
        if lost.any():
            sel = torch.from_numpy(np.flatnonzero(lost)).to(Q.device)
            s2[rows[lost]] = _exact_sigma2(Qs[sel], fs_s[sel], tol)
        pend = pend & ~ok & ~lost
        if not pend.any():
            return
        keep, Qs, fs_s = _rows(Qs, fs_s, pend)
        sel = torch.from_numpy(keep).to(Q.device)
        rows, pend = rows[keep], pend[keep]
        # one step of subspace iteration: Z ← orth(G u)
        Z = torch.linalg.qr(GZ[sel])[0]
    sel = torch.from_numpy(np.flatnonzero(pend)).to(Q.device)
    s2[rows[pend]] = _exact_sigma2(Qs[sel], fs_s[sel], tol)


def _top_sigma2(Q: Tensor, QZ: Tensor, fro: Tensor, blocks: list[Tensor], zblock: np.ndarray, tol: float,
                slack: float, max_iter: int = 8) -> np.ndarray:
    """σ₁(Q̃_k)² for a batch Q (K, n, n) with Frobenius norms fro (K,), Q̃_k = Q_k/fro_k, each certified to a
    relative width tol, given QZ_k = Q_k Z_k (K, n, r) for orthonormal blocks Z_k = blocks[zblock[k]] (n, r).

    Write G = Q̃ᵀQ̃ (so λ₁(G) = σ₁² and tr G = ‖Q̃‖_F² = 1). Z_k holds (nearly) the top right singular
    directions of Q_k: the chain refines its block as it goes, and products that share their left end
    share them nearly. A = (QZ/fro)ᵀ(QZ/fro) = ZᵀGZ has Ritz values θ₁ ≥ … ≥ θ_r, and τ = 1 − Σθ is the trace
    of G outside span Z. In the basis (Z, Z⊥), G = [[A, Eᵀ], [E, D]] with D ⪰ 0, λ_max(D) ≤ tr D = τ and
    ‖E‖² ≤ λ_max(A)·λ_max(D) (G ⪰ 0); when λ₁ > λ_max(D) the secular equation gives
    λ₁ ≤ θ₁ + ‖E‖²/(λ₁ − λ_max(D)), so

        θ₁ ≤ λ₁ ≤ θ₁ + θ₁τ/(θ₁ − τ)                                   (no further pass over Q: _block_bounds)

    which is tight once the block holds all but a sliver of the mass, as for long products, whose spectrum
    spreads exponentially with the lag. The others take a pass more (_refine_sigma2): with the Ritz vectors
    u₁ … u_r and residuals R = GZ' − Z'Θ ⟂ span Z, the same argument on the split (u₁ | the rest) gives

        θ₁ + ‖R₁‖²/θ₁ ≤ λ₁ ≤ θ₁ + ‖R₁‖²/(θ₁ − max(θ₂, τ) − ‖R_{2…r}‖_F)

    (and Weyl's λ₁ ≤ max(θ₁, τ) + ‖R‖_F, which needs no gap); subspace iteration (Z ← orth(GZ')) goes on
    while the interval is wider than tol. What no bound settles (a flat top of the spectrum: the shortest
    products, orthogonal-like ones) is computed exactly. `slack` widens τ for the rounding in fro and Σθ."""
    K, n, _ = Q.shape
    fs = fro[:, None, None]
    s2 = np.full(K, np.nan)
    # Q̃Z = QZ / ‖Q‖_F
    QZ = QZ / fs
    ok, t1, upper, flat = _block_bounds(QZ, n, tol, slack)
    # the interval's geometric middle: off by at most half its width
    s2[ok] = np.sqrt(t1[ok] * upper[ok])
    if flat.any():  # _exact_sigma2 recognises a flat spectrum without an eigensolver
        sel = torch.from_numpy(np.flatnonzero(flat)).to(Q.device)
        s2[flat] = _exact_sigma2(Q[sel], fs[sel], tol)
    pending = ~ok & ~flat
    if pending.any():
        Z = torch.stack(blocks)[torch.from_numpy(zblock).to(Q.device)]  # each row's block (K, n, r)
        _refine_sigma2(Q, QZ, fs, Z, pending, s2, tol, slack, max_iter)
    return s2


_Z0: dict = {}


def _start_block(n: int, r: int, dtype, device) -> Tensor:
    """A fixed orthonormal (n, r) block to start from (random directions, the same every call)."""
    key = (n, r, dtype, str(device))
    if key not in _Z0:
        z = torch.randn(n, r, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        _Z0[key] = torch.linalg.qr(z)[0].to(device=device, dtype=dtype)
    return _Z0[key]


class _Factors:
    """The factors J_tᵀ of one block of steps, t = a+1 … b, applied to the chain's product and to the probe.

    For the vanilla RNN J_tᵀ = W diag(f′(a_t)) is formed from W and f′(a_t) as a row, a group of steps at a
    time (the products between two measurements, at most MEASURE) in one batched product into the walk's
    buffer `jt`: one call, which both cores share, in place of one single-threaded call a step (4–6 % less
    time on two threads, the same on one, n = 128; the products are the same numbers). The gated cells'
    factors come from chain.factors, a block at a time. (Scaling the rows of Q instead, W (f′(a_t) ⊙ Q),
    costs as much arithmetic but reads each product just written by the matrix product's threads on another
    core: 15–20 % slower at n = 128.)"""

    def __init__(self, chain: Chain, a: int, b: int, jt: tuple[Tensor, tuple] | None, d64: Tensor | None,
                 W64: Tensor | None):
        if chain.fprime is not None:
            # f′(a_t) as rows (L, 1, n); jt is the walk's buffer for a group's factors and its views
            self.W, self.d, (self.jbuf, self.jv) = chain.W, chain.fprime[a:b, None, :], jt
            self.W64, self.d64 = W64, (d64[a:b].unbind(0) if d64 is not None else None)
            self.Jt = None
        else:
            self.Jt = chain.factors(a, b).mT.unbind(0)

    def run(self, X: Tensor, j: int, i: int, end: int, outs: tuple, alpha: float = 1.0) -> Tensor:
        """X ← J_tᵀX for the products outs[end − 1], …, outs[i] of a block that starts at outs[j] (the step's
        factor is the block's (b − j)-th), each written into its outs[b]; the last one is returned. The first
        product is multiplied by alpha, a power of two (BLAS's own factor on the product: exact, the same
        numbers as X scaled first, without a pass over X)."""
        if self.Jt is not None:
            Jt, off = self.Jt, j
        else:
            # J_tᵀ = W diag(f′(a_t)) for the group's steps: W's columns scaled
            torch.mul(self.W, self.d[i - j:end - j], out=self.jbuf[:end - i])
            Jt, off = self.jv, i
        b, mm = end - 1, torch.mm
        X = torch.addmm(outs[b], Jt[b - off], X, beta=0.0, alpha=alpha, out=outs[b])
        for b in range(end - 2, i - 1, -1):
            X = mm(Jt[b - off], X, out=outs[b])
        return X

    def apply64(self, t: int, v: Tensor) -> Tensor:
        """J_tᵀ v in float64, v (n,) float64."""
        if self.Jt is not None:
            return torch.mv(self.Jt[t].double(), v)
        # J_tᵀv = W (f′(a_t) ⊙ v)
        return torch.mv(self.W64, self.d64[t] * v)


class _Probe:
    """The gradient probe v_i = P_iᵀ vec, a chain of its own in float64, v ← J_iᵀ v, every step divided by the
    power of two of its largest entry (exact): it keeps its own scale, so it neither underflows when it
    shrinks faster than the products nor overflows when it grows faster."""

    def __init__(self, v64: Tensor, C: int):
        e0 = _pow2_exponent(v64)
        self.v = v64 * torch.exp2(-e0)
        self.q = float(e0) * LOG10_2  # v = 10^q · self.v at the start of the next block
        self.buf = torch.empty(C, v64.numel(), dtype=torch.float64, device=v64.device)  # the chunk's probes
        self.exp = torch.empty(C, dtype=torch.float64, device=v64.device)  # the power of two taken out at each
        self.base = np.empty(C)  # P_{lo+k}ᵀ vec = 10^base[k] · buf[k]

    def block(self, fac: _Factors, j: int, k: int) -> None:
        """The probe's steps through the block's factors: buf[i] for i = k … j."""
        pv = self.v
        for i in range(k, j - 1, -1):
            # v ← J_{i'}ᵀ v,  i' = lo + i + 1
            pv = fac.apply64(i - j, pv)
            e = _pow2_exponent(pv)
            # v ← v · 2^{−e}, exact
            pv = torch.mul(pv, torch.exp2(-e), out=self.buf[i])
            self.exp[i] = e
        # buf[i]'s probe is 10^q · 2^{powers taken out from step k down to i} · buf[i]
        taken = np.cumsum(self.exp[j:k + 1].cpu().numpy()[::-1])[::-1]
        self.base[j:k + 1] = self.q + LOG10_2 * taken
        self.q, self.v = float(self.base[j]), pv.clone()  # (a copy: buf is written again)

    def log10(self, sl: slice) -> np.ndarray:
        """log10‖P_iᵀ vec‖ for the chunk's entries sl: buf's largest entries lie in [½, 1), so a plain norm is
        exact to rounding."""
        g = torch.linalg.vector_norm(self.buf[sl], dim=1).cpu().numpy()
        with np.errstate(divide="ignore"):
            return self.base[sl] + np.log10(g)


def _start_probe(vec: Tensor, n: int, C: int, device, vout: np.ndarray) -> _Probe | None:
    """The probe for vec, or None where there is nothing to follow: a gradient that overflowed (or NaN) is
    ∞ (or NaN) at every lag (written into vout), a zero gradient stays −∞ at every lag."""
    v64 = vec.to(device=device, dtype=torch.float64).reshape(n)
    a = float(v64.abs().max())
    if not math.isfinite(a):
        vout[:] = math.nan if math.isnan(a) else math.inf
        return None
    return _Probe(v64, C) if a > 0 else None


def _block_length(seg: int, k: int, lag_k: int) -> int:
    """How many steps the next block takes, ending at buf[k] (lag lag_k): what the last block's growth allows
    (seg), at most STEPS, and short while the products are short (a quarter of the lag), so that the block
    Z turns with their top directions."""
    return max(1, min(seg, STEPS, k + 1, lag_k // 4 + 1))


def _next_block_length(lf: np.ndarray, lim: float) -> int:
    """The next block's length from how fast this one's norms (log10 ‖Q‖_F = lf, from its last product back
    to its first, one step each) grew or decayed per step at most: so that the next stays within 10^{±0.8 lim}."""
    L = lf.size
    # the largest |log10 ‖Q_i‖_F| / (steps from the block's start)
    rate = float(np.max(np.abs(lf) / np.arange(L, 0, -1)))
    return STEPS if rate == 0 else int(min(STEPS, max(1.0, 0.8 * lim / rate)))


def _frobenius(X: Tensor, f: Tensor, nlo: float, nhi: float) -> np.ndarray:
    """‖X_i‖_F for a block of products X (L, n, n) as float64, given the plain norms f (L,); where f lies
    outside [nlo, nhi] (tiny, huge, zero or not finite) taken again, scaled (_norm_parts: a true zero stays
    0, NaN stays NaN)."""
    f = f.double().cpu().numpy()
    redo = np.flatnonzero(~((f > nlo) & (f < nhi)))
    if redo.size:
        m_, e_ = _norm_parts(X[torch.from_numpy(redo).to(X.device)], (1, 2))
        # ‖X‖ = m·2^e
        f[redo] = m_ * np.exp2(e_)
    return f


def _halve_to_one(X: Tensor, f0: float, out: Tensor) -> tuple[Tensor, int]:
    """(X·2^{−e}, e) into out, with ‖X‖_F = f0 = m·2^e, ½ ≤ m < 1: divided by a power of two (exact, so no rounding
    adds up over thousands of blocks), in one product where 2^{−e} is a normal number of X's dtype, else in two
    halves, so that neither power of two overflows (a one-step block may leave a product far outside 10^{±lim})."""
    e = math.frexp(f0)[1]
    if abs(e) < math.frexp(torch.finfo(X.dtype).max)[1] - 2:  # 128 − 2 in float32, 1024 − 2 in float64
        return torch.mul(X, 2.0 ** -e, out=out), e
    # X ← X · 2^{−⌊e/2⌋} · 2^{−(e − ⌊e/2⌋)}
    return torch.mul(X * 2.0 ** -(e // 2), 2.0 ** -(e - e // 2), out=out), e


@dataclass
class _Chunk:
    """One chunk's products as the walk leaves them for certification: buf[k] ∝ P_{lo+k}ᵀ for k ≥ first."""

    base: np.ndarray  # P_{lo+k}ᵀ = 10^base[k] · buf[k]
    fro: np.ndarray  # ‖buf[k]‖_F, float64
    blocks: list  # the blocks Z the products were measured against
    zblock: np.ndarray  # QZ[k] = buf[k] · blocks[zblock[k]]
    first: int = 0  # the first entry that holds a product (an exact zero or NaN ended the chain before it)
    dead: bool = False  # an exactly zero (or non-finite) product ended the chain


class _Walk:
    """The chain Q = P_iᵀ/10^q, Q ← J_iᵀQ, walked from i = T down to 0, chunk by chunk, with what it carries
    from one chunk to the next: Q and its scale q, the next block's length, the block Z, the probe."""

    def __init__(self, chain: Chain, dtype, device, vec: Tensor | None, chunk: int | None):
        T, n = chain.T, chain.n
        self.chain, self.T = chain, T
        self.tol, self.slack, self.lim, auto_chunk = _settings(dtype, n)
        self.C = C = min(chunk or auto_chunk, T)
        self.r = min(BLOCK, n)
        fi = torch.finfo(dtype)
        # within [nlo, nhi] a plain ‖Q‖_F is exact to rounding (the squares that fall below the smallest normal
        # float add less than eps·‖Q‖², none overflows); outside it the norm is taken again, scaled
        self.nlo, self.nhi = n * math.sqrt(fi.tiny / fi.eps), 0.25 * math.sqrt(fi.max)
        # 2^{−e} is a normal number of the dtype for |e| below this (128 − 2 in float32, 1024 − 2 in float64)
        self.emax = math.frexp(fi.max)[1] - 2
        self.out = np.full(T, -np.inf)
        self.vout = np.full(T, -np.inf) if vec is not None else None
        self.probe = _start_probe(vec, n, C, device, self.vout) if vec is not None else None
        vanilla = chain.fprime is not None
        self.W64 = chain.W.double() if vanilla and self.probe is not None else None
        self.d64 = chain.fprime.double() if vanilla and self.probe is not None else None
        self.Z = _start_block(n, self.r, dtype, device)
        self.Q = torch.eye(n, dtype=dtype, device=device)
        self.qbuf = torch.empty(n, n, dtype=dtype, device=device)  # where each block's first Q is written
        self.q = 0.0  # P_iᵀ = 10^q · alpha · Q for the Q the next block starts from
        self.alpha = 1.0  # a power of two: the next block's first product is multiplied by it
        self.seg = 1  # the next block's length, adapted to what the blocks so far did
        self.buf = torch.empty(C, n, n, dtype=dtype, device=device)  # the chunk's products
        self.bv = self.buf.unbind(0)  # views of one product (made once)
        self.fbuf = torch.empty(C, dtype=dtype, device=device)  # their plain Frobenius norms
        # the vanilla RNN's factors J_tᵀ = W diag(f′(a_t)) for the steps between two measurements, and their views
        jbuf = torch.empty(min(MEASURE, C), n, n, dtype=dtype, device=device) if vanilla else None
        self.jt = (jbuf, jbuf.unbind(0)) if vanilla else None
        # Q_k Z_k (C, n, r), kept as its transpose (C, r, n): written as Zᵀ Q_kᵀ (_times_block)
        self.QZt = torch.empty(C, self.r, n, dtype=dtype, device=device)
        self.QZ = self.QZt.mT

    def _multiply(self, fac: _Factors, j: int, k: int) -> None:
        """buf[i] for i = k … j, from Q; each MEASURE products measured while still in cache: ‖Q_i‖_F into
        fbuf and Q_i Z into QZ (written as its transpose, QZt)."""
        X, alpha = self.Q, self.alpha
        for end in range(k + 1, j, -MEASURE):
            i = max(j, end - MEASURE)
            # buf[end − 1] … buf[i]: P_{i'−1}ᵀ = J_{i'}ᵀ P_{i'}ᵀ with i' = lo + i + 1
            X = fac.run(X, j, i, end, self.bv, alpha)
            alpha = 1.0
            torch.linalg.vector_norm(self.buf[i:end], dim=(1, 2), out=self.fbuf[i:end])
            # Q_i Z
            torch.bmm(self.Z.mT.expand(end - i, -1, -1), self.buf[i:end].mT, out=self.QZt[i:end])

    def chunk(self, lo: int, hi: int) -> _Chunk:
        """Walk the chain through buf[k] ∝ P_{lo+k}ᵀ, k = hi − lo − 1 … 0, in blocks of steps k, k−1, …, j.
        A block with a product outside 10^{±2 lim} of norm 1 (a sudden collapse, an exact zero, a non-finite
        number) is redone shorter, down to one step; a one-step product that is exactly zero or not finite
        ends the chain."""
        K = hi - lo
        ch = _Chunk(np.empty(K), np.empty(K), [self.Z], np.empty(K, dtype=np.int64))
        k = K - 1
        while k >= 0:
            L = _block_length(self.seg, k, self.T - lo - k)
            j = k - L + 1
            # the block's factors J_tᵀ, t = lo+j+1 … lo+k+1
            fac = _Factors(self.chain, lo + j, lo + k + 1, self.jt, self.d64, self.W64)
            self._multiply(fac, j, k)
            f = _frobenius(self.buf[j:k + 1], self.fbuf[j:k + 1], self.nlo, self.nhi)
            with np.errstate(divide="ignore", invalid="ignore"):
                lf = np.log10(f)
            if not (np.all(np.abs(lf) <= 2 * self.lim) and abs(lf[0]) <= self.lim):
                if L > 1:  # again, shorter
                    self.seg = max(1, L // 4)
                    continue
                if not (0.0 < f[0] < math.inf):
                    # one step from a rescaled product and exactly zero (so is every longer product), or
                    # not finite: the chain ends here
                    ch.dead, ch.first = True, k + 1
                    if not f[0] == 0.0:
                        self.out[:lo + k + 1] = np.nan
                        if self.vout is not None:
                            self.vout[:lo + k + 1] = np.nan
                    return ch
            ch.base[j:k + 1] = self.q
            ch.fro[j:k + 1] = f
            if self.probe is not None:  # the probe's steps through the same factors J_tᵀ
                self.probe.block(fac, j, k)
            ch.zblock[j:k + 1] = len(ch.blocks) - 1
            if self.T - lo - j < self.C or j == 0:
                # one step of subspace iteration on the block's last product: Z ← orth(QᵀQZ)
                self.Z = torch.linalg.qr(_times_block(self.bv[j].mT, self.QZ[j]))[0]
                ch.blocks.append(self.Z)
            # the next block: from the last product, divided by the power of two nearest its norm
            e = math.frexp(float(f[0]))[1]
            if j > 0 and abs(e) < self.emax:
                # as BLAS's factor on the next product (buf[j] stays: the next block, or its redo, writes below j)
                self.Q, self.alpha = self.bv[j], 2.0 ** -e
            else:
                # a copy, divided (the next chunk writes over buf[0]; a huge or tiny e takes two steps)
                self.Q, e = _halve_to_one(self.bv[j], float(f[0]), self.qbuf)
                self.alpha = 1.0
            # P_iᵀ = 10^q · alpha · Q: the power of two taken out goes into q
            self.q += e * LOG10_2
            self.seg = _next_block_length(lf, self.lim)
            k = j - 1
        return ch

    def certify(self, ch: _Chunk, lo: int, hi: int) -> None:
        """log10‖P_i‖₂ (and log10‖P_iᵀ vec‖) for the chunk's entries from ch.first on, into out (and vout)."""
        sl = slice(ch.first, hi - lo)
        buf = self.buf
        fro = torch.from_numpy(ch.fro[sl]).to(buf.device, buf.dtype)  # the dtype's copy, to scale the products by
        s2 = _top_sigma2(buf[sl], self.QZ[sl], fro, ch.blocks, ch.zblock[sl], self.tol, self.slack)
        with np.errstate(divide="ignore", invalid="ignore"):
            # log10‖P‖₂ = q + log10‖Q‖_F + ½ log10 σ₁(Q/‖Q‖_F)²
            self.out[lo + ch.first:hi] = ch.base[sl] + np.log10(ch.fro[sl]) + 0.5 * np.log10(s2)
        if self.probe is not None:
            self.vout[lo + ch.first:hi] = self.probe.log10(sl)


def _suffix_log10(chain: Chain, dtype, device, vec: Tensor | None = None,
                  chunk: int | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """log10‖P_i‖₂ for i = 0 … T−1 with P_i = J_T ⋯ J_{i+1}, and log10‖P_iᵀ vec‖ when vec (n,) is given
    (a vector chain of its own through the same factors, with its own scale: _Probe).

    The chain runs on Q = P_iᵀ/10^q, Q ← J_iᵀQ, one matrix product per step (for the vanilla RNN
    J_iᵀ = W diag(f′(a_i)) formed from W, a few steps at a time in one buffer: _Factors), in blocks of a few
    steps; log10 of the scale q is kept in float64. The blocks are as long as the growth or decay per step
    seen so far allows (at most STEPS) for the products to stay within 10^{±lim} of norm 1; each block
    starts from the last one's product divided by a power of two. Every MEASURE products are measured while
    they are still in cache: ‖Q‖_F and QZ for a block Z (n, r) of right singular directions. Q is rescaled
    after each block; a block with a product outside 10^{±2 lim} (a sudden collapse, an exact zero, a
    non-finite number) is redone shorter, down to one step (_Walk.chunk). Z takes one step of subspace
    iteration (Z ← orth(QᵀQZ)) on the last product of every block while the products are short and their
    top directions still turn, then once a chunk: spread along the chain these steps keep Z on the top
    directions, which products that share their left end nearly share. A chunk of products is then
    certified together (_top_sigma2), so memory stays O(chunk · n²) whatever T is."""
    walk = _Walk(chain, dtype, device, vec, chunk)
    for hi in range(chain.T, 0, -walk.C):
        lo = max(0, hi - walk.C)
        ch = walk.chunk(lo, hi)
        if ch.first < hi - lo:
            walk.certify(ch, lo, hi)
        if ch.dead:  # every longer lag keeps −∞ (an exact zero) or NaN
            break
    return walk.out, walk.vout


@torch.no_grad()
def jacobian_log10_norms(m, x) -> np.ndarray:
    """Entry i (i = 0 … T−1) is log10‖∂h_T/∂h_i‖₂ = log10‖∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}‖₂, a float64 array of
    length T; entry T−1 is one step's Jacobian. Finite at any T for finite inputs; −inf only where the
    product is exactly zero (a relu layer gone all dark, or W = 0). For an LSTM the state is (h, c).

    Where the forward pass itself overflows (a vanilla RNN whose a_t or h_t leaves the dtype's range, e.g.
    relu with W = 10·Q over 1000 steps), it raises a ValueError that names the first such step t: f′(a_t)
    would be read from ∞ or NaN there and an exploding net reported as vanished (−inf); the first t − 1
    steps are exact (pass x[:t − 1]). The linear RNN is exempt: f′ ≡ 1, its Jacobians do not read the state.
    rnn.analyze and the other functions of the chain raise the same way.

    It computes what reference_log10_norms below computes, in the model's dtype and without an SVD per
    lag; see that function for what this buys."""
    p = next(m.parameters())
    return _suffix_log10(_chain(m, x), p.dtype, p.device)[0]


@torch.no_grad()
def reference_log10_norms(m, x, jacobians: Tensor | None = None) -> np.ndarray:
    """The plain loop, equal to jacobian_log10_norms (same entries, same contract): the products
    P_i = ∂h_T/∂h_i built from the left in float64, P_i = P_{i+1}·J_{i+1}, divided by their largest entry
    after every step (the divisor's log10 kept apart, so nothing overflows or underflows), and an exact
    spectral norm (an SVD) of each. `jacobians` (T, n, n) replaces the model's own one-step Jacobians
    J_t = ∂h_t/∂h_{t-1} (the tests pass torch.func.jacrev's).

    Why the fast one exists: this loop takes an SVD per lag and holds all T Jacobians in float64, T·n² numbers
    (8·T·n² bytes, growing with T); the fast one holds a chunk of about CHUNK_BYTES of products, O(chunk·n²)
    whatever T is. `python -m benchmarks.run` measures the fast one (P1) and how closely the two agree
    (benchmarks/RESULTS.md, P1's check)."""
    J = state_jacobians(m, x) if jacobians is None else jacobians
    J = J.detach().to("cpu", torch.float64)  # J[t-1] = ∂h_t/∂h_{t-1}
    T, n, _ = J.shape
    out = np.full(T, -np.inf)
    P, log_c = torch.eye(n, dtype=torch.float64), 0.0  # ∂h_T/∂h_i = 10^{log_c} · P
    for i in range(T - 1, -1, -1):
        # ∂h_T/∂h_i = ∂h_T/∂h_{i+1} · ∂h_{i+1}/∂h_i
        P = P @ J[i]
        c = float(P.abs().max())
        if not 0.0 < c < math.inf:  # an exact zero (so is every longer product), or not a number
            out[:i + 1] = -np.inf if c == 0.0 else np.nan
            break
        P, log_c = P / c, log_c + math.log10(c)
        out[i] = log_c + math.log10(float(torch.linalg.matrix_norm(P, ord=2)))
    return out


def _output_grad(m, h_T: Tensor, y) -> Tensor:
    """∂L/∂h_T for L = ½‖ŷ_T − y‖²: δo = (ŷ_T − y) ⊙ g′(o_T), then δo Vᵀ; in float64 whatever the model's
    dtype, so that a large h_T in float32 does not overflow on the way."""
    V, b_y = m.V.to(torch.float64), m.b_y.to(torch.float64)
    o = h_T.to(torch.float64) @ V + b_y
    y = torch.as_tensor(y).to(dtype=o.dtype, device=o.device).reshape(o.shape)
    do = (m.out_act.f(o) - y) * m.out_act.df(o)
    return do @ V.T


@torch.no_grad()
def gradient_log10_norms(m, x, y) -> np.ndarray:
    """log10‖∂L/∂h_i‖ for i = 0 … T (length T+1) with L = ½‖ŷ_T − y‖²: what BPTT sends back to each state,
    computed in log space (finite where bptt's own float arithmetic would overflow). For an LSTM the
    norm is over the full state (∂L/∂h_i, ∂L/∂c_i)."""
    return _analyze_core(m, x, y)[1]


def _analyze_core(m, x, y):
    chain = _chain(m, x)
    p = next(m.parameters())
    g = _output_grad(m, chain.h_T, y)  # ∂L/∂h_T, (H,)
    # for the LSTM's state (h, c): ∂L/∂c_T = 0, the loss reads h_T only
    vec = torch.cat([g, torch.zeros_like(g)]) if chain.n == 2 * g.numel() else g
    logn, glog = _suffix_log10(chain, p.dtype, p.device, vec=vec)
    return logn, np.append(glog, _log10_norm(g)), chain.fprime


# ---------------------------------------------------------------------------------------------------------
# theory, slope and regime

def bound_log10(k: np.ndarray, gamma: float, sigma: float) -> np.ndarray:
    """log10 of Pascanu et al.'s bound (γ·σ_max)^k."""
    with np.errstate(divide="ignore"):
        return np.asarray(k, dtype=np.float64) * np.log10(gamma * sigma)


def rho_log10(k: np.ndarray, rho: float) -> np.ndarray:
    """log10 ρ^k, the growth rate of ‖W^k‖ (exact asymptotically for a linear RNN)."""
    with np.errstate(divide="ignore"):
        return np.asarray(k, dtype=np.float64) * np.log10(rho)


def slope_per_step(logn: np.ndarray) -> float:
    """Least-squares slope of log10‖∂h_T/∂h_{T−k}‖ against the lag k (decades per step), an estimate of the
    top Lyapunov exponent. The first 10% of lags (at most 10) are skipped as transient when T ≥ 20.
    −inf when the product is exactly zero at some lag."""
    logn = np.asarray(logn, dtype=np.float64)
    T = logn.size
    if T == 0:
        raise ValueError("expected at least one log-norm, got none")
    k = np.arange(T, 0, -1, dtype=np.float64)  # entry i has lag T − i
    if np.isneginf(logn).any():
        return -math.inf
    if T == 1:
        return float(logn[0])
    keep = k > (min(10, T // 10) if T >= 20 else 0)
    kk, ll = k[keep], logn[keep]
    kc = kk - kk.mean()
    return float((kc * (ll - ll.mean())).sum() / (kc * kc).sum())


# a unit whose f′(a_t) is below this is saturated: tanh′ < 1e-6 at |a| > 7.6, σ′ < 1e-6 at |a| > 13.8
SATURATED_FPRIME = 1e-6
# a line whose points stray less than this from the fit (RMS, decades) is straight whatever its slope
STEADY_RMS = 1.0


@dataclass
class LineFit:
    """How well one straight line describes log10‖∂h_T/∂h_{T−k}‖ over the lags slope_per_step fits."""

    slope: float  # decades per step (slope_per_step)
    rms: float  # RMS distance of the points from the fitted line, in decades
    span: float  # |slope|·(last fitted lag − first): the change the line itself makes over those lags
    steady: bool  # rms < max(STEADY_RMS, span): the slope names a rate the curve really keeps


def line_fit(logn: np.ndarray) -> LineFit:
    """slope_per_step with the size of its residual. A curve that strays from its fitted line by more than the
    line itself changes over the fitted lags (and by more than STEADY_RMS) has no steady rate: its slope's
    sign then says little (tanh at ρ = 100: most units saturated, each step's factor set by the few that are
    not, the norm rising and falling by many decades), and no regime should be read from it. Entries in
    slope_per_step's order (entry i has lag T − i)."""
    logn = np.asarray(logn, dtype=np.float64)
    s = slope_per_step(logn)
    T = logn.size
    if not math.isfinite(s) or T < 3:
        return LineFit(s, 0.0, math.inf if not math.isfinite(s) else 0.0, True)
    k = np.arange(T, 0, -1, dtype=np.float64)
    keep = k > (min(10, T // 10) if T >= 20 else 0)  # the lags slope_per_step fits
    kk, ll = k[keep], logn[keep]
    # residual of log10‖·‖ = a + s·k, a from the least-squares fit
    r = ll - (ll.mean() + s * (kk - kk.mean()))
    rms = float(np.sqrt((r * r).mean()))
    span = abs(s) * float(kk.max() - kk.min())
    return LineFit(s, rms, span, rms < max(STEADY_RMS, span))


def classify(slope: float, tol: float | None = None, kind: str = "rnn", lags: int | None = None) -> str:
    """The regime of a slope per step: 'vanishing' if slope < −tol, 'exploding' if slope > tol, else 'edge'
    (tol in decades per step; by default the cell's own, EDGE_TOLS[kind]: EDGE_TOL for the vanilla RNN "rnn",
    GATED_EDGE_TOL for "lstm" and "gru"); TOO_SHORT when the slope was measured over `lags` < REGIME_MIN_T
    lags. Every page's regime comes from here."""
    if lags is not None and lags < REGIME_MIN_T:
        return TOO_SHORT
    if tol is None:
        if kind not in EDGE_TOLS:
            raise ValueError(f"expected kind in {tuple(EDGE_TOLS)}, got {kind!r}")
        tol = EDGE_TOLS[kind]
    if math.isnan(slope):
        raise ValueError("expected a slope, got NaN")
    if slope < -tol:
        return "vanishing"
    if slope > tol:
        return "exploding"
    return "edge"


@dataclass
class Analysis:
    """Everything the Jacobian-product chart shows, as numpy arrays indexed by lag k = 1 … T."""

    lag: np.ndarray  # k = T − i
    log10_norm: np.ndarray  # log10‖∂h_T/∂h_{T−k}‖₂
    log10_grad: np.ndarray  # log10‖∂L/∂h_{T−k}‖
    log10_bound: np.ndarray | None  # k log10(γ σ_max) (vanilla only)
    log10_rho: np.ndarray | None  # k log10 ρ (vanilla only)
    log10_grad_T: float  # log10‖∂L/∂h_T‖ (lag 0)
    slope: float
    regime: str  # "vanishing", "edge", "exploding", or TOO_SHORT (classify)
    rho: float | None
    sigma_max: float | None
    gamma: float | None
    mean_abs_fprime: float | None


@torch.no_grad()
def analyze(m, x, y) -> Analysis:
    """The Jacobian-product norms, the BPTT gradient norms, the bounds, slope and regime in one pass (the regime
    by classify with the cell's own tolerance, EDGE_TOL for the vanilla RNN, GATED_EDGE_TOL for LSTM and GRU,
    and TOO_SHORT over fewer than REGIME_MIN_T steps)."""
    logn, glog, d = _analyze_core(m, x, y)
    if np.isnan(logn).any():  # only non-finite numbers in x or the weights get here
        raise ValueError("the products of Jacobians are NaN: x or the model's weights hold NaN or ±inf, and the "
                         "analysis needs finite numbers")
    T = logn.size
    lag = np.arange(T, 0, -1)[::-1].copy()  # 1 … T
    by_lag = logn[::-1].copy()  # entry k−1 is lag k
    g_by_lag = glog[:-1][::-1].copy()
    s = slope_per_step(logn)
    if isinstance(m, VanillaRNN):
        st = recurrent_stats(m.W)
        gamma = get_activation(m.act).gamma
        mean_fp = float(d.abs().mean())  # mean |f′(a_t)| over the trajectory
        return Analysis(lag, by_lag, g_by_lag, bound_log10(lag, gamma, st["sigma_max"]),
                        rho_log10(lag, st["rho"]), float(glog[-1]), s, classify(s, lags=T), st["rho"],
                        st["sigma_max"], gamma, mean_fp)
    return Analysis(lag, by_lag, g_by_lag, None, None, float(glog[-1]), s, classify(s, kind=m.kind, lags=T), None,
                    None, None, None)
