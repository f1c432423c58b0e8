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

from ..theme import BOUND_COLOR, HALO, INK, REGIME_COLORS
from .style import fmt_num, style

NEUTRAL = "#f7f7f7"  # the colour of slope 0 on the diverging scale
SLOPE_CLIP = 0.5  # decades per step where the slope's colours saturate (the tooltip keeps the true value)
LINE_COLORS = (INK, BOUND_COLOR)  # scale = 1, and the bound σ_max = 1/γ (purple as the bound elsewhere)
MEASURES = {"slope": "slope per step (decades)", "norm": "log10 ‖∂h_T/∂h_0‖"}


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
    return [f"{scale_symbol} = 1", "σ_max = 1/γ"]


def critical_lines(crit: Mapping, scale_symbol: str, activations, lo: float, hi: float) -> pd.DataFrame:
    """The critical lines inside [lo, hi] on the scale axis: `symbol = 1` at scale 1, and the bound
    γ·σ_max(W) = 1 for each activation (below it, every Jacobian product must vanish)."""
    unit, bound = line_names(scale_symbol)
    rows = [{"line": unit, "activation": a, "scale": 1.0} for a in activations]
    rows += [{"line": bound, "activation": a, "scale": float(crit["bound"][a])} for a in activations]
    df = pd.DataFrame(rows)
    keep = np.isfinite(df["scale"]) & (df["scale"] >= lo) & (df["scale"] <= hi)
    return df[keep].reset_index(drop=True)


def phase_chart(df: pd.DataFrame, y: str, lines: pd.DataFrame, current: Mapping | None = None,
                measure: str = "slope", scale_title: str = "weight scale", scale_symbol: str = "g"
                ) -> alt.TopLevelMixin:
    """Heatmap over scale (log axis) × y ("T" or "activation"); click a cell to select it (param "cell").
    Green outline: the edge; grey outline: the current settings; dashed / dotted rules: critical lines.
    Grey and purple lines sit on a white halo, so they show on blue, white and orange cells alike."""
    c = float(np.abs(df["value"]).max()) or 1.0
    ytype = "O" if y == "T" else "N"
    yenc = alt.Y(f"{y}:{ytype}", title="sequence length T" if y == "T" else "activation f",
                 sort="descending" if y == "T" else None)
    lo, hi = float(df["scale_lo"].min()), float(df["scale_hi"].max())
    xscale = alt.Scale(type="log", domain=[lo, hi], nice=False)
    x = alt.X("scale_lo:Q", title=scale_title, scale=xscale,
              axis=alt.Axis(values=sorted(df["scale"].unique().tolist()), format=".2~f"))
    sel = alt.selection_point(name="cell", fields=["scale", y], on="click", clear=False)
    base = alt.Chart(df).encode(x=x, x2="scale_hi:Q", y=yenc)
    tips = [alt.Tooltip("scale:Q", title=scale_title), alt.Tooltip(f"{y}:{ytype}"),
            alt.Tooltip("slope_text:N", title="slope per step (decades)"),
            alt.Tooltip("norm_text:N", title="log10 ‖∂h_T/∂h_0‖"), alt.Tooltip("regime:N")]
    heat = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("value:Q", title=MEASURES[measure],
                        scale=alt.Scale(domain=[-c, 0, c], range=[REGIME_COLORS["vanishing"], NEUTRAL,
                                                                  REGIME_COLORS["exploding"]]),
                        legend=alt.Legend(orient="right", gradientLength=200)),
        tooltip=tips).add_params(sel)
    outline_names = [f"edge (|slope| ≤ {EDGE_TOL:g})", "current settings"]
    stroke = alt.Stroke("outline:N", title="outline", legend=alt.Legend(orient="bottom"), scale=alt.Scale(
        domain=outline_names, range=[REGIME_COLORS["edge"], INK]))
    edge = base.transform_filter(alt.datum.regime == "edge").transform_calculate(
        outline=f"'{outline_names[0]}'").mark_rect(fill=None, strokeWidth=3).encode(stroke=stroke, tooltip=tips)
    layers = [heat, edge]
    if current is not None:
        cur = df[(np.isclose(df["scale"], current["scale"])) & (df[y] == current[y])].assign(
            outline=outline_names[1])
        if len(cur):
            layers.append(alt.Chart(cur).mark_rect(fill=None, stroke=HALO, strokeWidth=7, opacity=0.85).encode(
                x=x, x2="scale_hi:Q", y=yenc))
            layers.append(alt.Chart(cur).mark_rect(fill=None, strokeWidth=3, strokeDash=[5, 3]).encode(
                x=x, x2="scale_hi:Q", y=yenc, stroke=stroke, tooltip=tips))
    names = line_names(scale_symbol)
    color = alt.Color("line:N", scale=alt.Scale(domain=names, range=list(LINE_COLORS)), title="critical line",
                      legend=alt.Legend(orient="bottom", symbolType="square", symbolSize=200))
    dash = alt.StrokeDash("line:N", scale=alt.Scale(domain=names, range=[[8, 4], [3, 3]]), legend=None)
    line_tips = [alt.Tooltip("line:N", title="critical line"), alt.Tooltip("scale:Q", format=".3f")]
    if len(lines):
        if y == "T":
            one = lines.drop_duplicates("line")
            halo = alt.Chart(one).mark_rule(strokeWidth=7, color=HALO, opacity=0.85).encode(
                x=alt.X("scale:Q", scale=xscale))
            rules = alt.Chart(one).mark_rule(strokeWidth=3).encode(
                x=alt.X("scale:Q", scale=xscale), color=color, strokeDash=dash, tooltip=line_tips)
        else:
            halo = alt.Chart(lines).mark_tick(thickness=7, size=44, orient="vertical", color=HALO,
                                              opacity=0.85).encode(x=alt.X("scale:Q", scale=xscale), y=yenc)
            rules = alt.Chart(lines).mark_tick(thickness=3, size=44, orient="vertical").encode(
                x=alt.X("scale:Q", scale=xscale), y=yenc, color=color,
                tooltip=[alt.Tooltip("activation:N")] + line_tips)
        layers += [halo, rules]
    chart = alt.layer(*layers).properties(height=alt.Step(48)).resolve_scale(color="independent")
    return style(chart, legend=None)


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
