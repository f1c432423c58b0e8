"""Activations' panels (issue 20): each panel's title is larger than its axes' labels, with and without projector
mode, and the y axis labels the values the page is about, 1 and ¼ (the bounds of tanh′ and σ′), never skipping
them (Vega's own ticks every 0.5 dropped every other label in a 170 px panel)."""
from __future__ import annotations

import numpy as np

from ui.charts import activations as acts
from ui.charts.projector import for_projector


def _curves():
    a = np.linspace(-4, 4, 41)
    sig = 1 / (1 + np.exp(-a))
    return {"tanh": {"a": a, "f": np.tanh(a), "df": 1 - np.tanh(a) ** 2, "gamma": 1.0, "codomain": "(−1, 1)"},
            "sigmoid": {"a": a, "f": sig, "df": sig * (1 - sig), "gamma": 0.25, "codomain": "(0, 1)"}}


def _sizes(spec: dict) -> tuple[float, float]:
    header = spec["config"]["header"]["labelFontSize"]
    assert "labelFontSize" not in spec["facet"].get("header", {}), "a size on the facet would beat the config"
    return header, spec["config"]["axis"]["labelFontSize"]


def test_panel_titles_are_larger_than_the_axes_with_and_without_projector_mode():
    chart = acts.activation_chart(acts.activation_frame(_curves(), current="tanh"))
    for spec in (chart.to_dict(), for_projector(chart).to_dict()):
        header, axis = _sizes(spec)
        assert header > axis, (header, axis)


def test_the_y_axis_labels_one_and_a_quarter_and_drops_none():
    spec = acts.activation_chart(acts.activation_frame(_curves())).to_dict()
    axis = spec["spec"]["layer"][0]["encoding"]["y"]["axis"]
    assert {1.0, 0.25, 0.0} <= set(axis["values"])
    assert axis["labelOverlap"] is False
    assert "¼" in axis["labelExpr"]
