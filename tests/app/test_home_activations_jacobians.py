"""The app's core pages under streamlit.testing (AppTest): Home with its presets, Activations and Jacobian
products. Each page loads; the sidebar drives the charts; presets set every control; the URL round-trips
and survives hostile values; the numbers on screen are the engine's."""
from __future__ import annotations

import pathlib
import re
from dataclasses import asdict, fields

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_tables, open_app
import rnn
from ui.cached import model
from ui.charts import style
from ui import registry
from ui import settings as S
from ui.presets import PRESETS
from ui.settings import DEFAULTS, Settings, to_query

MY_PAGES = ("pages/home.py", "pages/activations.py", "pages/jacobian_products.py")


def _app(query: dict | None = None) -> AppTest:
    return open_app(query)


def _on(page: str, query: dict | None = None) -> AppTest:
    return open_app(query, page)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.message for e in at.exception]


def _page(at: AppTest) -> str:
    """The file of the page the last run finished on."""
    info = at._registered_pages.get(at._finished_page_script_hash, {})
    return pathlib.Path(str(info.get("script_path", ""))).name


def _chart_data(at: AppTest) -> list:
    """Every dataset of every chart on the page, as DataFrames."""
    return [t.to_pandas() for t in chart_tables(at)]


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(x.equals(y) for x, y in zip(a, b))


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


@pytest.mark.parametrize("page", ["pages/activations.py", "pages/jacobian_products.py"])
@pytest.mark.parametrize("key, widget, value", [("w_T", "select_slider", 40), ("w_activation", "selectbox", "sigmoid"),
                                                ("w_scale", "select_slider", 0.5)])
def test_sidebar_changes_the_chart_data(page, key, widget, value):
    at = _on(page)
    before = _chart_data(at)
    el = getattr(at.sidebar, widget)(key=key)
    (el.select(value) if widget == "selectbox" else el.set_value(value))
    at.run()
    _ok(at)
    after = _chart_data(at)
    assert after and not _same(before, after)


@pytest.mark.parametrize("name", list(PRESETS))
def test_preset_button_sets_every_control(name):
    p = PRESETS[name]
    at = _app({"T": "7", "activation": "relu", "seed": "5"})  # start away from every preset
    at.button(key=f"preset_{name}").click().run()
    _ok(at)
    for f in fields(Settings):
        assert at.session_state["w_" + f.name] == getattr(p.settings, f.name), f.name
    assert at.query_params["T"] == str(p.settings.T)
    assert at.query_params["activation"] == p.settings.activation
    assert _page(at) == (pathlib.Path(registry.page(p.page).path).name if p.page else "home.py")


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


def test_url_to_widgets():
    at = _app({"T": "37", "activation": "relu", "scale": "1.5", "scale_kind": "rho", "hidden": "16",
               "input_scale": "0.2", "init": "orthogonal", "seed": "3"})
    _ok(at)
    assert not at.warning
    assert at.sidebar.select_slider(key="w_T").value == 37
    assert at.sidebar.selectbox(key="w_activation").value == "relu"
    assert at.sidebar.select_slider(key="w_scale").value == 1.5
    assert at.session_state["w_scale_kind"] == "rho"
    assert at.session_state["w_hidden"] == 16 and at.session_state["w_init"] == "orthogonal"
    at.switch_page("pages/jacobian_products.py").run()
    _ok(at)
    s = Settings(T=37, activation="relu", scale=1.5, scale_kind="rho", hidden=16, input_scale=0.2,
                 init="orthogonal", seed=3)
    assert _metrics(at)["ρ(W)"] == style.fmt_num(_engine(s).rho)


def test_widgets_to_url():
    at = _on("pages/jacobian_products.py")
    at.sidebar.select_slider(key="w_T").set_value(50)
    at.sidebar.selectbox(key="w_activation").select("sigmoid")
    at.sidebar.select_slider(key="w_scale").set_value(2.0)
    at.run()
    _ok(at)
    assert at.query_params["T"] == "50"
    assert at.query_params["activation"] == "sigmoid"
    assert at.query_params["scale"] == "2"
    # and back: the URL this produced opens the same view in a new session
    again = _on("pages/jacobian_products.py", dict(at.query_params))
    assert _metrics(again) == _metrics(at)
    assert _same(_chart_data(again), _chart_data(at))


@pytest.mark.parametrize("page", MY_PAGES)
def test_hostile_url_gives_a_warning_not_an_exception(page):
    q = {"T": "abc", "scale": "nan", "activation": "<script>alert(1)</script>", "hidden": "1e9"}
    at = _app(q)
    _ok(at)
    text = " ".join(w.value for w in at.warning)
    assert "Sequence length T" in text and "Weight scale" in text and "Activation" in text and "Hidden" in text
    assert "<script>" not in text
    for k in ("T", "scale", "activation", "hidden"):
        assert at.session_state["w_" + k] == getattr(DEFAULTS, k)
    if page != "pages/home.py":
        at.switch_page(page).run()
        _ok(at)


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


def test_the_change_note_names_values_as_the_sidebar_shows_them():
    """A preset that switches what the scale means says so in the sidebar's words ("spectral radius ρ"), never
    with the URL's codes (rho, sigma_max, true)."""
    name = next(n for n, p in PRESETS.items() if p.settings.scale_kind != "gain")
    at = _app({})
    at.button(key=f"preset_{name}").click().run()
    _ok(at)
    said = " ".join(i.value for i in at.info)
    kind = PRESETS[name].settings.scale_kind
    assert f"gain g → {S.SCALE_NAMES[kind]}" in said, said
    assert not re.search(r"\b(rho|sigma_max|gaussian|true|false)\b", said), said
