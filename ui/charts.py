"""Chart builders: pure functions from numpy arrays (what ui.engine returns) to a tidy DataFrame and an
alt.Chart. No streamlit here, so each builder can be tested alone.

Two rules hold for every chart:
- norms are handed over as log10 values and plotted on a linear axis labelled 10^k, so 10^528 and 10^-903
  fit on the same axis (a log-scale axis would break on 0, inf and NaN);
- Altair never receives a non-finite number: −∞ (a product that is exactly zero) is drawn at a floor below
  the smallest finite value and flagged in the column `note`; NaN rows are dropped.
"""
from __future__ import annotations

import math
from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd

from . import theme

FS = max(theme.FONT_SIZE, 14)  # projector: no text below 14 px
NORM, BOUND, RHO, GRAD = theme.SERIES_COLORS  # the four series of the Jacobian-product chart, in order
ZERO_NOTE = "exactly 0 (log = −∞), drawn at the floor"
BIG_NOTE = "too large for float64 (log = +∞), drawn at the ceiling"


# ---------------------------------------------------------------------------------------------------------
# numbers for people

def fmt_pow10(x: float, digits: int = 2, latex: bool = False) -> str:
    """10**x written from its log10 x, never 'inf': 0.42, 3.16, '2.3 × 10^-12', '10^3', '2 × 10^528'.
    −∞ reads '0', +∞ '10^∞' (not expected: the engine's logs are finite), NaN 'n/a'.
    With latex=True the power is written for st.markdown's $…$ (e.g. '2.3 \\times 10^{-12}')."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    x = float(x)
    if x == -math.inf:
        return "0"
    if x == math.inf:
        return r"10^{\infty}" if latex else "10^∞"
    if -3 < x < 3:  # plain: 0.00126 … 999
        return np.format_float_positional(10.0 ** x, precision=digits + 1, fractional=False, trim="-")
    e = math.floor(x)
    mant = 10.0 ** (x - e)
    if round(mant, digits - 1) >= 10:  # 9.99… rounds up to 10
        mant, e = 1.0, e + 1
    m = f"{mant:.{digits}g}"
    if latex:
        return "{" + (f"{m} \\times " if m != "1" else "") + f"10^{{{e}}}" + "}"  # a group: KaTeX won't break it
    return (f"{m} × " if m != "1" else "") + f"10^{e}"


def fmt_num(x: float | None, digits: int = 4) -> str:
    """A metric's value: 4 significant digits, '—' when the quantity does not exist (gated cells)."""
    if x is None:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:.{digits}g}"


def _finite(df: pd.DataFrame, col: str = "log10") -> pd.DataFrame:
    """Replace ±∞ in `col` by a floor / ceiling one decade beyond the finite values (flagged in `note`),
    drop NaN rows. Afterwards every number in df is finite."""
    v = df[col].to_numpy(dtype=np.float64)
    df = df[~np.isnan(v)].copy()
    v = df[col].to_numpy(dtype=np.float64)
    fin = v[np.isfinite(v)]
    lo = math.floor(fin.min()) - 1.0 if fin.size else -1.0
    hi = math.ceil(fin.max()) + 1.0 if fin.size else 1.0
    if "note" not in df:
        df["note"] = ""
    df.loc[np.isneginf(v), "note"] = ZERO_NOTE
    df.loc[np.isposinf(v), "note"] = BIG_NOTE
    df[col] = np.where(np.isneginf(v), lo, np.where(np.isposinf(v), hi, v))
    return df.reset_index(drop=True)


def axis_pow10(title: str, floor: float | None = None) -> alt.Axis:
    """log10 values on a linear axis, labelled 10^k at whole k; the floor (exact zeros), if any, reads '0'.
    Every chart of norms in the app uses it."""
    label = "'10^' + datum.value"
    if floor is not None:
        label = f"datum.value == {floor:g} ? '0' : {label}"
    return alt.Axis(title=title, labelExpr=label, tickMinStep=1, format="d")


def _decades(df: pd.DataFrame, col: str = "log10") -> list[float]:
    """A y domain of whole decades around the data, at least 10^-1 … 10^1, so the ticks read 10^k."""
    v = df[col].to_numpy(dtype=np.float64)
    v = v[np.isfinite(v)]
    lo = math.floor(v.min()) if v.size else 0
    hi = math.ceil(v.max()) if v.size else 0
    return [float(min(lo, -1)), float(max(hi, 1))]


def style(chart, height: int | None = None, legend: str | None = "top", label_limit: int = 400):
    """Every chart of the app: fonts readable on a projector (≥ 14 px), thick legend symbols; `height` in
    pixels (None keeps the chart's own), `legend` its position (None: Vega-Lite's, on the right)."""
    if height is not None:
        chart = chart.properties(height=height)
    legend_kw = {"orient": legend} if legend else {}
    return (chart.configure_axis(labelFontSize=FS, titleFontSize=FS)
            .configure_legend(labelFontSize=FS, titleFontSize=FS, labelLimit=label_limit, symbolStrokeWidth=3,
                              **legend_kw)
            .configure_header(labelFontSize=FS, titleFontSize=FS)
            .configure_title(fontSize=FS + 2))


# ---------------------------------------------------------------------------------------------------------
# Jacobian products against the lag

