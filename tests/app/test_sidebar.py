"""The shared sidebar under streamlit.testing (AppTest), moved from test_home_activations_jacobians.py: its
controls drive the charts, a preset button sets every control (and opens its page), and the change note
names values as the sidebar shows them."""
from __future__ import annotations

import pathlib
import re
from dataclasses import fields

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_tables, open_app
from ui import registry
from ui import settings as S
from ui.presets import PRESETS
from ui.settings import Settings


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
