"""Cached engine calls of the page "Activations": every activation's f and f′ on a grid, and f′(a_t) along
the sidebar's trajectory. Plain values in, numpy arrays out."""
from __future__ import annotations

import streamlit as st
import torch

import rnn
from rnn.jacobians import cut_before_overflow

from . import one_at_a_slot
from ..limits import CACHE_ENTRIES
from ..settings import Settings
from . import model  # read at call time, like every cached module


@st.cache_data(max_entries=CACHE_ENTRIES["activation_curves"], show_spinner=False)
@one_at_a_slot
def activation_curves(lo: float = -4.0, hi: float = 4.0, n: int = 321) -> dict:
    """f and f′ of every activation on a grid of pre-activations a, with γ and the codomain (Activations page)."""
    a = torch.linspace(lo, hi, n, dtype=torch.float64)
    return {name: {"a": a.numpy(), "f": act.f(a).numpy(), "df": act.df(a).numpy(), "gamma": act.gamma,
                   "codomain": act.codomain, "formula": act.formula, "dformula": act.dformula}
            for name, act in rnn.ACTIVATIONS.items()}


@st.cache_data(max_entries=CACHE_ENTRIES["fprime"], show_spinner=False)
@one_at_a_slot
def fprime_along_trajectory(s: Settings) -> dict:
    """f′(a_t) for every step t and unit of this model's trajectory (T·n values, float64) and mean |f′|,
    computed as rnn.analyze computes it, over the steps rnn.jacobians.cut_before_overflow keeps (as every page)."""
    m, x, _ = model.build(s)
    with torch.no_grad():
        tr = m.unroll(x)
        cut = cut_before_overflow(m, x, tr)
        # the first T_used steps of the trace are the forward pass over x[:T_used]: no second pass
        a = tr.a[:cut.T_used]
        d = m.act.df(a)  # f′(a_t), (T, 1, H)
        mean_abs = float(d.abs().mean())
    return {"values": d.to(torch.float64).cpu().numpy().ravel(), "mean_abs": mean_abs, "gamma": m.act.gamma,
            "overflow_step": cut.overflow_step}
