"""A class drill through the proxy: many students open one Lesson link with a class code, answer, and one replica
is killed mid-class. What a department checks before trusting a deployment with a lecture hall.

    python -m deploy.drill --replicas 3 --sessions 90            # starts deploy.local, drills it, stops it
    python -m deploy.drill --replicas 1 --sessions 90 --no-kill  # one replica: the page times to compare
    python -m deploy.drill --url http://host:8600 --db-url postgresql+psycopg://… --no-kill   # a running deployment

Each student is a browser without a browser (websocket clients as benchmarks/load.py makes them): a cookie jar,
an address bar and one socket. It loads the page over HTTP first (the proxy's affinity cookie arrives there),
asks /_stcore/health and /_stcore/host-config as Streamlit's frontend does, opens the socket with the cookie,
keeps the address the app writes (the Lesson keeps the student's anonymous id in it, `me=`), ticks the
fragments the server asks it to tick (the Lesson watches the class every 2 s), and answers through the
Lesson's widgets (keys `answer_<step>` and `answer_send`, docs in ui/session/predict.py).

The drill, in order:
1. a class is made in the poll's store directly; every student opens /lesson?class=CODE at once;
2. every session is served (its run finishes, no exception on the page), and each stays on one replica: every
   HTTP response and the socket's upgrade came from the replica its cookie names (HAProxy's X-Replica);
3. every student answers step 1 (picks an option, presses Answer); the store holds one answer per student;
4. a teacher page pinned to each replica by the cookie reads Answered = N;
5. the replica serving the most students is killed (SIGKILL); its students' sockets close, they reconnect
   through the proxy (the same address, the old cookie) and are served by a live replica with a new cookie;
   the Lesson finds each one's answer in Postgres; each presses Answer again;
6. the store and a teacher page on every live replica still read N: no answer lost, none counted twice.

Figures: median and 95th percentile of the page time (HTTP GET to the end of the first run), the reconnect
time (socket closed to the end of the first run on a live replica).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import signal
import statistics
import sys
import time
import urllib.error
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.load import cookie_header, fetch_with_cookies, keep_cookies, load_average
from deploy import settings as S

LESSON = "lesson"
TEACHER = "teacher"
SEND = "answer_send"  # ui/session/predict.py's send button


def answer_key(k: int) -> str:
    return f"answer_{k}"  # ui/session/predict.py's answer widget


class Closed(Exception):
    """The socket closed (its replica went away)."""


@dataclass
class Student:
    """What one browser saw: the replica of each response, page times, the answer it gave."""
    replicas: list[str] = field(default_factory=list)
    page_s: float = math.nan
    reconnect_s: float | None = None
    answer: object = None
    answer_label: str = ""
    chart_back: bool | None = None  # after a reconnect: the chart shows without answering again
    says_answer: bool | None = None  # after a reconnect: the page names the answer given before
    retries: int = 0  # Answer pressed again because the chart did not come


class Browser:
    """One tab: a cookie jar, the address bar (page and query), one socket to Streamlit through the proxy."""

    def __init__(self, base: str, page: str, query: str, cookies: dict[str, str] | None = None,
                 ticks: bool = True):
        self.base = base.rstrip("/")
        self.page, self.query = page, query
        self.cookies: dict[str, str] = dict(cookies or {})
        self.ticks = ticks
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.tickers: dict[str, asyncio.Task] = {}
        self.page_hash = ""
        self.elements: dict[tuple[int, ...], object] = {}  # the page as last drawn by a finished run
        self._building: dict[tuple[int, ...], object] = {}  # the run in progress
        self.fragment_runs = 0
        self.full_running = False  # a full run has started and not yet said how it ended
        self.unreported = 0  # full runs whose end Streamlit never reported (a fragment run began after them)
        self.events: list[str] = []  # the last messages' kinds, said when a run does not finish
        self.exceptions: list[str] = []
        self.finished = 0  # full runs finished successfully on this socket
        self._finished = asyncio.Event()
        self.closed = asyncio.Event()
        self.closed_at: float | None = None
        self.seen = Student()
        self.widget_states: dict[str, object] = {}  # id -> WidgetState (what the frontend sends back)

    # -- what the server said -----------------------------------------------------------------------------

    @property
    def replica(self) -> str:
        return self.cookies.get(S.AFFINITY_COOKIE, "")

    def view(self) -> dict:
        """What a browser shows: the last finished run's page with the run in progress drawn over it."""
        return {**self.elements, **self._building}

    async def until(self, ok, timeout: float) -> bool:
        """Wait until ok() holds for the page shown (polled every 0.2 s); False after `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while not ok():
            if self.closed.is_set():
                raise Closed(self.replica)
            if time.perf_counter() > deadline:
                return False
            await asyncio.sleep(0.2)
        return True

    def widget(self, key: str):
        """The element of the widget with this user key (Streamlit's ids end with '-<key>'), or None."""
        for el in self.view().values():
            kind = el.WhichOneof("type")
            w = getattr(el, kind, None) if kind else None
            wid = getattr(w, "id", "") if w is not None else ""
            if isinstance(wid, str) and wid.endswith("-" + key):
                return el
        return None

    def metric(self, label: str) -> str | None:
        for el in self.view().values():
            if el.WhichOneof("type") == "metric" and el.metric.label == label:
                return el.metric.body
        return None

    def charts(self) -> int:
        """Charts on the page (the Lesson draws its step's chart once the student has answered, or on the reveal)."""
        return sum(el.WhichOneof("type") in ("graphviz_chart", "vega_lite_chart", "arrow_vega_lite_chart")
                   for path, el in self.view().items() if path and path[0] == 0)

    def says(self, text: str) -> bool:
        return any(text in t for t in self.texts())

    def texts(self) -> list[str]:
        out = []
        for el in self.view().values():
            kind = el.WhichOneof("type")
            if kind == "markdown":
                out.append(el.markdown.body)
            elif kind in ("alert",):
                out.append(el.alert.body)
        return out

    # -- the socket ---------------------------------------------------------------------------------------

    def _http(self, path: str, timeout: float) -> None:
        _, headers = fetch_with_cookies(self.base + path, self.cookies, timeout)
        self.seen.replicas.append(next((v for k, v in headers.items() if k.lower() == S.REPLICA_HEADER.lower()), ""))

    async def open(self, timeout: float = 120.0) -> float:
        """Load the page as a browser does, open the socket, run the page; the page time in seconds."""
        t0 = time.perf_counter()
        path = f"/{self.page}" + (f"?{self.query}" if self.query else "")
        for p in (path, S.HEALTH_PATH, "/_stcore/host-config"):
            await asyncio.to_thread(self._http, p, timeout)
        ws_url = self.base.replace("http://", "ws://", 1).replace("https://", "wss://", 1) + "/_stcore/stream"
        self.ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**27,
                                           open_timeout=timeout, ping_interval=None,
                                           additional_headers=cookie_header(self.cookies))
        keep_cookies(self.cookies, self.ws.response.headers.get_all("Set-Cookie"))
        self.seen.replicas.append(self.ws.response.headers.get(S.REPLICA_HEADER, ""))
        self.closed.clear()
        self.closed_at = None
        self.elements.clear()
        self._building = {}
        self.widget_states.clear()
        self.finished = 0
        self.full_running = False
        self.reader = asyncio.create_task(self._read())
        await self._run(self._rerun(page_name=self.page), timeout)
        return time.perf_counter() - t0

    def _rerun(self, page_name: str = "", states=(), fragment: str = "") -> bytes:
        m = BackMsg()
        cs = m.rerun_script
        cs.query_string = self.query
        if page_name:
            cs.page_name = page_name
        else:
            cs.page_script_hash = self.page_hash
        for st in [*self.widget_states.values(), *states]:
            cs.widget_states.widgets.append(st)
        if fragment:
            cs.fragment_id = fragment
            cs.is_auto_rerun = True
        return m.SerializeToString()

    async def _run(self, msg: bytes, timeout: float) -> None:
        """Send a rerun and wait for the next full run to finish (a closed socket raises Closed)."""
        before = self.finished
        self._finished.clear()
        await self.ws.send(msg)
        deadline = time.perf_counter() + timeout
        while self.finished == before:
            if self.closed.is_set():
                raise Closed(self.replica)
            left = deadline - time.perf_counter()
            if left <= 0:
                sent = deadline - timeout
                raise TimeoutError(f"no finished run within {timeout:.0f} s; sent at {sent:.1f}, then: "
                                   f"{[e for e in self.events if sent - 3 < float(e.split()[0]) < sent + 15]}")
            done, _ = await asyncio.wait([asyncio.ensure_future(self._finished.wait()),
                                          asyncio.ensure_future(self.closed.wait())],
                                         timeout=left, return_when=asyncio.FIRST_COMPLETED)
            for f in _:
                f.cancel()
            self._finished.clear()
        if self.exceptions:
            raise RuntimeError(f"the page raised: {self.exceptions[0]}")

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                fm = ForwardMsg()
                fm.ParseFromString(raw)
                kind = fm.WhichOneof("type")
                if kind in ("new_session", "script_finished", "auto_rerun", "stop_auto_rerun", "page_not_found",
                            "session_status_changed", "session_event"):
                    detail = fm.script_finished if kind == "script_finished" else \
                        list(fm.metadata.run.fragment_ids) if kind == "new_session" else ""
                    self.events = [*self.events[-199:], f"{time.perf_counter():.1f} {kind} {detail}"]
                if kind == "new_session":
                    self.page_hash = fm.new_session.page_script_hash
                    if not fm.metadata.run.fragment_ids:  # a full run draws the page from the top
                        self._building = {}
                        self.exceptions.clear()
                        self.full_running = True
                    elif self.full_running:
                        # A fragment run starts: the full run before it is over, though no script_finished
                        # said so. Streamlit drops that message when a fragment's auto-rerun arrives as the
                        # full run ends (a new ScriptRunner takes the request and the old one's events are
                        # ignored: streamlit/runtime/app_session.py, request_rerun). The page it drew stands.
                        self.full_running = False
                        self.unreported += 1
                        self.elements = {**self.elements, **self._building}  # what was not redrawn stays shown
                        self.finished += 1
                        self._finished.set()
                elif kind == "navigation" and fm.navigation.page_script_hash:
                    self.page_hash = fm.navigation.page_script_hash  # the page st.navigation ran (new_session
                    # names the main script on a session's first run); the frontend sends it back on a rerun
                elif kind == "page_info_changed":
                    self.query = fm.page_info_changed.query_string
                elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    el = fm.delta.new_element
                    self._building[tuple(fm.metadata.delta_path)] = el
                    if el.WhichOneof("type") == "exception":
                        self.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
                elif kind == "auto_rerun" and self.ticks:
                    fid = fm.auto_rerun.fragment_id
                    if fid not in self.tickers:
                        self.tickers[fid] = asyncio.create_task(self._tick(fid, fm.auto_rerun.interval))
                elif kind == "stop_auto_rerun":
                    for fid in fm.stop_auto_rerun.fragment_ids:
                        t = self.tickers.pop(fid, None)
                        if t:
                            t.cancel()
                elif kind == "script_finished" and not fm.metadata.run.fragment_ids:
                    self.full_running = False
                if kind == "script_finished" and fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                    self.elements = dict(self._building)
                    self.finished += 1
                    self._finished.set()
                elif kind == "script_finished" and fm.script_finished == ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY:
                    self.elements.update(self._building)  # a fragment redraws its part; the rest stays shown
                    self.fragment_runs += 1
        except (websockets.exceptions.WebSocketException, OSError):
            pass
        finally:
            self.closed_at = time.perf_counter()
            self.closed.set()
            self._stop_ticks()

    async def _tick(self, fragment: str, interval: float) -> None:
        """The frontend's part of @st.fragment(run_every=…): ask the server to run the fragment every interval."""
        with contextlib.suppress(asyncio.CancelledError, websockets.exceptions.WebSocketException, OSError):
            while not self.closed.is_set():
                await asyncio.sleep(max(interval, 0.5))
                await self.ws.send(self._rerun(states=(), fragment=fragment))

    def _stop_ticks(self) -> None:
        for t in self.tickers.values():
            t.cancel()
        self.tickers.clear()

    async def close(self) -> None:
        self._stop_ticks()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.reader, 5)

    # -- a student's actions ------------------------------------------------------------------------------

    async def answer(self, k: int, i: int, timeout: float = 120.0, press: bool = True):
        """Pick option i (mod their number) of step k's question, or the i-th of ten numbers in its range, then
        press Answer; returns the value the poll stores (the choice's label's option, or the number)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        el = self.widget(answer_key(k))
        if el is None:
            raise LookupError(f"no widget {answer_key(k)!r} on the page (texts: {self.texts()[:3]})")
        st = WidgetState()
        kind = el.WhichOneof("type")
        w = getattr(el, kind)
        st.id = w.id
        if kind == "button_group":
            opt = w.options[i % len(w.options)]
            st.string_array_value.data.append(opt.content)
            self.seen.answer_label = opt.content
        elif kind == "radio":
            label = w.options[i % len(w.options)]
            st.string_value = label
            self.seen.answer_label = label
        elif kind == "number_input":
            lo = w.min if w.has_min else 0.0
            hi = w.max if w.has_max else lo + 10.0
            value = lo + (hi - lo) * (i % 10) / 10
            st.double_value = value
            self.seen.answer = value
            self.seen.answer_label = f"{value:g}"
        else:
            raise LookupError(f"{answer_key(k)!r} is a {kind}, not a choice or a number")
        self.widget_states[st.id] = st
        await self._run(self._rerun(), timeout)  # the widget's on_change sends it
        if press:
            await self.press(SEND, timeout)
        # the student looks for the chart (it shows once the answer is in) and presses Answer again when it
        # does not come (a full run cut short under load leaves the page as it was)
        for _ in range(3):
            if await self.until(lambda: self.charts() > 0, 15):
                return
            self.seen.retries += 1
            await self.press(SEND, timeout)

    async def press(self, key: str, timeout: float = 120.0) -> None:
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        if not await self.until(lambda: self.widget(key) is not None, timeout):
            raise LookupError(f"no button {key!r} on the page within {timeout:.0f} s")
        el = self.widget(key)
        st = WidgetState()
        st.id = getattr(el, el.WhichOneof("type")).id
        st.trigger_value = True
        await self._run(self._rerun(states=(st,)), timeout)


def _param(query: str, key: str) -> str | None:
    from urllib.parse import parse_qs

    v = parse_qs(query).get(key)
    return v[-1] if v else None


def pct(xs: list[float], q: float) -> float:
    """The q-quantile, nearest rank (q = 0.95: the 95th percentile)."""
    xs = sorted(x for x in xs if not math.isnan(x))
    return xs[min(len(xs) - 1, max(0, math.ceil(q * len(xs)) - 1))] if xs else math.nan


async def _opened(b: Browser, timeout: float) -> str | None:
    try:
        b.seen.page_s = await b.open(timeout)
        return None
    except (Exception, asyncio.TimeoutError) as e:  # noqa: BLE001 - a failed session is a figure, said
        return f"{type(e).__name__}: {e}"[:300]


async def teacher_reads(base: str, code: str, replica: str, timeout: float) -> dict:
    """The teacher page pinned to `replica` by its cookie: Joined and Answered, and who answered."""
    t = Browser(base, TEACHER, f"class={code}", cookies={S.AFFINITY_COOKIE: replica}, ticks=False)
    try:
        await t.open(timeout)
        return {"replica": replica, "served_by": sorted(set(t.seen.replicas)), "cookie": t.replica,
                "joined": t.metric("Joined"), "answered": t.metric("Answered"), "exceptions": t.exceptions}
    finally:
        await t.close()


async def drill(base: str, db_url: str, sessions: int, replicas: list[str], kill=None, step: int = 1,
                timeout: float = 180.0, answer: bool = True, ticks: bool = True, log=print) -> dict:
    """The drill (the module's docstring); returns its figures and findings. `kill(name)` kills a replica."""
    import poll

    store = poll.Store(db_url)
    code = store.create_class().code
    out: dict = {"sessions": sessions, "replicas": replicas, "code": code, "load_start": load_average()}
    # each replica's first session imports torch and the app: the teacher's own look at the link before class
    async def first(r: str) -> float:
        b = Browser(base, LESSON, "", cookies={S.AFFINITY_COOKIE: r}, ticks=False)
        try:
            return round(await b.open(timeout), 2)
        finally:
            await b.close()

    out["first_visit_s"] = list(await asyncio.gather(*(first(r) for r in replicas)))
    browsers = [Browser(base, LESSON, f"class={code}", ticks=ticks) for _ in range(sessions)]
    t0 = time.perf_counter()
    fails = await asyncio.gather(*(_opened(b, timeout) for b in browsers))
    out["open_wall_s"] = time.perf_counter() - t0
    out["failed"] = [f for f in fails if f]
    out["page_s"] = [b.seen.page_s for b in browsers]
    out["median_s"], out["p95_s"] = statistics.median(out["page_s"]), pct(out["page_s"], 0.95)
    out["per_replica"] = {r: sum(b.replica == r for b in browsers) for r in replicas}
    out["unsticky"] = [sorted(set(b.seen.replicas)) + [b.replica] for b in browsers
                       if set(b.seen.replicas) != {b.replica}]
    out["exceptions"] = sorted({e for b in browsers for e in b.exceptions})
    out["load_opened"] = load_average()
    log(f"{sessions} sessions opened in {out['open_wall_s']:.1f} s: median {out['median_s']:.2f} s, "
        f"p95 {out['p95_s']:.2f} s; per replica {out['per_replica']}; failed {len(out['failed'])}; "
        f"not sticky {len(out['unsticky'])}; load {out['load_opened']}")
    out["students"] = [_param(b.query, "me") for b in browsers]
    if answer:
        without = [b for b in browsers if b.widget(answer_key(step)) is None]
        out["has_question"] = sessions - len(without)
        if without:
            out["missing"] = (f"{len(without)} of {sessions} Lessons have no {answer_key(step)!r} widget, e.g. one "
                              f"on {without[0].replica} showing {[t[:80] for t in without[0].texts()[:4]]}")
    if not answer or out.get("missing"):
        await asyncio.gather(*(b.close() for b in browsers))
        return out

    t1 = time.perf_counter()
    errs = await asyncio.gather(*(_answered(b, step, i, timeout) for i, b in enumerate(browsers)))
    out["answer_wall_s"] = time.perf_counter() - t1
    out["answer_failed"] = [e for e in errs if e]
    out["chart_after_answer"] = sum(b.charts() > 0 for b in browsers)
    out["unreported_ends"] = sum(b.unreported for b in browsers)
    out["answer_retries"] = sum(b.seen.retries for b in browsers)
    stored = {s: store.answer_of(code, step, s) for s in out["students"] if s}
    out["stored"] = sum(v is not None for v in stored.values())
    tally = store.tally(code, step)
    out["tally"] = {"joined": tally.joined, "answered": tally.answered}
    out["teacher"] = [await teacher_reads(base, code, r, timeout) for r in replicas]
    log(f"answered in {out['answer_wall_s']:.1f} s; store: {out['tally']}; teacher per replica: "
        f"{[(t['replica'], t['answered']) for t in out['teacher']]}; load {load_average()}")

    if kill is not None:
        victim = max(replicas, key=lambda r: out["per_replica"][r])
        mine = [b for b in browsers if b.replica == victim]
        others = [b for b in browsers if b.replica != victim]
        out["killed"] = victim
        out["killed_sessions"] = len(mine)
        kill(victim)
        t_kill = time.perf_counter()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(b.closed.wait() for b in mine)), 30)
        out["closed_after_kill"] = sum(b.closed.is_set() for b in mine)
        errs = await asyncio.gather(*(_reconnected(b, step, timeout) for b in mine))
        out["reconnect_failed"] = [e for e in errs if e]
        rs = [b.seen.reconnect_s for b in mine if b.seen.reconnect_s is not None]
        out["reconnect_s"] = rs
        out["reconnect_median_s"] = statistics.median(rs) if rs else math.nan
        out["reconnect_max_s"] = max(rs) if rs else math.nan
        out["reconnect_wall_s"] = time.perf_counter() - t_kill
        out["moved_to"] = {r: sum(b.replica == r for b in mine) for r in replicas}
        out["others_closed"] = sum(b.closed.is_set() for b in others)
        out["unsticky_after"] = [b.seen.replicas[-4:] + [b.replica] for b in mine
                                 if set(b.seen.replicas[-4:]) != {b.replica}]
        out["chart_back"] = sum(bool(b.seen.chart_back) for b in mine)
        out["says_answer"] = sum(bool(b.seen.says_answer) for b in mine)
        out["same_student"] = sum(_param(b.query, "me") == s for b, s in zip(browsers, out["students"]))
        stored_after = {s: store.answer_of(code, step, s) for s in out["students"] if s}
        out["answers_kept"] = sum(stored_after[s] == stored[s] for s in stored)
        tally = store.tally(code, step)
        out["tally_after"] = {"joined": tally.joined, "answered": tally.answered}
        live = [r for r in replicas if r != victim]
        out["teacher_after"] = [await teacher_reads(base, code, r, timeout) for r in live]
        log(f"killed {victim} ({len(mine)} sessions): reconnected {len(rs)}/{len(mine)}, median "
            f"{out['reconnect_median_s']:.2f} s, max {out['reconnect_max_s']:.2f} s, moved to "
            f"{out['moved_to']}; store {out['tally_after']}; teacher "
            f"{[(t['replica'], t['answered']) for t in out['teacher_after']]}; load {load_average()}")
    out["load_end"] = load_average()
    await asyncio.gather(*(b.close() for b in browsers))
    return out


