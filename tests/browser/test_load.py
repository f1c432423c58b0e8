"""A class at once: many visitors train live on one server (Streamlit websocket sessions, one Chromium
context each, 127.0.0.1 only, bounded in count and time).

Each session opens the live-training page with its own seed (?T=20&hidden=16&seed=N&steps=200&batch=8),
presses Start and waits for the run to finish at exactly 200 steps. Then:
- every session's numbers equal a single-session run with that seed (rnn.training.Trainer with
  ui.session.live_training.config, computed here): the loss and the accuracy after 200 steps, as the page prints them;
- the server's resident memory (/proc/<pid>/status VmRSS) stays within a stated bound per session;
- its thread count (/proc/<pid>/status Threads) stays bounded and returns to the baseline once the tabs
  close: the sessions' script threads end at once; the web server's static-file pool (AnyIO worker threads,
  at most 28) lets an idle worker go at the first request 10 s after its last use;
- the live loop of a closed tab stops within 2 s: the server's CPU time (/proc/<pid>/stat) stops growing.

LOAD_SESSIONS sets the number of sessions (default 6, what CI runs, about a minute); the full figure
(30 sessions) is recorded in benchmarks/RESULTS_LOAD.md. A JSON summary goes to artifacts/load/ (git-ignored).
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from browser_kit import ROOT, free_port, start_server, wait_idle

SESSIONS = max(1, min(int(os.environ.get("LOAD_SESSIONS", "6")), 40))
STEPS = 200
QUERY = "T=20&hidden=16&batch=8&steps={steps}&seed={seed}"
RSS_PER_SESSION = 6 * 2**20  # bytes a finished live session may add (its trainer and history are small)
RSS_FIXED = 96 * 2**20  # plus this once (torch's and Streamlit's first-use buffers, the chart caches)
THREAD_SLACK = 2  # threads above the baseline still allowed once the tabs are closed
SETTLE_S = 2.0
STALL_S = 60.0  # seconds without a step in any unfinished session: the runs are stuck
CLK = os.sysconf("SC_CLK_TCK")
# each metric by its label's first word or words ("Loss (chance 0.0833)" reads as "Loss")
METRICS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid="stMetric"]')].map(m => [
  (m.querySelector('[data-testid="stMetricLabel"]') || {innerText: ''}).innerText.split(' (')[0].trim(),
  (m.querySelector('[data-testid="stMetricValue"]') || {innerText: ''}).innerText.trim()]))"""

pytestmark = pytest.mark.load


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "Threads"):
            out[k] = int(v.split()[0]) * (1024 if k == "VmRSS" else 1)
    return out


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK  # utime + stime


class Sampler(threading.Thread):
    """Reads the server's VmRSS and Threads every 0.2 s until stopped."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.halt = pid, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                self.samples.append((time.time(), *_status(self.pid).values()))
            except OSError:
                return
            self.halt.wait(0.2)

    def peak(self, i: int) -> int:
        return max(s[i] for s in self.samples)


def _reference(seed: int) -> dict[str, str]:
    """The page's Loss and Accuracy for this seed, from a Trainer run alone (as the page formats them)."""
    from rnn.training import Trainer
    from ui.session import live_training as live
    from ui.settings import Settings

    cfg, _ = live.config(Settings(T=20, hidden=16, seed=seed), "adding", "rnn", "adam", 0.01, "none", 1.0,
                         None, 8)
    h = Trainer(cfg).train(STEPS)
    return {"Step": f"{STEPS:,}", "Loss": f"{h['loss'][-1]:.4g}", "Accuracy": f"{h['accuracy'][-1]:.1%}",
            "Status": "finished"}


@pytest.fixture(scope="module")
def own_server():
    """A server for this module alone, so that its memory, threads and CPU are this test's."""
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}", proc.pid
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _step(pg) -> int:
    """The Step metric a tab shows now."""
    return int(pg.evaluate(f"() => parseInt((({METRICS})().Step || '0').replace(/,/g, ''))"))


