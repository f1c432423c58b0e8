"""Charts of the page "Phase diagram": the slope per step (or log10‖∂h_T/∂h_0‖) over weight scale × sequence
length and weight scale × activation, with the critical lines.

Pure functions: frames and dicts in, alt.Chart out; every value handed to Altair is finite. Regime colours
come from ui.theme: a diverging scale centred at 0, blue for vanishing, orange for exploding, green outline
for the edge (|slope| ≤ EDGE_TOL). References: Pascanu, Mikolov & Bengio (2013) for the bound γ·σ_max < 1;
Poole et al. (2016) and Chen, Pennington & Schoenholz (2018) for the order-to-chaos edge of recurrent nets.
"""
from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from rnn.jacobians import EDGE_TOL, classify

from ..settings import ACTIVATION_NAMES, DISPLAY_NAMES
from ..theme import BOUND_COLOR, HALO, INK, REGIME_COLORS
from .style import fmt_num, style

NEUTRAL = "#f7f7f7"  # the colour of slope 0 on the diverging scale
SLOPE_CLIP = 0.5  # decades per step where the slope's colours saturate (the tooltip keeps the true value)
LINE_COLORS = (INK, BOUND_COLOR)  # scale = 1, and the bound σ_max = 1/γ (purple as the bound elsewhere)
MEASURES = {"slope": "slope per step (decades)", "norm": "whole product, log₁₀‖∂h_T/∂h₀‖"}
NORM_LINEAR = 1.0  # decades: the norm's colour scale is linear within ±NORM_LINEAR, logarithmic beyond (symlog)
COLOUR_LEGEND_PX = 260  # the colour legend's length, the same for both measures
OUTLINES = (f"edge (|slope| ≤ {EDGE_TOL:g})", "current settings")
NEAREST = "nearest cell to the current settings"  # the outline when the sidebar's T or scale is off the grid
OUTLINE_STYLE = {OUTLINES[0]: (REGIME_COLORS["edge"], [1, 0]), OUTLINES[1]: (INK, [5, 3]),
                 NEAREST: (INK, [5, 3])}  # colour, dash


def _edges(values) -> tuple[np.ndarray, np.ndarray]:
    """Cell edges on a log axis: geometric midpoints between neighbours, mirrored at the ends."""
    v = np.asarray(values, dtype=np.float64)
    mid = np.sqrt(v[1:] * v[:-1])
    lo = np.concatenate([[v[0] ** 2 / mid[0]], mid]) if v.size > 1 else v / 1.2
    hi = np.concatenate([mid, [v[-1] ** 2 / mid[-1]]]) if v.size > 1 else v * 1.2
    return lo, hi


def phase_frame(grid: pd.DataFrame, measure: str = "slope") -> pd.DataFrame:
    """The grid with what the heatmap needs: cell edges on the scale axis, the regime, and `value` (the chosen
    measure made finite: ±∞ set to the end of the colour range, NaN rows dropped)."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURES)}")
    df = grid.copy()
    df = df[~df["slope"].isna()]
    scales = np.sort(df["scale"].unique())
    lo, hi = _edges(scales)
    df["scale_lo"] = df["scale"].map(dict(zip(scales, lo)))
    df["scale_hi"] = df["scale"].map(dict(zip(scales, hi)))
    df["regime"] = [classify(v) for v in df["slope"]]
    raw = df["slope" if measure == "slope" else "log10_norm_T"].to_numpy(dtype=np.float64)
    finite = raw[np.isfinite(raw)]
    c = float(np.abs(finite).max()) if finite.size else 1.0
    # the colour range: symmetric about 0; for the slope at least ±5·EDGE_TOL and at most ±SLOPE_CLIP
    c = min(max(c, 5 * EDGE_TOL), SLOPE_CLIP) if measure == "slope" else max(c, 1.0)
    df["value"] = np.clip(np.nan_to_num(raw, nan=0.0, posinf=c, neginf=-c), -c, c)
    df["slope_text"] = [fmt_num(v, 4, fixed=True) for v in df["slope"]]
    df["norm_text"] = [fmt_num(v, 2, fixed=True) for v in df["log10_norm_T"]]
    return df.drop(columns=["slope", "log10_norm_T"]).reset_index(drop=True)


def line_names(scale_symbol: str) -> list[str]:
    """The names of the two critical lines: the scale's own unit (g = 1, ρ = 1 or σ_max = 1), and the bound."""
    return [f"{scale_symbol} = 1", "σₘₐₓ = 1/γ"]


