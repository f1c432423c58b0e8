"""The unfolded diagram (issue 20): on the dark theme it is no white card (the page shows through, its lines and
text light and readable on Streamlit's dark background), and while Play sends the gradient back it keeps about
its resting width, so that st.graphviz_chart, which scales it to the page's width, does not shrink its labels
(they fell to ~10 px at T = 100 with three more states and a second elision)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from ui.charts import unfolded as U
from wcag import contrast

T = 100
GRAD = np.linspace(-5.0, 0.0, T + 1)
JAC = {t: -0.05 for t in range(1, T + 1)}


def test_the_dark_theme_has_no_white_card_and_readable_text():
    d = U.build(GRAD, JAC, T, dark=True, reached=40)
    assert "bgcolor=white" not in d.dot and "bgcolor=transparent" in d.dot
    texts = set(re.findall(r'fontcolor="(#[0-9a-f]{6})"', d.dot))
    # the text outside the states sits on the page's dark background; inside a state, on its fill
    outside = {U.DARK["TEXT"], U.DARK["EDGE_TEXT"], U.DARK["DROPPED_TEXT"], U.DARK["LINE"]}
    for c in outside:
        assert contrast(c, U.DARK_BG) >= 4.5, c
    assert outside & texts
    for line in re.findall(r"^h\d+ \[.*$", d.dot, re.M):  # each state's label on its own fill
        fill = re.search(r'fillcolor="(#[0-9a-f]{6})"', line).group(1)
        ink = re.search(r'fontcolor="(#[0-9a-f]{6})"', line).group(1)
        assert contrast(ink, fill) >= 4.5, line
    assert "bgcolor=white" in U.build(GRAD, JAC, T).dot  # the light theme keeps its card


@pytest.mark.parametrize("projector", [False, True])
@pytest.mark.parametrize("reached", [1, 10, 30, 50, 70, 97, 100])
def test_play_keeps_the_resting_width(projector, reached):
    rest = U.build(GRAD, JAC, T, projector=projector)
    play = U.build(GRAD, JAC, T, projector=projector, reached=reached)
    assert T - reached in play.steps  # the state the gradient has reached is drawn
    # an elision node is about as wide as a state: states and elisions together stay within the resting count
    assert len(play.steps) + len(play.elided) <= len(rest.steps) + len(rest.elided) + 1, (play.steps, rest.steps)
    assert 0 in play.steps and T in play.steps
