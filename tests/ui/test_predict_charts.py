"""The class's answers as a chart (ui/charts/predict.py): every choice a row (0 where nobody chose it) with the
chart's answer marked, guesses that are not finite never reach Altair, the x range holds the truth and the
visitor's own guess, and the axis title is not made the chart's title."""
from __future__ import annotations

import math

import numpy as np

from ui.charts import predict as P
from apptest_helpers import chart_numbers
from ui.questions import QUESTIONS


class Tally:
    def __init__(self, choices=None, numbers=()):
        self.choices, self.numbers, self.joined, self.answered = choices or {}, numbers, 9, 7


def test_every_choice_is_a_row_in_order_with_the_truth_marked():
    q = QUESTIONS[7]  # which cell
    df = P.choice_frame(q.choices, {"lstm": 4, "gru": 2, "nonsense": 9}, truth="lstm", mine="gru")
    assert list(df["key"]) == ["rnn", "lstm", "gru"] and list(df["count"]) == [0, 4, 2]
    assert list(df["answer"]) == ["vanilla RNN", "LSTM ✓", "GRU"] and list(df["mine"]) == [False, False, True]
    spec = P.spread_chart(q, Tally({"lstm": 4}), "lstm").to_dict()
    assert "title" not in spec and all(math.isfinite(v) for v in chart_numbers(P.choice_chart(df)))


def test_guesses_that_are_not_finite_never_reach_altair_and_the_range_holds_truth_and_mine():
    q = QUESTIONS[4]  # decades
    chart = P.spread_chart(q, Tally(numbers=(4.0, math.inf, math.nan, -math.inf, 9.5)), 10.3, 30.0)
    values = chart_numbers(chart)
    assert values and all(math.isfinite(v) for v in values)
    spec = chart.to_dict()
    assert "title" not in spec, "the axis title is not the chart's title"
    lo, hi = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert lo < 4.0 and hi > 30.0
    rules = [v for v in values if v in (10.3, 30.0)]
    assert sorted(set(rules)) == [10.3, 30.0]  # the rules (and their labels) at the truth and at yours


def test_no_guesses_and_no_truth_still_draw():
    chart = P.spread_chart(QUESTIONS[1], Tally(numbers=()), None, None)
    assert all(math.isfinite(v) for v in chart_numbers(chart))
    assert P.number_frame([np.nan]).empty
