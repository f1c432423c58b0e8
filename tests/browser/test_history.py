"""The browser's Back button and the address bar, as a class uses them (issue: Back was stuck, a refused setting
left a page's slider showing another value than the page used).

- One page visit is one history entry: Back from the second page visited lands on the first in one press, and
  Forward returns. (Each URL key used to be written on its own, pushing a dozen entries per visit.)
- A settings change adds at most one entry.
- A page's own control shows the value the page uses: after a refused setting, and when a link asks for more
  than the sequence has.
"""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from browser_kit import shot, wait_idle

SLOW = 120_000


def path(pg) -> str:
    return urlparse(pg.url).path


def query(pg) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(pg.url).query).items()}


def settle(pg, title: str | None = None) -> None:
    """Wait until the page (with this title) has run and the address bar and history stay put for a second."""
    if title:
        pg.locator("h1").filter(has_text=title).first.wait_for(timeout=SLOW)
    last = None
    for _ in range(60):
        wait_idle(pg, SLOW)
        now = (pg.evaluate("history.length"), pg.url)
        if now == last:
            return
        last = now
        pg.wait_for_timeout(700)
    raise AssertionError(f"the address bar kept changing: {last}")


def nav(pg, title: str) -> None:
    """Click a page in the sidebar's navigation and wait for it."""
    pg.locator(".st-key-nav").get_by_role("link", name=title, exact=True).click()
    settle(pg, title)


def history_length(pg) -> int:
    return pg.evaluate("history.length")


def test_back_from_the_second_page_lands_on_the_first_in_one_press(page, server):
    page.goto(f"{server}/activations?T=40&hidden=16", timeout=SLOW)
    settle(page, "Activations")
    first = history_length(page)
    nav(page, "Jacobian products")
    assert path(page) == "/jacobian_products"
    assert history_length(page) == first + 1, "one visit, one history entry"
    assert query(page)["T"] == "40" and query(page)["hidden"] == "16"  # the link carried the view
    nav(page, "Gated cells")
    assert history_length(page) == first + 2
    page.go_back()
    settle(page, "Jacobian products")
    assert path(page) == "/jacobian_products"
    assert page.locator("h1").first.inner_text().startswith("Jacobian products")
    page.go_back()
    settle(page, "Activations")
    assert path(page) == "/activations"
    assert query(page)["T"] == "40"
    page.go_forward()
    settle(page, "Jacobian products")
    assert path(page) == "/jacobian_products"
    assert not page.locator('[data-testid="stException"]').count()


def test_a_settings_change_adds_at_most_one_entry(page, server):
    page.goto(f"{server}/jacobian_products?T=40&hidden=16", timeout=SLOW)
    settle(page, "Jacobian products")
    before = history_length(page)
    t = page.locator('[data-testid="stSidebar"]').get_by_role("slider", name="Sequence length T")
    t.focus()
    t.press("ArrowRight")  # T = 50
    page.get_by_text("T = 50").first.wait_for(timeout=SLOW)
    settle(page)
    assert query(page)["T"] == "50"
    assert history_length(page) <= before + 1
    assert "projector" not in query(page)  # a display preference, never written into a link


def test_a_refused_setting_leaves_the_page_control_showing_what_the_page_uses(page, server):
    """Gated cells at n = 256: T = 100 fits the budget, the next stop (125) is refused and the page stops
    before its controls; back at T = 100 the bias slider and the sentence both say b = 5 (not the default, 3)."""
    page.goto(f"{server}/gated_cells?T=100&hidden=256&gate_bias=5", timeout=SLOW)
    settle(page, "Gated cells")
    bias = page.locator('[data-testid="stMain"]').get_by_role("slider").first
    assert bias.get_attribute("aria-valuetext") == "5"
    t = page.locator('[data-testid="stSidebar"]').get_by_role("slider", name="Sequence length T")
    t.focus()
    t.press("ArrowRight")
    page.get_by_text("lower T or the hidden size").first.wait_for(timeout=SLOW)  # refused
    wait_idle(page, SLOW)
    t.focus()
    t.press("ArrowLeft")
    page.get_by_text("b = 5").first.wait_for(timeout=SLOW)
    wait_idle(page, SLOW)
    shot(page, "history-gated-after-refusal")
    bias = page.locator('[data-testid="stMain"]').get_by_role("slider").first
    assert bias.get_attribute("aria-valuetext") == "5"
    assert query(page).get("gate_bias") == "5"


