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


def test_changing_the_cell_while_it_trains(server, page):
    """Issue 19.1 where it bit: the runs tick on their own, the visitor switches LSTM to GRU, and every tick after
    that drew `KeyError: 'lstm'`. Now the runs go on as the LSTM pair they are, the page says the controls
    changed, and Pause then Start trains the GRU pair."""
    page.goto(f"{server}/text?T=20&hidden=8&text=robot")
    wait_idle(page)
    page.locator(".st-key-text_start button").click()
    page.wait_for_selector('[data-testid="stCode"]', timeout=60_000)
    page.get_by_text("Text, cell and run").click()  # the expander folds once the runs exist
    page.locator(".st-key-p_cell button", has_text="GRU").click()
    wait_idle(page)
    first = _steps(page)
    page.wait_for_function(  # still ticking after the change
        f"""() => {{ const v = document.querySelector('[data-testid="stMetricValue"]');
                    return v && parseInt(v.innerText.replace(/,/g, '')) > {first}; }}""", timeout=90_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    body = page.locator('[data-testid="stMain"]').inner_text()
    assert "The controls changed (the cell beside the vanilla RNN)" in body and "LSTM, bits/char" in body
    page.locator(".st-key-text_pause button").click()
    wait_idle(page)
    page.locator(".st-key-text_start button").click()
    page.wait_for_function("() => document.body.innerText.includes('GRU, bits/char')", timeout=60_000)
    page.locator(".st-key-text_pause button").click()
    wait_idle(page)
    shot(page, "text_page_gru")
    assert "The controls changed" not in page.locator('[data-testid="stMain"]').inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not page.console_errors, page.console_errors
