"""Charts of the page "Gated cells": the vanilla RNN, the LSTM and the GRU overlaid, log10‖∂s_T/∂s_{T−k}‖
against the lag k. Pure functions: the cells' analyses in, a frame and an alt.Chart out (finite values only)."""
from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from ..settings import CELL_NAMES  # the cells' names, one table (ui.settings)
from ..theme import CELL_COLORS
from .style import axis_pow10, style


CELL_PATH = "LSTM cell path alone, σ(b)ᵏ"  # the dashed line: the forget gate's product at its starting value


def cells_frame(cells: Mapping[str, Mapping], keep: float | None = None) -> pd.DataFrame:
    """Long frame: cell, lag k, log10‖∂s_T/∂s_{T−k}‖, finite values only; with `keep` = σ(b), also the
    product along the LSTM's cell path alone if every forget gate sat at σ(b): k·log10 σ(b)."""
    parts = []
    for kind, a in cells.items():
        lag, v = np.asarray(a["lag"]), np.asarray(a["log10_norm"], dtype=np.float64)
        ok = np.isfinite(v)
        parts.append(pd.DataFrame({"cell": CELL_NAMES.get(kind, kind), "lag": lag[ok], "log10_norm": v[ok]}))
    if keep is not None and 0 < keep and parts:
        lag = np.asarray(next(iter(cells.values()))["lag"])
        parts.append(pd.DataFrame({"cell": CELL_PATH, "lag": lag, "log10_norm": lag * np.log10(keep)}))
    return pd.concat(parts, ignore_index=True)


def cells_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    """The three log-norm curves on one chart, coloured by cell; the LSTM's cell path alone dashed, in the
    LSTM's colour, when the frame has it."""
    names = [CELL_NAMES[k] for k in CELL_COLORS] + ([CELL_PATH] if (df["cell"] == CELL_PATH).any() else [])
    colors = list(CELL_COLORS.values()) + [CELL_COLORS["lstm"]]
    chart = alt.Chart(df).mark_line(strokeWidth=3).encode(
        x=alt.X("lag:Q", title="lag k = T − i (steps back from the last step T)",
                axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("log10_norm:Q", axis=axis_pow10("‖∂s_T/∂s_{T−k}‖₂ (log scale)")),
        color=alt.Color("cell:N", title=None, sort=names, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=names, range=colors[:len(names)])),
        strokeDash=alt.StrokeDash("cell:N", sort=names, legend=None, scale=alt.Scale(
            domain=names, range=[[7, 4] if n == CELL_PATH else [1, 0] for n in names])),
        tooltip=[alt.Tooltip("cell:N"), alt.Tooltip("lag:Q", title="lag k"),
                 alt.Tooltip("log10_norm:Q", title="log10 ‖∂s_T/∂s_{T−k}‖", format=".3f")],
    ).properties(height=380)
    return style(chart, legend=None)
