"""The app's core pages under streamlit.testing (AppTest): Home with its presets, Activations and Jacobian
products. Each page loads; each preset is in the regime its name promises; the numbers on screen are the
engine's. The sidebar's tests are in test_sidebar.py, the URL's in test_url.py."""
from __future__ import annotations

import pathlib
from dataclasses import asdict, fields

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import open_app as _app, open_on as _on, assert_ok as _ok, finished_page as _page
import rnn
from ui.cached import model
from ui.charts import style
from ui.presets import PRESETS
from ui.settings import Settings, to_query

MY_PAGES = ("pages/home.py", "pages/activations.py", "pages/jacobian_products.py")


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _engine(s: Settings) -> rnn.Analysis:
    return rnn.analyze(*model.build(s))


# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", MY_PAGES)
def test_page_loads(page):
    at = _on(page)
    _ok(at)
    assert _page(at) == pathlib.Path(page).name
    if page != "pages/home.py":
        assert len(at.get("vega_lite_chart")) >= 1
        assert len(at.get("download_button")) == len(at.get("vega_lite_chart"))  # a CSV for every chart
        assert all(c.value for c in at.caption)


def test_presets_show_their_regime():
    """Each preset's vanilla RNN is in the regime its name promises (rnn.analyze, EDGE_TOL)."""
    for p in PRESETS.values():
        assert set(p.values) == {f.name for f in fields(Settings)}  # full Settings
        assert _engine(p.settings).regime == p.expect, p.label
    s = PRESETS["lstm"].settings
    lstm = rnn.analyze(*model.build(s, "lstm"))
    assert lstm.slope > 2 * _engine(s).slope  # the LSTM loses far fewer decades per step
    sig = PRESETS["sigmoid"].settings
    assert sig.activation == "sigmoid" and sig.scale_kind == "sigma_max" and sig.scale < 4


@pytest.mark.parametrize("kw", [dict(), asdict(PRESETS["sigmoid"].settings), dict(activation="relu", T=30)])
def test_metrics_are_the_engines_numbers(kw):
    s = Settings(**kw)
    q = to_query(s)
    a = _engine(s)
    at = _on("pages/jacobian_products.py", q)
    _ok(at)
    m = _metrics(at)
    assert m["ρ(W)"] == style.fmt_num(a.rho)
    assert m["σₘₐₓ(W)"] == style.fmt_num(a.sigma_max)
    assert m["γ = sup|f′|"] == style.fmt_num(a.gamma)
    assert m["γ·σₘₐₓ"] == style.fmt_num(a.gamma * a.sigma_max)
    assert m["mean |f′|"] == style.fmt_num(a.mean_abs_fprime)
    page_text = " ".join(md.value for md in at.markdown)
    assert a.regime in page_text
    k = min(50, s.T)
    assert style.fmt_pow10(float(a.log10_norm[k - 1]), latex=True) in page_text  # the sentence's number
    at.switch_page("pages/activations.py").run()
    _ok(at)
    m = _metrics(at)
    assert m["mean |f′(aₜ)|"] == style.fmt_num(a.mean_abs_fprime)
    assert m["γ = sup|f′|"] == style.fmt_num(a.gamma)


def test_lstm_preset_shows_the_rescue_and_says_what_it_changed():
    """The LSTM preset lands on Gated cells with the memory gates' bias set, and the LSTM there holds its
    gradient (its badge is not 'vanishing'; its slope, recomputed with rnn.analyze, is near 0); the page says
    which sidebar controls the preset changed, hidden ones included."""
    p = PRESETS["lstm"]
    at = _app({})
    at.button(key="preset_lstm").click().run()
    _ok(at)
    assert _page(at) == "gated_cells.py"
    bias = dict(p.page_values)["gate_bias"]
    assert at.session_state["p_gate_bias"] == bias
    badges = [m.value for m in at.markdown if "-badge[" in m.value]  # st.badge is markdown under AppTest
    assert len(badges) == 3 and "vanishing" in badges[0] and "vanishing" not in badges[1], badges
    lstm = rnn.analyze(*model.build(p.settings, "lstm", float(bias)))
    assert abs(lstm.slope) < 0.03
    said = " ".join(i.value for i in at.info)
    assert "Changed in the sidebar" in said and "Input scale: 0.5 → 1" in said


def test_too_short_to_judge_at_t_1():
    """T = 1 gives one lag: no slope to fit, so no regime is claimed, and the page still draws its chart."""
    at = _on("pages/jacobian_products.py", {"T": "1"})
    _ok(at)
    text = " ".join(m.value for m in at.markdown)
    assert "too short to judge" in text
    assert not any(w in text for w in ("vanishing]", "exploding]", "edge of chaos]"))
    assert at.get("vega_lite_chart")


