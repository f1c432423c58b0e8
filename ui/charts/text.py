"""Charts of the page "Text": bits per character as two models train, and "how far back does it look?" —
the characters before a position drawn as text marks on a heat strip of log10‖∂L_p/∂x_q‖. Pure functions:
numpy in, (DataFrame, alt.Chart) out, every number finite (ui.charts.style.finite_log). No streamlit here.

The visitor's characters reach the browser only as data of Altair text marks (drawn as SVG/canvas text,
never parsed as HTML); invisible ones are shown by a visible stand-in (␣ for a space, ↵ for a newline, ◌ under
a combining mark that stands alone)."""
from __future__ import annotations

import math
import unicodedata

import altair as alt
import numpy as np
import pandas as pd

from .. import theme
from ..settings import CELL_NAMES as NAMES  # the cells' names, one table (ui.settings)
from .style import TEXT, finite_log, style

_SHOWN = {" ": "␣", "\n": "↵"}


def shown(ch: str) -> str:
    """A character as it is drawn in a cell."""
    if ch in _SHOWN:
        return _SHOWN[ch]
    return "◌" + ch if unicodedata.combining(ch) else ch


def bits_frame(histories: dict[str, dict]) -> pd.DataFrame:
    """Long form (step, bits, model) of each run's loss in bits per character (finite values only)."""
    parts = [pd.DataFrame({"step": h["step"], "bits": np.asarray(h["loss"], float) / math.log(2),
                           "model": NAMES.get(k, k)}) for k, h in histories.items()]
    if not parts:
        return pd.DataFrame({"step": [], "bits": [], "model": []})
    df = pd.concat(parts, ignore_index=True)
    return df[np.isfinite(df["bits"].to_numpy(float))].reset_index(drop=True)


def bits_chart(df: pd.DataFrame, unigram: float, uniform: float) -> alt.Chart:
    """Bits per character against the training step (linear axis, points as well as lines, so a run with one
    step shows), with the uniform guess log2 V and the unigram entropy as dashed rules."""
    names = [m for m in NAMES.values() if m in set(df["model"])]
    lines = alt.Chart(df).mark_line(strokeWidth=2, point=alt.OverlayMarkDef(size=12)).encode(
        x=alt.X("step:Q", title="training step", axis=alt.Axis(format="d", tickMinStep=1)),
        y=alt.Y("bits:Q", title="bits per character", scale=alt.Scale(zero=True)),
        color=alt.Color("model:N", title=None, scale=alt.Scale(
            domain=names, range=[theme.CELL_COLORS[k] for k, v in NAMES.items() if v in names])),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("step:Q"), alt.Tooltip("bits:Q", format=".3f")])
    base = pd.DataFrame({"bits": [uniform, unigram],
                         "baseline": [f"uniform guess log₂ V = {uniform:.2f}", f"unigram entropy = {unigram:.2f}"]})
    rules = alt.Chart(base).mark_rule(strokeDash=[6, 4], strokeWidth=2).encode(
        y="bits:Q", color=alt.value("#6b7280"),
        tooltip=[alt.Tooltip("baseline:N", title="baseline")])
    # the uniform guess is never below the unigram entropy: its label above its rule, the other's below
    # its own, so the two never print over each other however close the two values are
    labels = [alt.Chart(base.iloc[[i]]).mark_text(align="left", baseline=b, dx=4, dy=dy, fontSize=14,
                                                   color=TEXT).encode(y="bits:Q", text="baseline:N", x=alt.value(0))
              for i, b, dy in ((0, "bottom", -4), (1, "top", 4))]
    return style(alt.layer(lines, rules, *labels), 280, legend="bottom")


def influence_frame(text: str, position: int, start: int, norms: np.ndarray, wrap: int) -> pd.DataFrame:
    """One row per character q = start … p (the last is the predicted one, kind "target"): where it is drawn
    (row, col: `wrap` to a row), the character and its stand-in, the lag p − q and log10‖∂L_p/∂x_q‖ (the
    target's is the floor, as it is not an input)."""
    q = np.arange(start, position + 1)
    with np.errstate(divide="ignore"):
        lg = np.append(np.log10(np.asarray(norms, dtype=np.float64)), np.nan)
    i = q - start
    df = pd.DataFrame({"q": q, "row": i // wrap, "col": i % wrap, "char": [text[j] for j in q],
                       "shown": [shown(text[j]) for j in q], "lag": position - q, "log10": lg,
                       "kind": ["input"] * (len(q) - 1) + ["target"]})
    target = df[df["kind"] == "target"]
    return pd.concat([finite_log(df[df["kind"] == "input"]), target.assign(log10=0.0, note="predicted")],
                     ignore_index=True)


def shared_domain(frames: list[pd.DataFrame]) -> list[float]:
    """One colour domain for the strips compared side by side (the inputs' log10 values), at least a decade."""
    v = np.concatenate([f.loc[f["kind"] == "input", "log10"].to_numpy(float) for f in frames] or [np.zeros(0)])
    v = v[np.isfinite(v)]
    lo, hi = (float(v.min()), float(v.max())) if v.size else (-1.0, 0.0)
    return [lo, max(hi, lo + 1.0)]


def influence_chart(df: pd.DataFrame, domain: list[float]) -> alt.Chart:
    """The characters as text marks on cells coloured by log10‖∂L_p/∂x_q‖ (viridis, bright = strong); the
    predicted character outlined, grey."""
    rows = int(df["row"].max()) + 1 if len(df) else 1  # a Python int: a numpy one breaks the spec
    x = alt.X("col:O", axis=None)
    y = alt.Y("row:O", axis=None)
    tip = [alt.Tooltip("char:N", title="character"), alt.Tooltip("lag:Q", title="characters back"),
           alt.Tooltip("log10:Q", title="log₁₀‖∂Lₚ/∂x(q)‖", format=".2f"), alt.Tooltip("note:N", title="")]
    inputs = alt.Chart(df[df["kind"] == "input"])
    cells = inputs.mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y, tooltip=tip,
        color=alt.Color("log10:Q", title="log₁₀‖∂Lₚ/∂x(q)‖", scale=alt.Scale(scheme="viridis", domain=domain),
                        legend=alt.Legend(gradientLength=60)))
    mid = (domain[0] + domain[1]) / 2
    chars = inputs.mark_text(fontSize=16, fontWeight="bold").encode(
        x=x, y=y, text="shown:N", tooltip=tip,
        color=alt.condition(f"datum.log10 < {mid!r}", alt.value("white"), alt.value("black")))
    tgt = alt.Chart(df[df["kind"] == "target"])
    target = tgt.mark_rect(color="#d1d5db", stroke=theme.LOSS_COLOR, strokeWidth=3).encode(x=x, y=y, tooltip=tip[:1])
    target_char = tgt.mark_text(fontSize=16, fontWeight="bold", color="black").encode(x=x, y=y, text="shown:N")
    # no title and the legend on the right: Streamlit gives a stretched chart `height` in total, so a title or a
    # legend below would squeeze the rows together
    chart = alt.layer(cells, chars, target, target_char).properties(height=max(34 * rows, 120))
    return style(chart, None, legend=None)
