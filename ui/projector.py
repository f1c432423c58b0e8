"""Projector mode: one sidebar toggle, kept in the URL as its own key (`?projector=1`), off by default. It only
changes how things look: charts get fonts ≥ 22 px and lines ≥ 3 px (ui.charts.projector, applied by
ui.blocks.chart_block), the unfolded diagram its larger, darker version, and the app's own text grows. It never
enters Settings, so it never changes a number or a cache key."""
from __future__ import annotations

import streamlit as st

from .blocks import page_control, page_setting

KEY = "projector"  # its URL key (declared in ui.settings.PAGE_CONTROLS)

# Streamlit sizes its text in rem: a larger root font scales every text, widget and metric at once. Its page
# margins and top bar are in rem too (5rem a side in wide layout), which at 22 px left a 500 px column at
# 1024 × 768 with the sidebar open under an 83 px bar; so those are set in px, and what would be cut at that width wraps instead (buttons,
# segmented controls' options, metric labels and values, page links) — every option and word stays whole.
# A constant string: nothing a visitor sends reaches it; st.html keeps a lone <style> out of the layout.
CSS = """<style>
html { font-size: 22px; }
.stApp { font-weight: 500; }
[data-testid='stCaptionContainer'] { font-size: 0.95rem; opacity: 0.95; }
[data-testid='stHeader'], [data-testid='stToolbar'] { height: 52px; min-height: 52px; }
[data-testid='stMainBlockContainer'] { padding: 56px 24px 64px 24px; }
[data-testid='stMetricLabel'] p, [data-testid='stMetricLabel'] div { white-space: normal; overflow: visible;
  text-overflow: clip; }
[data-testid='stMetricValue'] { font-size: 1.6rem; }
[data-testid='stMetricValue'] div { white-space: normal; overflow: visible; text-overflow: clip; }
[data-testid='stButton'] button p, [data-testid='stDownloadButton'] button p, [data-testid='stPageLink'] p,
[data-testid='stPageLink'] span, .stMarkdownEllipsis { white-space: normal; overflow: visible; text-overflow: clip;
  word-break: normal; overflow-wrap: normal; }
</style>"""


def on() -> bool:
    """Whether this visitor has projector mode on (the URL's value on the first run, then the toggle's)."""
    return page_setting(KEY)  # a bool: the field's parse of the link, then the toggle's own value


def draw() -> None:
    """The sidebar toggle, and the larger text while it is on. Called by app.py after the sidebar."""
    with st.sidebar:
        page_control(KEY, st.toggle, "Projector mode",
                     help="Large chart labels and thick lines for a lecture hall; the page's text grows too. "
                          "Changes no number.")
    if on():
        # Streamlit sizes its text in rem: a larger root font scales every text, widget and metric at once.
        # A constant string: nothing a visitor sends reaches it.
        st.html(CSS)
