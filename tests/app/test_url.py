"""The address bar under streamlit.testing (AppTest), moved from test_home_activations_jacobians.py: a link's
settings reach the sidebar's widgets, the widgets reach the URL and the URL opens the same view in a new
session, and hostile values give a warning, never an exception."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_tables, open_app as _app, open_on as _on, assert_ok as _ok
import rnn
from ui.cached import model
from ui.charts import style
from ui.settings import DEFAULTS, Settings

MY_PAGES = ("pages/home.py", "pages/activations.py", "pages/jacobian_products.py")


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
