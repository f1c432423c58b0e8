"""Projector mode at a projector's 1024 × 768 with the sidebar open, in Chromium (issue 20, layout):

- on every page (ui.registry) no metric value or label, regime badge, button, option, link or widget label is cut:
  nothing wider than its clipping box, no "…" of text-overflow, no word broken across two lines; no button's label
  squeezed onto more than two lines;
- no chart's legend or title runs out of its chart, and no chart label is cut to "…";
- every option of a segmented control is visible, with projector mode on and off;
- every Lesson step's chart starts on the first screen (its top within 768 px);
- PageDown / PageUp (a presenter's clicker) press the Lesson's Next / Previous.
"""
from __future__ import annotations

import pytest

from browser_kit import shot, wait_idle
from lesson_steps import skip_in_browser  # each Lesson step asks its question first (issue 21)
from ui.session.lesson import STEPS
from ui.registry import PAGES

SLOW = 180_000
W, H = 1024, 768
NAMES = [p.name for p in PAGES]

# Everything a visitor reads as a unit and that must not be cut. For each: its own box and every descendant;
# cut = wider than its box where that box clips (overflow not visible) or shows an ellipsis; or a word whose
# letters sit on two lines; or (segmented options, selectbox values) running out of the control's visible box.
CUT = r"""() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const name = e => (e.innerText || e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
  const shown = e => { const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && (!e.checkVisibility || e.checkVisibility()); };
  // wider than its box: cut where the box clips or ends in "…", and spilling over its neighbours where it
  // does not (a button's label over its key hint); a text box (Streamlit's markdown) counts either way
  const clipped = e => {
    if (!(e.clientWidth > 0) || e.scrollWidth <= e.clientWidth + 1) return false;
    const cs = getComputedStyle(e);
    return cs.overflowX !== 'visible' || cs.textOverflow === 'ellipsis'
        || e.getAttribute('data-testid') === 'stMarkdownContainer';
  };
  const brokenWord = e => {
    const walk = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walk.nextNode())) {
      if (n.parentElement && n.parentElement.closest('.katex, [data-testid="stIconMaterial"], .material-icons, svg'))
        continue;
      const re = /[^\s\/\-–—]+/g; let m;  // a word: a line may break at a space, a slash or a dash
      while ((m = re.exec(n.data))) {
        const r = document.createRange(); r.setStart(n, m.index); r.setEnd(n, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter(q => q.width > 0.5)
                                                     .map(q => Math.round(q.top / 4)));
        if (tops.size > 1) return m[0];
      }
    }
    return null;
  };
  const KINDS = {
    metric: '[data-testid="stMetric"]',
    badge: '[data-testid="stBadge"], h3 span[class*="background"], [data-testid="stHeadingWithActionElements"]',
    button: '[data-testid="stButton"], [data-testid="stDownloadButton"], [data-testid="stFormSubmitButton"]',
    option: '[data-testid="stButtonGroup"]',
    link: '[data-testid="stPageLink"], [data-testid="stLinkButton"]',
    label: '[data-testid="stWidgetLabel"], [data-testid="stRadio"] label, [data-testid="stCheckbox"] label',
    value: '[data-testid="stSelectbox"] [data-baseweb="select"] > div, [data-testid="stMultiSelect"] [data-baseweb="select"] > div',
  };
  for (const [kind, sel] of Object.entries(KINDS)) {
    main.querySelectorAll(sel).forEach(e => {
      if (!shown(e)) return;
      for (const t of [e, ...e.querySelectorAll('*')]) {
        if (t.closest('svg, .katex')) continue;
        if (kind === 'value' && t.getAttribute && t.getAttribute('role') === 'combobox') continue;
        if (shown(t) && clipped(t)) { out.push(`${kind} cut: ${name(e)} (${name(t)})`); return; }
      }
      const w = brokenWord(e);
      if (w) out.push(`${kind} broken mid-word: ${name(e)} ("${w}")`);
    });
  }
  // a button squeezed so narrow that its label takes more than two lines (five buttons in one row once left
  // "Same with an LSTM" four lines tall): whole words, but no longer a button a class reads at a glance
  main.querySelectorAll('[data-testid="stButton"] button, [data-testid="stDownloadButton"] button').forEach(b => {
    if (!shown(b)) return;
    const tops = new Set();
    const walk = document.createTreeWalker(b, NodeFilter.SHOW_TEXT);
    let n;
    while ((n = walk.nextNode())) {
      const icon = n.parentElement && n.parentElement.closest('[data-testid="stIconMaterial"], .material-icons, svg');
      if (!n.data.trim() || icon) continue;
      const r = document.createRange(); r.selectNodeContents(n);
      [...r.getClientRects()].filter(q => q.width > 0.5).forEach(q => tops.add(Math.round(q.top / 4)));
    }
    if (tops.size > 2) out.push(`button squeezed: ${name(b)} (${tops.size} lines)`);
  });
  // a segmented control's options: each one whole inside the control's visible box
  main.querySelectorAll('[data-testid="stButtonGroup"]').forEach(g => {
    if (!shown(g)) return;
    let box = g.getBoundingClientRect();
    for (let a = g; a && a !== main; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') {
        const r = a.getBoundingClientRect();
        box = {left: Math.max(box.left, r.left), right: Math.min(box.right, r.right)};
      }
    }
    const mr = main.getBoundingClientRect();
    box = {left: Math.max(box.left, mr.left), right: Math.min(box.right, mr.right)};
    g.querySelectorAll('button').forEach(b => {
      const r = b.getBoundingClientRect();
      if (r.width === 0 || r.left < box.left - 1 || r.right > box.right + 1)
        out.push(`option hidden: ${name(g.closest('[data-testid="stElementContainer"]') || g)} (${name(b)})`);
    });
  });
  // charts: every text of a (SVG) chart inside the chart's box and not cut to "…"; a canvas no wider than its box
  main.querySelectorAll('[data-testid="stVegaLiteChart"]').forEach(c => {
    if (!shown(c)) return;
    const box = c.getBoundingClientRect();
    const mr = main.getBoundingClientRect();
    const right = Math.min(box.right, mr.right);
    const title = (c.querySelector('.role-title text') || {}).textContent || '';
    const where = title ? `chart "${title.slice(0, 30)}"` : 'chart';
    c.querySelectorAll('svg.marks text').forEach(t => {
      const s = (t.textContent || '').trim();
      if (!s) return;
      const r = t.getBoundingClientRect();
      if (r.width === 0) return;
      const part = t.closest('.role-legend') ? 'legend' : t.closest('.role-title') ? 'title' :
                   t.closest('.role-axis') ? 'axis' : 'text';
      if (r.left < box.left - 4 || r.right > right + 4)  // a rotated title's box overhangs ~3 px
        out.push(`${where}: ${part} "${s.slice(0, 30)}" outside the chart`);
      else if (s.endsWith('…') && part !== 'text') out.push(`${where}: ${part} "${s.slice(0, 30)}" cut`);
    });
    c.querySelectorAll('.role-legend').forEach(l => {
      const r = l.getBoundingClientRect();
      if (r.width && (r.right > right + 2 || r.left < box.left - 2)) out.push(`${where}: legend outside the chart`);
    });
    const cv = c.querySelector('canvas.marks');
    if (cv && cv.getBoundingClientRect().right > right + 2) out.push(`${where}: canvas wider than its box`);
  });
  return out;
}"""