def _open(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.goto(url)
    return ctx, pg


def _start(pg) -> None:
    wait_idle(pg, 60_000)
    pg.locator(".st-key-live_start button").click()


def _steps(shown: dict) -> int:
    digits = (shown.get("Step") or "").replace(",", "")
    return int(digits) if digits.isdigit() else 0


def _wait_threads(pid: int, url: str, most: int, timeout: float) -> tuple[int, float]:
    """Seconds until the server is back to at most `most` threads. One plain GET of the app's page every
    second: Streamlit serves static files from AnyIO's worker threads (a pool of at most 28), which end
    only when a later request finds them idle for 10 s (anyio's MAX_IDLE_TIME)."""
    t0 = time.time()
    while True:
        n = _status(pid)["Threads"]
        if n <= most or time.time() - t0 > timeout:
            return n, time.time() - t0
        time.sleep(1.0)
        urllib.request.urlopen(url + "/", timeout=10).read()


def test_a_class_trains_at_once(own_server, browser):
    url, pid = own_server
    summary = {"sessions": SESSIONS, "steps": STEPS}
    # warm-up: one visitor first, so that torch's and Streamlit's one-off allocations are in the baseline
    ctx, pg = _open(browser, f"{url}/live_training?{QUERY.format(steps=STEPS, seed=999)}")
    _start(pg)
    pg.wait_for_function(f"() => ({METRICS})().Status === 'finished'", timeout=120_000)
    ctx.close()
    time.sleep(3.0)  # let the warm-up session's threads end, then read the baseline
    base = _status(pid)
    summary["baseline"] = {"rss_mb": round(base["VmRSS"] / 2**20, 1), "threads": base["Threads"]}

    refs = {i: _reference(1000 + i) for i in range(SESSIONS)}
    sampler = Sampler(pid)
    sampler.start()
    t0 = time.time()
    opened = [_open(browser, f"{url}/live_training?{QUERY.format(steps=STEPS, seed=1000 + i)}")
              for i in range(SESSIONS)]
    for _, pg in opened:
        _start(pg)
    t_started = time.time()
    # bounded in time whatever happens, yet not a speed test: a slow machine (two shared cores drawing
    # SESSIONS tabs of charts) may take minutes, so the runs fail only when none of them has moved for
    # STALL_S seconds or the hard cap is reached (about 15 s here for 6 sessions; 123 s was seen on a busy CI)
    hard_cap = t_started + 120 + 60 * SESSIONS
    todo = set(range(SESSIONS))
    last_steps, last_move = -1, time.time()
    while todo and time.time() < hard_cap and time.time() - last_move < STALL_S:
        steps = 0
        for i in sorted(todo):
            m = opened[i][1].evaluate(METRICS)
            if m.get("Status") in ("finished", "diverged", "stopped"):
                todo.discard(i)
            steps += _steps(m)
        if steps != last_steps:
            last_steps, last_move = steps, time.time()
        time.sleep(0.5)
    summary["seconds_to_finish_all"] = round(time.time() - t_started, 1)
    shown = {i: opened[i][1].evaluate(METRICS) for i in range(SESSIONS)}
    errors = [e for _, pg in opened for e in pg.errors]
    exceptions = sum(pg.locator('[data-testid="stException"]').count() for _, pg in opened)
    peak = _status(pid)
    for ctx, _ in opened:
        ctx.close()
    threads_closed = _status(pid)["Threads"]
    threads_after, settle = _wait_threads(pid, url, base["Threads"] + THREAD_SLACK, 25.0)
    sampler.halt.set()
    sampler.join(2)
    summary.update({
        "peak_rss_mb": round(max(sampler.peak(1), peak["VmRSS"]) / 2**20, 1),
        "rss_growth_mb": round((max(sampler.peak(1), peak["VmRSS"]) - base["VmRSS"]) / 2**20, 1),
        "peak_threads": max(sampler.peak(2), peak["Threads"]),
        "threads_at_close": threads_closed, "threads_after": threads_after,
        "threads_settled_s": round(settle, 1),
        "wall_s": round(time.time() - t0, 1)})

    # the tab-closed check: a long run, ticking, then its tab goes away (5000 steps of about 8 ms here:
    # still running on a much faster machine when the tab closes)
    ctx, pg = _open(browser, f"{url}/live_training?T=100&hidden=32&batch=64&steps=5000&seed=7")
    _start(pg)
    pg.wait_for_function(f"() => parseInt((({METRICS})().Step || '0').replace(/,/g, '')) > 0", timeout=60_000)
    time.sleep(2.0)
    # CPU seconds per second while the tab is open and ticking, over 3 s: one second was seen at 0.1 on a
    # busy CI machine, a tick or two late while Chromium drew six tabs on the same two cores
    step0, c0 = _step(pg), _cpu_s(pid)
    time.sleep(3.0)
    busy, step1 = (_cpu_s(pid) - c0) / 3.0, _step(pg)
    ctx.close()
    t_close = time.time()
    cpu = [(0.0, _cpu_s(pid))]
    while time.time() - t_close < 6.0:
        time.sleep(0.1)
        cpu.append((time.time() - t_close, _cpu_s(pid)))
    stop_s = next((t for t, c in cpu if all(c2 - c < 0.06 for t2, c2 in cpu if t < t2 <= t + 1.0)
                   and t + 1.0 <= cpu[-1][0]), None)
    summary.update({"ticking_cpu_per_s": round(busy, 2), "closed_tab_stops_after_s": stop_s})
    out = ROOT / "artifacts" / "load"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"load_{SESSIONS}.json").write_text(json.dumps(summary, indent=2))
    print("LOAD", json.dumps(summary))

    assert not todo, f"sessions {sorted(todo)} did not finish in time: {[shown[i] for i in sorted(todo)]}"
    assert not errors and not exceptions, (errors, exceptions)
    for i in range(SESSIONS):  # each visitor's numbers are exactly those of the same seed trained alone
        got = {k: shown[i].get(k) for k in refs[i]}
        assert got == refs[i], (i, got, refs[i])
    assert len({refs[i]["Loss"] for i in range(SESSIONS)}) > min(1, SESSIONS - 1)  # seeds differ: so do losses
    assert summary["rss_growth_mb"] * 2**20 < RSS_FIXED + RSS_PER_SESSION * SESSIONS, summary
    assert threads_after <= base["Threads"] + THREAD_SLACK, summary
    assert summary["peak_threads"] <= base["Threads"] + SESSIONS + 28 + THREAD_SLACK, summary  # bounded pools
    assert busy > 0.2, f"the long run was not ticking ({busy:.2f} CPU s/s)"
    assert step1 > step0, f"the long run was not ticking (step {step0} → {step1} in 3 s)"
    assert stop_s is not None and stop_s <= SETTLE_S, summary
