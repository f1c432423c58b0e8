"""What a test does on a Lesson step to see its chart (issue 21): each step asks its question first and shows the
chart once answered, or on "Show the chart without answering" (ui/session/predict.py). Tests written before the question
press that button where they used to find the chart on arrival."""
from __future__ import annotations

SKIP = "answer_skip"  # the button's key (ui/session/predict.py)
SKIP_LABEL = "Show the chart without answering"
# the step has drawn its question (the skip button) or its chart (answered or skipped before)
CHART_OR_SKIP = ("() => !!(document.querySelector('.st-key-%s button') || document.querySelector("
                 "'[data-testid=\"stMain\"] :is([data-testid=\"stVegaLiteChart\"], [data-testid=\"stGraphVizChart\"])'))"
                 % SKIP)


def skip(at):
    """AppTest: press 'Show the chart without answering' when the step offers it; returns the AppTest."""
    if any(b.key == SKIP for b in at.button):
        at.button(key=SKIP).click().run()
    return at


def skip_in_browser(pg, timeout: float = 180_000) -> None:
    """Chromium: the same button once the step has drawn it (a step's first run applies its settings and runs
    again, so a click between the two can be lost: pressed again until the button is gone), then wait until the
    script has finished."""
    from browser_kit import wait_idle  # tests/browser/browser_kit.py

    button = pg.locator(f'.st-key-{SKIP} button')
    for _ in range(5):
        wait_idle(pg, timeout)
        # the step has drawn its question (the button) or its chart (answered before)
        pg.wait_for_function(CHART_OR_SKIP, timeout=timeout)
        if not button.count():
            return
        button.click()
        pg.wait_for_timeout(500)
    raise AssertionError(f"'{SKIP_LABEL}' stayed on the page after five presses")
