"""AppTest for the Lesson: every step opened from its link (?step=k) renders without an exception, puts its
settings in the shared sidebar and shows its live chart; Next and Previous move and apply; a hostile step
falls back to step 1 with a short, safe note; the sidebar's own changes on a step are left alone."""
from __future__ import annotations

from dataclasses import fields

import pytest

from apptest_helpers import open_app
from lesson_steps import skip  # each step asks its question first (issue 21): the chart shows on skipping it
from ui.session import lesson
from ui.limits import LESSON_STEPS

LESSON = "pages/lesson.py"


def sidebar_values(at) -> dict:
    return {f.name: at.session_state["w_" + f.name] for f in fields(lesson.STEPS[0].settings)}


def assert_on_step(at, k: int) -> None:
    assert not at.exception, [e.value for e in at.exception]
    step = lesson.STEPS[k - 1]
    assert at.session_state["p_step"] == k
    assert any(h.value == f"{k}. {step.title}" for h in at.header), [h.value for h in at.header]
    assert sidebar_values(at) == {f.name: getattr(step.settings, f.name) for f in fields(step.settings)}
    url = at.query_params["step"]
    assert (url[-1] if isinstance(url, list) else url) == str(k)  # a link to this view opens this step
    if step.chart == "unfolded":
        assert len(at.get("graphviz_chart")) == 1
    else:
        assert len(at.get("vega_lite_chart")) >= 1


def test_the_lesson_has_the_steps_the_url_allows():
    assert len(lesson.STEPS) == LESSON_STEPS
    assert 7 <= LESSON_STEPS <= 10
    assert set(s.chart for s in lesson.STEPS) <= set(lesson.CHARTS)


@pytest.mark.parametrize("k", range(1, LESSON_STEPS + 1))
def test_every_step_opens_from_its_link_and_applies_its_settings(k):
    at = skip(open_app({"step": k, "T": 17, "activation": "relu"}, LESSON))  # the link's sidebar is replaced
    assert_on_step(at, k)


def test_next_and_previous_move_and_apply():
    at = open_app({"step": 3}, LESSON)
    skip(at.button(key="lesson_next").click().run())
    assert_on_step(at, 4)
    skip(at.button(key="lesson_prev").click().run())
    assert_on_step(at, 3)


def test_a_changed_sidebar_stays_until_the_step_changes():
    at = open_app({"step": 3}, LESSON)
    at.select_slider(key="w_T").set_value(40).run()
    assert not at.exception
    assert at.session_state["w_T"] == 40 and at.session_state["p_step"] == 3
    skip(at.button(key="lesson_reset").click().run())
    assert_on_step(at, 3)


@pytest.mark.parametrize("raw", ["99", "0", "-1", "abc", "2.5", "<script>alert(1)</script>", ""])
def test_a_hostile_step_falls_back_to_step_one_with_a_note(raw):
    at = open_app({"step": raw}, LESSON)
    notes = [w.value for w in at.warning if "Lesson step" in w.value]  # said once, on arrival
    assert_on_step(skip(at), 1)
    assert len(notes) == 1, [w.value for w in at.warning]
    assert "<script>" not in notes[0] and len(notes[0]) < 300
