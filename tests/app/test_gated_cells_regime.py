"""The regime of every cell comes from the engine: the Gated cells page's badges show rnn.analyze's regime
(rnn.jacobians.classify, the one function, with each cell's own tolerance and REGIME_MIN_T), so badge and
analysis agree for each cell at the edge cases — T = 1 and 2 (too short to judge), T = 3 (the first length
judged), and T = 100 at gate bias 3, where both gated cells' slopes lie between EDGE_TOL and GATED_EDGE_TOL
(the tolerances the badge and the analysis once disagreed on). Before, the badge judged "too short" from the
page's T while rnn.analyze named a regime at T = 1 and 2."""
from __future__ import annotations

import pytest

import rnn
from apptest_helpers import open_app
from rnn.jacobians import EDGE_TOL, GATED_EDGE_TOL, REGIME_MIN_T, TOO_SHORT
from ui.cached import model
from ui.settings import Settings

SHOWN = {"vanishing": "vanishing", "edge": "edge of chaos", "exploding": "exploding",
         TOO_SHORT: "too short to judge"}
KINDS = ("rnn", "lstm", "gru")


@pytest.mark.parametrize("T,bias", [(1, 3), (2, 3), (3, 3), (100, 3)])
def test_each_cells_badge_is_the_engines_regime(T, bias):
    at = open_app({"T": T, "gate_bias": bias}, "pages/gated_cells.py")
    assert not at.exception, [e.message for e in at.exception]
    badges = [m.value for m in at.markdown if "-badge[" in m.value]  # st.badge is markdown under AppTest
    assert len(badges) == 3, badges
    s = Settings(T=T)
    for kind, badge in zip(KINDS, badges):
        # the engine's analysis of the same model the page analyses (ui.cached.model.build), uncached
        a = rnn.analyze(*model.build(s, kind, float(bias) if kind != "rnn" else 1.0))
        assert (a.regime == TOO_SHORT) == (T < REGIME_MIN_T), (kind, T, a.regime)
        assert SHOWN[a.regime] in badge, (kind, T, a.regime, badge)
        assert not any(SHOWN[r] in badge for r in SHOWN if r != a.regime), (kind, badge)
        if T == 100 and kind != "rnn":  # where the vanilla RNN's tolerance would name another regime
            assert EDGE_TOL < abs(a.slope) < GATED_EDGE_TOL and a.regime == "edge", (kind, a.slope)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("T", [1, 2, 3])
def test_analyze_judges_no_regime_from_fewer_than_regime_min_t_lags(kind, T):
    """rnn.analyze over T steps: TOO_SHORT below REGIME_MIN_T whatever the slope, classify's regime from it on."""
    s = Settings(T=T)
    a = rnn.analyze(*model.build(s, kind, 3.0 if kind != "rnn" else 1.0))
    want = TOO_SHORT if T < REGIME_MIN_T else rnn.classify(a.slope, kind=kind)
    assert a.regime == want and rnn.classify(a.slope, kind=kind, lags=T) == want
