"""Charts of the teacher page: the class's answers to one step (counts per choice, or a histogram of numeric
guesses with the true value marked after the reveal), and the student link as a QR code a projector can show.
Pure functions, no streamlit: a tally's plain values in, a frame and an alt.Chart (or an image array) out."""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd
import segno

from .. import theme
from .style import FS, style

ANSWER_COLOR = "#0891b2"  # the class's answers (not a regime colour)
TRUTH_COLOR = "#1b7837"  # the true answer, once revealed (green: the app's "right")
MAX_BINS = 12  # a histogram of guesses: at most this many bars, so each reads from the back of a room


def choices_frame(options: Sequence[tuple[str, str]], counts: Mapping[str, int],
                  truth: str | None = None) -> pd.DataFrame:
    """One row per choice, in the question's order: key, label, count, share of the answers, and whether it is
    the true one (False for every row before the reveal, truth None). A key the question does not list (an old
    answer, a question changed since) is kept under its own key at the end."""
    keys = [k for k, _ in options] + sorted(k for k in counts if k not in dict(options))
    labels = dict(options)
    total = sum(int(counts.get(k, 0)) for k in keys)
    rows = [{"key": k, "choice": labels.get(k, k), "count": int(counts.get(k, 0)),
             "share": (int(counts.get(k, 0)) / total) if total else 0.0, "truth": truth is not None and k == truth}
            for k in keys]
    return pd.DataFrame(rows, columns=["key", "choice", "count", "share", "truth"])


def choices_chart(df: pd.DataFrame, height: int = 240) -> alt.Chart:
    """Horizontal bars, one per choice, with its count at the bar's end; after the reveal the true choice's bar
    is green and its label says so."""
    data = df.assign(label=np.where(df["truth"], df["choice"] + " ✓", df["choice"]),
                     kind=np.where(df["truth"], "the answer", "the class's answers"))
    y = alt.Y("label:N", sort=list(data["label"]), title=None, axis=alt.Axis(labelLimit=400))
    x_max = max(1, int(data["count"].max()) if len(data) else 1)
    x = alt.X("count:Q", title="students", scale=alt.Scale(domain=[0, x_max * 1.15]),
              axis=alt.Axis(tickMinStep=1, format="d"))
    color = alt.Color("kind:N", title=None, scale=alt.Scale(domain=["the class's answers", "the answer"],
                                                            range=[ANSWER_COLOR, TRUTH_COLOR]),
                      legend=alt.Legend(orient="top") if data["truth"].any() else None)
    tips = [alt.Tooltip("choice:N"), alt.Tooltip("count:Q"), alt.Tooltip("share:Q", format=".0%")]
    bars = alt.Chart(data).mark_bar().encode(x=x, y=y, color=color, tooltip=tips)
    text = alt.Chart(data).mark_text(align="left", dx=6, fontSize=FS, color=theme.INK).encode(
        x="count:Q", y=y, text=alt.Text("count:Q", format="d"))
    return style(alt.layer(bars, text), height=height)


def numbers_frame(numbers: Sequence[float], truth: float | None = None,
                  bins: int = MAX_BINS) -> pd.DataFrame:
    """The guesses binned: lo, hi (the bin's edges), count, and a label 'lo – hi'. The bins cover the guesses and
    the truth (when given), at most `bins` of them, on round edges (numpy's 'auto' edges, capped); an empty
    list gives an empty frame."""
    x = np.asarray([v for v in numbers if math.isfinite(v)], dtype=np.float64)
    cols = ["lo", "hi", "count", "label"]
    if x.size == 0:
        return pd.DataFrame(columns=cols)
    span = np.append(x, truth) if truth is not None and math.isfinite(truth) else x
    lo, hi = float(span.min()), float(span.max())
    if lo == hi:  # every guess the same: one bar of width 1 around it
        lo, hi = lo - 0.5, hi + 0.5
    n = min(bins, max(1, len(np.histogram_bin_edges(x, bins="auto", range=(lo, hi))) - 1))
    edges = np.linspace(lo, hi, n + 1)
    counts, _ = np.histogram(x, bins=edges)
    fmt = _fmt(edges)
    return pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "count": counts.astype(int),
                         "label": [f"{fmt(a)} – {fmt(b)}" for a, b in zip(edges[:-1], edges[1:])]}, columns=cols)


def _fmt(edges: np.ndarray):
    """A formatter with as many decimals as the bins' width needs (0.5 → one decimal, 10 → none)."""
    width = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    d = max(0, min(6, -math.floor(math.log10(width)) + 1)) if width > 0 else 2
    return lambda v: f"{v:.{d}f}".rstrip("0").rstrip(".") if d else f"{v:.0f}"


def numbers_chart(df: pd.DataFrame, truth: float | None = None, unit: str = "the guess",
                  height: int = 320) -> alt.Chart:
    """A histogram of the guesses; after the reveal a green rule marks the true value, labelled with it."""
    x = alt.X("lo:Q", bin="binned", title=unit)
    bars = alt.Chart(df).mark_bar(color=ANSWER_COLOR, stroke="white", strokeWidth=1).encode(
        x=x, x2="hi:Q", y=alt.Y("count:Q", title="students", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("label:N", title="guesses"), alt.Tooltip("count:Q", title="students")])
    layers = [bars]
    title = alt.Undefined
    if truth is not None and math.isfinite(truth):
        # the rule at the truth; its label is the chart's title, in the text colour of either theme (a label beside
        # the rule covered the bars)
        t = pd.DataFrame({"truth": [float(truth)]})
        layers.append(alt.Chart(t).mark_rule(color=TRUTH_COLOR, strokeWidth=4).encode(
            x="truth:Q", tooltip=[alt.Tooltip("truth:Q", title="the answer")]))
        title = alt.TitleParams(f"green rule: the answer, {truth:.3g}", anchor="start")  # sized by the config
    return style(alt.layer(*layers, title=title), height=height)


def qr_image(text: str, module_px: int = 10, border: int = 4) -> np.ndarray:
    """The text as a QR code (segno, error correction M): a uint8 image, black modules on white with a quiet
    zone of `border` modules, each module module_px pixels square (st.image shows it sharp at that size)."""
    qr = segno.make(text, error="m")
    modules = np.asarray(qr.matrix, dtype=bool)
    modules = np.pad(modules, border, constant_values=False)
    image = np.where(modules, 0, 255).astype(np.uint8)
    return np.kron(image, np.ones((module_px, module_px), dtype=np.uint8))
