"""The class's answers to a Lesson question (ui/questions.py) as a chart: counts per choice as bars with the
chart's answer marked, or the numeric guesses as a histogram with a rule at the true value (and a dashed one at
the visitor's own). Pure Altair on plain values (a poll.Tally's `choices` and `numbers`), no streamlit: the
Lesson draws it after the reveal, the teacher's page may draw it live (truth None: nothing marked yet).

Altair never sees a non-finite number: guesses that are not finite are dropped (the store refuses them anyway)."""
from __future__ import annotations

import math
from typing import Iterable, Mapping

import altair as alt
import numpy as np
import pandas as pd

from .. import theme
from .style import FS, TEXT, style

MARK = " ✓"  # after the label of the chart's answer
HEIGHT_PER_CHOICE = 48  # px a bar of a choice chart takes (its label at a projector's 22 px fits beside it)
AXIS_HEIGHT = 70  # px the x axis, its labels and its title take below the bars
NUMBER_HEIGHT = 220


def choice_frame(choices: Iterable[tuple[str, str]], counts: Mapping[str, int], truth: str | None = None,
                 mine: str | None = None) -> pd.DataFrame:
    """One row per choice, in the question's order, 0 where nobody chose it: key, answer (its label, ✓ on the
    chart's answer), count, truth (bool), mine (bool). Keys the question lacks are left out."""
    rows = []
    for order, (key, label) in enumerate(choices):
        rows.append({"order": order, "key": key, "answer": label + (MARK if key == truth else ""),
                     "count": int(counts.get(key, 0) or 0), "truth": key == truth, "mine": key == mine})
    return pd.DataFrame(rows, columns=["order", "key", "answer", "count", "truth", "mine"])


def choice_chart(df: pd.DataFrame, title: str | None = None):
    """Horizontal bars, one per choice: how many chose it; the chart's answer solid, the others faint."""
    top = max(int(df["count"].max()) if len(df) else 0, 1)
    base = alt.Chart(df).encode(
        y=alt.Y("answer:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=400)),
        x=alt.X("count:Q", title="answers", scale=alt.Scale(domain=[0, top * 1.15]),
                axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("answer:N"), alt.Tooltip("count:Q", title="answers")])
    bars = base.mark_bar(color=theme.INK).encode(
        opacity=alt.condition(alt.datum.truth, alt.value(1.0), alt.value(0.45)))
    counts = base.mark_text(align="left", dx=4, fontSize=FS, color=TEXT).encode(text="count:Q")
    chart = (bars + counts).properties(height=HEIGHT_PER_CHOICE * max(len(df), 1) + AXIS_HEIGHT)
    if title:
        chart = chart.properties(title=title)
    return style(chart, legend=None)


def number_frame(numbers: Iterable[float]) -> pd.DataFrame:
    """The finite guesses, one row each (value)."""
    v = np.asarray([float(x) for x in numbers], dtype=np.float64)
    return pd.DataFrame({"value": v[np.isfinite(v)]})


def _extent(values: np.ndarray, marks: list[float]) -> list[float]:
    """An x range around the guesses and the marked values, a little wider than they are, never empty."""
    pts = np.concatenate([values, np.asarray([m for m in marks if m is not None and math.isfinite(m)])])
    if pts.size == 0:
        return [0.0, 1.0]
    lo, hi = float(pts.min()), float(pts.max())
    pad = max((hi - lo) * 0.08, abs(hi) * 0.05, 0.05)
    return [lo - pad, hi + pad]


def number_chart(df: pd.DataFrame, truth: float | None = None, mine: float | None = None, unit: str = "",
                 title: str | None = None):
    """A histogram of the guesses; a solid rule at the true value ('the chart'), a dashed one at `mine` ('you')."""
    marks = [truth if truth is not None and math.isfinite(truth) else None,
             mine if mine is not None and math.isfinite(mine) else None]
    lo, hi = _extent(df["value"].to_numpy(dtype=np.float64), marks)
    x_title = "the class's guesses" + (f" ({unit})" if unit else "")
    x = alt.X("value:Q", bin=alt.Bin(maxbins=20, extent=[lo, hi]), title=x_title, scale=alt.Scale(domain=[lo, hi]))
    layers = [alt.Chart(df).mark_bar(color=theme.INK, opacity=0.7).encode(
        x=x, y=alt.Y("count():Q", title="answers", axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("count():Q", title="answers")])]
    rules = pd.DataFrame([{"value": v, "who": who, "dash": dash}
                          for v, who, dash in ((marks[0], "the chart", 0), (marks[1], "you", 1)) if v is not None])
    if len(rules):
        xs = alt.X("value:Q", scale=alt.Scale(domain=[lo, hi]), title=x_title)  # one axis, shared with the bars
        layers.append(alt.Chart(rules).mark_rule(strokeWidth=3, color=TEXT).encode(
            x=xs, strokeDash=alt.condition(alt.datum.dash == 1, alt.value([6, 4]), alt.value([1, 0])),
            tooltip=[alt.Tooltip("who:N"), alt.Tooltip("value:Q", format=".3g")]))
        for i, row in rules.iterrows():  # each label on its own line at the top, so two close rules stay legible
            layers.append(alt.Chart(rules.iloc[[i]]).mark_text(
                align="left", dx=4, baseline="top", y=2 + i * (FS + 4), fontSize=FS, color=TEXT).encode(
                x=xs, text="who:N"))
    chart = alt.layer(*layers).properties(height=NUMBER_HEIGHT)
    if title:
        chart = chart.properties(title=title)
    return style(chart, legend=None)


def spread_chart(question, tally, truth=None, mine=None, title: str | None = None):
    """The chart for one question (ui.questions.Question) and one tally (poll.Tally: `choices`, `numbers`);
    `truth` None marks no answer (before the reveal)."""
    if question.choices:
        return choice_chart(choice_frame(question.choices, tally.choices or {}, truth, mine), title)
    return number_chart(number_frame(tally.numbers or ()), None if truth is None else float(truth),
                        None if mine is None else float(mine), question.unit, title)
