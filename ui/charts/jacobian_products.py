"""Charts of the page "Jacobian products": log10‖∂h_T/∂h_{T−k}‖ against the lag k with the bound
(γ·σ_max)^k, ρ^k and the BPTT gradient norm. Pure functions: ui.cached.model.analysis's dict in, a frame and
an alt.Chart out."""
from __future__ import annotations

from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd

from .. import theme
from .style import ZERO_NOTE, axis_pow10, decades, finite_log, fmt_pow10, style

NORM, BOUND, RHO, GRAD = theme.SERIES_COLORS  # the four series, in order
PREDICTED = "mean-field prediction"  # the slope theory predicts, drawn from lag 0 (rnn.mean_field_for)
SERIES = {**theme.SERIES_COLORS, PREDICTED: theme.THEORY_COLOR}


def jacobian_frame(a: Mapping) -> pd.DataFrame:
    """The chart's data from an Analysis dict (ui.cached.model.analysis): one row per (lag k, series), with
    log10 of the value, its printed form and a note. Lag 0 is the start: ‖∂h_T/∂h_T‖ = ‖I‖ = 1 and
    ‖∂L/∂h_T‖. The overlays are skipped where they do not exist (gated cells)."""
    lag = np.asarray(a["lag"], dtype=np.int64)
    k = np.concatenate([[0], lag])
    series = [(NORM, 0.0, a.get("log10_norm")), (BOUND, 0.0, a.get("log10_bound")),
              (RHO, 0.0, a.get("log10_rho")), (GRAD, a.get("log10_grad_T"), a.get("log10_grad"))]
    parts = []
    for name, at0, vals in series:
        if vals is None:
            continue
        v = np.concatenate([[np.nan if at0 is None else float(at0)], np.asarray(vals, dtype=np.float64)])
        parts.append(pd.DataFrame({"lag": k, "series": name, "log10": v}))
    df = pd.concat(parts, ignore_index=True)
    df["value"] = [fmt_pow10(x) for x in df["log10"]]  # printed before ±∞ are moved to floor / ceiling
    return finite_log(df)



def with_prediction(df: pd.DataFrame, slope: float | None) -> pd.DataFrame:
    """The frame with mean-field theory's line log10 = slope·k added as the series PREDICTED, from lag 0 to
    where it leaves the range of the measured lines (‖∂h_T/∂h_{T−k}‖ and the gradient, their finite values),
    so it never stretches the chart; the frame unchanged when there is no finite slope to draw."""
    if slope is None or not np.isfinite(slope):
        return df
    measured = df[df["series"].isin([NORM, GRAD]) & (df["note"] == "")]
    if measured.empty:
        return df
    lo, hi = float(min(measured["log10"].min(), 0.0)), float(max(measured["log10"].max(), 0.0))
    k_max = float(df["lag"].max())
    # the line log10 = P·k meets the edge of the range at k = lo/P (falling) or hi/P (rising)
    k_end = k_max if slope == 0 else min(k_max, (lo if slope < 0 else hi) / slope)
    k = np.unique(np.concatenate([np.arange(0, np.floor(k_end) + 1), [k_end]]))
    line = pd.DataFrame({"lag": k, "series": PREDICTED, "log10": slope * k})
    line["value"] = [fmt_pow10(v) for v in line["log10"]]
    line["note"] = f"mean-field theory: {slope:+.4f} decades per step"
    return pd.concat([df, line], ignore_index=True)


def jacobian_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """log10‖∂h_T/∂h_{T−k}‖ against k with the bound (γ·σ_max)^k, ρ^k and the BPTT gradient norm."""
    names = [n for n in SERIES if n in set(df["series"])]
    zero = df["note"] == ZERO_NOTE
    floor = float(df.loc[zero, "log10"].min()) if zero.any() else None
    color = alt.Color("series:N", title=None, sort=names,
                      scale=alt.Scale(domain=names, range=[SERIES[n] for n in names]))
    dash = alt.StrokeDash("series:N", sort=names, title=None,  # same field as color: one merged legend
                          scale=alt.Scale(domain=names, range=[[1, 0] if n in (NORM, GRAD) else [8, 5]
                                                               for n in names]))
    chart = alt.Chart(df, title=title or "").mark_line(strokeWidth=3, clip=True).encode(
        x=alt.X("lag:Q", title="lag k = T − i (steps back from the last step T)"),
        y=alt.Y("log10:Q", axis=axis_pow10("norm (log scale)", floor),
                scale=alt.Scale(domain=decades(df), nice=False)),
        color=color, strokeDash=dash,
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("lag:Q", title="lag k"),
                 alt.Tooltip("value:N", title="value"), alt.Tooltip("log10:Q", title="log10", format=".3f"),
                 alt.Tooltip("note:N")],
    )
    return style(chart, height=420)