def critical_lines(crit: Mapping, scale_symbol: str, activations, lo: float, hi: float) -> pd.DataFrame:
    """The critical lines inside [lo, hi] on the scale axis: `symbol = 1` at scale 1, and the bound
    γ·σ_max(W) = 1 for each activation (below it, every Jacobian product must vanish)."""
    unit, bound = line_names(scale_symbol)
    rows = [{"line": unit, "activation": a, "scale": 1.0} for a in activations]
    rows += [{"line": bound, "activation": a, "scale": float(crit["bound"][a])} for a in activations]
    df = pd.DataFrame(rows)
    keep = np.isfinite(df["scale"]) & (df["scale"] >= lo) & (df["scale"] <= hi)
    return df[keep].reset_index(drop=True)


def colour_limit(df: pd.DataFrame) -> float:
    """The end of the colour range, ±c: the largest |value| of the frame (phase_frame has already clipped the
    slope to ±SLOPE_CLIP and set ±∞ to the end of the range)."""
    return float(np.abs(df["value"]).max()) or 1.0


def colour_scale(measure: str, c: float) -> alt.Scale:
    """The diverging colour scale, blue at −c, near-white at 0, orange at +c. The slope is linear; the norm's
    log10 grows with T (±400 decades at T = 500 beside ±8 at T = 10), so it is a symmetric log scale (linear
    within ±NORM_LINEAR decades, logarithmic beyond): a short row of a few decades keeps visible colour."""
    kw = {"type": "symlog", "constant": NORM_LINEAR} if measure == "norm" else {}
    return alt.Scale(domain=[-c, 0, c], range=[REGIME_COLORS["vanishing"], NEUTRAL, REGIME_COLORS["exploding"]],
                     **kw)


def colour_position(v: float, c: float, measure: str) -> float:
    """Where a value falls on the colour scale, from 0 (near-white) to 1 (full blue or orange): what
    colour_scale does (for tests)."""
    if measure == "norm":
        f = lambda x: np.log1p(abs(x) / NORM_LINEAR)  # noqa: E731 (Vega's symlog, up to the sign)
        return float(min(f(v) / f(c), 1.0))
    return float(min(abs(v) / c, 1.0))


def _legend_values(measure: str, c: float) -> list[float] | None:
    """The norm's legend labels on its symlog gradient: 0 and ±10^k inside ±c (±1 only when c is small, else
    it crowds 0); None lets Vega choose for the linear slope."""
    if measure != "norm":
        return None
    ks = [10.0 ** k for k in range(0 if c < 30 else 1, 6) if 10.0 ** k <= c]
    return [-v for v in reversed(ks)] + [0.0] + ks


