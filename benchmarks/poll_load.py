"""The class poll under a class at once: many students join one class and answer together through the Lesson.

    python -m benchmarks.poll_load                          # 60 students, SQLite then Postgres; writes RESULTS.md
    python -m benchmarks.poll_load --db sqlite --students 20 --no-write
    python -m benchmarks.poll_load --db postgres --pg-url postgresql+psycopg://…   # an existing Postgres

Each student is a real session without a browser (benchmarks/load.py's way: Streamlit's websocket, a BackMsg
`rerun_script`, ForwardMsgs read until `script_finished`). The server is started here with POLL_DB_URL set to a
fresh database (SQLite: a temp file; Postgres: a throwaway cluster from deploy/postgres.py, unless --pg-url);
the class is made through the store, as the teacher page does. Then:

1. every student opens `/lesson?class=CODE&step=K&me=<id>` at once and waits for the page (joining the class);
2. when all have the page, every student answers at once through the Lesson's own widgets, as a browser sends
   them: the answer widget `answer_K` (a choice: the option's label, as st.segmented_control's wire value; a
   number: a value inside the input's bounds) and a press of the send button `answer_send`, in one rerun. The
   answer's latency is from sending that rerun to its `script_finished` (the page redrawn, the chart included);
3. after the last answer, the store is read as the teacher page reads it (Store.tally) every 50 ms until the tally
   counts every student, or 3 s pass.

Checks: every session's runs finish without an exception on the page and without the "unavailable" line; the
class has one row per student (Tally.answered, and each student's stored answer is the one sent); the tally
reaches the class within 3 s of the last answer. For comparison the store alone is timed too: the same number of
threads calling Store.answer at once in this process (no Streamlit).
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

import poll
from benchmarks.load import ROOT, Server, load_average, machine, run_coroutine

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
HEADING = "## The class poll: a class answering at once"
BEGIN, END = "<!-- benchmarks.poll_load {db}: begin -->", "<!-- benchmarks.poll_load {db}: end -->"
PAGE = "lesson"
TALLY_WITHIN_S = 3.0
UNAVAILABLE_WORDS = b"class poll is unavailable"


@dataclass
class Student:
    """One session: its id, the page's query as the browser keeps it, the page's widgets by key."""
    sid: str
    query: str
    page_hash: str = ""
    widgets: dict[str, Element] = field(default_factory=dict)   # user key -> the widget's element (last run)
    texts: list[bytes] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    join_s: float = float("nan")
    answer_s: float = float("nan")
    answered_at: float = float("nan")   # perf_counter when the answer's run finished
    rerun_s: float = float("nan")       # a plain rerun afterwards, all at once (what the page costs without the poll)
    sent: object = None
    status: str = ""


def _widget_of(el: Element) -> tuple[str, str] | None:
    """(user key, id) of a widget element whose id carries a user key (Streamlit's ids end in '-<key>')."""
    kind = el.WhichOneof("type")
    inner = getattr(el, kind, None) if kind else None
    wid = getattr(inner, "id", "") if inner is not None else ""
    if not wid or not isinstance(wid, str) or "-" not in wid:
        return None
    return wid.rsplit("-", 1)[-1], wid


async def _read_run(ws, st: Student) -> None:
    """ForwardMsgs until a run finishes successfully (a run ended early for a rerun is followed by the next)."""
    while True:
        fm = ForwardMsg()
        fm.ParseFromString(await ws.recv())
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            st.widgets.clear()
            st.texts.clear()
            st.exceptions.clear()
            st.page_hash = fm.new_session.page_script_hash or st.page_hash
        elif kind == "page_info_changed":
            st.query = fm.page_info_changed.query_string   # the address the app wrote, as the browser keeps it
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            el = fm.delta.new_element
            which = el.WhichOneof("type")
            if which == "exception":
                st.exceptions.append(f"{el.exception.type}: {el.exception.message}"[:300])
            found = _widget_of(el)
            if found:
                st.widgets[found[0]] = el
            if which in ("markdown", "alert"):
                st.texts.append(el.SerializeToString())
        elif kind == "ref_hash":
            raise RuntimeError("the server sent a cached-message reference; this client caches nothing")
        elif kind == "script_finished":
            if fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
                return
            if fm.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                raise RuntimeError("the script did not compile")


def _rerun(st: Student, widget_states=()) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = st.query
    msg.rerun_script.page_name = PAGE
    if st.page_hash:
        msg.rerun_script.page_script_hash = st.page_hash
    for ws in widget_states:
        msg.rerun_script.widget_states.widgets.append(ws)
    return msg.SerializeToString()


def answer_states(st: Student, k: int, i: int):
    """The widget states a browser sends when student i picks an answer to step k and presses the send button."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    key = f"answer_{k}"
    el = st.widgets.get(key)
    if el is None:
        raise RuntimeError(f"no widget '{key}' on the page (the Lesson's question for step {k} is not drawn)")
    which = el.WhichOneof("type")
    w = WidgetState(id=_widget_of(el)[1])
    if which == "button_group":                     # st.segmented_control: the option's label on the wire
        options = [o.content for o in el.button_group.options]
        label = options[i % len(options)]
        w.string_array_value.data.append(label)
        st.sent = label
    elif which == "radio":
        options = list(el.radio.options)
        w.string_value = options[i % len(options)]
        st.sent = w.string_value
    elif which == "number_input":
        ni = el.number_input
        lo = ni.min if ni.has_min else 0.0
        hi = ni.max if ni.has_max else lo + 100.0
        x = lo + (hi - lo) * ((i % 10) + 0.5) / 10
        w.double_value = x
        st.sent = x
    else:
        raise RuntimeError(f"'{key}' is a {which}, which this client does not answer")
    states = [w]
    send = st.widgets.get("answer_send")
    if send is not None:
        states.append(WidgetState(id=_widget_of(send)[1], trigger_value=True))
    return states


async def one_student(ws_url: str, st: Student, k: int, i: int, all_joined: asyncio.Event, joined: list,
                      n: int, timeout: float, all_answered: asyncio.Event, answered: list) -> None:
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**27, open_timeout=timeout,
                                      ping_interval=None) as ws:
            t0 = time.perf_counter()
            await ws.send(_rerun(st))
            await asyncio.wait_for(_read_run(ws, st), timeout)
            st.join_s = time.perf_counter() - t0
            _arrive(joined, st, n, all_joined)
            await asyncio.wait_for(all_joined.wait(), timeout)
            states = answer_states(st, k, i)
            t1 = time.perf_counter()
            await ws.send(_rerun(st, states))
            await asyncio.wait_for(_read_run(ws, st), timeout)
            st.answered_at = time.perf_counter()
            st.answer_s = st.answered_at - t1
            st.status = "ok"
            _arrive(answered, st, n, all_answered)
            await asyncio.wait_for(all_answered.wait(), timeout)
            t2 = time.perf_counter()
            await ws.send(_rerun(st, [w for w in states if not w.HasField("trigger_value")]))
            await asyncio.wait_for(_read_run(ws, st), timeout)
            st.rerun_s = time.perf_counter() - t2
    except Exception as e:  # noqa: BLE001 - every failure is counted and shown
        st.status = f"failed: {type(e).__name__}: {e}"[:300]
        _arrive(joined, st, n, all_joined)     # a student who failed must not hold the others back
        _arrive(answered, st, n, all_answered)


def _arrive(seen: list, st: Student, n: int, everyone: asyncio.Event) -> None:
    if st not in seen:
        seen.append(st)
        if len(seen) == n:
            everyone.set()


class TallyWatcher:
    """Reads the store's tally as the teacher page does, every 50 ms from the moment the last answer's run
    finished (`go`, called from the clients' loop) until it counts every student or TALLY_WITHIN_S pass; in its own
    thread, so the clients' later reruns do not delay it."""

    def __init__(self, store: poll.Store, code: str, k: int, n: int, students: list[Student]):
        self.store, self.code, self.k, self.n, self.students = store, code, k, n, students
        self.tally, self.reached, self.errors = None, None, []
        self._go = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def go(self) -> None:
        self._go.set()

    def _run(self) -> None:
        if not self._go.wait(3600):
            return
        done = [st.answered_at for st in self.students if st.status == "ok"]
        last = max(done, default=time.perf_counter())
        while True:
            try:
                self.tally = self.store.tally(self.code, self.k)
            except poll.PollError as e:
                self.errors.append(str(e))
            now = time.perf_counter()
            if self.tally is not None and self.tally.answered >= self.n:
                self.reached = max(0.0, now - last)
                return
            if now - last > TALLY_WITHIN_S:
                return
            time.sleep(0.05)

    def join(self) -> None:
        self._go.set()
        self._thread.join(TALLY_WITHIN_S + 30)


async def _when(event: asyncio.Event, then) -> None:
    await event.wait()
    then()


async def class_at_once(ws_url: str, students: list[Student], k: int, timeout: float, on_answered=None) -> None:
    all_joined, all_answered = asyncio.Event(), asyncio.Event()
    if on_answered is not None:
        watcher = asyncio.ensure_future(_when(all_answered, on_answered))
    joined: list[Student] = []
    answered: list[Student] = []
    await asyncio.gather(*(one_student(ws_url, st, k, i, all_joined, joined, len(students), timeout,
                                       all_answered, answered)
                           for i, st in enumerate(students)))
    if on_answered is not None:
        all_answered.set()
        await watcher


def pct(xs: list[float], q: float) -> float:
    """The q-quantile by nearest rank: the ⌈q·n⌉-th smallest (q = 0.5 of 60: the 30th; 0.95 of 60: the 57th)."""
    xs = sorted(x for x in xs if x == x)
    if not xs:
        return float("nan")
    return xs[min(len(xs), max(1, math.ceil(q * len(xs) - 1e-9))) - 1]


def store_alone(url: str, n: int) -> dict:
    """n threads calling Store.answer at once into one fresh class (this process, no Streamlit)."""
    s = poll.Store(url)
    try:
        code = s.create_class().code
        barrier, times, errors = threading.Barrier(n), [], []

        def one(i: int) -> None:
            barrier.wait()
            t = time.perf_counter()
            try:
                s.answer(code, 1, f"alone{i:05d}", "a")
                times.append(time.perf_counter() - t)
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        return {"p50_s": pct(times, 0.5), "p95_s": pct(times, 0.95), "max_s": max(times, default=float("nan")),
                "rows": s.tally(code, 1).answered, "errors": errors}
    finally:
        s.dispose()


def run(db: str, url: str, n: int, k: int, timeout: float, app_dir: pathlib.Path = ROOT) -> dict:
    """One class of n students on a server (the app in `app_dir`) whose POLL_DB_URL is `url`."""
    store = poll.Store(url)
    cls = store.create_class()
    if k != 1:
        store.set_step(cls.code, k)
    students = [Student(sid=f"ld{i:08d}", query=f"class={cls.code}&step={k}&me=ld{i:08d}") for i in range(n)]
    load_start = load_average()
    server = Server(env={"POLL_DB_URL": url}, app_dir=app_dir)
    try:
        watcher = TallyWatcher(store, cls.code, k, n, students)
        run_coroutine(class_at_once(server.ws, students, k, timeout, on_answered=watcher.go))
        watcher.join()
        ok = [st for st in students if st.status == "ok"]
        tally, reached = store.tally(cls.code, k), watcher.reached
        for e in watcher.errors[:3]:
            print(f"tally: {e}", file=sys.stderr)
        stored_right = sum(1 for st in ok if _same(store.answer_of(cls.code, k, st.sid), st.sent))
        if tally is not None and tally.choices:   # choices: the labels sent, counted, against the keys stored
            sent = sorted(Counter(str(st.sent) for st in ok).values())
            if sorted(tally.choices.values()) != sent:
                stored_right = 0
    finally:
        server.stop()
        store.dispose()
    failures = [f"{st.sid}: {st.status}" for st in students if st.status != "ok"]
    exceptions = [f"{st.sid}: {e}" for st in students for e in st.exceptions]
    unavailable = [st.sid for st in students if any(UNAVAILABLE_WORDS in t for t in st.texts)]
    answers = [st.answer_s for st in ok]
    joins = [st.join_s for st in students if st.join_s == st.join_s]
    reruns = [st.rerun_s for st in ok if st.rerun_s == st.rerun_s]
    return {
        "db": db, "description": poll.describe(url), "students": n, "step": k, "code": cls.code,
        "rows": tally.answered if tally else None, "joined": tally.joined if tally else None,
        "stored_as_sent": stored_right, "tally_reached_s": reached,
        "answer_p50_s": pct(answers, 0.5), "answer_p95_s": pct(answers, 0.95),
        "answer_max_s": max(answers, default=float("nan")),
        "join_p50_s": pct(joins, 0.5), "join_p95_s": pct(joins, 0.95),
        "rerun_p50_s": pct(reruns, 0.5), "rerun_p95_s": pct(reruns, 0.95),
        "failures": failures, "exceptions": exceptions, "unavailable": unavailable,
        "load_start": load_start, "load_end": load_average(),
        "store_alone": store_alone(url, n),
    }


def _same(stored, sent) -> bool:
    """A number: the one sent. A choice: the client sent the option's label and the store keeps its key, so here
    only that one is stored; `run` compares the tally's counts per key with the counts of labels sent."""
    if isinstance(sent, float):
        return isinstance(stored, float) and abs(stored - sent) <= 1e-9 * max(1.0, abs(sent))
    return isinstance(stored, str)


def passed(r: dict) -> bool:
    n = r["students"]
    return (r["rows"] == n and r["tally_reached_s"] is not None and r["tally_reached_s"] <= TALLY_WITHIN_S
            and not r["failures"] and not r["exceptions"] and not r["unavailable"] and r["stored_as_sent"] == n)


def _s(x) -> str:
    return "—" if x is None or x != x else f"{x:.2f} s"


def section(r: dict, when: str, info: str, command: str) -> list[str]:
    a = r["store_alone"]
    verdict = "yes" if passed(r) else "NO"
    return [
        f"### {r['description'].split(' (')[0]}: {r['students']} students, step {r['step']}",
        "",
        f"Measured {when}; {info}. Command: `{command}`. Database: {r['description']}.",
        "",
        "| figure | value |", "| --- | --- |",
        f"| rows in the class (one per student) / students | {r['rows']} / {r['students']} |",
        f"| joined (members) | {r['joined']} |",
        f"| each student's stored answer is the one sent | {r['stored_as_sent']} of {r['students']} |",
        f"| tally counts everyone, after the last answer (within {TALLY_WITHIN_S:g} s?) | "
        f"{_s(r['tally_reached_s'])} ({'yes' if r['tally_reached_s'] is not None else 'no'}) |",
        f"| answer through the Lesson (send → page redrawn), p50 / p95 / max | {_s(r['answer_p50_s'])} / "
        f"{_s(r['answer_p95_s'])} / {_s(r['answer_max_s'])} |",
        f"| the same page rerun by everyone at once after answering (no answer sent), p50 / p95 | "
        f"{_s(r['rerun_p50_s'])} / {_s(r['rerun_p95_s'])} |",
        f"| joining (first page of the Lesson in the class, a fresh server), p50 / p95 | {_s(r['join_p50_s'])} / "
        f"{_s(r['join_p95_s'])} |",
        f"| the store alone: {r['students']} threads' Store.answer at once, p50 / p95 / max | "
        f"{_s(a['p50_s'])} / {_s(a['p95_s'])} / {_s(a['max_s'])} ({a['rows']} rows, {len(a['errors'])} errors) |",
        f"| failed sessions; exceptions on a page; 'unavailable' shown | {len(r['failures'])}; "
        f"{len(r['exceptions'])}; {len(r['unavailable'])} |",
        f"| load average at start / end | {r['load_start']} / {r['load_end']} |",
        f"| all checks passed | {verdict} |",
    ]


def write_results(db: str, text: list[str]) -> None:
    """This database's figures between its markers in RESULTS.md's class-poll section (made at the end if
    missing); every other section stays as it is."""
    begin, end = BEGIN.format(db=db), END.format(db=db)
    old = RESULTS.read_text() if RESULTS.exists() else ""
    block = "\n".join([begin, *text, end])
    if begin in old and end in old:
        new = old[:old.index(begin)] + block + old[old.index(end) + len(end):]
    elif HEADING in old:   # after the section's other blocks: up to the next section
        i = old.index(HEADING)
        j = old.find("\n## ", i + len(HEADING))
        j = len(old) if j < 0 else j
        new = old[:j].rstrip("\n") + "\n\n" + block + "\n" + old[j:]
    else:
        intro = (f"{HEADING}\n\n`python -m benchmarks.poll_load` (benchmarks/poll_load.py says how): students as "
                 "websocket sessions join one class on the Lesson and answer at once through its widgets; the "
                 "tally is read from the store as the teacher page reads it. An answer's latency is the "
                 "Lesson's whole rerun (the page and the step's chart, for every session at once on the shared "
                 "cores); the row 'the same page rerun' is that rerun without an answer, and 'the store alone' "
                 "the store's own part.")
        new = old.rstrip("\n") + "\n\n" + intro + "\n\n" + block + "\n"
    RESULTS.write_text(new)
    print(f"wrote {RESULTS.relative_to(ROOT)} ({db})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", nargs="*", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    ap.add_argument("--students", type=int, default=60)
    ap.add_argument("--step", type=int, default=1, help="the Lesson step whose question is answered")
    ap.add_argument("--pg-url", default=None, help="an existing Postgres instead of a throwaway cluster")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds one session's run may take")
    ap.add_argument("--commit", default=None,
                    help="serve this commit (git archive into a temp folder) instead of the working tree")
    ap.add_argument("--no-write", action="store_true", help="print only")
    ap.add_argument("--json", default=None, help="also write the raw figures to this file")
    args = ap.parse_args(argv)
    command = "python -m benchmarks.poll_load " + " ".join(argv if argv is not None else sys.argv[1:])
    when = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    info = machine()
    print(f"{info}; load average {load_average()}", flush=True)
    results, ok = [], True
    app_dir, exported = ROOT, None
    if args.commit:
        exported = tempfile.mkdtemp(prefix="poll-load-app-")
        rev = subprocess.run(["git", "rev-parse", "--short", args.commit], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", exported], input=archive, check=True)
        app_dir = pathlib.Path(exported)
        info += f"; the app at commit {rev}"
    try:
        ok = _each(args, app_dir, when, info, command, results)
    finally:
        if exported:
            shutil.rmtree(exported, ignore_errors=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0 if ok else 1


def _each(args, app_dir: pathlib.Path, when: str, info: str, command: str, results: list) -> bool:
    ok = True
    for db in args.db:
        tmp, cluster = None, None
        try:
            if db == "sqlite":
                tmp = tempfile.mkdtemp(prefix="poll-load-")
                url = f"sqlite:///{tmp}/poll.sqlite3"
            elif args.pg_url:
                url = args.pg_url
            else:
                from deploy import postgres
                cluster = postgres.start()
                url = cluster.url
            r = run(db, url, args.students, args.step, args.timeout, app_dir)
        finally:
            if cluster is not None:
                cluster.stop()
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
        results.append(r)
        ok &= passed(r)
        text = section(r, when, info, command.strip())
        print("\n".join(text), flush=True)
        for line in (r["failures"] + r["exceptions"])[:5]:
            print("  ", line)
        if args.no_write:
            continue
        if math.isnan(r["answer_p50_s"]):    # every session failed before answering: no figure to keep
            print(f"not written ({db}): no student could answer, so there is nothing to record", flush=True)
        else:
            write_results(db, text)
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
