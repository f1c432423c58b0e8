"""The page "Text" in Chromium: the visitor's text box, Start, both models' samples and the look-back strips
appear and advance on their own, the markup typed in the box is shown as characters (never made into HTML),
and the page shows no exception and no console error."""
from conftest import shot, wait_idle

TYPED = "<b id='typed'>bold</b> <img src=x onerror=\"window.__typed=1\"> שלום (a [b {c} b] a) again and again."


def _steps(page) -> int:
    return int(page.locator('[data-testid="stMetricValue"]').first.inner_text().replace(",", ""))


def test_own_text_start_samples_and_strips(server, page):
    page.goto(f"{server}/text?T=30&hidden=16&text=own&pos=40")
    wait_idle(page)
    box = page.get_by_label("Your text")
    box.fill(TYPED)
    box.press("Control+Enter")
    wait_idle(page)
    assert page.locator('[data-testid="stText"]').first.inner_text().startswith("<b id='typed'>")
    page.locator(".st-key-text_start button").click()
    page.wait_for_selector('[data-testid="stCode"]', timeout=60_000)
    first = _steps(page)
    page.wait_for_function(  # the step counter moves with no input from us
        f"""() => {{ const v = document.querySelector('[data-testid="stMetricValue"]');
                    return v && parseInt(v.innerText.replace(/,/g, '')) > {first}; }}""", timeout=90_000)
    assert page.locator('[data-testid="stCode"]').count() == 2  # a sample from each model
    assert page.locator('[data-testid="stVegaLiteChart"]').count() >= 3  # bits, and a strip per model
    page.locator(".st-key-text_pause button").click()
    wait_idle(page)
    shot(page, "text_page")
    assert page.locator("#typed").count() == 0 and not page.evaluate("window.__typed === 1")
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not page.console_errors, page.console_errors
