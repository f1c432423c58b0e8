"""A class at once, measured at the server: many new sessions opened together over Streamlit's websocket.

    python -m benchmarks.load                  # the class figures; writes benchmarks/RESULTS_LOAD.md and
                                               #   refreshes the many-visitors section of RESULTS.md
    python -m benchmarks.load --memory         # also the lesson: 200 sessions in waves of 10, server RSS
    python -m benchmarks.load --only memory --no-write --env MALLOC_ARENA_MAX=2 --flag server.maxCacheDataSize=100mb

Each client is a real session without a browser: it opens ws://127.0.0.1:<port>/_stcore/stream (the
subprotocol "streamlit", as the browser sends it), sends a BackMsg `rerun_script` with the page's url path
and the query string a shared link carries, and reads ForwardMsgs until `script_finished` (a successful
run; a run that ends early for a rerun is followed by the next). The time of a session is from opening
the socket to that message. Ten Chromium tabs on two cores would time Chromium; this times the server.

Every session's numbers are checked against the same link opened alone: the client keeps the page as the
browser would draw it (the last element at each delta path of the last run: text, metrics, LaTeX, and the
charts' specs with their Arrow data) and the loaded sessions' pages must equal the lone session's, byte for
byte (less the per-session id of a download made on click; a chart's data is compared as the table it decodes
to, which the server may send in one Arrow batch or several: a frame built in the run, or read back from the
cache). The lone reference runs first on an emptied cache (BackMsg clear_cache), and the cache is emptied
again before the load, so the loaded sessions compute their results under load rather than read them.

The server is started here on 127.0.0.1 (a free port) from the repository's own config, one per command,
and is stopped at the end; everything has a timeout.
"""
from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import datetime as dt
import hashlib
import json
import os
import pathlib
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field

import pyarrow as pa
import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS_LOAD = ROOT / "benchmarks" / "RESULTS_LOAD.md"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
LIVE_HEADING = "## Live training, many visitors at once"

CLASS = 30  # sessions opened at once
SHARED_LINK = "T=400&seed=7"  # the one link a teacher hands out (Jacobian products)
SEEDS_T = 300  # thirty different seeds at this length
TARGETS = {"home": 1.0, "shared": 2.5, "seeds": 9.0}  # median seconds on the project's 2 shared cores
LESSON_PAGES = ("jacobian_products", "phase_diagram", "bptt_by_hand", "gated_cells")


def run_coroutine(coro):
    """asyncio.run in a thread of its own. The tests call these loads in-process, and the browser tests'
    Playwright (its sync API) keeps an event loop running in pytest's main thread for the rest of the session:
    asyncio.run refuses to start beside a running loop."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# ---------------------------------------------------------------------------------------------------------
# the server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_average() -> str:
    try:
        return " ".join(pathlib.Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def rss_mb(pid: int) -> float:
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


class Server:
    """`streamlit run <entry>` on 127.0.0.1 with the .streamlit/config.toml of `app_dir` (its cwd),
    plus `flags` ("section.option=value") and `env`; stopped by `stop()` or at the latest after `lifetime`
    seconds (a watchdog), so that no server outlives the benchmark."""

    def __init__(self, entry: str = "app.py", flags: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 lifetime: float = 3600.0, app_dir: pathlib.Path = ROOT):
        self.port = free_port()
        cmd = [sys.executable, "-m", "streamlit", "run", entry, "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(self.port),
               "--browser.gatherUsageStats", "false"]
        for f in flags:
            k, v = f.split("=", 1)
            cmd += [f"--{k}", v]
        self.log = open(ROOT / "artifacts" / "load" / f"server_{self.port}.log", "w") \
            if (ROOT / "artifacts" / "load").is_dir() else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=app_dir, env={**os.environ, **(env or {})},
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self._timer = threading.Timer(lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        self.url = f"http://127.0.0.1:{self.port}"
        self.ws = f"ws://127.0.0.1:{self.port}/_stcore/stream"
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.proc.returncode}")
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=2).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("the server did not answer /_stcore/health within 120 s")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss(self) -> float:
        return rss_mb(self.proc.pid)

    def stop(self) -> None:
        self._timer.cancel()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def cache_data_mb(server: Server) -> float:
    """What every st.cache_data holds, serialized (Streamlit's /_stcore/metrics), in MB."""
    try:
        text = urllib.request.urlopen(server.url + "/_stcore/metrics", timeout=10).read().decode()
    except OSError:
        return float("nan")
    return sum(float(ln.rsplit(" ", 1)[1]) for ln in text.splitlines()
               if ln.startswith("cache_memory_bytes") and 'cache_type="st_cache_data"' in ln) / 2**20


class RssSampler:
    """The server's RSS every `every` seconds, in a background thread: [(seconds since start, MB)]."""

    def __init__(self, pid: int, every: float = 0.5):
        self.pid, self.every, self.samples = pid, every, []
        self._stop = threading.Event()
        self.t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.perf_counter() - self.t0, rss_mb(self.pid)))
            self._stop.wait(self.every)

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        self._thread.join()
        return self.samples


