"""Every page at a projector's 1024 × 768 with the sidebar open, in Chromium: no metric value or label, no
formula and no chart is wider than the space it is given (nothing cut to "1.…" or run off the edge)."""
from __future__ import annotations

import pytest

from browser_kit import shot, wait_idle

PAGES = ["", "lesson", "activations", "jacobian_products", "bptt_by_hand", "gated_cells", "theory",
         "glossary"]

# elements whose content is wider than the box they are drawn in (1 px of rounding allowed)
CUT = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  const wide = (e, box) => e.scrollWidth > box.clientWidth + 1;
  main.querySelectorAll('[data-testid="stMetricValue"], [data-testid="stMetricLabel"]').forEach(e => {
    const t = e.querySelector('div, p') || e;
    if (t.scrollWidth > t.clientWidth + 1) out.push('metric: ' + e.innerText);
  });
  const edge = main.querySelector('[data-testid="stMainBlockContainer"]') || main;
  const right = edge.getBoundingClientRect().right - parseFloat(getComputedStyle(edge).paddingRight);
  main.querySelectorAll('.katex-display').forEach(e => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || (e.checkVisibility && !e.checkVisibility())) return;  // hidden
    const inner = e.querySelector('.katex') || e;
    // KaTeX's aligned blocks overhang their box by 2 px; a cut formula overhangs by far more
    if (inner.getBoundingClientRect().right > right + 1 || e.scrollWidth > e.clientWidth + 4)
      out.push('formula: ' + e.innerText.slice(0, 40));
  });
  main.querySelectorAll('[data-testid="stVegaLiteChart"]').forEach(e => {
    const svg = e.querySelector('svg.marks, canvas.marks');
    if (svg && svg.getBoundingClientRect().right > main.getBoundingClientRect().right + 1)
      out.push('chart wider than the page');
  });
  return out;
}"""


@pytest.mark.parametrize("path", PAGES, ids=[p or "home" for p in PAGES])
def test_nothing_is_cut_at_1024_px(server, browser, path):
    ctx = browser.new_context(viewport={"width": 1024, "height": 768})
    pg = ctx.new_page()
    try:
        pg.goto(f"{server}/{path}")
        wait_idle(pg, 180_000)
        pg.wait_for_timeout(1500)
        wait_idle(pg, 180_000)
        cut = pg.evaluate(CUT)
        shot(pg, f"narrow_{path or 'home'}")
        assert not cut, cut
    finally:
        ctx.close()
