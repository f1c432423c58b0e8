"""Cached calls into the engine. They take plain Settings and return numpy arrays or plain dicts, never a
model that trains, so st.cache_data can share them safely between visitors."""
from __future__ import annotations

from dataclasses import asdict

import numpy as np
import streamlit as st
import torch

import rnn
from rnn import device as rdev

from .settings import INPUT_SIZE, OUTPUT_SIZE, Settings


def device_dtype(s: Settings) -> tuple[torch.device, torch.dtype]:
    dev = rdev.pick_device(s.device)
    return dev, rdev.pick_dtype(dev, s.float64)


def build(s: Settings, kind: str = "rnn"):
    """The model, the input sequence x (T, INPUT_SIZE) and the target y (OUTPUT_SIZE,) for these settings.
    Weights and inputs come from s.seed through their own generators, so the same settings give the same
    numbers in every session."""
    dev, dtype = device_dtype(s)
    if kind == "rnn":
        m = rnn.VanillaRNN(INPUT_SIZE, s.hidden, OUTPUT_SIZE, activation=s.activation, seed=s.seed,
                           init=s.init, scale=s.scale, scale_kind=s.scale_kind, dtype=dtype, device=dev)
    else:
        m = rnn.GatedRNN(kind, INPUT_SIZE, s.hidden, OUTPUT_SIZE, seed=s.seed, dtype=dtype, device=dev)
    g = torch.Generator().manual_seed(s.seed + 1)
    x = (torch.randn(s.T, INPUT_SIZE, generator=g, dtype=torch.float64) * s.input_scale).to(dev, dtype)
    y = torch.randn(OUTPUT_SIZE, generator=g, dtype=torch.float64).to(dev, dtype)
    return m, x, y


@st.cache_data(max_entries=64, show_spinner=False)
def analysis(s: Settings, kind: str = "rnn") -> dict:
    """rnn.analyze for these settings as plain numpy arrays and floats."""
    m, x, y = build(s, kind)
    a = rnn.analyze(m, x, y)
    return {k: (np.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in asdict(a).items()}


@st.cache_data(max_entries=4, show_spinner=False)
def activation_curves(lo: float = -4.0, hi: float = 4.0, n: int = 321) -> dict:
    """f and f′ of every activation on a grid of pre-activations a, with γ and the codomain (Activations page)."""
    a = torch.linspace(lo, hi, n, dtype=torch.float64)
    return {name: {"a": a.numpy(), "f": act.f(a).numpy(), "df": act.df(a).numpy(), "gamma": act.gamma,
                   "codomain": act.codomain, "formula": act.formula, "dformula": act.dformula}
            for name, act in rnn.ACTIVATIONS.items()}


@st.cache_data(max_entries=64, show_spinner=False)
def fprime_along_trajectory(s: Settings) -> dict:
    """f′(a_t) for every step t and unit of this model's trajectory (T·n values, float64) and mean |f′|,
    computed as rnn.analyze computes it."""
    m, x, _ = build(s)
    with torch.no_grad():
        d = m.act.df(m.unroll(x).a)  # f′(a_t), (T, 1, H)
        mean_abs = float(d.abs().mean())
    return {"values": d.to(torch.float64).cpu().numpy().ravel(), "mean_abs": mean_abs, "gamma": m.act.gamma}
