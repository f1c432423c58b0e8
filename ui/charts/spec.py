"""An Altair chart as the Vega-Lite spec Streamlit sends, without its data: made once by a cached function
(ui.cached.jacobian_products) and drawn by ui.blocks.chart_block beside its frame. Below both, so the cache needs
nothing from the page's building blocks."""
from __future__ import annotations

import altair as alt
import pandas as pd


def vega_spec(chart) -> dict:
    """An Altair chart of one data frame as the Vega-Lite spec st.altair_chart would send, without its data
    (chart_block draws it beside the frame): Altair's conversion and schema check made once, where a cached
    function keeps the result for every visitor."""
    if not isinstance(chart.data, pd.DataFrame):
        raise ValueError("vega_spec takes a chart of one data frame, given at its top level")
    bare = chart.copy(deep=False)
    bare.data = alt.Data(name="frame")  # a name for the data, not the data: nothing serialized to be dropped
    spec = bare.to_dict()
    del spec["data"]
    return spec