# ---------------------------------------------------------------------------------------------------------
# one session over the websocket

@dataclass
class Visit:
    page: str
    query: str
    seconds: float = float("nan")
    rerun_seconds: float | None = None
    status: str = ""
    elements: dict[tuple[int, ...], bytes] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    replica: str = ""  # through a proxy: the replica that served the socket (its X-Replica header)

    @property
    def fingerprint(self) -> str:
        """One hash of the page as drawn: every element (serialized deterministically) at its path."""
        h = hashlib.sha256()
        for path in sorted(self.elements):
            h.update(repr(path).encode())
            h.update(self.elements[path])
        return h.hexdigest()[:16]


def _rerun(page: str, query: str) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_name = page  # the url path ("" is the default page, Home)
    return msg.SerializeToString()


def _one_batch(chart) -> None:
    """A chart's Arrow data rewritten as one batch: the same table, however many batches it came in."""
    for arrow in [chart.data, *(d.data for d in chart.datasets)]:
        if arrow.data:
            table = pa.ipc.open_stream(arrow.data).read_all().combine_chunks()
            sink = pa.BufferOutputStream()
            with pa.ipc.new_stream(sink, table.schema) as w:
                w.write_table(table)
            arrow.data = sink.getvalue().to_pybytes()


async def _until_finished(ws, visit: Visit, timeout: float) -> None:
    """Read ForwardMsgs until a run finishes successfully; keep the last run's elements by delta path."""
    await asyncio.wait_for(_read_run(ws, visit), timeout)


async def _read_run(ws, visit: Visit) -> None:
    while True:
        raw = await ws.recv()
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            visit.elements.clear()  # a run (or a rerun) draws the page from the top
            visit.exceptions.clear()
        elif kind == "delta":
            d = fm.delta
            path = tuple(fm.metadata.delta_path)
            which = d.WhichOneof("type")
            if which == "new_element":
                el = d.new_element
                if el.WhichOneof("type") == "exception":
                    visit.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
                if el.WhichOneof("type") == "download_button":  # a per-session id of the CSV made on click
                    el.download_button.ClearField("deferred_file_id")
                if el.WhichOneof("type") == "vega_lite_chart":
                    _one_batch(el.vega_lite_chart)
                visit.elements[path] = el.SerializeToString(deterministic=True)
            elif which == "add_block":
                visit.elements[path] = b"block:" + d.add_block.SerializeToString(deterministic=True)
            elif which == "arrow_add_rows":
                visit.elements[path] = visit.elements.get(path, b"") + d.arrow_add_rows.SerializeToString(
                    deterministic=True)
        elif kind == "ref_hash":
            raise RuntimeError("the server sent a cached-message reference; this client caches nothing")
        elif kind == "script_finished":
            st = fm.script_finished
            if st == ForwardMsg.FINISHED_SUCCESSFULLY:
                visit.status = "ok"
                return
            if st == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                visit.status = "compile error"
                return
            # FINISHED_EARLY_FOR_RERUN: the next run follows on the same socket


