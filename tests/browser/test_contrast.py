"""Every text colour of every page reads: 4.5:1 against what is painted behind it (WCAG 2.1 AA, issue #15), in the
light theme and in the dark one, measured from the rendered page in Chromium.

For each visible text (a text node's element, a chart's SVG <text>, a diagram's label) the colour is the computed
`color` (an SVG text's `fill`) with its alpha and the opacity of the elements between it and its background
blended in; the background is what the browser paints under the text's first characters (the elements at that
point, bottom up: backgrounds, and SVG shapes' fills), composited onto white. The window is made as tall as the
page, so every text is on screen at once, and each page is loaded once per theme.

Disabled controls are left out: WCAG exempts an inactive control's text (Streamlit fades it to 40 %).
"""
from __future__ import annotations

import pytest

from browser_kit import watched_page
from ui.registry import PAGES
from wcag import contrast

NEED = 4.5
SLOW = 180_000  # ms: the phase diagram's first load on a busy machine

# the page has drawn: its script is idle, its title and the sidebar are there, no placeholder is left and every
# chart and diagram has its text
READY = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (!document.querySelector('[data-testid="stMain"] h1')) return false;
  if (!document.querySelector('[data-testid="stSidebar"] [data-testid="stSliderThumbValue"]')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('.marks text'))
      && [...document.querySelectorAll('[data-testid="stGraphVizChart"]')].every(c => c.querySelector('svg text'));
}"""
COUNT = "() => document.querySelectorAll('[data-testid=\"stApp\"] *').length"
HEIGHT = """() => Math.max(720, ...['stMain', 'stSidebarContent'].map(t => {
  const e = document.querySelector(`[data-testid="${t}"]`);
  return e ? Math.ceil(e.scrollHeight) + 20 : 0;
}))"""

TEXTS = """() => {
  const parse = s => {
    const m = s && s.match(/rgba?\\(([^)]*)\\)/);
    if (!m) return null;
    const p = m[1].replace(/\\//g, ',').split(/[\\s,]+/).filter(x => x).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const SHAPES = new Set(['rect', 'path', 'polygon', 'circle', 'ellipse']);
  const paint = e => {  // what an element paints under text: its background, or an SVG shape's fill
    const s = getComputedStyle(e);
    if (!(e instanceof SVGElement)) return parse(s.backgroundColor);
    if (!SHAPES.has(e.tagName.toLowerCase())) return null;
    const c = parse(s.fill);
    return c && [c[0], c[1], c[2], c[3] * parseFloat(s.fillOpacity) * parseFloat(s.opacity)];
  };
  const behind = (x, y, el) => {  // what is painted under (x, y) below el, composited bottom up onto white
    const stack = document.elementsFromPoint(x, y);
    let i = stack.indexOf(el);
    if (i < 0) i = stack.findIndex(e => !el.contains(e));
    let back = [255, 255, 255, 1], top = null;
    for (const e of stack.slice(Math.max(i, 0)).reverse()) {
      const c = paint(e);
      if (c && c[3] > 0) { back = over(c, back); if (c[3] >= 0.999) top = e; }
    }
    return [back, top];
  };
  const where = el => {  // the element and its nearest Streamlit test ids
    const parts = [];
    for (let e = el; e && parts.length < 3; e = e.parentElement) {
      const t = e.getAttribute('data-testid');
      if (e === el || t) parts.unshift(e.tagName.toLowerCase() + (t ? `[data-testid="${t}"]` : ''));
    }
    return parts.join(' > ');
  };
  const rows = [], seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || seen.has(el)) continue;
    if (el.closest('script, style, noscript, title, .katex-mathml')) continue;  // never drawn (MathML: for readers)
    seen.add(el);
    const svg = el instanceof SVGElement, cs = getComputedStyle(el);
    if (cs.visibility !== 'visible') continue;
    let box = null;
    if (svg) {
      const r = el.getBoundingClientRect();
      if (r.width >= 2 && r.height >= 2) box = r;
    } else {
      const range = document.createRange();
      range.selectNodeContents(n);
      box = [...range.getClientRects()].find(r => r.width >= 2 && r.height >= 2);
    }
    if (!box) continue;  // not drawn: display none, collapsed, for screen readers only
    const x = box.left + Math.min(box.width / 2, 6), y = box.top + box.height / 2;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    const [back, under] = behind(x, y, el);
    let alpha = svg ? parseFloat(cs.fillOpacity) : 1;
    for (let e = el; e && e !== under && !(under && e.contains(under)); e = e.parentElement)
      alpha *= parseFloat(getComputedStyle(e).opacity);
    const c = parse(svg ? cs.fill : cs.color);
    if (!c || c[3] * alpha < 0.05) continue;  // transparent: hidden (Vega hides overlapping labels so)
    const fg = over([c[0], c[1], c[2], c[3] * alpha], back);
    rows.push({fg: fg.slice(0, 3).map(Math.round), bg: back.slice(0, 3).map(Math.round), css: svg ? cs.fill : cs.color,
               where: where(el), text: n.textContent.trim().slice(0, 50),
               chart: !!el.closest('[data-testid="stVegaLiteChart"]'),
               disabled: !!el.closest(':disabled, [aria-disabled="true"]')});
  }
  const canvas = document.querySelectorAll('[data-testid="stVegaLiteChart"] canvas.marks').length;
  const charts = document.querySelectorAll('[data-testid="stVegaLiteChart"]').length;
  return {rows, charts, canvas};
}"""


def settle(page, timeout: float = SLOW) -> None:
    """Wait until the page has drawn and nothing is added any more (two looks 0.5 s apart agree)."""
    last = -1
    while True:
        page.wait_for_function(READY, timeout=timeout)
        n = page.evaluate(COUNT)
        if n == last:
            return
        last = n
        page.wait_for_timeout(500)


def too_faint(rows: list[dict]) -> list[str]:
    """One line per (colour, background) pair below NEED, with where it is and an example of its text."""
    pairs: dict[tuple, list[dict]] = {}
    for r in rows:
        if not r["disabled"]:
            pairs.setdefault((tuple(r["fg"]), tuple(r["bg"])), []).append(r)
    out = []
    for (fg, bg), rs in sorted(pairs.items(), key=lambda kv: contrast(*kv[0])):
        c = contrast(fg, bg)
        if c < NEED:
            out.append(f"{c:.2f}:1 rgb{fg} on rgb{bg} ({rs[0]['css']}), {len(rs)}× e.g. {rs[0]['where']}: "
                       f"{rs[0]['text']!r}")
    return out


@pytest.fixture(scope="module")
def themed(browser):
    """One browser tab per theme for the whole module (the app's scripts and fonts load once); each visit to a
    page is a new Streamlit session all the same."""
    tabs: dict = {}
    yield lambda scheme: tabs.setdefault(scheme, watched_page(browser, color_scheme=scheme))
    for tab in tabs.values():
        tab.context.close()


@pytest.mark.parametrize("page_info", PAGES, ids=[p.name for p in PAGES])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_colour_reads(server, themed, scheme, page_info):
    page = themed(scheme)
    page.console_errors.clear()
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/{'' if page_info is PAGES[0] else page_info.name}")
    settle(page)
    page.set_viewport_size({"width": 1280, "height": page.evaluate(HEIGHT)})  # every text on screen at once
    page.wait_for_timeout(300)
    settle(page)
    bg = page.evaluate("""() => getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor""")
    assert (bg == "rgb(255, 255, 255)") == (scheme == "light"), f"the {scheme} theme's background is {bg}"
    found = page.evaluate(TEXTS)
    rows = found["rows"]
    # Vega draws SVG in Streamlit 1.67; on a canvas its text could not be read (tests/ui/test_text_colours.py
    # checks the colours the charts ask for)
    assert found["canvas"] == 0, "a chart drawn on canvas: its text is not measured"
    assert len(rows) > 30, f"{page_info.name}: only {len(rows)} texts found"
    if found["charts"]:  # the charts' own text is measured too
        assert any(r["chart"] for r in rows), f"{page_info.name}: no chart text found"
    bad = too_faint(rows)
    assert not bad, f"{page_info.name} ({scheme}): text below {NEED}:1\n" + "\n".join(bad)
    assert not page.console_errors, page.console_errors
