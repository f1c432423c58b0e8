"""The shared sidebar under streamlit.testing (AppTest), moved from test_home_activations_jacobians.py: its
controls drive the charts, a preset button sets every control (and opens its page), and the change note
names values as the sidebar shows them."""
from __future__ import annotations

import pathlib
import re
from dataclasses import fields

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_tables, open_app as _app, open_on as _on, assert_ok as _ok, finished_page as _page
from ui import registry
from ui import settings as S
from ui.presets import PRESETS
from ui.settings import Settings


def _chart_data(at: AppTest) -> list:
    """Every dataset of every chart on the page, as DataFrames."""
    return [t.to_pandas() for t in chart_tables(at)]


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(x.equals(y) for x, y in zip(a, b))


# ---------------------------------------------------------------------------------------------------------

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


def _navigation_objects():
    """AppTest script: registry.navigation() twice and the link targets, as one run sees them."""
    import streamlit as st

    from ui import registry

    first, second = registry.navigation(), registry.navigation()
    a = [p for ps in first.values() for p in ps]
    b = [p for ps in second.values() for p in ps]
    targets = [registry.link_target(p.name) for p in registry.PAGES]
    st.session_state["distinct"] = all(x is not y for x, y in zip(a, b)) and not any(
        x is t for x in a for t in targets)
    st.session_state["same_targets"] = all(registry.link_target(p.name) is t for p, t in zip(registry.PAGES, targets))
    st.session_state["paths"] = [(x.url_path, y.url_path, t.url_path, x.title) for x, y, t in zip(a, b, targets)]
    pg = st.navigation(first, position="hidden")
    st.session_state["marked"] = [t._can_be_called for t in targets]  # st.navigation marked only its own copy
    st.session_state["home"] = pg.url_path


def test_the_navigation_gets_its_own_page_objects_each_run_and_the_links_share_one_set():
    """ui.registry hands st.page_link one st.Page per page for the whole process (a file path made
    st.page_link resolve it on the disk for every link of every run), and st.navigation copies of them: it marks
    the page it runs on the object, so two sessions holding one object could run each other's page."""
    at = AppTest.from_function(_navigation_objects, default_timeout=60).run()
    assert not at.exception, at.exception
    assert at.session_state["distinct"] and at.session_state["same_targets"]
    paths = at.session_state["paths"]
    assert [t for _, _, t, _ in paths] == ["" if p is registry.HOME else p.name for p in registry.PAGES]
    assert all(x == y == t for x, y, t, _ in paths)  # Home's links open '/', as the navigation's Home
    assert [title for *_, title in paths] == [p.title for p in registry.PAGES]
    assert not any(at.session_state["marked"]) and at.session_state["home"] == ""