async def visit(ws_url: str, page: str = "", query: str = "", timeout: float = 300.0,
                rerun: bool = False, clear_cache: bool = False, cookies: dict[str, str] | None = None) -> Visit:
    """Open a new session on `page` with `query`, wait until its script has finished, optionally time one
    rerun (what a slider move costs, without the widget change), then close the socket.

    `cookies`: a browser's cookie jar, for sessions through a proxy with cookie affinity (deploy/): the page
    is fetched over HTTP first, as a browser does, so the proxy's affinity cookie is in the jar before the
    socket opens with it; the jar is updated in place, and `v.replica` is the replica that served the socket
    (the proxy's X-Replica header, where it sends one)."""
    v = Visit(page, query)
    t0 = time.perf_counter()
    try:
        headers = None
        if cookies is not None:
            await asyncio.to_thread(fetch_with_cookies, http_url(ws_url, page, query), cookies, timeout)
            headers = cookie_header(cookies)
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**27,
                                      open_timeout=timeout, ping_interval=None, additional_headers=headers) as ws:
            if cookies is not None:
                keep_cookies(cookies, ws.response.headers.get_all("Set-Cookie"))
                v.replica = ws.response.headers.get("X-Replica", "")
            if clear_cache:
                m = BackMsg()
                m.clear_cache = True
                await ws.send(m.SerializeToString())
            await ws.send(_rerun(page, query))
            await _until_finished(ws, v, timeout)
            v.seconds = time.perf_counter() - t0
            if rerun:
                t1 = time.perf_counter()
                await ws.send(_rerun(page, query))
                await _until_finished(ws, v, timeout)
                v.rerun_seconds = time.perf_counter() - t1
    except (asyncio.TimeoutError, TimeoutError, OSError, websockets.exceptions.WebSocketException) as e:
        v.status = f"failed: {type(e).__name__} {e}"[:200]
    return v


# ---------------------------------------------------------------------------------------------------------
# cookies, for sessions through a proxy with cookie affinity (deploy/: HAProxy, ingress-nginx)

def http_url(ws_url: str, page: str = "", query: str = "") -> str:
    """The page's address over HTTP, from the socket's: ws://host:port/_stcore/stream -> http://host:port/page?q."""
    base = ws_url.replace("wss://", "https://", 1).replace("ws://", "http://", 1).split("/_stcore/")[0]
    return f"{base}/{page}" + (f"?{query}" if query else "")


def cookie_header(cookies: dict[str, str]) -> dict[str, str] | None:
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())} if cookies else None


def keep_cookies(cookies: dict[str, str], set_cookie: list[str]) -> None:
    """Set-Cookie headers into the jar (name=value only; one host, so domain and path do not matter here)."""
    for line in set_cookie or []:
        name, _, rest = line.partition("=")
        if name.strip():
            cookies[name.strip()] = rest.split(";", 1)[0].strip()


