"""A page's charts made once per inputs and shared by every visitor and every rerun: the chart builder of
ui/charts called, and its Altair chart converted to the Vega-Lite spec Streamlit sends (its data as Arrow
tables), by Streamlit's own conversion, inside one cached call.

Building a layered Altair chart and converting it (Altair's deep copies and its validation against the Vega-Lite
schema) was most of a warm page switch: on the Phase diagram, Activations, Theory and BPTT by hand it took 60-90 %
of the page's script (py-spy, benchmarks/RESULTS_BROWSER.md), every run, for every visitor, for the same inputs.
`spec(builder, *args)` hands back what st.altair_chart would have sent for `builder(*args)`: ui.blocks.chart_block
draws it with st.vega_lite_chart, so the page shows the same spec and the same data tables as before.

A leaf (ui/cached/__init__.py): it calls a chart builder, never a cached function; its inputs are the frames and
numbers the page already holds.
"""
from __future__ import annotations

import importlib

import streamlit as st

from ..charts.projector import for_projector
from ..limits import CACHE_ENTRIES
from ..widget_state import PAGE as STATE  # a page control's session_state prefix (the projector toggle's)

try:  # Streamlit's own Altair → Vega-Lite conversion, as st.altair_chart runs it (data as Arrow datasets)
    from streamlit.elements.vega_charts import _convert_altair_to_vega_lite_spec as _to_spec
except ImportError:  # another Streamlit: the page draws the Altair chart itself
    _to_spec = None

BUILDERS = "ui.charts."  # the only modules a builder may come from


@st.cache_data(max_entries=CACHE_ENTRIES["chart_spec"], show_spinner=False)
def _spec(builder: str, projector: bool, args: tuple, kwargs: dict):
    """The spec (or list of specs) of ui.charts' `builder`(*args, **kwargs), restyled for a projector when
    `projector` (ui.charts.projector.for_projector, as ui.blocks.chart_block does for an Altair chart)."""
    module, name = builder.rsplit(".", 1)
    if not module.startswith(BUILDERS):
        raise ValueError(f"expected a builder in {BUILDERS}*, got {builder!r}")
    made = getattr(importlib.import_module(module), name)(*args, **kwargs)

    def one(c):
        return _to_spec(for_projector(c) if projector else c)

    return [one(c) for c in made] if isinstance(made, (list, tuple)) else one(made)


def spec(builder, *args, **kwargs):
    """What `builder(*args, **kwargs)` draws, as the spec st.altair_chart would send, made once per inputs and
    projector mode (ui.projector's toggle) for every visitor: hand it to ui.blocks.chart_block like the chart."""
    if _to_spec is None:
        return builder(*args, **kwargs)
    return _spec(f"{builder.__module__}.{builder.__qualname__}", bool(st.session_state.get(STATE + "projector")),
                 args, kwargs)