def jacobian_frame(a: Mapping) -> pd.DataFrame:
    """The chart's data from an Analysis dict (ui.engine.analysis): one row per (lag k, series), with
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
    return _finite(df)


def jacobian_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """log10‖∂h_T/∂h_{T−k}‖ against k with the bound (γ·σ_max)^k, ρ^k and the BPTT gradient norm."""
    names = [n for n in theme.SERIES_COLORS if n in set(df["series"])]
    zero = df["note"] == ZERO_NOTE
    floor = float(df.loc[zero, "log10"].min()) if zero.any() else None
    color = alt.Color("series:N", title=None, sort=names,
                      scale=alt.Scale(domain=names, range=[theme.SERIES_COLORS[n] for n in names]))
    dash = alt.StrokeDash("series:N", sort=names, title=None,  # same field as color: one merged legend
                          scale=alt.Scale(domain=names, range=[[1, 0] if n in (NORM, GRAD) else [8, 5]
                                                               for n in names]))
    chart = alt.Chart(df, title=title or "").mark_line(strokeWidth=3, clip=True).encode(
        x=alt.X("lag:Q", title="lag k = T − i (steps back from the last step T)"),
        y=alt.Y("log10:Q", axis=axis_pow10("norm (log scale)", floor),
                scale=alt.Scale(domain=_decades(df), nice=False)),
        color=color, strokeDash=dash,
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("lag:Q", title="lag k"),
                 alt.Tooltip("value:N", title="value"), alt.Tooltip("log10:Q", title="log10", format=".3f"),
                 alt.Tooltip("note:N")],
    )
    return style(chart, height=420)


# ---------------------------------------------------------------------------------------------------------
# activations: f and f′ side by side

def activation_frame(curves: Mapping[str, Mapping], current: str | None = None) -> pd.DataFrame:
    """Long form of ui.engine.activation_curves(): activation, a, curve ('f(a)' / "f′(a)"), value, γ and
    a two-line panel label 'name|f ∈ codomain, γ = …'."""
    parts = []
    for name, c in curves.items():
        head = f"{name}{' (in use)' if name == current else ''}|f ∈ {c['codomain']},  γ = {c['gamma']:g}"
        for curve, vals in (("f(a)", c["f"]), ("f′(a)", c["df"])):
            parts.append(pd.DataFrame({"activation": name, "panel": head, "a": np.asarray(c["a"], float),
                                       "curve": curve, "value": np.asarray(vals, float),
                                       "gamma": float(c["gamma"])}))
    df = pd.concat(parts, ignore_index=True)
    return df[np.isfinite(df["value"])].reset_index(drop=True)


def activation_chart(df: pd.DataFrame, columns: int = 3, y_lim: float = 1.5) -> alt.Chart:
    """Small multiples: f and f′ per activation, γ = sup|f′| as a dashed horizontal rule. The y axis is
    shared and clipped to ±y_lim so that f′ (≤ 1) can be compared; unbounded f leave the panel."""
    panels = list(dict.fromkeys(df["panel"]))
    y = alt.Y("value:Q", title=None, scale=alt.Scale(domain=[-y_lim, y_lim]))
    lines = alt.Chart().mark_line(strokeWidth=3, clip=True).encode(
        x=alt.X("a:Q", title="pre-activation a"), y=y,
        color=alt.Color("curve:N", title=None, scale=alt.Scale(domain=["f(a)", "f′(a)"],
                                                               range=[theme.INK, "#d97706"])),
        tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("curve:N"), alt.Tooltip("a:Q", format=".2f"),
                 alt.Tooltip("value:Q", format=".4f")])
    rule = alt.Chart().mark_rule(strokeDash=[7, 4], strokeWidth=2, color=theme.SERIES_COLORS[BOUND]).encode(
        y=alt.Y("mean(gamma):Q", scale=alt.Scale(domain=[-y_lim, y_lim])),
        tooltip=[alt.Tooltip("activation:N"), alt.Tooltip("mean(gamma):Q", title="γ = sup|f′|")])
    chart = (alt.layer(lines, rule, data=df).properties(width=230, height=170)
             .facet(facet=alt.Facet("panel:N", sort=panels, title=None,
                                    header=alt.Header(labelExpr="split(datum.value, '|')", labelFontSize=FS)),
                    columns=columns))
    return (chart.configure_axis(labelFontSize=FS, titleFontSize=FS)
            .configure_legend(labelFontSize=FS, orient="top")
            .configure_header(labelFontSize=FS))


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
                        scale=alt.Scale(domain=names, range=[theme.SERIES_COLORS[BOUND], theme.INK])),
        strokeDash=alt.StrokeDash("what:N", title=None, sort=names,
                                  scale=alt.Scale(domain=names, range=[[1, 0], [7, 4]])),
        tooltip=[alt.Tooltip("what:N", title="marker")])
    return style(alt.layer(bars, rules), height=320)


# ---------------------------------------------------------------------------------------------------------
# a chart's data, for tests: every number Altair would receive

def chart_numbers(chart: alt.TopLevelMixin) -> list[float]:
    """All numeric values in the datasets of chart.to_dict() (used to check that none is non-finite)."""
    spec = chart.to_dict()
    out: list[float] = []
    datasets = list(spec.get("datasets", {}).values())
    if isinstance(spec.get("data"), dict) and "values" in spec["data"]:
        datasets.append(spec["data"]["values"])
    for rows in datasets:
        for row in rows:
            out.extend(float(v) for v in row.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
    return out
