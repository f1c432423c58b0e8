"""Live training in Chromium: Start makes the step counter and the charts advance on their own (the
fragment ticks), Stop halts them at once, and the page never shows an exception."""
from conftest import wait_idle, shot


def _steps(page) -> int:
    return int(page.locator('[data-testid="stMetricValue"]').first.inner_text().replace(",", ""))


def test_start_advances_and_stop_halts(server, page):
    page.goto(f"{server}/live_training?T=20&hidden=16")
    wait_idle(page)
    page.locator(".st-key-live_start button").click()
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=30_000)
    page.wait_for_timeout(1500)
    first = _steps(page)
    heat_before = page.locator('[data-testid="stVegaLiteChart"]').count()
    page.wait_for_function(  # the counter moves with no input from us
        f"""() => {{ const v = document.querySelector('[data-testid="stMetricValue"]');
                    return v && parseInt(v.innerText.replace(/,/g, '')) > {first}; }}""", timeout=30_000)
    assert heat_before >= 5, "loss, accuracy, heatmap, gradient-norm and spectrum charts"
    shot(page, "live_training_running")
    page.locator(".st-key-live_stop button").click()
    wait_idle(page)
    page.wait_for_timeout(500)
    stopped = _steps(page)
    page.wait_for_timeout(2500)  # must NOT advance after Stop
    assert _steps(page) == stopped
    assert "stopped" in page.locator('[data-testid="stMetricValue"]').nth(4).inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not page.console_errors, page.console_errors
