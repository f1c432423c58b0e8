"""Charts of the LSTM demo on "Live training": a tanh RNN, an LSTM and a GRU trained on the same batches, their
accuracy and loss against the training step with the chance level. Pure functions from the models' numpy
histories to (DataFrame, alt.Chart); no streamlit. Non-finite values (a diverging step) are dropped."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .. import theme
from .live_training import LOG_AXIS, _style
from .style import TEXT

NAMES = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU"}
SMOOTH = 10  # steps in the running mean of the accuracy (each step scores its own 32 fresh sequences)


def frame(histories: dict[str, dict], window: int = SMOOTH) -> pd.DataFrame:
    """Long form (step, model, accuracy, loss) of each model's history; the accuracy is the running mean over
    the last `window` steps (fewer at the start), each step's accuracy taken on that step's fresh batch."""
    parts = []
    for m, h in histories.items():
        acc = pd.Series(np.asarray(h["accuracy"], dtype=float)).rolling(window, min_periods=1).mean()
        parts.append(pd.DataFrame({"step": h["step"], "model": NAMES.get(m, m), "accuracy": acc.to_numpy(),
                                   "loss": h["loss"]}))
    if not parts:
        return pd.DataFrame({"step": [], "model": [], "accuracy": [], "loss": []})
    df = pd.concat(parts, ignore_index=True)
    return df[np.isfinite(df["accuracy"].to_numpy(dtype=float))].reset_index(drop=True)


def _color(df: pd.DataFrame) -> alt.Color:
    names = [n for n in NAMES.values() if n in set(df["model"])]
    return alt.Color("model:N", title=None, sort=names, scale=alt.Scale(
        domain=names, range=[theme.CELL_COLORS[k] for k, v in NAMES.items() if v in names]))


def _chance(value: float, text: str, field: str) -> list[alt.Chart]:
    """A thick dashed rule at the chance level, labelled, drawn over the lines."""
    rule = pd.DataFrame({field: [value], "label": [text]})
    return [alt.Chart(rule).mark_rule(strokeDash=[8, 4], strokeWidth=3, color=theme.INK).encode(
                y=f"{field}:Q", tooltip=[alt.Tooltip(f"{field}:Q", title="chance level", format=".4g")]),
            alt.Chart(rule).mark_text(align="left", dx=4, dy=-8, color=TEXT, fontSize=14).encode(
                y=f"{field}:Q", x=alt.value(0), text="label:N")]


def accuracy_chart(df: pd.DataFrame, chance: float) -> alt.Chart:
    """Accuracy (running mean) of each model against the training step, the chance level dashed."""
    lines = alt.Chart(df).mark_line(strokeWidth=3).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("accuracy:Q", title="accuracy", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        color=_color(df),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("step:Q"), alt.Tooltip("accuracy:Q", format=".1%")])
    return _style(alt.layer(lines, *_chance(chance, f"chance {chance:.1%}", "chance")), height=300)


def loss_chart(df: pd.DataFrame, chance_loss: float) -> alt.Chart:
    """Cross-entropy (log axis) of each model against the training step, the chance level ln K dashed."""
    d = df[np.isfinite(df["loss"].to_numpy(dtype=float)) & (df["loss"].to_numpy(dtype=float) > 0)]
    lines = alt.Chart(d).mark_line(strokeWidth=2).encode(
        x=alt.X("step:Q", title="training step"),
        y=alt.Y("loss:Q", title="loss", scale=alt.Scale(type="log"), axis=LOG_AXIS),
        color=_color(d),
        tooltip=[alt.Tooltip("model:N"), alt.Tooltip("step:Q"), alt.Tooltip("loss:Q", format=".4g")])
    return _style(alt.layer(lines, *_chance(chance_loss, f"chance {chance_loss:.3g}", "chance")), height=220)
