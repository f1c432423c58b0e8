"""Charts of the page "Live training": pure functions from the trainer's numpy history to
(DataFrame, alt.Chart). No streamlit here. Non-finite values (a diverging step) and exact zeros (states
before a truncation cut) are dropped before Altair sees them."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .. import theme
from ..limits import LIVE_HEAT_COLS, LIVE_HEAT_ROWS
from .style import TEXT, style


def _style(ch: alt.Chart, height: int = 260) -> alt.Chart:
    """The app's chart style (ui.charts.style.style), legend below: these charts sit side by side."""
    return style(ch, height, legend="bottom", label_limit=600)


# a log axis labelled at powers of ten only (10⁻², 10⁻¹, 1, 10), not at Vega's mixed 3, 1, 0.2, 0.03
LOG_AXIS = alt.Axis(values=[10.0 ** k for k in range(-8, 5)], labelExpr=(
    "datum.value >= 1 && datum.value < 1000 ? format(datum.value, 'd') : '10' + replace(replace(replace("
    "replace(replace(replace(replace(replace(replace(replace(replace(format(log(datum.value) / log(10), 'd'), "
    "'-', '⁻'), '0', '⁰'), '1', '¹'), '2', '²'), '3', '³'), '4', '⁴'), '5', '⁵'), '6', '⁶'), '7', '⁷'), "
    "'8', '⁸'), '9', '⁹')"))


def _finite_pos(df: pd.DataFrame, col: str) -> pd.DataFrame:
    v = df[col].to_numpy(dtype=float)
    return df[np.isfinite(v) & (v > 0)]


def loss_frame(h: dict) -> pd.DataFrame:
    df = pd.DataFrame({"step": h["step"], "loss": h["loss"], "accuracy": h["accuracy"]})
    return _finite_pos(df, "loss").reset_index(drop=True)


def loss_chart(df: pd.DataFrame, chance: float | None = None) -> alt.Chart:
    """Loss (log axis) against the training step, with the chance level as a dashed rule."""
    base = alt.Chart(df).mark_line(color=theme.LOSS_COLOR, strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(type="log"), axis=LOG_AXIS),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4g"), alt.Tooltip("accuracy:Q", format=".3f")],
    )
    layers = [base]
    if chance is not None and chance > 0:  # drawn over the loss, thick, and labelled, so it is never hidden
        rule = pd.DataFrame({"chance": [chance], "label": [f"chance {chance:.3g}"]})
        layers.append(alt.Chart(rule).mark_rule(strokeDash=[8, 4], strokeWidth=3, color=theme.INK).encode(
            y="chance:Q", tooltip=[alt.Tooltip("chance:Q", title="chance level", format=".4g")]))
        layers.append(alt.Chart(rule).mark_text(align="left", dx=4, dy=-8, color=TEXT, fontSize=14).encode(
            y="chance:Q", x=alt.value(0), text="label:N"))
    return _style(alt.layer(*layers))


def accuracy_chart(df: pd.DataFrame) -> alt.Chart:
    d = df[np.isfinite(df["accuracy"].to_numpy(dtype=float))]
    return _style(alt.Chart(d).mark_line(color=theme.CELL_COLORS["gru"], strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("accuracy:Q", title="accuracy", scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("accuracy:Q", format=".3f")]), height=200)


def heat_frame(h: dict) -> pd.DataFrame:
    """Long form of log10‖∂L/∂s_t‖ over (training step, time step t); zeros and non-finite cells dropped."""
    steps, G = h["lag_step"], h["grad_h_norm"]
    if G.size == 0:
        return pd.DataFrame({"step": [], "t": [], "log10_grad": []})
    rows = np.arange(max(0, len(steps) - LIVE_HEAT_ROWS), len(steps))
    cols = np.unique(np.linspace(0, G.shape[1] - 1, min(LIVE_HEAT_COLS, G.shape[1])).astype(int))
    sub = G[np.ix_(rows, cols)]
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log10(sub)
    S, Tt = np.meshgrid(steps[rows], cols, indexing="ij")
    df = pd.DataFrame({"step": S.ravel(), "t": Tt.ravel(), "log10_grad": lg.ravel()})
    return df[np.isfinite(df["log10_grad"])].reset_index(drop=True)


