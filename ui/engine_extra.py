"""Cached calls into the engine for the pages "BPTT by hand", "Gated cells" and "Phase diagram", and the
one Streamlit block every page uses for a chart (the chart, its caption and a CSV download of its data).

Like ui/engine.py, the cached functions take plain values and return numpy arrays, floats and short
lists, never a model, so st.cache_data can share them between visitors. The mathematics is rnn's:
rnn.bptt (by hand), rnn.bptt.autograd_grads (the reference), rnn.jacobian_log10_norms, slope_per_step.
"""
from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st
import torch

import rnn
from rnn.bptt import autograd_grads
from rnn.init import recurrent_stats
from rnn.jacobians import log10_norms

from .engine import analysis, build
from .settings import Settings

KEYS = ("U", "W", "V", "b_h", "b_y")
SGD_LR = 0.1  # α of the SGD step θ ← θ − α ∂L/∂θ shown on the page
# the phase diagram runs one model per cell: its size is capped so the grid renders in seconds
PHASE_MAX_HIDDEN = 64
PHASE_MAX_T = 500
PHASE_SCALES = (0.18, 0.25, 0.35, 0.5, 0.71, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)  # about ×√2 apart
PHASE_LENGTHS = (10, 20, 50, 100, 200, 500)


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


@st.cache_data(max_entries=32, show_spinner="Running BPTT by hand and by autograd…")
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


@st.cache_data(max_entries=64, show_spinner=False)
def truncated(s: Settings, N: int) -> dict:
    """rnn.bptt with truncation=N: ∂L/∂W and how it compares with full BPTT's (cosine, norm ratio)."""
    m, x, y = build(s)
    full = rnn.bptt(m, x, y).grads["W"].detach().to("cpu", torch.float64).flatten()
    part = rnn.bptt(m, x, y, truncation=N).grads["W"].detach().to("cpu", torch.float64).flatten()
    fn, pn = _norm(full), _norm(part)
    cos = float(part @ full) / (pn * fn) if fn > 0 and pn > 0 and math.isfinite(fn * pn) else math.nan
    return {"N": N, "norm": pn, "full_norm": fn, "cos": cos, "ratio": pn / fn if fn > 0 else math.nan}


def cells(s: Settings, gate_bias: float = 1.0) -> dict[str, dict]:
    """ui.engine.analysis for the vanilla RNN, the LSTM and the GRU on the same inputs and seed, the gated
    cells' memory gates (forget f, update z) starting at bias `gate_bias`."""
    return {kind: analysis(s, kind, gate_bias) for kind in ("rnn", "lstm", "gru")}


def phase_base(s: Settings) -> Settings:
    """The settings the phase diagram runs with: hidden capped; T, scale and activation are set per cell
    (fixed here so that the cache key holds only what the grid depends on)."""
    return replace(s, hidden=min(s.hidden, PHASE_MAX_HIDDEN), T=1, scale=1.0, activation="tanh")


def _cell(base: Settings, scale: float, T: int) -> tuple[float, float]:
    m, x, _ = build(replace(base, scale=scale, T=T))
    logn = rnn.jacobian_log10_norms(m, x)
    return float(rnn.slope_per_step(logn)), float(logn[0])


@st.cache_data(max_entries=512, show_spinner=False)
def phase_row(base: Settings, activation: str, T: int, scales: tuple[float, ...] = PHASE_SCALES) -> list[dict]:
    """One row of the phase diagram: for each scale, the slope per step of log10‖∂h_T/∂h_{T−k}‖ against k
    and log10‖∂h_T/∂h_0‖ (these two may be ±inf; the chart builder makes them finite)."""
    b = replace(base, activation=activation)
    rows = []
    for sc in scales:
        slope, lag_T = _cell(b, sc, T)
        rows.append({"activation": activation, "T": T, "scale": sc, "slope": slope, "log10_norm_T": lag_T})
    return rows


def phase_grid(base: Settings, activations, lengths, scales: tuple[float, ...] = PHASE_SCALES) -> pd.DataFrame:
    """The grid activation × T × scale, row by row (each row cached on its own, so the two diagrams share
    rows), with a progress bar while rows are computed."""
    todo = [(a, int(T)) for a in activations for T in lengths]
    bar = st.progress(0.0, text="Computing the phase diagram: one network per cell…")
    out = []
    for i, (a, T) in enumerate(todo):
        bar.progress(i / len(todo), text=f"Computing the phase diagram, one network per cell: {a}, T = {T}")
        out += phase_row(base, a, T, tuple(scales))
    bar.empty()
    return pd.DataFrame(out)


@st.cache_data(max_entries=16, show_spinner=False)
def critical_scales(base: Settings) -> dict:
    """Where the critical lines sit on the scale axis. W = scale·W₁ with W₁ the unit-scale matrix, so
    σ_max(W) = scale·σ_max(W₁): the bound γ·σ_max = 1 is at scale = 1/(γ·σ_max(W₁)) for each activation."""
    m, _, _ = build(replace(base, scale=1.0))
    stats = recurrent_stats(m.W)
    bound = {a: 1.0 / (rnn.get_activation(a).gamma * stats["sigma_max"]) for a in rnn.ACTIVATIONS}
    return {"sigma_max_unit": stats["sigma_max"], "rho_unit": stats["rho"], "bound": bound}


def chart_block(chart, frame: pd.DataFrame, caption: str, file_name: str, key: str | None = None,
                on_select=None, label: str = "Download the data (CSV)", width: str | None = "stretch", **kw):
    """The chart (or a list of charts that share one caption), its caption (what the axes are, what to look
    for) and a CSV download of its data, made on click. `width` None keeps a faceted chart at its own
    width. Returns the selection state of the (last) chart."""
    event = None
    for i, c in enumerate(chart if isinstance(chart, (list, tuple)) else [chart]):
        k = key if key is None or i == 0 else f"{key}_{i}"
        if on_select is None:
            event = st.altair_chart(c, width=width, key=k, **kw)
        else:
            event = st.altair_chart(c, width=width, key=k, on_select=on_select, **kw)
    st.caption(caption)
    st.download_button(label, partial(frame.to_csv, index=False), file_name=file_name, mime="text/csv",
                       icon=":material/download:", on_click="ignore", key=f"dl_{file_name}")
    return event