def open_page(browser, server, path: str):
    ctx = browser.new_context(viewport={"width": W, "height": H})
    pg = ctx.new_page()
    pg.goto(f"{server}/{path}", timeout=SLOW)
    wait_idle(pg, SLOW)
    pg.wait_for_timeout(1500)
    wait_idle(pg, SLOW)
    pg.wait_for_timeout(500)
    return pg


def sidebar_open(pg) -> bool:
    sb = pg.locator('[data-testid="stSidebar"]')
    return sb.count() > 0 and sb.first.bounding_box() is not None and sb.first.bounding_box()["width"] > 100


@pytest.mark.parametrize("name", NAMES)
def test_projector_mode_cuts_nothing(server, browser, name):
    pg = open_page(browser, server, f"{'' if name == 'home' else name}?projector=1")
    try:
        assert sidebar_open(pg), "the sidebar is open at 1024 px"
        cut = pg.evaluate(CUT)
        shot(pg, f"projector_{name}")
        assert not pg.locator('[data-testid="stException"]').count()
        assert not cut, "\n".join(cut)
    finally:
        pg.context.close()


OPTIONS_ONLY = r"""() => (%s)().filter(s => s.startsWith('option'))""" % CUT


@pytest.mark.parametrize("name", NAMES)
def test_every_option_is_visible_without_projector_mode(server, browser, name):
    pg = open_page(browser, server, "" if name == "home" else name)
    try:
        hidden = pg.evaluate(OPTIONS_ONLY)
        if hidden:
            shot(pg, f"options_{name}")
        assert not hidden, "\n".join(hidden)
    finally:
        pg.context.close()


CHART_TOP = r"""() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const c = main.querySelector('[data-testid="stVegaLiteChart"], [data-testid="stGraphVizChart"]');
  return c ? c.getBoundingClientRect().top + main.scrollTop : null;
}"""


@pytest.mark.parametrize("k", range(1, len(STEPS) + 1))
def test_every_lesson_step_has_its_chart_on_the_first_screen(server, browser, k):
    pg = open_page(browser, server, f"lesson?step={k}&projector=1")
    try:
        skip_in_browser(pg, SLOW)  # the chart shows once the question is answered or skipped
        pg.wait_for_selector('[data-testid="stMain"] :is([data-testid="stVegaLiteChart"], '
                             '[data-testid="stGraphVizChart"]) :is(svg, canvas)', timeout=SLOW)
        wait_idle(pg, SLOW)
        top = pg.evaluate(CHART_TOP)
        shot(pg, f"projector_lesson_{k}")
        assert top is not None, "the step draws a chart"
        assert top < H - 40, f"step {k}: the chart starts {top:.0f} px down, below the first screen"
    finally:
        pg.context.close()


def _step(pg) -> str:
    return pg.locator('[data-testid="stMain"] h1').first.inner_text()


def test_page_down_and_page_up_move_the_lesson(server, browser):
    pg = open_page(browser, server, "lesson?step=2&projector=1")
    try:
        assert "step 2 of" in _step(pg)
        pg.keyboard.press("PageDown")  # the page just opened: the focus is on the document
        pg.wait_for_timeout(500)
        wait_idle(pg, SLOW)
        assert "step 3 of" in _step(pg)
        pg.mouse.click(650, 500)  # the focus in the page's main area
        pg.keyboard.press("PageUp")
        pg.wait_for_timeout(500)
        wait_idle(pg, SLOW)
        pg.keyboard.press("PageUp")
        pg.wait_for_timeout(500)
        wait_idle(pg, SLOW)
        assert "step 1 of" in _step(pg)
        pg.keyboard.press("PageUp")  # on the first step: nothing to go back to, no error
        pg.wait_for_timeout(500)
        wait_idle(pg, SLOW)
        assert "step 1 of" in _step(pg)
        assert not pg.locator('[data-testid="stException"]').count()
    finally:
        pg.context.close()
