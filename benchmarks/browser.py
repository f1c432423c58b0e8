"""P5, P6 and P8, and the clicks of a lesson, measured against a real server in Debian's Chromium:

    python -m benchmarks.browser                       # prints the figures and writes benchmarks/RESULTS_BROWSER.md
    python -m benchmarks.browser --before DIR          # the same against the app in DIR (e.g. an exported commit:
                                                       #   git archive <commit> | tar -x -C DIR), part by part
                                                       #   beside this checkout, each on its own server
    python -m benchmarks.browser --only first switch   # some parts only (first, slider, switch, lesson, preset, rss)

P5: first page load (navigation → the app's script finished) on a fresh server, and slider → chart redrawn
    on the Jacobian products page at default settings (ArrowRight on the weight-scale slider, timed until the
    script has finished and the chart's SVG has changed), median of several moves.
P6: server RSS (from /proc) with 10 browser sessions open on the Jacobian products page at default settings.
P8: a page switch on a warm server: a click on a page in the sidebar's navigation, timed until the new page's
    title is on screen and the script has finished; every page visited once to warm the caches, then the
    median and the max of several rounds per page.
Lesson: Next and Previous through the Lesson's steps (a first walk on the fresh server's caches, then warm
    rounds), and a Home preset click (the four that stay on Home; warm after one round).

A click is timed in the page's own clock: from the click to the last time the app's script state turned to
"notRunning" before it stayed there for QUIET_MS, so a click that makes the app run its script twice (a
callback, then a rerun it asks for) is timed to the end of the second run; the number of runs is counted.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import browser_kit  # noqa: E402
from browser_kit import CHROMIUM, CHROMIUM_ARGS, free_port, wait_idle  # noqa: E402

from ui.registry import HOME, PAGES  # noqa: E402

NOTES = "## Notes (kept when the figures above are measured again)"
ROUNDS = 5  # timed rounds of page switches after a warm-up round
WALKS = 1  # warm walks through the Lesson after the first (each: 8 clicks of Next, 8 of Previous)
PRESET_ROUNDS = 2  # warm rounds of the four presets after the first (each: 4 clicks)
QUIET_MS = 1200  # a click has finished when the script state stayed "notRunning" this long
STAY_PRESETS = ("vanishing", "exploding", "edge", "sigmoid")  # Home presets that stay on Home
TITLE_IS = """(want) => { const h = document.querySelector('h1');
                         return h && h.textContent.trim().startsWith(want); }"""
IDLE = """() => { const a = document.querySelector('[data-testid="stApp"]');
                 return a && a.getAttribute('data-test-script-state') === 'notRunning'; }"""
# records every change of the script state, in the page's clock (one observer per document): each record's old
# value, then the value now, so that a state the page held only between two of the observer's calls (running, then
# notRunning again, in one task) is still seen
WATCH = """() => {
  if (window.__runs) return;
  window.__runs = [];
  const a = document.querySelector('[data-testid="stApp"]');
  new MutationObserver(recs => {
    const now = performance.now();
    for (const r of recs) window.__runs.push([now, r.oldValue]);
    window.__runs.push([now, a.getAttribute('data-test-script-state')]);
  }).observe(a, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
}"""
CLICK = """(sel) => { const el = document.querySelector(sel); window.__runs = window.__runs || [];
                     window.__t0 = performance.now(); window.__mark = window.__runs.length; el.click(); return true; }"""
DONE = """(quiet) => { const r = window.__runs, a = document.querySelector('[data-testid="stApp"]');
  if (!a || a.getAttribute('data-test-script-state') !== 'notRunning') return null;
  const mine = r.slice(window.__mark);
  if (!mine.some(e => e[1] === 'running')) return 'never running';
  const last = mine[mine.length - 1][0];
  if (performance.now() - last < quiet) return null;
  return [last - window.__t0, mine.filter(e => e[1] === 'running').length]; }"""


def rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load_average() -> str:
    return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])


def start_server(port: int, app_dir: pathlib.Path) -> subprocess.Popen:
    """`streamlit run app.py` from app_dir, answering on 127.0.0.1:port (browser_kit.start_server, in a process
    group of its own, given 120 s: an older app may start slower)."""
    return browser_kit.start_server(port, app_dir=pathlib.Path(app_dir), timeout_s=120, own_group=True)


class ScriptRuns:
    """Counts the app's script runs a page receives: one ForwardMsg `new_session` opens each run (a rerun a
    callback asks for, or a st.switch_page, is a run of its own; a fragment's run is not); and when the last
    `script_finished` arrived (time.perf_counter)."""

    def __init__(self, pg):
        self.n = 0
        self.finished_at = float("-inf")
        pg.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            return
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        try:
            msg.ParseFromString(bytes(payload))
        except Exception:  # noqa: BLE001 — not a ForwardMsg: not counted
            return
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.n += 1
        elif kind == "script_finished":
            self.finished_at = time.perf_counter()


def timed_click(pg, selector: str, timeout_s: float = 60) -> tuple[float, int]:
    """Click the element at `selector` and wait until the app is done: (seconds, script runs); (nan, runs)
    when it was not done within timeout_s.

    Done: the page's script state was "running" after the click and has been "notRunning" for QUIET_MS. A run
    short enough that the page went from one "notRunning" to the next in one task never shows "running" in the
    page at all; such a click is done when the page received a run of its own (ScriptRuns) and that run's
    `script_finished` is QUIET_MS old, and it is timed to that message's arrival."""
    runs = pg.__dict__.setdefault("_script_runs", None)
    before = runs.n if runs else 0
    pg.wait_for_selector(selector, timeout=timeout_s * 1000)
    pg.evaluate(WATCH)
    t0 = time.perf_counter()
    pg.evaluate(CLICK, selector)
    while time.perf_counter() - t0 < timeout_s:
        got = pg.evaluate(DONE, QUIET_MS)
        if isinstance(got, list):
            return got[0] / 1000, (runs.n - before) if runs else 0
        if (got == "never running" and runs and runs.n > before and runs.finished_at > t0
                and time.perf_counter() - runs.finished_at >= QUIET_MS / 1000):
            return runs.finished_at - t0, runs.n - before
        pg.wait_for_timeout(50)  # (Playwright delivers the frames to ScriptRuns while it waits)
    print(f"  {selector}: not done within {timeout_s} s", flush=True)
    return float("nan"), (runs.n - before) if runs else 0


PARTS = {"slider": "slider_moves", "switch": "page_switches", "lesson": "lesson_walk", "preset": "preset_clicks"}


def measure(app_dirs: list[pathlib.Path], parts: set[str]) -> list[dict]:
    """Every part for each app, one server and one Chromium tab per app, part by part: each part is measured
    for every app before the next part starts, so that two apps compared meet about the same load."""
    from playwright.sync_api import sync_playwright

    procs, urls = [], []
    outs: list[dict] = [{"app_dir": str(d)} for d in app_dirs]
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            pgs = []
            for d, out in zip(app_dirs, outs):  # P5: each server fresh when its first page is asked for
                port = free_port()
                procs.append(start_server(port, d))
                urls.append(f"http://127.0.0.1:{port}")
                pg = b.new_page(viewport={"width": 1280, "height": 720})
                pg._script_runs = ScriptRuns(pg)
                pgs.append(pg)
                out["load_first"] = load_average()
                t0 = time.perf_counter()
                pg.goto(urls[-1] + "/")
                pg.wait_for_selector("text=Sequence length T", timeout=120_000)
                wait_idle(pg, 120_000)
                out["first_load_s"] = time.perf_counter() - t0 - 0.3  # wait_idle's own pause
                print(f"{d}: first page {out['first_load_s']:.2f} s, load {out['load_first']}", flush=True)
            for part, fn in PARTS.items():
                if part not in parts:
                    continue
                for d, out, pg, url in zip(app_dirs, outs, pgs, urls):
                    out["load_" + part] = load_average()
                    out[part] = globals()[fn](pg, url)
                    print(f"{d}: {part}:", out[part], f"load {out['load_' + part]}", flush=True)
            if "rss" in parts:
                for out, proc, url in zip(outs, procs, urls):
                    base = rss_mb(proc.pid)
                    ctxs = []
                    for _ in range(10):
                        c = b.new_context(viewport={"width": 1280, "height": 720})
                        q = c.new_page()
                        q.goto(url + "/jacobian_products")
                        wait_idle(q, 60_000)
                        ctxs.append(c)
                    time.sleep(2)
                    out["rss_base_mb"], out["rss_10_mb"] = base, rss_mb(proc.pid)
                    out["load_rss"] = load_average()
                    for c in ctxs:
                        c.close()
            b.close()
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return outs


def slider_moves(pg, url: str) -> list[float]:
    pg.goto(url + "/jacobian_products")
    wait_idle(pg, 60_000)
    moves = []
    for i in range(9):
        svg = pg.locator('[data-testid="stVegaLiteChart"] svg').first.inner_html()
        slider = pg.locator('[data-testid="stSidebar"]').get_by_role("slider", name="Weight scale")
        slider.focus()
        t0 = time.perf_counter()
        pg.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        pg.wait_for_function(IDLE, timeout=30_000)
        pg.wait_for_function(
            """(old) => { const s = document.querySelector('[data-testid="stVegaLiteChart"] svg');
                         return s && s.innerHTML !== old; }""", arg=svg, timeout=30_000)
        moves.append(time.perf_counter() - t0)
    return moves


def page_switches(pg, url: str) -> dict[str, list[float]]:
    """P8: seconds per sidebar click, per page, over ROUNDS rounds after one warm-up round."""
    pg.goto(url + "/")
    wait_idle(pg, 60_000)
    pg.wait_for_selector('.st-key-nav a', state="attached", timeout=60_000)
    shown = pg.locator('.st-key-nav a').evaluate_all("els => els.map(e => e.textContent)")
    pages = [p for p in PAGES if p is HOME or any(p.title in s for s in shown)]  # an older app (--before) may lack one
    times: dict[str, list[float]] = {p.title: [] for p in pages}
    for r in range(ROUNDS + 1):
        for p in pages[1:] + pages[:1]:  # end each round on Home, so the next one starts by switching away
            want = "Gradients through time" if p is HOME else p.title
            link = pg.locator('.st-key-nav a').filter(has_text=p.title).first
            t0 = time.perf_counter()
            link.click()
            wait = 60_000 if r else 600_000  # the warm-up computes the phase diagram's grid
            pg.wait_for_function(TITLE_IS, arg=want, timeout=wait)
            pg.wait_for_function(IDLE, timeout=wait)
            if r:  # round 0 warms the caches
                times[p.title].append(time.perf_counter() - t0)
    return times


def lesson_walk(pg, url: str) -> dict[str, list[tuple[float, int]]]:
    """Next from step 1 to the last step, then Previous back to step 1: the first walk on this server's
    caches ("next_first", "prev_first"), then WALKS walks more ("next", "prev"); (seconds, script runs)."""
    from ui.session.lesson import STEPS

    pg.goto(url + "/lesson?step=1")
    pg.wait_for_selector("text=step 1 of", timeout=120_000)
    wait_idle(pg, 120_000)
    out: dict[str, list] = {"next_first": [], "prev_first": [], "next": [], "prev": []}
    for r in range(WALKS + 1):
        for direction in ("next", "prev"):
            for _ in range(len(STEPS) - 1):
                out[direction + ("" if r else "_first")].append(
                    timed_click(pg, f".st-key-lesson_{direction} button"))
    return out


def preset_clicks(pg, url: str) -> dict[str, list[tuple[float, int]]]:
    """Home's presets that stay on Home, one after another: a first round ("first"), then PRESET_ROUNDS rounds."""
    pg.goto(url + "/")
    wait_idle(pg, 60_000)
    out: dict[str, list] = {"first": [], "warm": []}
    for r in range(PRESET_ROUNDS + 1):
        for name in STAY_PRESETS:
            out["warm" if r else "first"].append(timed_click(pg, f".st-key-preset_{name} button"))
    return out


def _ms(v: list[float]) -> str:
    done = [x for x in v if x == x]  # a click not done in time is NaN: counted, not timed
    if not done:
        return "—"
    late = f", {len(v) - len(done)} not done in time" if len(done) < len(v) else ""
    return f"{statistics.median(done):.3f} s (max {max(done):.3f} s{late})"


def _clicks(v: list[tuple[float, int]]) -> str:
    if not v:
        return "—"
    s = [t for t, _ in v]
    runs = sorted({n for _, n in v})
    return f"{_ms(s)}, {len(v)} clicks, script runs per click: {'/'.join(map(str, runs))}"


def rows(out: dict) -> list[tuple[str, str, str, str, str]]:
    """(id, what, measured, target, load average) for every part measured."""
    r = []
    if "first_load_s" in out:
        r.append(("P5", "first page load (fresh server, / until the script finished)", f"{out['first_load_s']:.2f} s",
                  "≤ 5 s", out["load_first"]))
    if "slider" in out:
        r.append(("P5", "slider → chart redrawn, Jacobian products, defaults (median of 9)",
                  f"{statistics.median(out['slider']):.3f} s (min {min(out['slider']):.3f} s)", "≤ 0.5 s",
                  out["load_slider"]))
    if "rss_10_mb" in out:
        r.append(("P6", "server RSS with 10 sessions on Jacobian products, defaults",
                  f"{out['rss_10_mb']:.0f} MB (one session: {out['rss_base_mb']:.0f} MB)", "≤ 650 MB", out["load_rss"]))
    if "switch" in out:
        sw = out["switch"]
        worst = max(statistics.median(v) for v in sw.values())
        r.append(("P8", f"page switch on a warm server, sidebar click → title shown and script finished (median of "
                        f"{ROUNDS} per page; slowest page)", f"{worst:.3f} s", "≤ 0.5 s", out["load_switch"]))
        r += [("P8", f"… {title}", _ms(v), "≤ 0.5 s", out["load_switch"]) for title, v in sw.items()]
    if "lesson" in out:
        ls = out["lesson"]
        r += [("L", "Lesson Next, first walk on the server's caches (steps 1 → 9)", _clicks(ls["next_first"]), "≤ 1 s",
               out["load_lesson"]),
              ("L", "Lesson Previous, first walk back (steps 9 → 1)", _clicks(ls["prev_first"]), "≤ 1 s",
               out["load_lesson"]),
              ("L", f"Lesson Next, {WALKS} walk(s) more", _clicks(ls["next"]), "≤ 1 s", out["load_lesson"]),
              ("L", f"Lesson Previous, {WALKS} walk(s) more", _clicks(ls["prev"]), "≤ 1 s", out["load_lesson"])]
    if "preset" in out:
        pr = out["preset"]
        r += [("L", f"Home preset click ({', '.join(STAY_PRESETS)}), first round", _clicks(pr["first"]), "≤ 1 s",
               out["load_preset"]),
              ("L", f"Home preset click, {PRESET_ROUNDS} rounds more", _clicks(pr["warm"]), "≤ 1 s", out["load_preset"])]
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", default=None, help="also measure the app in this folder, first (side by side)")
    ap.add_argument("--only", nargs="*", default=None,
                    choices=["first", "slider", "switch", "lesson", "preset", "rss"])
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    parts = set(args.only or ["first", "slider", "switch", "lesson", "preset", "rss"])
    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    dirs = ([pathlib.Path(args.before).resolve()] if args.before else []) + [ROOT]
    *before, after = measure(dirs, parts)
    before = before[0] if before else None
    head = [f"Measured {when} by `python -m benchmarks.browser"
            + (f" --only {' '.join(sorted(parts))}" if args.only else "")
            + (" --before <folder>`" if before else "`") + f", Chromium {CHROMIUM}, {os.cpu_count()} CPU cores "
            "shared with other work (load average: 1, 5, 15 min, read when each part started).", ""]
    if before:
        bmap = {(a, w): (m, la) for a, w, m, _, la in rows(before)}
        text = head + ["| id | what | before | load | after (this checkout) | load | target |",
                       "| --- | --- | --- | --- | --- | --- | --- |"]
        for a, w, m, tg, la in rows(after):
            bm, bla = bmap.get((a, w), ("—", ""))
            text.append(f"| {a} | {w} | {bm} | {bla} | {m} | {la} | {tg} |")
    else:
        text = head + ["| id | what | measured | target | load average |", "| --- | --- | --- | --- | --- |"]
        text += [f"| {a} | {w} | {m} | {tg} | {la} |" for a, w, m, tg, la in rows(after)]
    print("\n".join(text))
    if args.no_write:
        return 0
    out_file = ROOT / "benchmarks" / "RESULTS_BROWSER.md"
    old = out_file.read_text() if out_file.exists() else ""
    kept = old[old.index(NOTES):] if NOTES in old else ""  # the written analysis below the figures stays
    out_file.write_text("# Browser and server figures (P5, P6, P8, the Lesson's clicks)\n\n" + "\n".join(text)
                        + "\n" + ("\n" + kept if kept else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