def heat_chart(df: pd.DataFrame, T: int) -> alt.Chart:
    """Training step (y, newest at the bottom) × time step t (x), colour = log10‖∂L/∂s_t‖."""
    return _style(alt.Chart(df).mark_rect().encode(
        x=alt.X("t:O", title=f"time step t (0 … {T}); the loss sits at t = {T}",
                axis=alt.Axis(values=list(range(0, T + 1, max(1, T // 10))), labelAngle=0)),
        y=alt.Y("step:O", title="training step", axis=alt.Axis(labelOverlap=True, labelLimit=70, titlePadding=6)),
        color=alt.Color("log10_grad:Q", title="log₁₀‖∂L/∂sₜ‖", scale=alt.Scale(scheme="viridis")),
        tooltip=[alt.Tooltip("step:O", title="training step"), alt.Tooltip("t:O", title="t"),
                 alt.Tooltip("log10_grad:Q", title="log₁₀‖∂L/∂sₜ‖", format=".2f")],
    ), height=300)


def grad_frame(h: dict) -> pd.DataFrame:
    df = pd.DataFrame({"step": np.concatenate([h["step"], h["step"]]),
                       "norm": np.concatenate([h["grad_norm"], h["grad_norm_clipped"]]),
                       "which": ["before clipping"] * len(h["step"]) + ["after clipping"] * len(h["step"])})
    return _finite_pos(df, "norm").reset_index(drop=True)


def grad_chart(df: pd.DataFrame) -> alt.Chart:
    return _style(alt.Chart(df).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("norm:Q", title="‖∂L/∂θ‖", scale=alt.Scale(type="log"), axis=LOG_AXIS),
        color=alt.Color("which:N", title=None, scale=alt.Scale(domain=["before clipping", "after clipping"],
                                                                range=["#c2410c", theme.INK])),
        strokeDash=alt.StrokeDash("which:N", legend=None, scale=alt.Scale(
            domain=["before clipping", "after clipping"], range=[[1, 0], [6, 3]])),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("which:N"), alt.Tooltip("norm:Q", format=".4g")]), height=220)


def spectrum_frame(h: dict) -> pd.DataFrame:
    df = pd.DataFrame({"step": np.concatenate([h["step"], h["step"]]),
                       "value": np.concatenate([h["rho"], h["sigma_max"]]),
                       "which": ["ρ(W)"] * len(h["step"]) + ["σₘₐₓ(W)"] * len(h["step"])})
    return df[np.isfinite(df["value"].to_numpy(dtype=float))].reset_index(drop=True)


def spectrum_chart(df: pd.DataFrame) -> alt.Chart:
    rule = alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(strokeDash=[4, 4], color="#6b7280").encode(y="one:Q")
    lines = alt.Chart(df).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"), y=alt.Y("value:Q", title="ρ(W), σₘₐₓ(W)"),
        color=alt.Color("which:N", title=None, scale=alt.Scale(range=["#0891b2", "#9333ea"])),
        tooltip=[alt.Tooltip("step:Q"), alt.Tooltip("which:N"), alt.Tooltip("value:Q", format=".4f")])
    return _style(alt.layer(lines, rule), height=220)


def compare_frame(archive: list[dict], current: tuple[str, dict] | None) -> pd.DataFrame:
    """The archived runs' losses and the current run's (label, history), "(now)" after its label; the caller
    leaves out a current run that is already in the archive (ui.session.live_training.draw_compare, by the run's
    serial)."""
    parts = [pd.DataFrame({"run": a["label"], "step": a["step"], "loss": a["loss"]}) for a in archive]
    if current is not None and current[1]["step"].size:
        lbl, h = current
        parts.append(pd.DataFrame({"run": lbl + " (now)", "step": h["step"], "loss": h["loss"]}))
    if not parts:
        return pd.DataFrame({"run": [], "step": [], "loss": []})
    return _finite_pos(pd.concat(parts, ignore_index=True), "loss").reset_index(drop=True)


def compare_chart(df: pd.DataFrame) -> alt.Chart:
    """Loss (log axis) against the training step, one line per run. Each step is also drawn as a point: a run
    that has just started has one step in the page's last full rerun, and a line through one point draws
    nothing. Each axis over a single value would have the empty domain [v, v] (Vega then draws one tick,
    "1.000000" for step 1): a single step gets the domain [step − 1, step + 1], a single loss half a decade
    each side."""
    y_scale, x_scale = alt.Scale(type="log"), alt.Scale()
    v, s = df["loss"].to_numpy(dtype=float), df["step"].to_numpy(dtype=float)
    if v.size and v.min() == v.max():
        y_scale = alt.Scale(type="log", domain=[float(v[0]) / 10 ** 0.5, float(v[0]) * 10 ** 0.5])
    if s.size and s.min() == s.max():
        x_scale = alt.Scale(domain=[float(s[0]) - 1, float(s[0]) + 1])
    return _style(alt.Chart(df).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("step:Q", title="training step", scale=x_scale, axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("loss:Q", title="loss", scale=y_scale),
        color=alt.Color("run:N", title=None, scale=alt.Scale(scheme="dark2")),
        tooltip=[alt.Tooltip("run:N"), alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4g")]), height=300)
