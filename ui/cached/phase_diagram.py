"""Cached engine calls of the page "Phase diagram": one vanilla RNN per cell of the grid scale × T and
scale × activation (each row cached on its own, so the two diagrams share rows), and where the critical lines
sit on the scale axis."""
from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st

import rnn
from rnn.init import recurrent_stats
from rnn.jacobians import cut_before_overflow

from . import one_at_a_slot
from ..limits import CACHE_ENTRIES, PHASE_MAX_HIDDEN, PHASE_SCALES
from ..settings import Settings
from .model import build


def phase_base(s: Settings) -> Settings:
    """The settings the phase diagram runs with: hidden capped; T, scale and activation are set per cell
    (fixed here so that the cache key holds only what the grid depends on)."""
    return replace(s, hidden=min(s.hidden, PHASE_MAX_HIDDEN), T=1, scale=1.0, activation="tanh")


def _cell(base: Settings, scale: float, T: int) -> tuple[float, float]:
    m, x, _ = build(replace(base, scale=scale, T=T))
    # a forward pass that leaves float64's range (relu at scale 8 passes 10^308 near step 400) is measured
    # over the steps before, where every f′(a_t) is exact, as every page does
    logn = rnn.jacobian_log10_norms(m, cut_before_overflow(m, x).x)
    return float(rnn.slope_per_step(logn)), float(logn[0])


@st.cache_data(max_entries=CACHE_ENTRIES["phase_row"], show_spinner=False)
@one_at_a_slot
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


@st.cache_data(max_entries=CACHE_ENTRIES["critical_scales"], show_spinner=False)
@one_at_a_slot
def critical_scales(base: Settings) -> dict:
    """Where the critical lines sit on the scale axis. W = scale·W₁ with W₁ the unit-scale matrix, so
    σ_max(W) = scale·σ_max(W₁): the bound γ·σ_max = 1 is at scale = 1/(γ·σ_max(W₁)) for each activation."""
    m, _, _ = build(replace(base, scale=1.0))
    stats = recurrent_stats(m.W)
    bound = {a: 1.0 / (rnn.get_activation(a).gamma * stats["sigma_max"]) for a in rnn.ACTIVATIONS}
    return {"sigma_max_unit": stats["sigma_max"], "rho_unit": stats["rho"], "bound": bound}
