"""The model every page analyses, built from the Settings, and its cached analysis (rnn.analyze) over the
steps before the forward pass overflows (rnn.jacobians.cut_before_overflow, the cut every page uses). The
cached functions take plain Settings and return numpy arrays or plain dicts, never a model that trains, so
st.cache_data can share them safely between visitors."""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import streamlit as st
import torch

import rnn
from rnn import device as rdev
from rnn.jacobians import cut_before_overflow

from . import one_at_a_slot
from ..limits import CACHE_ENTRIES, stop_if_over
from ..settings import INPUT_SIZE, OUTPUT_SIZE, Settings


def device_dtype(s: Settings) -> tuple[torch.device, torch.dtype]:
    dev = rdev.pick_device(s.device)
    return dev, rdev.pick_dtype(dev, s.float64)


def build(s: Settings, kind: str = "rnn", gate_bias: float = 1.0):
    """The model, the input sequence x (T, INPUT_SIZE) and the target y (OUTPUT_SIZE,) for these settings,
    y = g(z) for a standard normal z and the output activation g. `gate_bias` starts the gated cells' memory
    gates (the LSTM's forget gate, the GRU's update gate) at that bias.
    Weights and inputs come from s.seed through their own generators, so the same settings give the same
    numbers in every session."""
    dev, dtype = device_dtype(s)
    if kind == "rnn":
        m = rnn.VanillaRNN(INPUT_SIZE, s.hidden, OUTPUT_SIZE, activation=s.activation, seed=s.seed,
                           init=s.init, scale=s.scale, scale_kind=s.scale_kind, dtype=dtype, device=dev)
    else:
        m = rnn.GatedRNN(kind, INPUT_SIZE, s.hidden, OUTPUT_SIZE, seed=s.seed, dtype=dtype, device=dev,
                         forget_bias=gate_bias, update_bias=gate_bias)
    g = torch.Generator().manual_seed(s.seed + 1)
    x = (torch.randn(s.T, INPUT_SIZE, generator=g, dtype=torch.float64) * s.input_scale).to(dev, dtype)
    # the target is the output activation of a standard normal draw: a value the output can take (inside
    # (−1, 1) for tanh, (0, 1) for sigmoid), so the loss can reach 0
    y = m.out_act.f(torch.randn(OUTPUT_SIZE, generator=g, dtype=torch.float64)).to(dev, dtype)
    return m, x, y


def analysis(s: Settings, kind: str = "rnn", gate_bias: float = 1.0) -> dict:
    """rnn.analyze for these settings as plain numpy arrays and floats (cached), after the budget check: a
    request over ui.limits.JACOBIAN_WORK stops the page with a message before anything is built."""
    stop_if_over(s, "jacobian", (kind,))
    return _analysis(s, kind, gate_bias if kind != "rnn" else 1.0)


@st.cache_data(max_entries=CACHE_ENTRIES["analysis"], show_spinner=False)
@one_at_a_slot
def _analysis(s: Settings, kind: str = "rnn", gate_bias: float = 1.0) -> dict:
    """The cached part of `analysis`. Besides rnn.Analysis's fields it says whether the forward pass itself
    overflowed: "overflow_step" (first step whose state is not finite, or None) and "T_used" (the steps
    analysed). A state beyond float range makes f′(a_t) (relu, leaky relu) and ∂L/∂h_T meaningless, so the
    chain is analysed over the steps rnn.jacobians.cut_before_overflow keeps (those before the overflow, where
    every number is exact; all T for the linear RNN, f′ ≡ 1), and the BPTT gradient, which needs a finite
    ŷ_T, is left out once the state overflowed (NaN, never ±inf)."""
    m, x, y = build(s, kind, gate_bias)
    cut = cut_before_overflow(m, x)
    t0, x_used = cut.overflow_step, cut.x
    a = asdict(rnn.analyze(m, x_used, y))
    out = {k: (np.asarray(v) if isinstance(v, np.ndarray) else v) for k, v in a.items()}
    # +∞ in the gradient's log-norm is a norm that overflowed on the way (a state near 10^155 squares past
    # float64's range), not a true ∞: it is left out like the rest, never drawn or printed as ∞
    g, g_T = out["log10_grad"], out["log10_grad_T"]
    grad_lost = t0 is not None or bool(np.isposinf(g).any()) or not (g_T is None or g_T < math.inf)
    if grad_lost:
        out["log10_grad"] = np.full_like(g, np.nan)
        out["log10_grad_T"] = math.nan
    out["overflow_step"], out["T_used"], out["grad_lost"] = t0, cut.T_used, grad_lost
    return out
