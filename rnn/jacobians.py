"""Products of state Jacobians ∂h_T/∂h_i = ∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}, their norms in log space, the
theory bounds, the slope per step and the regime.

For the vanilla RNN h_j = f(a_j), a_j = Uᵀx_j + Wᵀh_{j-1} + b_h, each factor is

    ∂h_j/∂h_{j-1} = diag(f′(a_j)) Wᵀ,       ‖∂h_j/∂h_{j-1}‖₂ ≤ γ·σ_max(W)   (γ = sup|f′|)

so ‖∂h_T/∂h_{T-k}‖₂ ≤ (γ·σ_max)^k: below 1 it must vanish (Pascanu, Mikolov & Bengio 2013, §3.2). For a
linear RNN the product is W^{k}ᵀ and ‖W^k‖^{1/k} → ρ(W) (Gelfand), hence the ρ^k overlay.

Numerics. The suffix products P_i = ∂h_T/∂h_i are built from the left, P_{i-1} = P_i J_i, and renormalised
after every product: P_i = c_i M_i with ‖M_i‖_F = 1 and log10 c_i accumulated in float64. So nothing
overflows or underflows at any T (W = 1.5·Q at T = 3000 gives 528.3, W = 0.5·Q gives −903.1). The spectral
norms ‖M_i‖₂ come from a batched power iteration on M_i M_iᵀ, warm-started with the previous left singular
vector (the products share their left end J_T, so it barely moves); an entry whose iteration has not
provably converged is computed exactly by SVD. The normalised products live in chunks, so memory stays
O(chunk · n²) whatever T is.

The slope of log10‖P‖ against the lag k estimates the top Lyapunov exponent λ₁ (per step, in log10 units;
λ₁ in nats is slope·ln 10). Regimes, with EDGE_TOL = 0.01 decades per step (a factor 10^{±1} per 100 steps):
vanishing if slope < −EDGE_TOL, exploding if slope > +EDGE_TOL, edge otherwise.

The same analysis runs for the LSTM over its full state (h, c) and for the GRU over h, with their Jacobians
written out by hand from torch's gate equations (tested against torch.func.jacrev).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .activations import get_activation
from .init import recurrent_stats
from .model import GatedRNN, VanillaRNN, as_sequence

Tensor = torch.Tensor
EDGE_TOL = 0.01
REGIMES = ("vanishing", "edge", "exploding")
CHUNK = 256


# ---------------------------------------------------------------------------------------------------------
# the factors ∂s_t/∂s_{t-1} for t = lo+1 … hi, batched: a callable (lo, hi) -> (hi − lo, n, n)

def _one_sequence(m, x):
    p = next(m.parameters())
    xs, batched = as_sequence(x, m.input_size, p.dtype, p.device)
    if xs.shape[1] != 1:
        raise ValueError(f"expected one sequence, x of shape (T, {m.input_size}) or (T, 1, {m.input_size}), "
                         f"got {tuple(torch.as_tensor(x).shape)}")
    return xs


def _vanilla_factors(m: VanillaRNN, xs: Tensor):
    tr = m.unroll(xs)
    d = m.act.df(tr.a[:, 0])  # f′(a_t), (T, H)
    WT = m.W.T

    def factors(lo: int, hi: int) -> Tensor:
        # ∂h_t/∂h_{t-1} = diag(f′(a_t)) Wᵀ                                                 (K, H, H)
        return d[lo:hi, :, None] * WT

    return factors, tr, d


def _lstm_factors(m: GatedRNN, xs: Tensor):
    u = m.unroll(xs)
    H = m.hidden_size
    Wi, Wf, Wg, Wo = m.core.weight_hh_l0.split(H, dim=0)  # each (H, H): gate pre-activation = … + W h
    i, f, g, o = (u[k][:, 0] for k in "ifgo")  # (T, H)
    c_prev, c = u["c"][:-1, 0], u["c"][1:, 0]
    tc = torch.tanh(c)

    def factors(lo: int, hi: int) -> Tensor:
        s = slice(lo, hi)
        col = lambda v: v[s, :, None]  # diag(v) A as a row scaling
        # ∂c_t/∂h_{t-1} = diag(c_{t-1} f′) W_f + diag(g i′) W_i + diag(i g′) W_g,  σ′ = σ(1−σ), tanh′ = 1 − tanh²
        dc_dh = (col(c_prev * f * (1 - f)) * Wf + col(g * i * (1 - i)) * Wi + col(i * (1 - g * g)) * Wg)
        # ∂c_t/∂c_{t-1} = diag(f)
        dc_dc = torch.diag_embed(f[s])
        # h_t = o ⊙ tanh(c_t):  ∂h_t/∂· = diag(tanh(c_t) o′) ∂(W_o h)/∂· + diag(o tanh′(c_t)) ∂c_t/∂·
        k = col(o * (1 - tc * tc))
        dh_dh = col(tc * o * (1 - o)) * Wo + k * dc_dh
        dh_dc = k * dc_dc
        top = torch.cat([dh_dh, dh_dc], dim=2)
        bottom = torch.cat([dc_dh, dc_dc], dim=2)
        return torch.cat([top, bottom], dim=1)  # state (h, c): (K, 2H, 2H)

    return factors, u


def _gru_factors(m: GatedRNN, xs: Tensor):
    u = m.unroll(xs)
    H = m.hidden_size
    Wr, Wz, Wn = m.core.weight_hh_l0.split(H, dim=0)
    r, z, n, hn = (u[k][:, 0] for k in ("r", "z", "n", "hn"))
    h_prev = u["h"][:-1, 0]

    def factors(lo: int, hi: int) -> Tensor:
        s = slice(lo, hi)
        col = lambda v: v[s, :, None]
        # n = tanh(x_n + r ⊙ (W_n h + b_n)):  ∂n/∂h = diag(n′)[diag(r) W_n + diag(W_n h + b_n) diag(r′) W_r]
        dn = col(1 - n * n) * (col(r) * Wn + col(hn * r * (1 - r)) * Wr)
        # h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}:  ∂h_t/∂h_{t-1} = diag(z) + diag(h_{t-1} − n) diag(z′) W_z + diag(1 − z) ∂n/∂h
        return (torch.diag_embed(z[s]) + col((h_prev - n) * z * (1 - z)) * Wz + col(1 - z) * dn)

    return factors, u


def _factors(m, xs):
    if isinstance(m, VanillaRNN):
        return _vanilla_factors(m, xs)[0]
    if isinstance(m, GatedRNN):
        return (_lstm_factors if m.kind == "lstm" else _gru_factors)(m, xs)[0]
    raise ValueError(f"expected an rnn.VanillaRNN or rnn.GatedRNN, got {type(m).__name__}")


@torch.no_grad()
def state_jacobians(m, x) -> Tensor:
    """All one-step Jacobians ∂s_t/∂s_{t-1}, t = 1 … T, stacked (T, n, n); s = h, or (h, c) for the LSTM.
    Memory T·n²: meant for short sequences (the log-norms never build this stack)."""
    xs = _one_sequence(m, x)
    return _factors(m, xs)(0, xs.shape[0])


# ---------------------------------------------------------------------------------------------------------
# the suffix products in log space

def _spectral_norms(M: Tensor, u0: Tensor, tol: float, max_iter: int = 40) -> tuple[Tensor, Tensor]:
    """‖M_k‖₂ for a batch M (K, n, n), by power iteration on M Mᵀ from u0 (n,) with an exact SVD for the
    entries whose convergence is not certain. Returns (norms (K,), the last left vector (n,))."""
    K, n, _ = M.shape
    u = u0.expand(K, n).unsqueeze(2).contiguous()  # (K, n, 1)
    Mt = M.transpose(1, 2)
    est = torch.zeros(K, dtype=M.dtype, device=M.device)
    prev_delta = None
    ok = torch.zeros(K, dtype=torch.bool, device=M.device)
    for _ in range(max_iter):
        v = torch.bmm(Mt, u)  # Mᵀu
        new = torch.linalg.vector_norm(v, dim=(1, 2))  # ‖Mᵀu‖ ≤ ‖M‖₂ for unit u, increasing
        u = torch.bmm(M, v)
        u = u / torch.linalg.vector_norm(u, dim=(1, 2), keepdim=True).clamp_min(torch.finfo(M.dtype).tiny)
        delta = (new - est).abs()
        if prev_delta is not None:
            # the estimate converges linearly, error_k ≈ δ_k r/(1 − r) with r ≈ δ_k/δ_{k-1}
            r = (delta / prev_delta.clamp_min(torch.finfo(M.dtype).tiny)).clamp(max=1.0)
            left = torch.where(r < 0.99, delta * r / (1 - r), torch.full_like(delta, math.inf))
            ok = (delta <= tol * new) & ((left <= tol * new) | (delta == 0))
        est, prev_delta = new, delta
        if bool(ok.all()):
            break
    if not bool(ok.all()):
        bad = (~ok).nonzero().squeeze(1)
        est = est.clone()
        est[bad] = torch.linalg.matrix_norm(M[bad], ord=2)
    last = u[-1, :, 0]
    return est, last


def _suffix_log10(factors, T: int, n: int, dtype, device, vec: Tensor | None = None,
                  chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray | None]:
    """log10‖P_i‖₂ for i = 0 … T−1 with P_i = J_T ⋯ J_{i+1}, and log10‖vec P_i‖ when vec (n,) is given."""
    tol = 1e-13 if dtype == torch.float64 else 1e-6
    M = torch.eye(n, dtype=dtype, device=device)
    u = torch.randn(n, generator=torch.Generator().manual_seed(0), dtype=torch.float64).to(device, dtype)
    u = u / torch.linalg.vector_norm(u)
    logc = torch.zeros((), dtype=torch.float64, device=device)  # log10 c_i of the entry last written
    out = torch.empty(T, dtype=torch.float64, device=device)
    vout = torch.empty(T, dtype=torch.float64, device=device) if vec is not None else None
    for hi in range(T, 0, -chunk):
        lo = max(0, hi - chunk)
        J = factors(lo, hi)  # J_{lo+1} … J_{hi}: (K, n, n)
        K = hi - lo
        buf = torch.empty(K, n, n, dtype=dtype, device=device)
        fro = torch.empty(K, dtype=dtype, device=device)
        for k in range(K - 1, -1, -1):
            # P_{t-1} = P_t J_t with t = lo + k + 1, then P = c M with ‖M‖_F = 1
            P = M @ J[k]
            s = torch.linalg.vector_norm(P)
            fro[k] = s
            M = torch.div(P, torch.where(s > 0, s, torch.ones_like(s)), out=buf[k])
        # log10 c for each entry of the chunk, accumulated backwards from the end of the chunk
        steps = torch.log10(fro.to(torch.float64)).flip(0).cumsum(0).flip(0)
        logs = logc + steps  # (K,)
        sn, u = _spectral_norms(buf, u, tol)
        out[lo:hi] = logs + torch.log10(sn.to(torch.float64))
        if vec is not None:
            gv = torch.linalg.vector_norm(vec.to(dtype) @ buf, dim=1)  # ‖vec M_i‖, (K,)
            vout[lo:hi] = logs + torch.log10(gv.to(torch.float64))
        logc = logs[0]
    res = out.cpu().numpy()
    return res, (vout.cpu().numpy() if vout is not None else None)


@torch.no_grad()
def jacobian_log10_norms(m, x) -> np.ndarray:
    """Entry i (i = 0 … T−1) is log10‖∂h_T/∂h_i‖₂ = log10‖∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}‖₂, a float64 array of
    length T; entry T−1 is one step's Jacobian. Finite at any T for finite inputs; −inf only where the
    product is exactly zero (a relu layer gone all dark, or W = 0). For an LSTM the state is (h, c)."""
    xs = _one_sequence(m, x)
    factors = _factors(m, xs)
    T = xs.shape[0]
    n = factors(T - 1, T).shape[-1]
    p = next(m.parameters())
    return _suffix_log10(factors, T, n, p.dtype, p.device)[0]


def _output_grad(m, h_T: Tensor, y) -> Tensor:
    """∂L/∂h_T for L = ½‖ŷ_T − y‖²: δo = (ŷ_T − y) ⊙ g′(o_T), then δo Vᵀ."""
    o = h_T @ m.V + m.b_y
    y = torch.as_tensor(y, dtype=o.dtype, device=o.device).reshape(o.shape)
    do = (m.out_act.f(o) - y) * m.out_act.df(o)
    return do @ m.V.T


@torch.no_grad()
def gradient_log10_norms(m, x, y) -> np.ndarray:
    """log10‖∂L/∂h_i‖ for i = 0 … T (length T+1) with L = ½‖ŷ_T − y‖²: what BPTT sends back to each state,
    computed in log space (finite where bptt's own float arithmetic would overflow). For an LSTM the
    norm is over the full state (∂L/∂h_i, ∂L/∂c_i)."""
    return _analyze_core(m, x, y)[1]


def _analyze_core(m, x, y):
    xs = _one_sequence(m, x)
    T = xs.shape[0]
    p = next(m.parameters())
    factors = _factors(m, xs)
    n = factors(T - 1, T).shape[-1]
    if isinstance(m, VanillaRNN):
        h_T = m.unroll(xs).h[-1, 0]
    else:
        h_T = m.unroll(xs)["h"][-1, 0]
    g = _output_grad(m, h_T, y)  # ∂L/∂h_T, (H,)
    vec = torch.cat([g, torch.zeros_like(g)]) if n == 2 * g.numel() else g
    logn, glog = _suffix_log10(factors, T, n, p.dtype, p.device, vec=vec)
    g_T = float(torch.log10(torch.linalg.vector_norm(g).to(torch.float64)))
    return logn, np.append(glog, g_T)


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


def classify(slope: float, tol: float = EDGE_TOL) -> str:
    """'vanishing' if slope < −tol, 'exploding' if slope > tol, else 'edge' (tol in decades per step)."""
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
    regime: str
    rho: float | None
    sigma_max: float | None
    gamma: float | None
    mean_abs_fprime: float | None


@torch.no_grad()
def analyze(m, x, y) -> Analysis:
    """The Jacobian-product norms, the BPTT gradient norms, the bounds, slope and regime in one pass."""
    logn, glog = _analyze_core(m, x, y)
    T = logn.size
    lag = np.arange(T, 0, -1)[::-1].copy()  # 1 … T
    by_lag = logn[::-1].copy()  # entry k−1 is lag k
    g_by_lag = glog[:-1][::-1].copy()
    s = slope_per_step(logn)
    if isinstance(m, VanillaRNN):
        st = recurrent_stats(m.W)
        gamma = get_activation(m.act).gamma
        xs = _one_sequence(m, x)
        mean_fp = float(m.act.df(m.unroll(xs).a).abs().mean())
        return Analysis(lag, by_lag, g_by_lag, bound_log10(lag, gamma, st["sigma_max"]),
                        rho_log10(lag, st["rho"]), float(glog[-1]), s, classify(s), st["rho"],
                        st["sigma_max"], gamma, mean_fp)
    return Analysis(lag, by_lag, g_by_lag, None, None, float(glog[-1]), s, classify(s), None, None, None, None)
