"""Cached engine calls of the page "Theory" (and the mean-field sentence of "Jacobian products"): the
mean-field prediction for the sidebar's model, the gain × input-scale diagram with its theoretical critical
curve, the Lyapunov spectra of the three cells on one input, and the singular values of a product of
Jacobians for Gaussian and orthogonal W. Plain Settings in, numpy arrays and dicts out.

References: Poole et al. 2016 and Chen, Pennington & Schoenholz 2018 (mean field, the edge of chaos);
Engelken, Wolf & Abbott 2020 (Lyapunov spectra of RNNs); Pennington, Schoenholz & Ganguli 2017 (dynamical
isometry)."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import streamlit as st

import rnn
from rnn.jacobians import cut_before_overflow

from . import one_at_a_slot
from ..limits import (CACHE_ENTRIES, PHASE_MAX_HIDDEN, PHASE_MAX_T, THEORY_GAINS, THEORY_INPUT_SCALES,
                      THEORY_MAX_LAG, THEORY_MIN_HIDDEN)
from ..settings import INIT_NAMES, Settings
from . import model  # read at call time: a test's stand-in for model.build never sticks here

CELLS = ("rnn", "lstm", "gru")


def _before_overflow(m, x):
    """x cut to the steps before the forward pass leaves float64's range (rnn.jacobians.cut_before_overflow, as
    every page), so that every f′(a_t) the chain reads is exact; x itself when it never does (or when the
    Jacobians do not read the state: the linear RNN)."""
    return cut_before_overflow(m, x).x


def theory_gap(s: Settings) -> str | None:
    """Why mean-field theory does not describe this model (a sentence for the page), or None when it does:
    it assumes W with independent Gaussian entries and a wide network."""
    if s.init != "gaussian":
        return (f"Mean-field theory assumes W with independent Gaussian entries; this W is "
                f"{INIT_NAMES[s.init]}, whose products of Jacobians behave differently, so the theory's slope is "
                "no prediction for it.")
    if s.hidden < THEORY_MIN_HIDDEN:
        return (f"Mean-field theory describes wide networks; with n = {s.hidden} hidden units the averages it "
                "relies on do not settle, so the theory's slope is no prediction for it.")
    return None


@st.cache_data(max_entries=CACHE_ENTRIES["mean_field"], show_spinner=False)
@one_at_a_slot
def mean_field(s: Settings) -> dict:
    """rnn.mean_field_for on the sidebar's vanilla RNN (its own W, U, b_h and input scale): σ_w², σ_b², q*,
    χ₁, the predicted slope (decades per step) and whether the solve converged; "gap" says why the theory
    does not apply here (None when it does)."""
    m, _, _ = model.build(s)
    mf = rnn.mean_field_for(m, s.input_scale)
    return {"sigma_w2": mf.sigma_w2, "sigma_b2": mf.sigma_b2, "q_star": mf.q_star, "chi1": mf.chi1,
            "slope": mf.slope, "converged": mf.converged, "gap": theory_gap(s)}


# ---------------------------------------------------------------------------------------------------------
# the diagram gain × input scale

def diagram_base(s: Settings) -> Settings:
    """The settings of the gain × input-scale diagram: Gaussian W scaled by its gain, n and T capped as in the
    phase diagram; the gain and the input scale are set per cell."""
    return replace(s, init="gaussian", scale_kind="gain", scale=1.0, input_scale=1.0,
                   hidden=min(s.hidden, PHASE_MAX_HIDDEN), T=min(s.T, PHASE_MAX_T))


@st.cache_data(max_entries=CACHE_ENTRIES["theory_row"], show_spinner=False)
@one_at_a_slot
def diagram_row(base: Settings, input_scale: float, gains: tuple[float, ...] = THEORY_GAINS) -> list[dict]:
    """One row (one input scale) of the diagram: for each gain the measured slope of log10‖∂h_T/∂h_{T−k}‖
    against k (rnn.slope_per_step), log10‖∂h_T/∂h_0‖, and the mean-field slope for that very model."""
    rows = []
    for g in gains:
        m, x, _ = model.build(replace(base, scale=g, input_scale=input_scale))
        try:
            logn = rnn.jacobian_log10_norms(m, _before_overflow(m, x))
            slope, at_0 = float(rnn.slope_per_step(logn)), float(logn[0])
        except ValueError:  # a state beyond float64 (not reached on this grid): the cell is left blank
            slope = at_0 = math.nan
        rows.append({"scale": g, "input_scale": input_scale, "slope": slope, "log10_norm_T": at_0,
                     "predicted": rnn.mean_field_for(m, input_scale).slope})
    return rows


def diagram(base: Settings, input_scales=THEORY_INPUT_SCALES, gains=THEORY_GAINS) -> pd.DataFrame:
    """The grid input scale × gain, a row at a time (each cached on its own), with a progress bar."""
    bar = st.progress(0.0, text="Computing the diagram: one network per cell…")
    out = []
    for i, sc in enumerate(input_scales):
        bar.progress(i / len(input_scales), text=f"Computing the diagram, one network per cell: input scale {sc:g}")
        out += diagram_row(base, float(sc), tuple(gains))
    bar.empty()
    return pd.DataFrame(out)


@st.cache_data(max_entries=CACHE_ENTRIES["theory_curve"], show_spinner=False)
@one_at_a_slot
def critical_curve(base: Settings, lo: float, hi: float, points: int = 41) -> pd.DataFrame:
    """The theoretical edge of chaos over input scales lo … hi: for each, the gain where χ₁ = 1. The model's
    own U and b_h give σ_b² (rnn.mean_field_for at gain 1), and W = g·W₁ gives σ_w² = g²·‖W₁‖_F²/n, so the
    critical gain is √(σ_w²(χ₁ = 1) / σ_w²(g = 1))."""
    m, _, _ = model.build(replace(base, scale=1.0))
    rows = []
    for sc in np.linspace(lo, hi, points):
        mf = rnn.mean_field_for(m, float(sc))
        crit = rnn.critical_sigma_w2(m.act.name, mf.sigma_b2)
        rows.append({"input_scale": float(sc), "gain": math.sqrt(crit / mf.sigma_w2)})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------
# the Lyapunov spectrum and the singular values of a product

@st.cache_data(max_entries=CACHE_ENTRIES["lyapunov"], show_spinner=False)
@one_at_a_slot
def lyapunov(s: Settings) -> dict:
    """For the vanilla RNN, the LSTM and the GRU on the same input x (ui.cached.model.build): the Lyapunov
    spectrum (log10 per step, descending; 2n exponents for the LSTM's (h, c)), and the check on its sum,
    the mean over t of log10|det J_t| from torch.linalg.slogdet of the state Jacobians."""
    out = {}
    for kind in CELLS:
        m, x, _ = model.build(s, kind)
        x = _before_overflow(m, x)
        spec = rnn.lyapunov_spectrum(m, x)
        logdet = rnn.mean_log10_det(m, x)  # the factors a chunk at a time, never all T at once
        out[kind] = {"spectrum": spec, "mean_log10_det": logdet, "T_used": int(x.shape[0]),
                     "top": float(spec[0]), "sum": float(spec.sum()), "n_positive": int((spec > 0).sum()),
                     "n_dead": int(np.isneginf(spec).sum())}  # directions a dead unit killed: λ = −∞
    return out


def measured_slopes(s: Settings) -> dict[str, float]:
    """The slope per step of log10‖∂h_T/∂h_{T−k}‖ for each cell, as the Jacobian-products and Gated-cells
    pages measure it (ui.cached.model.analysis, memory gates at their usual bias 1)."""
    return {kind: model.analysis(s, kind)["slope"] for kind in CELLS}


def svals_lag(s: Settings) -> int:
    """k for the singular values of ∂h_T/∂h_{T−k}."""
    return min(s.T, THEORY_MAX_LAG)


@st.cache_data(max_entries=CACHE_ENTRIES["product_svals"], show_spinner=False)
@one_at_a_slot
def product_svals(s: Settings) -> dict:
    """log10 of all singular values of ∂h_T/∂h_{T−k}, k = svals_lag(s), for the sidebar's vanilla RNN with
    Gaussian W and with orthogonal W at the same weight scale, on the same input ("log10_sv"), how many
    decades the live ones span ("spread") and how many are exactly 0 ("n_dead": −inf, beyond the rank)."""
    out = {}
    for init in ("gaussian", "orthogonal"):
        m, x, _ = model.build(replace(s, init=init))
        x = _before_overflow(m, x)
        sv = rnn.product_singular_values(m, x, min(svals_lag(s), int(x.shape[0])))
        fin = sv[np.isfinite(sv)]
        # the spread: log10 σ_max − log10 σ_min, in decades, over the live ones (the exact zeros are −inf)
        out[init] = {"log10_sv": sv, "spread": float(fin.max() - fin.min()) if fin.size else math.nan,
                     "n_dead": int(np.isneginf(sv).sum())}
    return out