def fetch_with_cookies(url: str, cookies: dict[str, str], timeout: float = 30.0) -> tuple[int, dict[str, str]]:
    """GET `url` sending the jar, keep what the response sets; (status, response headers)."""
    req = urllib.request.Request(url, headers=cookie_header(cookies) or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        r.read()
        keep_cookies(cookies, r.headers.get_all("Set-Cookie"))
        return r.status, dict(r.headers.items())


async def clear_cache(ws_url: str) -> None:
    """Empty every st.cache_data and st.cache_resource of the server (the menu's "Clear cache")."""
    async with websockets.connect(ws_url, subprotocols=["streamlit"], ping_interval=None) as ws:
        m = BackMsg()
        m.clear_cache = True
        await ws.send(m.SerializeToString())
        await asyncio.sleep(0.3)


async def at_once(ws_url: str, links: list[tuple[str, str]], timeout: float = 600.0) -> list[Visit]:
    return list(await asyncio.gather(*(visit(ws_url, p, q, timeout) for p, q in links)))


# ---------------------------------------------------------------------------------------------------------
# the class

def summary(vs: list[Visit]) -> dict:
    ts = [v.seconds for v in vs if v.status == "ok"]
    return {"n": len(vs), "ok": len(ts), "median_s": statistics.median(ts) if ts else float("nan"),
            "max_s": max(ts) if ts else float("nan"), "min_s": min(ts) if ts else float("nan"),
            "exceptions": sorted({e for v in vs for e in v.exceptions}),
            "failures": sorted({v.status for v in vs if v.status != "ok"})}


def same_as_alone(loaded: list[Visit], alone: dict[tuple[str, str], Visit]) -> tuple[int, int, list[str]]:
    """How many loaded sessions drew exactly the page their link draws alone; the differing paths of the
    first mismatch, to say where."""
    same, notes = 0, []
    for v in loaded:
        ref = alone[(v.page, v.query)]
        if v.elements == ref.elements and v.status == "ok":
            same += 1
        elif not notes:
            diff = sorted(p for p in set(v.elements) | set(ref.elements)
                          if v.elements.get(p) != ref.elements.get(p))
            notes.append(f"{v.page}?{v.query}: {len(diff)} elements differ, e.g. at {diff[:3]}")
    return same, len(loaded), notes


def run_class(server: Server, timeout: float) -> dict:
    ws = server.ws
    out: dict = {"load_start": load_average()}
    # a fresh server's first visit pays for the imports (torch, the app); it is timed, then out of the way
    first = run_coroutine(visit(ws, "", "", timeout))
    out["first_visit_s"] = first.seconds
    out["rss_first_mb"] = server.rss()
    print(f"first visit on a fresh server: {first.seconds:.2f} s ({first.status}); load {load_average()}",
          flush=True)
    # and the page's own imports and torch's first calls, as the teacher's own visit before class would
    run_coroutine(visit(ws, "jacobian_products", "T=50", timeout))

    scenarios = {
        "home": [("", "")] * CLASS,
        "shared": [("jacobian_products", SHARED_LINK)] * CLASS,
        "seeds": [("jacobian_products", f"T={SEEDS_T}&seed={100 + i}") for i in range(CLASS)],
    }
    for name, links in scenarios.items():
        run_coroutine(clear_cache(ws))
        alone = {}
        for link in dict.fromkeys(links):  # each distinct link alone, computed on an empty cache
            alone[link] = run_coroutine(visit(ws, *link, timeout=timeout))
        run_coroutine(clear_cache(ws))
        la = load_average()
        loaded = run_coroutine(at_once(ws, links, timeout))
        s = summary(loaded)
        s["same"], s["of"], s["notes"] = same_as_alone(loaded, alone)
        s["alone_median_s"] = statistics.median(v.seconds for v in alone.values())
        s["load"] = la
        s["rss_mb"] = server.rss()
        s["alone_ok"] = sum(v.status == "ok" and not v.exceptions for v in alone.values())
        s["distinct"] = len(alone)
        out[name] = s
        print(f"{name}: {CLASS} at once, median {s['median_s']:.2f} s, max {s['max_s']:.2f} s; "
              f"same as alone {s['same']}/{s['of']}; alone {s['alone_median_s']:.2f} s; "
              f"exceptions {s['exceptions'] or 'none'}; load {la}", flush=True)
    # one new session alone on Home, and one rerun of it (what every slider move costs at least)
    lone = [run_coroutine(visit(ws, "", "", timeout, rerun=True)) for _ in range(5)]
    out["lone_home_s"] = statistics.median(v.seconds for v in lone)
    out["lone_rerun_s"] = statistics.median(v.rerun_seconds for v in lone)
    out["rss_mb"] = server.rss()
    out["load_end"] = load_average()
    print(f"one new session on Home: {out['lone_home_s']:.2f} s, a rerun {out['lone_rerun_s']:.2f} s "
          f"(median of 5); RSS {out['rss_mb']:.0f} MB; load {out['load_end']}", flush=True)
    return out


# ---------------------------------------------------------------------------------------------------------
# the lesson: many sessions over time, and the server's memory

def run_lesson(server: Server, sessions: int, wave: int, timeout: float, hidden: int = 128, T: int = 200,
               settle: float = 0.0) -> dict:
    """`sessions` sessions in waves of `wave` at once, each its own seed, round-robin over the lesson's
    pages; every session closes when its page is drawn (Streamlit keeps a closed session's state for
    server.disconnectedSessionTTL). The server's RSS is sampled throughout."""
    ws = server.ws
    run_coroutine(visit(ws, "", "", timeout))  # imports out of the way; the baseline is a warm server
    base = server.rss()
    sampler = RssSampler(server.pid)
    la0, t0 = load_average(), time.perf_counter()
    after_wave, failures, exceptions, times = [], [], set(), []
    for w in range(0, sessions, wave):
        links = [(LESSON_PAGES[i % len(LESSON_PAGES)], f"T={T}&hidden={hidden}&seed={1000 + i}")
                 for i in range(w, min(sessions, w + wave))]
        vs = run_coroutine(at_once(ws, links, timeout))
        times += [v.seconds for v in vs if v.status == "ok"]
        failures += [v.status for v in vs if v.status != "ok"]
        exceptions |= {e for v in vs for e in v.exceptions}
        after_wave.append(server.rss())
        print(f"  {w + len(links):4d} sessions: RSS {after_wave[-1]:.0f} MB "
              f"({time.perf_counter() - t0:.0f} s, load {load_average()})", flush=True)
    wall = time.perf_counter() - t0
    if settle:
        time.sleep(settle)
    samples = sampler.stop()
    half = after_wave[len(after_wave) // 2:]
    out = {"sessions": sessions, "wave": wave, "T": T, "hidden": hidden, "baseline_mb": base,
           "peak_mb": max(r for _, r in samples), "after_wave_mb": after_wave,
           "plateau_mb": max(half), "plateau_median_mb": statistics.median(half),
           "end_mb": server.rss(), "cache_data_mb": cache_data_mb(server), "wall_s": wall, "median_session_s": statistics.median(times) if times else None,
           "failures": failures, "exceptions": sorted(exceptions), "load_start": la0, "load_end": load_average(),
           "samples": samples}
    print(f"lesson: baseline {base:.0f} MB, plateau (max over the second half) {out['plateau_mb']:.0f} MB, "
          f"peak {out['peak_mb']:.0f} MB, {wall:.0f} s; failures {len(failures)}, exceptions "
          f"{sorted(exceptions) or 'none'}", flush=True)
    return out


def run_sessions_rss(server: Server, timeout: float) -> dict:
    """Server RSS with 1 and then 10 sessions open on Jacobian products at the default settings (the
    browser benchmark's P6, here without a browser); the sockets stay open while it is read."""

    async def hold(n: int) -> float:
        conns = []
        try:
            for _ in range(n):
                ws = await websockets.connect(server.ws, subprotocols=["streamlit"], max_size=2**27,
                                              ping_interval=None)
                conns.append(ws)
                await ws.send(_rerun("jacobian_products", ""))
                await _until_finished(ws, Visit("jacobian_products", ""), timeout)
            await asyncio.sleep(2)
            return server.rss()
        finally:
            for ws in conns:
                await ws.close()

    run_coroutine(visit(server.ws, "", "", timeout))
    one = run_coroutine(hold(1))
    ten = run_coroutine(hold(10))
    print(f"RSS on Jacobian products at the defaults: 1 session {one:.0f} MB, 10 sessions {ten:.0f} MB", flush=True)
    return {"one_mb": one, "ten_mb": ten, "load": load_average()}


# ---------------------------------------------------------------------------------------------------------
# writing it up

def _fmt(x: float) -> str:
    return f"{x:.2f} s"


def _met(x: float, target: float) -> str:
    return "yes" if x <= target else "NO"


def class_section(r: dict, when: str, info: str) -> list[str]:
    rows = [("home", f"Home, {CLASS} new sessions at once"),
            ("shared", f"Jacobian products, {CLASS} at once on one shared link (`?{SHARED_LINK}`)"),
            ("seeds", f"Jacobian products, {CLASS} at once with {CLASS} different seeds (T = {SEEDS_T})")]
    out = [f"Measured {when} by `python -m benchmarks.load`; {info}.", "",
           "| 30 sessions at once | median | max | a session alone (same link, empty cache) | every page equal "
           "to that link alone | target (median) | met | load average |",
           "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for key, what in rows:
        s = r[key]
        eq = f"{s['same']}/{s['of']}" + ("" if not s["exceptions"] else f"; exceptions: {s['exceptions']}")
        out.append(f"| {what} | {_fmt(s['median_s'])} | {_fmt(s['max_s'])} | {_fmt(s['alone_median_s'])} | {eq} "
                   f"| ≤ {TARGETS[key]:g} s | {_met(s['median_s'], TARGETS[key])} | {s['load']} |")
    out += ["",
            "| one session | seconds | load average |", "| --- | --- | --- |",
            f"| first visit on a fresh server (imports torch and the app) | {_fmt(r['first_visit_s'])} "
            f"| {r['load_start']} |",
            f"| a new session on Home, alone on a warm server (median of 5) | {_fmt(r['lone_home_s'])} "
            f"| {r['load_end']} |",
            f"| a rerun of that session (median of 5) | {_fmt(r['lone_rerun_s'])} | {r['load_end']} |"]
    return out


def lesson_section(m: dict, configs: list[tuple[str, dict]] | None = None) -> list[str]:
    out = [f"| a lesson: {m['sessions']} sessions in waves of {m['wave']}, T = {m['T']}, hidden {m['hidden']}, "
           f"own seeds, round-robin over {', '.join(LESSON_PAGES)} | server RSS |", "| --- | --- |",
           f"| warm server, before the first wave | {m['baseline_mb']:.0f} MB |",
           f"| plateau (highest after any wave of the second half) | {m['plateau_mb']:.0f} MB |",
           f"| peak (sampled every 0.5 s) | {m['peak_mb']:.0f} MB |",
           f"| after the last wave | {m['end_mb']:.0f} MB |",
           f"| of which st.cache_data, serialized (/_stcore/metrics) | {m['cache_data_mb']:.1f} MB |",
           f"| wall clock for all {m['sessions']} sessions; median session | {m['wall_s']:.0f} s; "
           f"{m['median_session_s']:.2f} s |",
           f"| failed sessions; exceptions on a page | {len(m['failures'])}; {len(m['exceptions'])} |",
           f"| load average at start / end | {m['load_start']} / {m['load_end']} |"]
    return out


def python_speed() -> float:
    """Seconds for 10⁷ additions in a pure-Python loop (the least of 3): how fast this machine runs Python at
    the moment, so that figures taken on a shared host at different times can be compared."""
    best = float("inf")
    for _ in range(3):
        t, s = time.perf_counter(), 0
        for i in range(10_000_000):
            s += i
        best = min(best, time.perf_counter() - t)
    return best


def machine() -> str:
    import torch

    cores = os.cpu_count()
    return (f"{cores} CPU cores, Python {platform.python_version()}, torch {torch.__version__}, "
            f"Streamlit {__import__('streamlit').__version__}; a pure-Python loop of 10⁷ additions "
            f"{python_speed():.2f} s")


def write_results(part: str, text: list[str]) -> None:
    """Put `text` between this part's markers in RESULTS_LOAD.md (the other parts' figures and the live
    training figures stay as they are), then refresh RESULTS.md's many-visitors section from RESULTS_LOAD.md
    as benchmarks.run would."""
    begin, end = f"<!-- benchmarks.load {part}: begin -->", f"<!-- benchmarks.load {part}: end -->"
    old = RESULTS_LOAD.read_text() if RESULTS_LOAD.exists() else ""
    block = "\n".join([begin, *text, end])
    if begin in old and end in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
    elif LIVE_HEADING in old:  # a new part goes above the live-training figures
        i = old.index(LIVE_HEADING)
        new = old[:i] + block + "\n\n" + old[i:]
    else:
        new = old + ("\n" if old else "") + block + "\n"
    RESULTS_LOAD.write_text(new)
    print(f"wrote {RESULTS_LOAD.relative_to(ROOT)}")
    if RESULTS.exists():
        from benchmarks.run import LOAD_HEADING, load_section

        res = RESULTS.read_text()
        if LOAD_HEADING in res:  # up to the next section, or the end
            i = res.index(LOAD_HEADING)
            j = res.find("\n## ", i + len(LOAD_HEADING))
            res = res[:i] + "\n".join(load_section()) + "\n" + (res[j:] if j >= 0 else "")
            RESULTS.write_text(res)
            print(f"refreshed the many-visitors section of {RESULTS.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", default=None, choices=["class", "memory", "rss"],
                    help="run only these parts (default: class and rss; --memory adds the lesson)")
    ap.add_argument("--memory", action="store_true", help="also the lesson: 200 sessions in waves of 10")
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--wave", type=int, default=10)
    ap.add_argument("--entry", default="app.py", help="the script to serve (default %(default)s)")
    ap.add_argument("--app-dir", default=str(ROOT),
                    help="serve the app from this folder, e.g. an exported commit (default: this repository)")
    ap.add_argument("--flag", action="append", default=[], help="a server option, section.option=value")
    ap.add_argument("--env", action="append", default=[], help="an environment variable for the server, K=V")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds one session may take")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--json", default=None, help="also write the raw figures to this file")
    args = ap.parse_args(argv)
    parts = args.only or (["class", "rss"] + (["memory"] if args.memory else []))
    env = dict(e.split("=", 1) for e in args.env)
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    info = machine()
    print(f"{info}; load average {load_average()}", flush=True)
    results: dict = {"when": when, "machine": info, "flags": args.flag, "env": env}
    for part in ("class", "rss", "memory"):
        if part not in parts:
            continue
        server = Server(args.entry, tuple(args.flag), env, app_dir=pathlib.Path(args.app_dir).resolve())
        try:
            if part == "class":
                results["class"] = run_class(server, args.timeout)
            elif part == "rss":
                results["rss"] = run_sessions_rss(server, args.timeout)
            else:
                results["memory"] = run_lesson(server, args.sessions, args.wave, args.timeout)
        finally:
            server.stop()
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    if args.no_write:
        return 0
    cfg = f"`streamlit run {args.entry}` with " + (", ".join(args.flag + [f"{k}={v}" for k, v in env.items()])
                                                  or "the shipped config")
    if "class" in results:
        write_results("class", ["## A class opening one link at once (websocket clients)", "",
                                *class_section(results["class"], when, f"{info}; {cfg}")])
    if "rss" in results:
        r = results["rss"]
        write_results("rss", ["## Server memory with 1 and 10 sessions (websocket clients)", "",
                              f"Measured {when} by `python -m benchmarks.load`; {info}; {cfg}.", "",
                              "| server RSS, Jacobian products at the defaults, sessions open | MB | load average |",
                              "| --- | --- | --- |", f"| 1 session | {r['one_mb']:.0f} | {r['load']} |",
                              f"| 10 sessions | {r['ten_mb']:.0f} | {r['load']} |"])
    # the memory section says the command as it was given (its --entry, --env, --flag change what is measured)
    ran = " ".join(["python -m benchmarks.load", *(argv if argv is not None else sys.argv[1:])])
    if "memory" in results:
        write_results("memory", ["## A lesson: many sessions over time, the server's memory", "",
                                 f"Measured {when} by `{ran}`; {info}; {cfg}.", "",
                                 *lesson_section(results["memory"])])
    return 0


if __name__ == "__main__":
    sys.exit(main())
