"""Projector mode: one sidebar toggle, kept in the URL as its own key (`?projector=1`), off by default. It only
changes how things look: charts get fonts ≥ 22 px and lines ≥ 3 px (ui.charts.projector, applied by
ui.blocks.chart_block), the unfolded diagram its larger, darker version, and the app's own text grows. It never
enters Settings, so it never changes a number or a cache key."""
from __future__ import annotations

import streamlit as st

from .blocks import STATE, page_control, page_setting

KEY = "projector"  # its URL key (declared in ui.settings.PAGE_CONTROLS)


def on() -> bool:
    """Whether this visitor has projector mode on (the URL's value on the first run, then the toggle's)."""
    return bool(page_setting(KEY)) if STATE + KEY not in st.session_state else bool(st.session_state[STATE + KEY])


def draw() -> None:
    """The sidebar toggle, and the larger text while it is on. Called by app.py after the sidebar."""
    with st.sidebar:
        page_control(KEY, st.toggle, "Projector mode",
                     help="Large chart labels and thick lines for a lecture hall; the page's text grows too. "
                          "Changes no number.")
    if on():
        # Streamlit sizes its text in rem: a larger root font scales every text, widget and metric at once.
        # A constant string: nothing a visitor sends reaches it.
        st.markdown("<style>html { font-size: 22px; } .stApp { font-weight: 500; } "
                    "[data-testid='stCaptionContainer'] { font-size: 0.95rem; opacity: 0.95; }</style>",
                    unsafe_allow_html=True)
