"""Cached engine calls of the unfolded-RNN diagram (ui.charts.unfolded): the BPTT gradient at every state and
the product norms by lag (both from ui.cached.model.analysis), and the norms of single steps' Jacobians
‖∂h_t/∂h_{t−1}‖ = ‖diag(f′(a_t)) Wᵀ‖₂ for the few steps the diagram draws. Plain Settings in, numpy and
dicts out."""
from __future__ import annotations

import math

import numpy as np
import streamlit as st
import torch

from rnn import cells

from . import one_at_a_slot
from ..charts import unfolded as U
from ..limits import CACHE_ENTRIES
from ..settings import Settings
from . import model  # model.build looked up at call time (tests replace it)


def gradients(s: Settings) -> dict:
    """From the page's analysis: T (the steps analysed; fewer than s.T when the forward pass overflows),
    grad[t] = log10‖∂L/∂h_t‖ for t = 0 … T (NaN where BPTT's gradient is lost to overflow) and
    prod[k−1] = log10‖∂h_T/∂h_{T−k}‖ for k = 1 … T."""
    a = model.analysis(s)
    T = int(a["T_used"])
    by_lag = np.asarray(a["log10_grad"], dtype=np.float64)  # entry k−1 is lag k: state T − k
    grad = np.empty(T + 1)
    grad[T] = a["log10_grad_T"]
    grad[:T] = by_lag[::-1]  # state t = T − k
    return {"T": T, "grad": grad, "prod": np.asarray(a["log10_norm"], dtype=np.float64)}


@st.cache_data(max_entries=CACHE_ENTRIES["unfolded_steps"], show_spinner=False)
@one_at_a_slot
def step_norms(s: Settings, T: int, steps: tuple[int, ...]) -> dict[int, float]:
    """log10‖∂h_t/∂h_{t−1}‖₂ for each step t in `steps` (1 … T) of the model's first T steps, in float64."""
    return _step_norms(s, T, steps)


@st.cache_data(max_entries=CACHE_ENTRIES["unfolded_dot"], show_spinner=False)
@one_at_a_slot
def picture(s: Settings, grad: np.ndarray, T: int, N: int | None, reached: int | None, projector: bool,
            dark: bool) -> U.Diagram:
    """The diagram (ui.charts.unfolded.build) of these settings' first T steps, its states filled by `grad`
    (gradients(s)["grad"]), with the single steps' Jacobian norms of the steps it shows: made once for every
    visitor at these settings and view (a class opening Home shares one Settings), not once a session."""
    focus = None if reached is None else T - min(max(int(reached), 0), T)
    steps = U.shown_steps(T, focus, U.LAST_PROJECTOR if projector else U.LAST)
    jac = _step_norms(s, T, tuple(t for t in steps if t >= 1))
    return U.build(grad, jac, T, N, reached=reached, projector=projector, dark=dark)


def _step_norms(s: Settings, T: int, steps: tuple[int, ...]) -> dict[int, float]:
    m, x, _ = model.build(s)
    with torch.no_grad():
        tr = m.unroll(x[:T])
        want = [t for t in steps if 1 <= t <= T]
        if not want:
            return {}
        idx = torch.tensor([t - 1 for t in want])
        d = m.act.df(tr.a[idx, 0]).to("cpu", torch.float64)  # f′(a_t), (K, H)
        # ∂h_t/∂h_{t−1} = diag(f′(a_t)) Wᵀ   (rnn.cells.rnn_jacobian)
        J = cells.rnn_jacobian(m.W.detach().to("cpu", torch.float64), d)
        sv = torch.linalg.matrix_norm(J, ord=2)
    return {t: (math.log10(v) if v > 0 else -math.inf) if math.isfinite(v) else math.nan
            for t, v in zip(want, sv.tolist())}
