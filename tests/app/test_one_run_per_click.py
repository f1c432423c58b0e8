"""A click is one script run where it can be (issue 23): arriving on a Lesson step puts its settings in the sidebar
before the sidebar is drawn (it drew the page with the old settings, then reran), and a preset that opens another
page switches before anything is drawn (it drew the whole sidebar first). Counted by how often app.py draws the
sidebar; what the visitor ends up with is unchanged (the step's settings, the preset's page and values)."""
from __future__ import annotations

import pytest

from apptest_helpers import open_app
from ui import sidebar
from ui.session.lesson import STEPS
from ui.presets import PRESETS


@pytest.fixture
def draws(monkeypatch):
    n = {"draw": 0}
    draw = sidebar.draw

    def counted():
        n["draw"] += 1
        return draw()

    monkeypatch.setattr(sidebar, "draw", counted)
    return n


def _sidebar(at) -> dict:
    return {k[len(sidebar.PREFIX):]: at.session_state[k] for k in ("w_T", "w_activation", "w_scale", "w_init")}


def test_opening_the_lesson_draws_the_sidebar_once_with_the_steps_settings(draws):
    at = open_app({"T": 30, "seed": 4})
    draws["draw"] = 0
    at.switch_page("pages/lesson.py").run()
    assert not at.exception
    assert draws["draw"] == 1, "one run: the step's settings went in before the sidebar was drawn"
    want = STEPS[0].settings
    assert _sidebar(at) == {"T": want.T, "activation": want.activation, "scale": want.scale, "init": want.init}
    assert at.session_state["_lesson_mine"].T == 30, "the link's own settings are kept for 'Put my settings back'"


def test_a_link_to_a_lesson_step_is_one_run(draws):
    at = open_app({"step": 5, "T": 30}, "pages/lesson.py")
    assert not at.exception
    assert draws["draw"] == 2, "Home's first run, then the Lesson's: one run for the step"
    assert at.session_state["w_T"] == STEPS[4].settings.T


def test_a_preset_that_opens_a_page_draws_the_sidebar_once(draws):
    at = open_app()
    draws["draw"] = 0
    at.button(key="preset_lstm").click().run()
    assert not at.exception
    assert draws["draw"] == 1, "the switch came before the sidebar was drawn"
    assert at.session_state["p_gate_bias"] == "3"
    assert at.title[0].value.startswith("Gated cells") or any("Gated" in t.value for t in at.title)
    assert at.session_state["w_T"] == PRESETS["lstm"].settings.T
