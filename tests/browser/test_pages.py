"""Every page as a visitor meets it, in Debian's Chromium at 1280×720 (issue #5).

One server for the whole session (conftest's `server`). Each scenario checks what must happen and one thing
that must NOT: no exception box, no console error, no value from a link silently dropped, no hostile URL
text echoed raw, no horizontal scroll or chart cut off, no line or legend symbol that vanishes into the
background (light or dark theme), no Material icon shown as its ligature text.

Screenshots go to artifacts/screenshots/ (git-ignored); the best of them are copied by hand into docs/.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from browser_kit import shot, wait_idle, watched_page
from ui.sidebar import T_STEPS
from wcag import contrast, luminance as _luminance

# (url path, words in its title, charts drawn at least, at default settings)
PAGES = [
    ("", "Gradients through time", 0),
    ("activations", "Activations", 2),
    ("jacobian_products", "Jacobian products", 1),
    ("bptt_by_hand", "BPTT by hand", 3),
    ("gated_cells", "Gated cells", 1),
    ("phase_diagram", "Phase diagram", 2),  # 10–30 s to compute at first load on a busy machine
    ("live_training", "Live training", 0),  # its charts appear after Start: test_live_browser.py
]
TITLE = dict((p, t) for p, t, _ in PAGES)
SLOW = 180_000  # ms: the phase diagram's first load on a busy machine

READY = """([title, n]) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  const h1 = [...document.querySelectorAll('[data-testid="stMain"] h1')];
  if (!h1.some(h => h.innerText.includes(title))) return false;
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return charts.length >= n && charts.every(c => {
    const s = c.querySelector('svg.marks, canvas.marks');
    if (!s) return false;
    const r = s.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  });
}"""


@pytest.fixture(scope="module", autouse=True)
def warm_phase_diagram(server, browser):
    """The phase diagram computes a grid of networks at its first load (half a minute or more on a busy
    machine). A background visitor opens it while the other tests run, so its cache is warm when its own
    test comes (a second session waits on the same cached computation instead of repeating it)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    ctx.new_page().goto(f"{server}/phase_diagram")
    yield
    ctx.close()


def settle(page, title: str, charts: int = 0, timeout: float = 60_000) -> None:
    """Wait until the page titled `title` shows at least `charts` drawn charts and its script is idle.
    (On a fresh session the script state reads 'notRunning' before the first run starts, so the state
    alone is not enough: the title and the charts must be there too.)"""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(READY, arg=[title, charts], timeout=timeout)
    wait_idle(page, timeout)
    page.wait_for_function(READY, arg=[title, charts], timeout=timeout)


def open_page(page, url: str, title: str, charts: int = 0, timeout: float = 60_000) -> None:
    page.goto(url)
    settle(page, title, charts, timeout)


def after_input(page, title: str, charts: int = 0, timeout: float = 60_000) -> None:
    """After a key press or click: let the rerun start, then wait for it to end."""
    page.wait_for_timeout(400)
    settle(page, title, charts, timeout)


def no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def charts_svg(page) -> list[str]:
    """Each chart's drawn SVG: a snapshot to compare before and after an input."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .map(c => { const s = c.querySelector('svg.marks'); return s ? s.innerHTML : ''; })""")


def line_paths(page) -> list[list[str]]:
    """The drawn lines of each chart (their SVG path data), free of ids that differ between sessions."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .map(c => [...c.querySelectorAll('.mark-line.role-mark path')].map(p => p.getAttribute('d')))""")


