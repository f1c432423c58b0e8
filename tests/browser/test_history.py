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
