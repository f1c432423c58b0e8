"""AppTest for the Lesson and the visitor's own settings (issue 20): a student who opens the Lesson from a link
sees in one line what it changed in their sidebar (not the sidebar's long note above the step, which pushed the
chart off a projector's screen) and puts their own settings back in one click; the step stays, and the next
step's settings are the step's, with the visitor's own still kept."""
from __future__ import annotations

from dataclasses import fields

from apptest_helpers import open_app
from ui.session import lesson

LESSON = "pages/lesson.py"
OWN = {"T": 17, "activation": "relu", "hidden": 8}


def sidebar_values(at) -> dict:
    return {f.name: at.session_state["w_" + f.name] for f in fields(lesson.STEPS[0].settings)}


def step_values(k: int) -> dict:
    return {f.name: getattr(lesson.STEPS[k - 1].settings, f.name) for f in fields(lesson.STEPS[k - 1].settings)}


def test_arriving_from_a_link_says_what_changed_in_one_line_and_puts_the_own_settings_back_in_one_click():
    at = open_app({"step": 3, **OWN}, LESSON)
    assert not at.exception, [e.value for e in at.exception]
    assert sidebar_values(at) == step_values(3)
    assert not [i.value for i in at.info if "Changed in the sidebar" in i.value], "no long note above the step"
    line = [c.value for c in at.caption if "The Lesson changed" in c.value]
    assert len(line) == 1 and "3 of your sidebar settings" in line[0], [c.value for c in at.caption]
    at.button(key="lesson_mine").click().run()
    assert not at.exception
    own = sidebar_values(at)
    assert (own["T"], own["activation"], own["hidden"]) == (17, "relu", 8)
    assert at.session_state["p_step"] == 3  # still on the step, its chart now for the visitor's settings
    assert not [b for b in at.button if b.key == "lesson_mine"], "nothing left to put back"
    at.button(key="lesson_reset").click().run()  # and the step's own, in one click too
    assert sidebar_values(at) == step_values(3)


def test_the_own_settings_survive_next_and_previous():
    at = open_app({"step": 3, **OWN}, LESSON)
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_next").click().run()
    at.button(key="lesson_prev").click().run()
    assert at.session_state["p_step"] == 4 and sidebar_values(at) == step_values(4)
    assert not [i.value for i in at.info if "Changed in the sidebar" in i.value]
    at.button(key="lesson_mine").click().run()
    own = sidebar_values(at)
    assert (own["T"], own["activation"], own["hidden"]) == (17, "relu", 8)


def test_a_visitor_whose_sidebar_already_holds_the_step_sees_no_line():
    at = open_app({"step": 3, **{k: v for k, v in step_values(3).items()}}, LESSON)
    assert not at.exception
    assert not [c.value for c in at.caption if "The Lesson changed" in c.value]
    assert not [b for b in at.button if b.key in ("lesson_mine", "lesson_reset")]
