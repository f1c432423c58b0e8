"""The engine's numerical policy for the pages (issue 19): the one overflow cut (rnn.jacobians.cut_before_overflow)
against a closed form, and the one regime function (rnn.classify) with each cell's own tolerance.

Closed form of the cut: a one-unit RNN with U = 1, W = s, b_h = 0 fed x_t = 1 has a_t = 1 + s·h_{t−1} and, for
relu and linear (a_t > 0), h_t = a_t = (s^t − 1)/(s − 1). It leaves the dtype's range at the first t with
(s^t − 1)/(s − 1) > max, i.e. t0 = ⌊log_s((s − 1)·max)⌋ + 1 (far from an integer for the s used here), and
every product of Jacobians before it is s^k exactly: log10‖∂h_T/∂h_{T−k}‖ = k·log10 s."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import rnn
from rnn.jacobians import (EDGE_TOL, EDGE_TOLS, GATED_EDGE_TOL, REGIME_MIN_T, classify, cut_before_overflow)


def _one_unit(activation: str, s: float, dtype=torch.float64) -> rnn.VanillaRNN:
    m = rnn.VanillaRNN(1, 1, 1, activation=activation, dtype=dtype)
    with torch.no_grad():
        m.U.fill_(1.0)
        m.W.fill_(s)
        m.b_h.zero_()
    return m


def _t0(s: float, dtype) -> int:
    """First t with (s^t − 1)/(s − 1) beyond the dtype's largest float."""
    return math.floor((math.log10(s - 1) + math.log10(torch.finfo(dtype).max)) / math.log10(s)) + 1


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("s", [10.0, 3.0])
def test_relu_is_cut_before_the_step_that_overflows(s, dtype):
    t0 = _t0(s, dtype)
    T = t0 + 50
    m = _one_unit("relu", s, dtype)
    x = torch.ones(T, 1, dtype=dtype)
    cut = cut_before_overflow(m, x)
    assert cut.overflow_step == t0
    assert cut.T_used == t0 - 1 and cut.x.shape == (t0 - 1, 1)
    with pytest.raises(ValueError, match=f"step {t0}"):
        rnn.jacobian_log10_norms(m, x)
    got = rnn.jacobian_log10_norms(m, cut.x)  # entry i: lag k = T_used − i
    k = np.arange(cut.T_used, 0, -1)
    tol = 1e-9 if dtype == torch.float64 else 1e-4
    np.testing.assert_allclose(got, k * math.log10(s), rtol=0, atol=tol * k.max())


def test_the_linear_rnn_is_not_cut_its_products_stay_exact():
    """f′ ≡ 1: the Jacobians are Wᵀ whatever the state, so all T steps are kept (the overflow is still
    reported, for the gradient it loses), and the products are s^k over every lag."""
    s = 10.0
    t0 = _t0(s, torch.float64)
    T = t0 + 50
    m = _one_unit("linear", s)
    x = torch.ones(T, 1, dtype=torch.float64)
    cut = cut_before_overflow(m, x)
    assert cut.overflow_step == t0 and cut.T_used == T and cut.x is x
    k = np.arange(T, 0, -1)
    np.testing.assert_allclose(rnn.jacobian_log10_norms(m, cut.x), k * math.log10(s), rtol=0, atol=1e-9 * T)


def test_no_cut_without_an_overflow_nor_for_the_gated_cells():
    x = torch.ones(400, 1, dtype=torch.float64)
    cut = cut_before_overflow(_one_unit("relu", 0.5), x)  # h_t → 1/(1 − s) = 2
    assert cut.overflow_step is None and cut.T_used == 400 and cut.x is x
    sig = _one_unit("sigmoid", 100.0)  # bounded
    assert cut_before_overflow(sig, x).T_used == 400
    for kind in ("lstm", "gru"):
        g = rnn.GatedRNN(kind, 1, 4, 1, seed=0, dtype=torch.float64)
        cut = cut_before_overflow(g, x * 1e3)
        assert cut.overflow_step is None and cut.T_used == 400


def test_a_trace_given_is_read_not_recomputed():
    m = _one_unit("relu", 10.0)
    x = torch.ones(400, 1, dtype=torch.float64)
    with torch.no_grad():
        tr = m.unroll(x)
    assert cut_before_overflow(m, x, tr).T_used == cut_before_overflow(m, x).T_used == _t0(10.0, torch.float64) - 1


# ---------------------------------------------------------------------------------------------------------
# the regime: one function, each cell's own tolerance

def test_each_cell_has_its_own_edge():
    assert EDGE_TOLS == {"rnn": EDGE_TOL, "lstm": GATED_EDGE_TOL, "gru": GATED_EDGE_TOL}
    assert EDGE_TOL == 0.01 and GATED_EDGE_TOL == 0.03 and REGIME_MIN_T == 3
    assert classify(0.02) == "exploding" and classify(-0.02) == "vanishing"
    for kind in ("lstm", "gru"):
        assert classify(0.02, kind=kind) == "edge" == classify(-0.03, kind=kind)
        assert classify(-0.0301, kind=kind) == "vanishing" and classify(0.0301, kind=kind) == "exploding"
    assert classify(0.02, tol=0.05, kind="rnn") == "edge"  # an explicit tol still wins
    with pytest.raises(ValueError, match="kind"):
        classify(0.0, kind="transformer")


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_analyze_gives_a_gated_cell_the_regime_its_page_shows(kind):
    """rnn.analyze's regime for a gated cell uses GATED_EDGE_TOL, the tolerance the Gated cells page's badge
    used (before, analyze said EDGE_TOL, so a cell with a slope of −0.02 was 'vanishing' in the analysis and
    'edge' on its badge). The slope is held to the plain reference loop's log-norms (an SVD per lag)."""
    m = rnn.GatedRNN(kind, 3, 8, 2, seed=0, dtype=torch.float64, forget_bias=3.0, update_bias=3.0)
    x = torch.randn(60, 3, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    y = torch.zeros(2, dtype=torch.float64)
    a = rnn.analyze(m, x, y)
    ref = rnn.jacobians.reference_log10_norms(m, x)
    assert a.slope == pytest.approx(rnn.slope_per_step(ref), abs=1e-9)
    assert EDGE_TOL < abs(a.slope) < GATED_EDGE_TOL  # where the two tolerances disagree (about −0.014 here)
    assert a.regime == "edge"