def metric_texts(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stMain"] [data-testid="stMetricValue"]').all_inner_texts()]


# ---------------------------------------------------------------------------------------------------------
# the sidebar, read and set the way a visitor does

def slider(page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_role("slider", name=label)


def sidebar_values(page) -> dict[str, str]:
    sb = page.locator('[data-testid="stSidebar"]')
    kind = sb.get_by_role("radiogroup", name="Scale means").locator('[aria-checked="true"]')
    return {"T": slider(page, "Sequence length T").get_attribute("aria-valuetext"),
            "activation": sb.get_by_role("combobox", name="Activation f").input_value(),
            "scale": slider(page, "Weight scale").get_attribute("aria-valuetext"),
            "scale_kind": kind.inner_text().strip() if kind.count() else ""}


def press(page, label: str, *keys: str) -> None:
    s = slider(page, label)
    s.focus()
    for k in keys:
        page.keyboard.press(k)


# ---------------------------------------------------------------------------------------------------------
# what a visitor sees: drawn charts, no overflow, icons, colours that stand out from the background

def chart_report(page) -> list[dict]:
    return page.evaluate("""() => {
      const main = document.querySelector('[data-testid="stMain"]').getBoundingClientRect();
      return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].map(c => {
        const s = c.querySelector('svg.marks, canvas.marks');
        const r = s ? s.getBoundingClientRect() : {width: 0, height: 0, left: 0, right: 0};
        const box = c.getBoundingClientRect();
        return {width: r.width, height: r.height, marks: s ? s.querySelectorAll('.role-mark > *').length : 0,
                left: r.left, right: r.right, boxRight: box.right, mainRight: main.right,
                bg: s ? getComputedStyle(s).backgroundColor : '',
                symbols: s ? [...s.querySelectorAll('.role-legend-symbol path')].map(
                    p => [p.getAttribute('stroke'), p.getAttribute('fill'), p.getAttribute('opacity')]) : [],
                lines: s ? [...s.querySelectorAll('.mark-line.role-mark path')].map(
                    p => [p.getAttribute('stroke'), p.getAttribute('stroke-opacity'), p.getAttribute('opacity')]) : []};
      });
    }""")


def overflow(page) -> dict:
    return page.evaluate("""() => {
      const d = document.scrollingElement, m = document.querySelector('[data-testid="stMain"]');
      return {doc: d.scrollWidth - d.clientWidth, main: m.scrollWidth - m.clientWidth};
    }""")


def icons(page) -> list[list]:
    """Each Material icon: its ligature name, drawn width and font size. Unrendered, the name shows as
    text ('show_chart') many times wider than the icon."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stIconMaterial"]')]
        .filter(e => e.offsetParent !== null)
        .map(e => [e.innerText, e.getBoundingClientRect().width, parseFloat(getComputedStyle(e).fontSize)])""")


def _rgb(text: str | None):
    """'#abc', '#aabbcc', 'rgb(1, 2, 3)' or 'rgba(…)' → (r, g, b, alpha); None for none/transparent."""
    if not text or text in ("none", "transparent"):
        return None
    t = text.strip().lower()
    if t.startswith("#"):
        h = t[1:]
        if len(h) == 3:
            h = "".join(c * 2 for c in h)
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0
    m = re.match(r"rgba?\(([^)]*)\)", t)
    if not m:
        return None
    parts = [float(x) for x in m.group(1).replace("/", ",").split(",") if x.strip()]
    return int(parts[0]), int(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else 1.0


def _opaque(*alphas) -> bool:
    return all(a is None or float(a) >= 0.5 for a in alphas)


def invisible(report: dict, need: float = 2.5) -> list[str]:
    """Lines and legend symbols whose colour is too close to the chart's background to be seen (WCAG asks
    3:1 for graphics; 2.5 leaves room for anti-aliasing and still catches near-black on near-black)."""
    bg = _rgb(report["bg"])
    if bg is None or bg[3] == 0:
        bg = (255, 255, 255, 1.0)
    bad = []
    for stroke, fill, op in report["symbols"]:
        if not _opaque(op):
            continue
        seen = [contrast(c, bg) for c in (_rgb(stroke), _rgb(fill)) if c is not None and c[3] > 0]
        if seen and max(seen) < need:
            bad.append(f"legend symbol stroke={stroke} fill={fill}: {max(seen):.2f}:1 on {report['bg']}")
    for stroke, sop, op in report["lines"]:
        c = _rgb(stroke)
        if c is not None and _opaque(sop, op) and contrast(c, bg) < need:
            bad.append(f"line {stroke}: {contrast(c, bg):.2f}:1 on {report['bg']}")
    return sorted(set(bad))


def check_view(page, path: str, charts: int) -> None:
    """What every page must show, and what it must not."""
    no_exception(page)
    assert not page.console_errors, page.console_errors
    rep = chart_report(page)
    assert len(rep) >= charts, f"{path}: {len(rep)} charts, expected at least {charts}"
    for i, r in enumerate(rep):
        assert r["width"] > 50 and r["height"] > 50, f"{path}: chart {i} not drawn: {r}"
        assert r["marks"] > 0, f"{path}: chart {i} has no marks"
        assert r["right"] <= r["mainRight"] + 1, f"{path}: chart {i} cut off at the right: {r}"
        assert not invisible(r), f"{path}: chart {i}: {invisible(r)}"
    ov = overflow(page)
    assert ov["doc"] <= 0 and ov["main"] <= 0, f"{path}: horizontal scroll at 1280×720: {ov}"
    drawn = icons(page)
    assert drawn, "the sidebar navigation shows Material icons"
    wide = [(name, w, fs) for name, w, fs in drawn if w > 1.6 * fs]
    assert not wide, f"{path}: Material icons shown as text, not glyphs: {wide}"
    assert page.evaluate("""() => document.fonts.check('24px "Material Symbols Rounded"')""")


# ---------------------------------------------------------------------------------------------------------
# the sidebar's sliders by keyboard

def test_sequence_length_by_keyboard_changes_the_chart(server, page):
    """T by ArrowRight, PageUp and End on the sidebar slider: one stop a key press (ui.sidebar.T_STEPS,
    100 → 125 → 150 → 200), and the caption, the URL and the chart follow."""
    title = TITLE["jacobian_products"]
    open_page(page, f"{server}/jacobian_products", title, 1)
    svg0 = charts_svg(page)
    press(page, "Sequence length T", "ArrowRight", "ArrowRight", "ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('T') === '200'", timeout=15_000)
    after_input(page, title, 1)
    assert "T = 200" in page.locator('[data-testid="stMain"]').inner_text()
    svg1 = charts_svg(page)
    assert svg1 != svg0
    press(page, "Sequence length T", "PageUp")
    page.wait_for_function("() => Number(new URLSearchParams(location.search).get('T')) > 200", timeout=15_000)
    after_input(page, title, 1)
    assert charts_svg(page) != svg1
    press(page, "Sequence length T", "End")
    page.wait_for_function("() => new URLSearchParams(location.search).get('T') === '2000'", timeout=15_000)
    after_input(page, title, 1, timeout=SLOW)
    assert slider(page, "Sequence length T").get_attribute("aria-valuetext") == "2000"
    assert "T = 2000" in page.locator('[data-testid="stMain"]').inner_text()
    check_view(page, "jacobian_products T=2000", 1)  # must NOT: an exception or a chart cut off at the longest T


# ---------------------------------------------------------------------------------------------------------
# Home's presets set the sidebar, and the settings survive a page switch

def test_preset_sets_the_sidebar_and_the_url(server, page):
    home = TITLE[""]
    open_page(page, f"{server}/", home)
    assert sidebar_values(page)["activation"] == "tanh"
    page.locator(".st-key-preset_exploding button").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('activation') === 'linear'",
                           timeout=15_000)
    after_input(page, home)
    assert sidebar_values(page) == {"T": "100", "activation": "linear", "scale": "1.2", "scale_kind": "ρ"}
    q = query(page)
    assert (q["T"], q["activation"], q["scale"], q["scale_kind"], q["init"]) == ("100", "linear", "1.2", "rho",
                                                                                  "gaussian")
    main = page.locator('[data-testid="stMain"]')
    assert "holds the preset" in main.inner_text()
    shot(page, "home_preset")
    # must NOT: the preset is forgotten when the visitor follows the link to the chart
    main.get_by_role("link", name="See it in Jacobian products").click()
    page.wait_for_url(re.compile(r"/jacobian_products"), timeout=15_000)
    settle(page, TITLE["jacobian_products"], 1)
    assert sidebar_values(page)["activation"] == "linear"
    assert "exploding" in main.inner_text()
    assert query(page)["scale"] == "1.2"
    no_exception(page)
    assert not page.console_errors, page.console_errors


def test_preset_with_a_page_opens_it(server, page):
    open_page(page, f"{server}/", TITLE[""])
    page.locator(".st-key-preset_lstm button").click()
    page.wait_for_url(re.compile(r"/gated_cells"), timeout=30_000)
    settle(page, TITLE["gated_cells"], 1)
    assert sidebar_values(page) == {"T": "100", "activation": "tanh", "scale": "1.0", "scale_kind": "g"}
    assert query(page)["input_scale"] == "1"
    no_exception(page)
    assert not page.console_errors, page.console_errors


# ---------------------------------------------------------------------------------------------------------
# a shared link reproduces the view; a hostile one does no harm

SHARED = {"T": "40", "activation": "relu", "scale": "1.4", "scale_kind": "rho"}


def test_shared_link_reproduces_the_view(server, page):
    title = TITLE["jacobian_products"]
    open_page(page, f"{server}/jacobian_products?" + "&".join(f"{k}={v}" for k, v in SHARED.items()), title, 1)
    assert sidebar_values(page) == {"T": "40", "activation": "ReLU", "scale": "1.4", "scale_kind": "ρ"}  # as shown
    main = page.locator('[data-testid="stMain"]')
    # must NOT: a value of the link dropped, silently or with a warning
    assert {k: query(page).get(k) for k in SHARED} == SHARED
    assert "could not be used" not in main.inner_text()
    linked, linked_lines = metric_texts(page), line_paths(page)
    headline = main.locator("h4").first.inner_text()
    assert linked[0] == "1.4", linked  # ρ(W) is what the link asked for
    no_exception(page)

    # the same view reached by hand, in a fresh session at the defaults
    open_page(page, f"{server}/jacobian_products", title, 1)
    assert metric_texts(page) != linked
    press(page, "Sequence length T", "Home", *["ArrowRight"] * T_STEPS.index(40))  # one stop a key press
    page.wait_for_function("() => new URLSearchParams(location.search).get('T') === '40'", timeout=15_000)
    after_input(page, title, 1)
    combo = page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Activation f")
    combo.click()
    page.get_by_role("option", name="ReLU", exact=True).click()  # the display name (ui.settings)
    page.wait_for_function("() => new URLSearchParams(location.search).get('activation') === 'relu'",
                           timeout=15_000)
    after_input(page, title, 1)
    for _ in range(20):  # 1.0 → 1.05 → … → 1.4, one stop at a time
        if slider(page, "Weight scale").get_attribute("aria-valuetext") == "1.4":
            break
        press(page, "Weight scale", "ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('scale') === '1.4'", timeout=15_000)
    after_input(page, title, 1)
    page.locator('[data-testid="stSidebar"]').get_by_role("radiogroup", name="Scale means") \
        .get_by_role("radio", name="ρ").click()
    page.wait_for_function("() => new URLSearchParams(location.search).get('scale_kind') === 'rho'",
                           timeout=15_000)
    after_input(page, title, 1)
    assert sidebar_values(page) == {"T": "40", "activation": "ReLU", "scale": "1.4", "scale_kind": "ρ"}  # as shown
    assert metric_texts(page) == linked
    assert main.locator("h4").first.inner_text() == headline
    assert line_paths(page) == linked_lines
    no_exception(page)
    assert not page.console_errors, page.console_errors


HOSTILE = ("T=%3Cscript%3Ewindow.__pwned%3D1%3C%2Fscript%3E"
           "&activation=%3Cimg%20src%3Dx%20onerror%3D%22window.__pwned%3D2%22%3E"
           "&scale=1e999&seed=-1&hidden=**bold**&init=%5Blink%5D(http%3A%2F%2Fevil.example)")


def test_hostile_link_is_refused_and_never_echoed(server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_page(page, f"{server}/jacobian_products?{HOSTILE}", TITLE["jacobian_products"], 1)
    main = page.locator('[data-testid="stMain"]')
    warning = main.locator('[data-testid="stAlert"]').first
    assert "could not be used" in warning.inner_text()
    text = page.locator('[data-testid="stApp"]').inner_text()
    # must NOT: the visitor's text echoed raw, run as script, or rendered as markup (an image, a link, bold)
    for raw in ("<script", "<img", "onerror=", "](http", "**bold**"):
        assert raw not in text, raw
    assert page.locator('[data-testid="stMain"] img[src="x"], [data-testid="stMain"] a[href*="evil"]').count() == 0
    assert "bold" not in " ".join(page.locator('[data-testid="stMain"] strong').all_inner_texts())
    assert page.evaluate("() => window.__pwned === undefined")
    assert not dialogs
    assert sidebar_values(page) == {"T": "100", "activation": "tanh", "scale": "1.0", "scale_kind": "g"}
    q = query(page)
    assert (q["T"], q["activation"], q["hidden"], q["seed"]) == ("100", "tanh", "64", "0")  # defaults, rewritten
    check_view(page, "jacobian_products (hostile link)", 1)
    shot(page, "hostile_link")


# ---------------------------------------------------------------------------------------------------------
# every page: rendered, charts drawn, a slider moved by keyboard changes what is drawn

@pytest.mark.parametrize("path,title,charts", PAGES, ids=[p or "home" for p, _, _ in PAGES])
def test_page_renders_and_follows_the_sidebar(server, page, path, title, charts):
    open_page(page, f"{server}/{path}", title, charts, timeout=SLOW)
    check_view(page, path, charts)
    name = path or "home"
    shot(page, name)
    if charts:
        page.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        shot(page, f"{name}_chart")
    if path == "jacobian_products":  # the regime, the numbers and the chart in one view
        page.locator('[data-testid="stMain"] h3').first.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        shot(page, f"{name}_overview")

    before_svg, before_q = charts_svg(page), query(page)
    assert before_q.get("scale") == "1" and before_q.get("T") == "100", before_q
    press(page, "Weight scale", "ArrowRight", "ArrowRight")  # 1.0 → 1.05 → 1.1, one rerun
    page.wait_for_function("() => new URLSearchParams(location.search).get('scale') === '1.1'", timeout=15_000)
    after_input(page, title, charts, timeout=SLOW)
    assert slider(page, "Weight scale").get_attribute("aria-valuetext") == "1.1"
    if charts:
        after_svg = charts_svg(page)
        assert after_svg != before_svg, f"{path}: no chart changed when the weight scale moved"
    after_q = query(page)
    # must NOT happen: the other settings move, or an exception box appears
    assert {k: v for k, v in after_q.items() if k != "scale"} == {k: v for k, v in before_q.items() if k != "scale"}
    no_exception(page)
    assert not page.console_errors, page.console_errors


# ---------------------------------------------------------------------------------------------------------
# dark theme: a visitor whose system is dark gets a dark app, and every line still shows

DARK_PAGES = ["jacobian_products", "activations", "bptt_by_hand", "gated_cells", "phase_diagram"]


@pytest.fixture
def dark_page(browser):
    pg = watched_page(browser, color_scheme="dark")
    yield pg
    pg.context.close()


def test_dark_theme_every_line_visible(server, dark_page):
    page = dark_page
    for path in DARK_PAGES:
        charts = dict((p, n) for p, _, n in PAGES)[path]
        open_page(page, f"{server}/{path}", TITLE[path], charts, timeout=SLOW)
        bg = _rgb(page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid="stApp"]'))
                                        .backgroundColor"""))
        assert bg and _luminance(bg) < 0.05, f"{path}: the app is not dark: {bg}"
        check_view(page, f"{path} (dark)", charts)  # includes: no line or legend symbol lost in the dark
        shot(page, f"dark_{path}")
        page.locator('[data-testid="stVegaLiteChart"]').first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        shot(page, f"dark_{path}_chart")
