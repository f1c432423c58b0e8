"""The unfolded diagram and the Lesson in Chromium: the diagram renders on Home with no console error, Play
sends the gradient back (the slider and the running product move, the reached state is outlined), the Lesson
moves with Next and applies its settings, projector mode enlarges the page; screenshots of each go to
artifacts/screenshots/."""
from __future__ import annotations

import pytest

from browser_kit import shot, wait_idle
from lesson_steps import skip_in_browser

pytestmark = pytest.mark.browser
SLOW = 120_000


def diagram_ready(page) -> None:
    page.wait_for_function(
        """() => { const g = document.querySelector('[data-testid="stGraphVizChart"] svg');
                   return g && g.querySelectorAll('g.node').length > 5; }""", timeout=SLOW)


def test_home_draws_the_diagram_and_play_sends_the_gradient_back(server, page):
    page.goto(f"{server}/?T=20&hidden=16", timeout=SLOW)
    wait_idle(page, SLOW)
    diagram_ready(page)
    assert page.get_by_text("k = 20", exact=False).count() >= 1
    shot(page, "unfolded-home")
    page.get_by_role("button", name="Play").click()
    # the gradient starts at h_T again and moves back one step a tick
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
                 .some(s => /^k = ([1-9]|1[0-9])$/.test(s.innerText))""", timeout=SLOW)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stGraphVizChart"] ellipse')]
                 .some(e => e.getAttribute('stroke') === '#2563eb')""", timeout=SLOW)
    shot(page, "unfolded-playing")
    assert page.console_errors == []


def test_lesson_next_applies_the_steps_settings_and_projector_mode(server, page):
    page.goto(f"{server}/lesson?step=4&projector=1", timeout=SLOW)
    wait_idle(page, SLOW)
    page.wait_for_selector("text=4. Sigmoid's ¼", timeout=SLOW)
    skip_in_browser(page, SLOW)  # the step asks its question first (issue 21): its chart shows on skipping it
    page.wait_for_selector('[data-testid="stVegaLiteChart"] svg.marks, [data-testid="stVegaLiteChart"] canvas',
                           timeout=SLOW)
    size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert size >= 22
    shot(page, "lesson-step4-projector")
    page.get_by_role("button", name="Next").click()
    page.wait_for_selector("text=5. Vanishing", timeout=SLOW)
    wait_idle(page, SLOW)
    assert "step=5" in page.url and "scale_kind=rho" in page.url
    shot(page, "lesson-step5-projector")
    assert page.console_errors == []