def phase_chart(df: pd.DataFrame, y: str, lines: pd.DataFrame, current: Mapping | None = None,
                measure: str = "slope", scale_title: str = "weight scale", scale_symbol: str = "g"
                ) -> alt.TopLevelMixin:
    """Heatmap over scale (log axis) × y ("T" or "activation"); click a cell to select it (param "cell").
    Green outline: the edge (only where a cell is at the edge, and only then in the legend); dashed grey
    outline: the current settings, drawn above everything else; dashed / dotted rules (one short rule per
    row for the activations): critical lines, shown as lines in their legend. Grey and purple lines sit on a
    white halo, so they show on blue, white and orange cells alike. The colour legend sits above the chart in both
    measures, at a fixed length, so the plot keeps its width and place when the measure changes."""
    c = colour_limit(df)
    ytype = "O" if y == "T" else "N"
    ytitle = "sequence length T" if y == "T" else "activation f"
    yscale = alt.Scale(paddingInner=0, paddingOuter=0)  # rows touch, whichever marks share the axis
    # the activations' rows read as words (leaky ReLU), the data keeps the identifier a click loads
    words = " : ".join(f"datum.label == '{k}' ? '{v}'" for k, v in DISPLAY_NAMES.items() if k in ACTIVATION_NAMES)
    yaxis = alt.Axis(labelExpr=f"{words} : datum.label") if y == "activation" and words else alt.Undefined
    yenc = alt.Y(f"{y}:{ytype}", title=ytitle, sort="descending" if y == "T" else None, scale=yscale, axis=yaxis)
    lo, hi = float(df["scale_lo"].min()), float(df["scale_hi"].max())
    xscale = alt.Scale(type="log", domain=[lo, hi], nice=False)
    x = alt.X("scale_lo:Q", title=scale_title, scale=xscale,
              axis=alt.Axis(values=sorted(df["scale"].unique().tolist()), format=".2~f"))
    sel = alt.selection_point(name="cell", fields=["scale", y], on="click", clear=False)
    base = alt.Chart(df).encode(x=x, x2="scale_hi:Q", y=yenc)
    tips = [alt.Tooltip("scale:Q", title=scale_title), alt.Tooltip(f"{y}:{ytype}"),
            alt.Tooltip("slope_text:N", title="slope per step (decades)"),
            alt.Tooltip("norm_text:N", title="log₁₀‖∂h_T/∂h₀‖"), alt.Tooltip("regime:N")]
    values = _legend_values(measure, c)
    heat = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("value:Q", title=MEASURES[measure], scale=colour_scale(measure, c),
                        legend=alt.Legend(orient="top", direction="horizontal", gradientLength=COLOUR_LEGEND_PX,
                                          titleOrient="left", **({"values": values} if values else {}))),
        tooltip=tips).add_params(sel)
    layers = [heat]

    names = line_names(scale_symbol)
    legend = alt.Legend(orient="bottom", direction="vertical", symbolType="stroke", symbolSize=400)
    color = alt.Color("line:N", scale=alt.Scale(domain=names, range=list(LINE_COLORS)), title="critical line",
                      legend=legend)
    dash = alt.StrokeDash("line:N", scale=alt.Scale(domain=names, range=[[8, 4], [3, 3]]), title="critical line",
                          legend=legend)
    line_tips = [alt.Tooltip("line:N", title="critical line"), alt.Tooltip("scale:Q", format=".3f")]
    if len(lines):
        if y == "T":  # one rule across every row
            data, pos = lines.drop_duplicates("line"), {}
        else:  # a short rule in each activation's row, where its own bound lies (the rows' gaps kept)
            data = lines
            pos = {"y": alt.Y(f"{y}:{ytype}", title=ytitle, sort=None, scale=yscale, bandPosition=0.04),
                   "y2": alt.Y2(y, bandPosition=0.96)}
            line_tips = [alt.Tooltip("activation:N")] + line_tips
        halo = alt.Chart(data).mark_rule(strokeWidth=7, color=HALO, opacity=0.85).encode(
            x=alt.X("scale:Q", scale=xscale), **pos)
        rules = alt.Chart(data).mark_rule(strokeWidth=3).encode(
            x=alt.X("scale:Q", scale=xscale), color=color, strokeDash=dash, tooltip=line_tips, **pos)
        layers.append(alt.layer(halo, rules))  # one colour and dash scale, so one legend of lines

    cur = pd.DataFrame()
    here = nearest_cell(df, current, y) if current is not None else None
    if here is not None:  # the sidebar's cell, or the nearest one when its T or scale is not on the grid
        label = OUTLINES[1] if here["exact"] else NEAREST
        cur = df[(np.isclose(df["scale"], here["scale"])) & (df[y] == here[y])].assign(outline=label)
    drawn = [OUTLINES[0]] if (df["regime"] == "edge").any() else []
    drawn += [cur["outline"].iloc[0]] if len(cur) else []
    # above the critical lines, so a line never hides the current settings; bars, not rects: Vega-Lite
    # drops strokeDash on rect marks, and the current settings' outline is dashed
    outlines = []
    if drawn:  # a legend of the outlines that are drawn, and nothing else
        olegend = alt.Legend(orient="bottom", direction="vertical", symbolType="square", symbolSize=300)
        stroke = alt.Stroke("outline:N", title="outline", legend=olegend, scale=alt.Scale(
            domain=drawn, range=[OUTLINE_STYLE[o][0] for o in drawn]))
        odash = alt.StrokeDash("outline:N", title="outline", legend=olegend, scale=alt.Scale(
            domain=drawn, range=[OUTLINE_STYLE[o][1] for o in drawn]))
    if OUTLINES[0] in drawn:
        outlines.append(base.transform_filter(alt.datum.regime == "edge").transform_calculate(
            outline=f"'{OUTLINES[0]}'").mark_bar(fill=None, strokeWidth=3).encode(
            stroke=stroke, strokeDash=odash, tooltip=tips))
    if len(cur):
        outlines.append(alt.Chart(cur).mark_rect(fill=None, stroke=HALO, strokeWidth=7, opacity=0.85).encode(
            x=x, x2="scale_hi:Q", y=yenc))
        outlines.append(alt.Chart(cur).mark_bar(fill=None, strokeWidth=3).encode(
            x=x, x2="scale_hi:Q", y=yenc, stroke=stroke, strokeDash=odash, tooltip=tips))
    if outlines:
        layers.append(alt.layer(*outlines))
    # each group keeps its own scales, so colour and dash merge into one legend per group
    chart = alt.layer(*layers).properties(height=alt.Step(48)).resolve_scale(
        color="independent", stroke="independent", strokeDash="independent")
    return style(chart, legend=None)


