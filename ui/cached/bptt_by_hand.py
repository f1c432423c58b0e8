"""Cached engine calls of the page "BPTT by hand": hand BPTT (rnn.bptt) beside autograd's gradient
(rnn.bptt.autograd_grads, the reference), each step's term, the truncation sweep, one SGD step, and truncated
BPTT at one N. Plain Settings in, numpy arrays, floats and short lists out, never a model, so st.cache_data
can share them between visitors.
"""
from __future__ import annotations

import math
import numpy as np
import streamlit as st
import torch

import rnn
from rnn.bptt import autograd_grads
from rnn.jacobians import log10_norms

from . import one_at_a_slot
from ..limits import CACHE_ENTRIES
from ..settings import Settings
from .model import build

KEYS = ("U", "W", "V", "b_h", "b_y")
SGD_LR = 0.1  # α of the SGD step θ ← θ − α ∂L/∂θ shown on the page


def _log10_norms(t: torch.Tensor) -> np.ndarray:
    """log10 of the Frobenius norm of each row t[i] (any trailing shape), safe from overflow in the squares
    (rnn.jacobians.log10_norms); NaN where a row is not finite."""
    t = t.detach().to("cpu", torch.float64).reshape(t.shape[0], -1)
    out = log10_norms(t, (1,))
    out[~torch.isfinite(t).all(dim=1).numpy()] = np.nan
    return out


def _norm(t: torch.Tensor) -> float:
    """The Frobenius norm of t: 0 when t is 0, inf when t is not finite or its norm lies past float64's range."""
    v = float(_log10_norms(t.reshape(1, -1))[0])
    if math.isnan(v):
        return math.inf
    with np.errstate(over="ignore"):
        return float(np.power(10.0, v))


@st.cache_data(max_entries=CACHE_ENTRIES["bptt_report"], show_spinner="Running BPTT by hand and by autograd…")
@one_at_a_slot
def bptt_report(s: Settings) -> dict:
    """Everything the BPTT page shows for these settings: the loss, the gradient norms, the gradient check
    (hand BPTT against autograd), log10 of each step's term of ∂L/∂W, ∂L/∂U, ∂L/∂b_h, and the truncation
    sweep (cosine and norm ratio of the truncated ∂L/∂W against the full one, for every N)."""
    m, x, y = build(s)
    res = rnn.bptt(m, x, y)
    ref = autograd_grads(m, x, y)
    grads = {k: res.grads[k].detach().to("cpu", torch.float64) for k in KEYS}
    finite = math.isfinite(res.loss) and all(bool(torch.isfinite(g).all()) for g in grads.values())
    check = []
    for k in KEYS:
        d = (grads[k] - ref[k].to("cpu", torch.float64)).abs()
        big = float(ref[k].abs().max())
        err = float(d.max())
        check.append({"parameter": k, "shape": " × ".join(map(str, grads[k].shape)),
                      "max_abs_error": err, "max_rel_error": err / big if big > 0 else err})
    # log10‖term of step t‖ for t = 1 … T, one row per step
    per_step = {k: _log10_norms(res.per_step[k]) for k in ("W", "U", "b_h")}
    y_hat, h = m(x)
    out = {"T": s.T, "loss": float(res.loss), "finite": finite, "check": check,
           "norms": {k: _norm(grads[k]) for k in KEYS}, "per_step": per_step,
           "y_hat_T": y_hat[-1].detach().cpu().tolist(), "y": y.detach().cpu().tolist(),
           "h_T_norm": _norm(h[-1]), "sweep": None, "sgd": None}
    if finite:
        out["sweep"] = _truncation_sweep(res.per_step["W"].detach().to("cpu", torch.float64))
        out["sgd"] = _sgd_step(m, x, y, res.grads, res.loss)
    return out


def _truncation_sweep(per_W: torch.Tensor) -> dict:
    """For N = 0 … T−1 the truncated gradient keeps the terms of steps T−N … T (rnn.bptt's truncation=N for
    the loss at step T), so it is a partial sum from the end: g_N = Σ_{t=T−N}^{T} term_t. Summed step by step
    (no (T, n²) cumulative array beside the terms), each g_N compared with g = g_{T−1}."""
    T = per_W.shape[0]
    flat = per_W.reshape(T, -1)
    full = flat.sum(0)
    fn = float(torch.linalg.vector_norm(full))
    g = torch.zeros_like(full)
    cos, ratio = np.empty(T), np.empty(T)
    for N in range(T):
        g += flat[T - 1 - N]
        gn = float(torch.linalg.vector_norm(g))
        cos[N] = float(g @ full) / (gn * fn) if gn > 0 and fn > 0 else math.nan
        ratio[N] = math.log10(gn / fn) if gn > 0 and fn > 0 else math.nan
    return {"N": np.arange(T), "cos": cos, "log10_ratio": ratio}


def _sgd_step(m, x, y, grads: dict, loss: float) -> dict:
    """One SGD step θ ← θ − α ∂L/∂θ on a copy of the weights, and the loss after it."""
    with torch.no_grad():
        p = {k: getattr(m, k).detach().clone() for k in KEYS}
        for k in KEYS:
            getattr(m, k).sub_(SGD_LR * grads[k])
        after = float(0.5 * ((m(x)[0][-1] - y) ** 2).sum())
        for k in KEYS:
            getattr(m, k).copy_(p[k])
    w = _norm(p["W"])
    return {"lr": SGD_LR, "loss_after": after, "rel_step_W": SGD_LR * _norm(grads["W"]) / w if w else math.inf}


@st.cache_data(max_entries=CACHE_ENTRIES["truncated"], show_spinner=False)
@one_at_a_slot
def truncated(s: Settings, N: int) -> dict:
    """rnn.bptt with truncation=N: ∂L/∂W and how it compares with full BPTT's (cosine, norm ratio)."""
    m, x, y = build(s)
    full = rnn.bptt(m, x, y).grads["W"].detach().to("cpu", torch.float64).flatten()
    part = rnn.bptt(m, x, y, truncation=N).grads["W"].detach().to("cpu", torch.float64).flatten()
    fn, pn = _norm(full), _norm(part)
    cos = float(part @ full) / (pn * fn) if fn > 0 and pn > 0 and math.isfinite(fn * pn) else math.nan
    return {"N": N, "norm": pn, "full_norm": fn, "cos": cos, "ratio": pn / fn if fn > 0 else math.nan}