async def _answered(b: Browser, step: int, i: int, timeout: float) -> str | None:
    try:
        await b.answer(step, i, timeout)
        return None
    except (Exception, asyncio.TimeoutError) as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"[:3000]


async def _reconnected(b: Browser, step: int, timeout: float) -> str | None:
    """A student whose replica died: the frontend reconnects to the same address with the cookie it has;
    served again, they press Answer once more (the Lesson shows the answer the poll kept)."""
    closed_at = b.closed_at or time.perf_counter()
    await b.close()
    deadline = time.perf_counter() + timeout
    last = ""
    while time.perf_counter() < deadline:
        try:
            await b.open(timeout)
            b.seen.reconnect_s = time.perf_counter() - closed_at
            break
        except (urllib.error.URLError, OSError, websockets.exceptions.WebSocketException, Closed) as e:
            last = f"{type(e).__name__}: {e}"
            await b.close()
            await asyncio.sleep(0.25)
        except (Exception, asyncio.TimeoutError) as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"[:300]
    else:
        return f"not served again within {timeout:.0f} s ({last})"[:300]
    b.seen.chart_back = b.charts() > 0  # the chart shows: the Lesson found this student's answer in the poll
    b.seen.says_answer = b.says(f"**{b.seen.answer_label}**")
    try:
        await b.press(SEND, timeout)  # and the student presses Answer again: the same answer, once
        return None
    except (Exception, asyncio.TimeoutError) as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"[:300]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deploy.drill", description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=3, help="start deploy.local with this many (default 3)")
    ap.add_argument("--sessions", type=int, default=90)
    ap.add_argument("--url", default=None, help="drill a running deployment instead (its proxy's address)")
    ap.add_argument("--db-url", default=None, help="with --url: its database, to make the class")
    ap.add_argument("--names", default=None, help="with --url: its replicas' cookie values, comma-separated")
    ap.add_argument("--no-kill", action="store_true", help="do not kill a replica")
    ap.add_argument("--no-ticks", action="store_true",
                    help="do not tick the page's fragments (a browser does: the Lesson watches its class every 2 s)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds one session may take")
    ap.add_argument("--json", default=None, help="write the figures to this file")
    args = ap.parse_args(argv)
    if args.url:
        if not args.db_url:
            ap.error("--url needs --db-url (the class is made in the store directly)")
        names = (args.names or ",".join(S.replica_names(args.replicas))).split(",")
        out = asyncio.run(drill(args.url, args.db_url, args.sessions, names, None, timeout=args.timeout))
    else:
        from deploy.local import Topology

        with Topology(args.replicas, port=_free_port(), log=lambda m: print(m, flush=True)) as topo:
            procs = {r.name: r.proc for r in topo.replicas}

            def kill(name: str) -> None:
                os.kill(procs[name].pid, signal.SIGKILL)

            out = asyncio.run(drill(topo.url, topo.pg.url, args.sessions, [r.name for r in topo.replicas],
                                    None if args.no_kill else kill, timeout=args.timeout, ticks=not args.no_ticks,
                                    log=lambda m: print(m, flush=True)))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1, default=str)
    return 0 if not out["failed"] and not out["unsticky"] else 1


def _free_port() -> int:
    from deploy.local import free_port

    return free_port()


if __name__ == "__main__":
    sys.exit(main())