def _log(v: float) -> float:
    return float(np.log(max(float(v), 1e-12)))  # scale 0 (W = 0) sits left of every column


def nearest_cell(df: pd.DataFrame, current: Mapping, y: str) -> dict | None:
    """The cell of the grid that stands for the sidebar's settings: {"scale": …, y: …, "exact": bool}. The
    nearest column and row on the log axes when the sidebar's scale or T is not one of the grid's (T = 150
    between the rows 100 and 200: the nearer in ratio, 200 for 150 and 100 for 140); None when the grid has
    no such row (an activation it does not list) or no cells."""
    if not len(df):
        return None
    scales = np.sort(df["scale"].unique())
    sc = float(scales[np.argmin([abs(_log(v) - _log(current["scale"])) for v in scales])])
    if y == "T":
        rows = np.sort(df["T"].unique())
        row = int(rows[np.argmin([abs(_log(v) - _log(current["T"])) for v in rows])])
    else:
        row = current[y]
        if row not in set(df[y]):
            return None
    exact = bool(np.isclose(sc, current["scale"])) and row == current[y]
    return {"scale": sc, y: row, "exact": exact}


def here_note(df: pd.DataFrame, current: Mapping, y: str, scale_symbol: str = "g") -> str:
    """The caption's words for the dashed outline: where it is, and why there when the sidebar's settings are
    not a cell of the grid."""
    here = nearest_cell(df, current, y)
    if here is None:
        return "The current settings are not in this diagram, so no cell is outlined."
    if here["exact"]:
        return "Dashed grey outline: the current settings."
    off = []
    if not np.isclose(here["scale"], current["scale"]):
        off.append(f"{scale_symbol} = {current['scale']:g} is not a column (nearest: {here['scale']:g})")
    if y == "T" and here["T"] != current["T"]:
        off.append(f"T = {current['T']} is not a row (nearest: {here['T']})")
    return ("Dashed grey outline: the cell nearest the current settings, since " + " and ".join(off)
            + "; a click on a cell loads its own settings.")


def picked(state, y: str) -> dict | None:
    """The settings a click on a phase-diagram cell asks for, from st.altair_chart's selection state:
    {"scale": …, y: …}, or None when nothing (or something unreadable) is selected."""
    try:
        sel = state["selection"]["cell"]
    except (KeyError, TypeError, AttributeError):
        return None
    if isinstance(sel, Mapping):
        sel = [sel]
    if not sel or not isinstance(sel[0], Mapping) or "scale" not in sel[0] or y not in sel[0]:
        return None
    v = sel[0][y]
    v = v[0] if isinstance(v, list) and v else v
    sc = sel[0]["scale"]
    sc = sc[0] if isinstance(sc, list) and sc else sc
    return {"scale": float(sc), y: int(v) if y == "T" else str(v)}
