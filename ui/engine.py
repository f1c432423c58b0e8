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
