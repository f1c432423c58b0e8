"""Cached engine calls of the page "The report, checked": the numbers behind each verdict on the report's
claims — hand BPTT against autograd (ui.cached.bptt_by_hand.bptt_report), how many of the per-step terms of
∂L/∂V and ∂L/∂b_y are not zero (rnn.bptt), sigmoid′ and tanh measured on a dense grid (rnn.ACTIVATIONS, with
the exact forms σ′(a) = σ(a)σ(−a) and 1 − |tanh a| = 2σ(−2|a|) that stay positive where 1 − tanh² rounds to 0),
and the sigmoid preset's measured product of Jacobians (ui.cached.model.analysis). `claims` calls the three
cached results one after another and combines them; none of them calls another (cached functions are leaves,
ui/cached/__init__.py)."""
from __future__ import annotations

import streamlit as st
import torch

import rnn

from . import one_at_a_slot
from ..limits import CACHE_ENTRIES
from ..presets import PRESETS
from ..settings import Settings
from .bptt_by_hand import bptt_report
from . import model  # model.build looked up at call time (tests replace it)

GRID = (-40.0, 40.0, 800_001)  # a from −40 to 40 in steps of 10⁻⁴
LAG = 50  # the lag at which the sigmoid preset's product is quoted


def claims(s: Settings) -> dict:
    """Every number the page's verdicts rest on, for the sidebar's model s (BPTT rows) and fixed grids: hand
    BPTT against autograd (bptt_report), the sigmoid preset's analysis (model.analysis) and what `measured`
    computes, each cached on its own and called here one after another."""
    rep = bptt_report(s)
    ps = PRESETS["sigmoid"].settings
    an = model.analysis(ps)
    own = measured(s)
    return {
        "T": s.T, "float64": rep["finite"] and s.float64, "finite": rep["finite"],
        "rel_err": {row["parameter"]: row["max_rel_error"] for row in rep["check"]}, **own,
        "sig_preset": {"sigma_max": an["sigma_max"], "slope": an["slope"], "regime": an["regime"],
                       "lag": LAG, "log10_at_lag": float(an["log10_norm"][LAG - 1]), "T": ps.T,
                       "bound_at_lag": float(an["log10_bound"][LAG - 1])},
    }


@st.cache_data(max_entries=CACHE_ENTRIES["report_check"], show_spinner="Checking the report's claims…")
@one_at_a_slot
def measured(s: Settings) -> dict:
    """The claims' numbers computed here from the engine: how many steps' terms of ∂L/∂V, ∂L/∂b_y and ∂L/∂W
    are not zero for the sidebar's model (rnn.bptt), and sigmoid′ and tanh on the dense grid GRID."""
    m, x, y = model.build(s)
    res = rnn.bptt(m, x, y)
    nonzero = {k: int((res.per_step[k].detach().reshape(s.T, -1).abs().sum(1) > 0).sum()) for k in ("V", "b_y", "W")}
    a = torch.linspace(*GRID, dtype=torch.float64)
    sig = rnn.ACTIVATIONS["sigmoid"]
    d = sig.df(a)  # the engine's σ′
    exact = torch.sigmoid(a) * torch.sigmoid(-a)  # σ′(a) = σ(a)σ(−a), never rounded to 0 on the grid
    gap = 2.0 * torch.sigmoid(-2.0 * a.abs())  # 1 − |tanh a| = 2/(1 + e^{2|a|})
    th = rnn.ACTIVATIONS["tanh"].f(a)
    return {
        "nonzero": nonzero,
        "sigmoid_max": float(d.max()), "sigmoid_argmax": float(a[d.argmax()]), "sigmoid_min": float(exact.min()),
        "sigmoid_gamma": sig.gamma, "grid": GRID,
        "tanh_gap_min": float(gap.min()), "tanh_rounds_at": float(a[(th.abs() == 1.0)].abs().min()),
    }
