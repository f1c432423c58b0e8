"""Charts of the page "Text": every number handed to Altair is finite, the visitor's characters reach the
chart only as data of text marks (with visible stand-ins for invisible ones), and the bits chart draws a run
with a single step."""
import math

import numpy as np
import pandas as pd

from ui.charts import text as C
from apptest_helpers import chart_numbers


def test_influence_frame_places_characters_and_keeps_values_finite():
    text = "<b>x</b> \n e\u0301 שלום"
    p = len(text) - 1
    norms = np.array([0.0] + [10.0 ** -k for k in range(p - 1)])  # one exact zero: log = −∞
    df = C.influence_frame(text, p, 0, norms, wrap=8)
    assert list(df["q"]) == list(range(p + 1)) and list(df["kind"])[-1] == "target"
    assert list(df["row"]) == [i // 8 for i in range(p + 1)] and list(df["col"]) == [i % 8 for i in range(p + 1)]
    assert "".join(df["char"]) == text and list(df["lag"]) == list(range(p, -1, -1))
    assert np.isfinite(df["log10"].to_numpy(float)).all()
    assert df.loc[0, "note"].startswith("exactly 0")
    assert set(df["shown"]) >= {"␣", "↵", "<"}
    chart = C.influence_chart(df, C.shared_domain([df]))
    assert all(math.isfinite(v) for v in chart_numbers(chart))
    spec = chart.to_dict()
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text", "rect", "text"]


def test_shown_stand_ins():
    assert C.shown(" ") == "␣" and C.shown("\n") == "↵" and C.shown("\u0301") == "◌\u0301" and C.shown("é") == "é"


def test_shared_domain_spans_both_and_at_least_a_decade():
    a = pd.DataFrame({"log10": [-3.0, -1.0], "kind": ["input", "input"]})
    b = pd.DataFrame({"log10": [-8.0, 0.5], "kind": ["input", "target"]})
    assert C.shared_domain([a, b]) == [-8.0, -1.0]
    assert C.shared_domain([a.iloc[:1]]) == [-3.0, -2.0]


def test_bits_chart_draws_one_step_and_drops_non_finite():
    h = {"rnn": {"step": np.array([1]), "loss": np.array([math.log(20)])},
         "lstm": {"step": np.array([1, 2]), "loss": np.array([3.0, np.inf])}}
    df = C.bits_frame(h)
    assert len(df) == 2 and np.isfinite(df["bits"]).all()
    assert abs(df.loc[0, "bits"] - math.log2(20)) < 1e-12
    spec = C.bits_chart(df, 3.9, 4.3).to_dict()
    assert spec["layer"][0]["mark"]["point"]
    assert all(math.isfinite(v) for v in chart_numbers(C.bits_chart(df, 3.9, 4.3)))


def test_baseline_labels_sit_on_opposite_sides_of_their_rules():
    """The uniform guess (never below the unigram entropy) is labelled above its rule and the unigram entropy
    below its own, so the two labels cannot print over each other even when the values nearly meet."""
    df = C.bits_frame({"rnn": {"step": np.array([1]), "loss": np.array([2.0])}})
    spec = C.bits_chart(df, 4.0, 4.05).to_dict()
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(texts) == 2
    by_label = {}
    for layer in texts:
        (row,) = spec["datasets"][layer["data"]["name"]]  # one label a layer
        by_label[row["baseline"]] = (layer["mark"]["baseline"], layer["mark"]["dy"])
    uniform = next(v for k, v in by_label.items() if "uniform" in k)
    unigram = next(v for k, v in by_label.items() if "unigram" in k)
    assert uniform[0] == "bottom" and uniform[1] < 0 and unigram[0] == "top" and unigram[1] > 0
