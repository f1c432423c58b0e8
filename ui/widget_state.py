"""What a visitor's widgets hold: the session_state keys of the sidebar's controls (SIDEBAR + field) and of the
pages' own controls (PAGE + key), and the values read from them. One name for each prefix, below everything that
reads them (the sidebar, the page controls of ui.blocks, the address bar of ui.url), so none of those has to
import another to learn a key.

A page control's widget holds its URL text ("0.01", "full", "3"): the choices a visitor sees and a link carries.
`page_value` turns it into the value a page computes with (ui.settings.PageControl.value: 0.01, None, 3.0)."""
from __future__ import annotations

from dataclasses import fields
from typing import Any

import streamlit as st

from . import routing
from . import settings as S

SIDEBAR = "w_"  # session_state key prefix of a sidebar widget: SIDEBAR + a field of Settings
PAGE = "p_"  # session_state key prefix of a page control's widget: PAGE + a key of ui.settings.PAGE_CONTROLS


def settings() -> S.Settings:
    """The Settings the sidebar's widgets hold now, each value checked by its field's parse (a value that fails
    it reads as the default). First, a session Streamlit routed the old way, a page without app.py and so without
    the sidebar's widgets, is sent through app.py (ui.routing): every page reads the settings, or links to
    another page with them (ui.url.query_for), so every page passes here."""
    routing.route_through_app()
    vals = {}
    for f in fields(S.Settings):
        v = st.session_state.get(SIDEBAR + f.name, getattr(S.DEFAULTS, f.name))
        try:
            vals[f.name] = S.parse(f.name, v)
        except S.SettingError:
            vals[f.name] = getattr(S.DEFAULTS, f.name)
    return S.Settings(**vals)


def put_settings(s: S.Settings) -> None:
    """Put Settings into the sidebar's widgets (before they are drawn in this run): a link's, or the address's
    after Back."""
    for f in fields(s):
        st.session_state[SIDEBAR + f.name] = getattr(s, f.name)


def page_text(key: str, default: Any = None) -> Any:
    """What page control `key`'s widget holds (its URL text, or an int for a slider), or `default` before it is set."""
    return st.session_state.get(PAGE + key, default)


def page_value(key: str) -> Any:
    """Page control `key` as a page uses it (ui.settings.PageControl.value), its default's before it is set."""
    c = S.PAGE_CONTROLS[key]
    return c.value(page_text(key, c.default))


def set_page(key: str, text: Any) -> None:
    """Set page control `key` (its URL text, as the widget shows it: "lstm", "0.03"), e.g. from a preset's button."""
    if key not in S.PAGE_CONTROLS:
        raise KeyError(f"expected a page control's key ({', '.join(S.PAGE_CONTROLS)}), got {key!r}")
    st.session_state[PAGE + key] = text
