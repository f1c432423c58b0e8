"""Projector mode's legends fit a chart 700 px wide at 22 px (issue 20): under or over the plot rather than beside
it, one entry a row, a colour bar's title above it, no title cut ("slope per step (d…")."""
from __future__ import annotations

import altair as alt
import pandas as pd

from ui.charts.projector import for_projector

DF = pd.DataFrame({"x": [0, 1], "y": [1.0, 2.0], "c": ["a", "b"], "v": [0.1, 0.2]})


def test_a_default_legend_goes_under_the_plot_one_entry_a_row_with_nothing_cut():
    d = for_projector(alt.Chart(DF).mark_line().encode(x="x", y="y", color="c:N")).to_dict()
    legend = d["config"]["legend"]
    assert legend["orient"] == "bottom" and legend["direction"] == "vertical"
    assert legend["titleLimit"] == 0 and legend["labelLimit"] >= 600


def test_an_encodings_legend_beside_or_in_a_row_is_made_to_fit():
    right = alt.Chart(DF).mark_line().encode(x="x", y="y", color=alt.Color("c:N", legend=alt.Legend(orient="right")))
    top = alt.Chart(DF).mark_line().encode(x="x", y="y", color=alt.Color("c:N", legend=alt.Legend(orient="top")))
    bar = alt.Chart(DF).mark_rect().encode(x="x:O", y="y:O", color=alt.Color(
        "v:Q", title="slope per step (decades)", legend=alt.Legend(orient="top", direction="horizontal",
                                                                   titleOrient="left")))
    r, t, b = (for_projector(c).to_dict()["encoding"]["color"]["legend"] for c in (right, top, bar))
    assert r["orient"] == "bottom" and r["direction"] == "vertical"
    assert t["orient"] == "top" and t["direction"] == "vertical"  # a row of entries ran past the chart's edge
    assert b["titleOrient"] == "top" and b["direction"] == "horizontal" and b["titleLimit"] == 0


def test_the_chart_itself_is_not_changed():
    c = alt.Chart(DF).mark_line().encode(x="x", y="y", color=alt.Color("c:N", legend=alt.Legend(orient="right")))
    for_projector(c)
    assert c.to_dict()["encoding"]["color"]["legend"] == {"orient": "right"}


def test_a_long_run_label_is_drawn_on_two_lines_and_the_plot_keeps_its_height():
    """Compare runs on Live training: a run's label ('LSTM · adding problem · T=20 · adam α=0.01 · seed 0 (run 2)',
    ~600 px at 22 px) ran out of the chart, and the legend under the plot squeezed a 300 px plot to ~20 px."""
    from ui.charts import live_training as live

    df = pd.DataFrame({"step": [0, 1, 0, 1], "loss": [1.0, 0.5, 1.0, 0.4],
                       "run": ["LSTM · adding problem · T=20 · adam α=0.01 · seed 0 (run 2)"] * 2
                       + ["tanh RNN · adding problem · T=20 · adam α=0.01 · seed 0 (run 1)"] * 2})
    d = for_projector(live.compare_chart(df)).to_dict()
    legend = d["encoding"]["color"]["legend"]
    assert legend["direction"] == "vertical" and "split(" in legend["labelExpr"] and " · " in legend["labelExpr"]
    assert d["autosize"]["type"] == "fit-x"  # the height is the plot's; the legend adds below it
    assert "autosize" not in for_projector(alt.Chart(DF).mark_rect().encode(x="x:O", y="y:O", color="v:Q")).to_dict()
