"""The chart of the page "Jacobian products", made once per settings and shared by every visitor. A class that
opens one link would otherwise build the same frame and convert the same Altair chart thirty times, and
Altair's conversion (a validation against the Vega-Lite schema) runs under a lock every session shares
(benchmarks/RESULTS_LOAD.md: thirty sessions on one link). It takes the page's analysis (ui.cached.model.analysis,
called by the page first) as a plain value, so that it calls no other cached function (cached functions are
leaves, ui/cached/__init__.py); hashing its few arrays per lag costs far less than the conversion it saves."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ..charts import jacobian_products as C
from ..charts.projector import for_projector
from ..charts.spec import vega_spec
from ..limits import CACHE_ENTRIES


@st.cache_data(max_entries=CACHE_ENTRIES["jacobian_chart"], show_spinner=False)
def chart(a: dict, predicted: float | None, projector: bool) -> tuple[dict, pd.DataFrame]:
    """The Vega-Lite spec of log10‖∂h_T/∂h_{T−k}‖ against the lag (C.jacobian_chart, restyled for a projector
    when `projector`) and its frame, for the analysis `a` (ui.cached.model.analysis's dict), with mean-field
    theory's slope `predicted` drawn when not None."""
    df = C.with_prediction(C.jacobian_frame(a), predicted)
    c = C.jacobian_chart(df)
    return vega_spec(for_projector(c) if projector else c), df
