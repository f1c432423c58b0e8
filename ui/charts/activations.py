"""Charts of the page "Activations": f beside f′ with the bound γ = sup|f′| for every activation, and the
histogram of f′(a_t) along the sidebar's trajectory. Pure functions: arrays in, a frame and an alt.Chart out."""
from __future__ import annotations

from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd

from .. import theme
from ..settings import display_name
from .style import FS, fmt_num, style


def activation_frame(curves: Mapping[str, Mapping], current: str | None = None) -> pd.DataFrame:
    """Long form of ui.cached.activations.activation_curves(): activation, a, curve ('f(a)' / "f′(a)"), value, γ and
    a two-line panel label 'name|f ∈ codomain, γ = …'."""
    parts = []
    for name, c in curves.items():
        head = (f"{display_name(name)}{' (in use)' if name == current else ''}|f ∈ {c['codomain']},  "
                f"γ = {c['gamma']:g}")
        for curve, vals in (("f(a)", c["f"]), ("f′(a)", c["df"])):
            parts.append(pd.DataFrame({"activation": name, "panel": head, "a": np.asarray(c["a"], float),
                                       "curve": curve, "value": np.asarray(vals, float),
                                       "gamma": float(c["gamma"])}))
    df = pd.concat(parts, ignore_index=True)
    return df[np.isfinite(df["value"])].reset_index(drop=True)


GAMMA_RULE = "γ = sup|f′|"  # the legend's name of the dashed purple rule
# The y ticks the page is about: f′ ≤ 1 (tanh, relu, linear), ¼ (the sigmoid's bound), 0, and −1 for f. Vega's
# own ticks every 0.5 dropped every other label in a 170 px panel (1 among them) and never showed ¼; here every
# tick keeps its label, ¼ set above its line and 0 below its own so the two, 0.25 apart, never overlap.
Y_TICKS = [-1.0, 0.0, 0.25, 1.0]
Y_AXIS = alt.Axis(values=Y_TICKS, labelOverlap=False,
                  labelExpr="datum.value == 0.25 ? '¼' : format(datum.value, '~g')",
                  labelBaseline=alt.ExprRef("datum.value == 0.25 ? 'bottom' : datum.value == 0 ? 'top' : "
                                            "'middle'"))
HEADER_FS = FS + 4  # panel titles above the axes' size (they name the activation); set in the config only, which
# projector mode raises (ui.charts.projector: header titles at its TITLE_FS)
CURVES = ("f(a)", "f′(a)", GAMMA_RULE)  # every mark of the panels, in the legend's order


def activation_chart(df: pd.DataFrame, columns: int = 2, y_lim: float = 1.5) -> alt.Chart:
    """Small multiples: f and f′ per activation, γ = sup|f′| as a dashed horizontal rule; one legend names all
    three (colour and dash). The y axis is shared and clipped to ±y_lim so that f′ (≤ 1) can be compared;
    unbounded f leave the panel. Every panel has its own x axis (the x scale stays shared), so a panel above
    the last row's empty cell keeps its axis and no axis hangs under the empty cell."""
    panels = list(dict.fromkeys(df["panel"]))
    yscale = alt.Scale(domain=[-y_lim, y_lim])
    color = alt.Color("curve:N", title=None, sort=list(CURVES),
                      scale=alt.Scale(domain=list(CURVES), range=[theme.INK, "#d97706", theme.BOUND_COLOR]))
    dash = alt.StrokeDash("curve:N", title=None, sort=list(CURVES),
                          scale=alt.Scale(domain=list(CURVES), range=[[1, 0], [1, 0], [7, 4]]))
    lines = alt.Chart().mark_line(strokeWidth=3, clip=True).encode(
        x=alt.X("a:Q", title="pre-activation a"), y=alt.Y("value:Q", title=None, scale=yscale, axis=Y_AXIS),
        color=color, strokeDash=dash,
        tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("curve:N"), alt.Tooltip("a:Q", format=".2f"),
                 alt.Tooltip("value:Q", format=".4f")])
    rule = (alt.Chart().transform_aggregate(gamma="mean(gamma)", groupby=["activation"])
            .transform_calculate(curve=f"'{GAMMA_RULE}'")
            .mark_rule(strokeWidth=2).encode(
                y=alt.Y("gamma:Q", scale=yscale), color=color, strokeDash=dash,
                tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("gamma:Q", title=GAMMA_RULE)]))
    chart = (alt.layer(lines, rule, data=df).properties(width=240, height=170)
             .facet(facet=alt.Facet("panel:N", sort=panels, title=None,
                                    header=alt.Header(labelExpr="split(datum.value, '|')")),
                    columns=columns)
             .resolve_axis(x="independent"))
    return (chart.configure_axis(labelFontSize=FS, titleFontSize=FS)
            .configure_legend(labelFontSize=FS, orient="top", symbolStrokeWidth=3, symbolType="stroke",
                              symbolSize=400)
            .configure_header(labelFontSize=HEADER_FS, labelFontWeight="bold"))


def fprime_frame(values: np.ndarray, gamma: float, bins: int = 40) -> pd.DataFrame:
    """Histogram of f′(a_t) over every step and unit: bin edges, count and share of all values."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    top = max(float(gamma), float(v.max()) if v.size else 0.0, 1e-12)
    counts, edges = np.histogram(v, bins=bins, range=(0.0, top))
    total = max(int(counts.sum()), 1)
    return pd.DataFrame({"from": edges[:-1], "to": edges[1:], "count": counts.astype(np.int64),
                         "share": counts / total})


def fprime_chart(df: pd.DataFrame, gamma: float, mean_abs: float) -> alt.Chart:
    """Bars: share of f′(a_t) values per bin; solid rule at γ, dashed rule at mean |f′|."""
    bars = alt.Chart(df).mark_bar(color="#d97706", opacity=0.85).encode(
        x=alt.X("from:Q", title="f′(a_t) over all steps t and units", bin="binned"), x2="to:Q",
        y=alt.Y("share:Q", title="share of values", axis=alt.Axis(format="%")),
        tooltip=[alt.Tooltip("from:Q", format=".3f", title="from"), alt.Tooltip("to:Q", format=".3f", title="to"),
                 alt.Tooltip("count:Q"), alt.Tooltip("share:Q", format=".1%")])
    marks = pd.DataFrame({"x": [float(gamma), float(mean_abs)],
                          "what": [f"γ = sup|f′| = {gamma:g}", f"mean |f′| = {fmt_num(mean_abs)}"]})
    names = list(marks["what"])
    marks = marks[np.isfinite(marks["x"])]
    rules = alt.Chart(marks).mark_rule(strokeWidth=3).encode(
        x="x:Q",
        color=alt.Color("what:N", title=None, sort=names,
                        scale=alt.Scale(domain=names, range=[theme.BOUND_COLOR, theme.INK])),
        strokeDash=alt.StrokeDash("what:N", title=None, sort=names,
                                  scale=alt.Scale(domain=names, range=[[1, 0], [7, 4]])),
        tooltip=[alt.Tooltip("what:N", title="marker")])
    return style(alt.layer(bars, rules), height=320)