@pytest.mark.parametrize("T", [8, 30])
def test_a_lag_longer_than_the_sequence_is_clamped_where_it_is_shown(page, server, T):
    page.goto(f"{server}/jacobian_products?T={T}&hidden=16&lag=50", timeout=SLOW)
    settle(page, "Jacobian products")
    lag = page.locator('[data-testid="stMain"]').get_by_role("slider").first
    assert lag.get_attribute("aria-valuetext") == str(T)
    head = page.locator("h4").filter(has_text="A signal from").first.inner_text()
    assert head.startswith(f"A signal from {T} steps back"), head
    assert query(page)["lag"] == "50"  # the link's lag is kept: at a longer T it is 50 again


def sidebar_t(pg):
    return pg.locator('[data-testid="stSidebar"]').get_by_role("slider", name="Sequence length T")


def step_t(pg, key: str, shown: str) -> None:
    """Move the sidebar's T one stop (ArrowRight / ArrowLeft) and wait until the page says T = shown."""
    t = sidebar_t(pg)
    t.focus()
    t.press(key)
    pg.get_by_text(f"T = {shown}").first.wait_for(timeout=SLOW)
    settle(pg)


def test_back_and_forward_within_a_page_go_through_its_settings(page, server):
    """Two settings changes on one page, then Back, Back, Forward: each press shows the view of that entry, the
    slider and the address agree, and no press adds an entry (Back used to leave the slider where it was and
    write its value back into the address, a press that did nothing)."""
    page.goto(f"{server}/jacobian_products?T=40&hidden=16", timeout=SLOW)
    settle(page, "Jacobian products")
    step_t(page, "ArrowRight", "50")
    step_t(page, "ArrowRight", "60")
    length = history_length(page)
    for move, want in ((page.go_back, "50"), (page.go_back, "40"), (page.go_forward, "50")):
        move()
        page.get_by_text(f"T = {want}").first.wait_for(timeout=SLOW)
        settle(page, "Jacobian products")
        assert query(page)["T"] == want
        assert sidebar_t(page).get_attribute("aria-valuetext") == want
        assert history_length(page) == length, "Back and Forward add no entry"
    # a change after going back is one new entry, as in any site: the slider moves on from what Back showed
    step_t(page, "ArrowRight", "60")
    assert query(page)["T"] == "60"
    assert not page.locator('[data-testid="stException"]').count()


def test_back_across_pages_returns_each_page_with_its_settings(page, server):
    """Activations at T = 40, then Jacobian products, where T goes to 50: Back shows Jacobian products at
    T = 40, Back again Activations at T = 40 (the sidebar as it was there, not the later 50)."""
    page.goto(f"{server}/activations?T=40&hidden=16", timeout=SLOW)
    settle(page, "Activations")
    nav(page, "Jacobian products")
    step_t(page, "ArrowRight", "50")
    page.go_back()
    page.get_by_text("T = 40").first.wait_for(timeout=SLOW)
    settle(page, "Jacobian products")
    assert query(page)["T"] == "40" and sidebar_t(page).get_attribute("aria-valuetext") == "40"
    page.go_back()
    settle(page, "Activations")
    assert path(page) == "/activations"
    assert query(page)["T"] == "40" and sidebar_t(page).get_attribute("aria-valuetext") == "40"
    page.go_forward()
    settle(page, "Jacobian products")
    assert query(page)["T"] == "40" and sidebar_t(page).get_attribute("aria-valuetext") == "40"
    assert not page.locator('[data-testid="stException"]').count()


def test_the_lesson_is_one_entry_and_back_leaves_it_with_the_visitors_settings(page, server):
    """Opening the Lesson from the sidebar is one entry, already at its step's settings (it used to be two: the
    link's, then the step's written after it, the first under the page before's address). Back goes through
    the steps and out, to the page before with the visitor's own settings; the Lesson still knows them."""
    page.goto(f"{server}/jacobian_products?T=40&hidden=16", timeout=SLOW)
    settle(page, "Jacobian products")
    before = history_length(page)
    nav(page, "Lesson")
    settle(page, "Lesson · step 1 of 9")
    assert history_length(page) == before + 1
    assert query(page)["T"] == "8" and query(page)["step"] == "1"
    page.get_by_text("The Lesson changed 2 of your sidebar settings").first.wait_for(timeout=SLOW)
    page.get_by_role("button", name="Next").first.click()
    settle(page, "Lesson · step 2 of 9")
    assert query(page)["step"] == "2"
    page.go_back()
    settle(page, "Lesson · step 1 of 9")
    assert query(page)["step"] == "1" and sidebar_t(page).get_attribute("aria-valuetext") == "8"
    page.go_back()
    settle(page, "Jacobian products")
    assert query(page)["T"] == "40" and query(page)["hidden"] == "16"
    assert sidebar_t(page).get_attribute("aria-valuetext") == "40"
    assert not page.locator('[data-testid="stException"]').count()
