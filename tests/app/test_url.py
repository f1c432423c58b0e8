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


def test_back_and_forward_put_the_address_in_the_widgets_and_a_stale_address_does_not(monkeypatch):
    """The browser's Back reruns the page with the older address while the widgets still hold the newer values;
    Streamlit marks that rerun (ui.url.history_navigation, patched here), and the widgets take the address's
    values: the sidebar's and the page's own. Without the mark the same older address (a click that reached the
    server before the last run's address did) leaves the visitor's change and writes it back."""
    from ui import url

    at = _on("pages/jacobian_products.py", {"T": "40", "hidden": "16", "lag": "20"})
    _ok(at)
    at.sidebar.select_slider(key="w_T").set_value(50).run()
    at.select_slider(key="p_lag_shown50").set_value(10).run()  # the lag's slider at T = 50
    assert at.query_params["T"] == "50" and at.query_params["lag"] == "10"
    # a click whose request still carries the address from before: the visitor's values stay
    at.query_params["T"], at.query_params["lag"] = "40", "20"
    at.run()
    _ok(at)
    assert at.sidebar.select_slider(key="w_T").value == 50 and at.session_state["p_lag"] == 10
    assert at.query_params["T"] == "50" and at.query_params["lag"] == "10"
    # Back: the same older address, marked as history navigation
    monkeypatch.setattr(url, "history_navigation", lambda: True)
    at.query_params["T"], at.query_params["lag"] = "40", "20"
    at.run()
    _ok(at)
    assert at.sidebar.select_slider(key="w_T").value == 40 and at.session_state["p_lag"] == 20
    assert at.session_state["w_hidden"] == 16
    assert at.query_params["T"] == "40" and at.query_params["lag"] == "20"
    monkeypatch.setattr(url, "history_navigation", lambda: False)
    at.run()  # the next ordinary run keeps what Back showed
    assert at.sidebar.select_slider(key="w_T").value == 40 and at.query_params["T"] == "40"


def test_a_link_to_the_lesson_carries_its_steps_settings_until_the_lesson_has_put_them_in():
    """Every link to the Lesson (the sidebar's among them) carries the settings its step puts in the sidebar, so
    that opening it is one history entry; once the Lesson has put them in, links carry the sidebar as it is."""
    from urllib.parse import parse_qsl

    from ui.session import lesson

    def lesson_link(at):
        (q,) = [dict(parse_qsl(l.proto.query_string)) for l in at.get("page_link") if l.proto.label == "Lesson"]
        return q

    at = _on("pages/jacobian_products.py", {"T": "40", "hidden": "16"})
    _ok(at)
    step1 = lesson.STEPS[0].settings
    q = lesson_link(at)
    assert q["step"] == "1" and q["T"] == str(step1.T) and q["hidden"] == str(step1.hidden)
    at.switch_page("pages/lesson.py").run()
    _ok(at)
    assert at.sidebar.select_slider(key="w_T").value == step1.T
    at.sidebar.select_slider(key="w_T").set_value(40).run()  # the visitor changes the sidebar on the step
    q = lesson_link(at)
    assert q["step"] == "1" and q["T"] == "40"
