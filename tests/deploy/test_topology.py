"""The local topology under a class (marker `topology`; CI runs it): `python -m deploy.local --replicas 3`
(Postgres, three `streamlit run app.py`, HAProxy with cookie affinity), then deploy.drill's class of 90 through
the proxy (websocket clients as benchmarks/load.py makes them, keeping the proxy's cookie):

- every session is served, and each stays on one replica: every HTTP response and the socket's upgrade came
  from the replica its cookie names (HAProxy's X-Replica header, set from the server that answered);
- every student answers the Lesson's first question (ui/session/predict.py's widgets); the store holds 90 answers and
  a teacher page pinned to each replica by the cookie reads Answered 90 — whichever replica serves the teacher;
- one replica is killed (SIGKILL) mid-class: its students' sockets close, they reconnect through the proxy to a
  live replica (a new cookie), keep their anonymous id (their address), see their answer (the chart shows
  without answering again) and press Answer again; the store and the teacher still read 90: no answer lost,
  none counted twice; the other students' sockets stayed open;
- SIGTERM (and SIGINT) to the launcher stops the proxy, every replica and Postgres: `ps` finds none after.

Needs Debian's haproxy and postgresql (.ci/run installs them); skipped, saying so, without them.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from benchmarks.load import run_coroutine
from deploy import settings as S

ROOT = pathlib.Path(__file__).resolve().parents[2]
SESSIONS = 90
pytestmark = pytest.mark.topology


def _need_binaries() -> None:
    if not (shutil.which("haproxy") or os.path.exists("/usr/sbin/haproxy")):
        pytest.skip("HAProxy is not installed (apt-get install -y haproxy): the topology cannot start")
    try:
        from deploy.postgres import PostgresUnavailable, find_bin_dir
    except ImportError:
        pytest.skip("no deploy/postgres.py")
    try:
        find_bin_dir()
    except PostgresUnavailable as e:
        pytest.skip(str(e))


def _alive(pids: list[int]) -> list[str]:
    """`ps` lines of those pids still running (zombies count as gone)."""
    r = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-p", ",".join(map(str, pids))], capture_output=True,
                       text=True)
    return [ln for ln in r.stdout.splitlines() if ln.split() and ln.split()[1][0] != "Z"]


class Launcher:
    """`python -m deploy.local` as a separate process, as an administrator starts it; its --state file."""

    def __init__(self, tmp: pathlib.Path, replicas: int):
        from deploy.local import free_port

        self.state_file = tmp / "state.json"
        self.log_path = tmp / "launcher.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "deploy.local", "--replicas", str(replicas), "--port", str(free_port()),
             "--state", str(self.state_file)], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 300
        while not self.state_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"deploy.local did not come up:\n{self.output()}")
            time.sleep(0.5)
        self.state = json.loads(self.state_file.read_text())

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def pids(self) -> list[int]:
        s = self.state
        return [self.proc.pid, s["proxy_pid"], *(r["pid"] for r in s["replicas"])] + \
            ([s["db_pid"]] if s.get("db_pid") else [])

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log.close()
        return self.proc.returncode


def test_a_class_of_90_through_the_proxy_and_a_replica_killed_mid_class(tmp_path):
    _need_binaries()
    from deploy import drill

    t0 = time.monotonic()
    launcher = Launcher(tmp_path, replicas=3)
    try:
        st = launcher.state
        names = [r["name"] for r in st["replicas"]]
        pids = {r["name"]: r["pid"] for r in st["replicas"]}
        out = run_coroutine(drill.drill(st["url"], st["db_url"], SESSIONS, names,
                                      kill=lambda name: os.kill(pids[name], signal.SIGKILL), timeout=150,
                                      log=lambda m: print(m, flush=True)))
    finally:
        code = launcher.stop()
    print(json.dumps({k: v for k, v in out.items() if k not in ("page_s", "students", "reconnect_s")},
                     default=str)[:3000])
    took = time.monotonic() - t0

    # every session served, each on one replica, spread over all three
    assert out["failed"] == [], out["failed"][:3]
    assert out["exceptions"] == []
    assert out["unsticky"] == [], f"sessions served by another replica than their cookie's: {out['unsticky'][:3]}"
    assert all(n > 0 for n in out["per_replica"].values()), out["per_replica"]
    assert sum(out["per_replica"].values()) == SESSIONS
    # every student answered; the store and the teacher on every replica say 90
    assert out.get("has_question") == SESSIONS, out.get("missing")
    assert out["answer_failed"] == [], out["answer_failed"][:3]
    assert out["stored"] == SESSIONS
    assert out["tally"] == {"joined": SESSIONS, "answered": SESSIONS}
    for t in out["teacher"]:
        assert t["served_by"] == [t["replica"]], t
        assert (t["joined"], t["answered"]) == (str(SESSIONS), str(SESSIONS)), t
    # a replica killed: its students reconnect elsewhere, keep their answers, counted once
    victim, moved = out["killed"], out["killed_sessions"]
    assert moved > 0 and out["closed_after_kill"] == moved
    assert out["reconnect_failed"] == [], out["reconnect_failed"][:3]
    assert len(out["reconnect_s"]) == moved
    assert out["moved_to"][victim] == 0 and sum(out["moved_to"].values()) == moved
    assert out["unsticky_after"] == []
    assert out["others_closed"] == 0, "the students of the live replicas kept their sockets"
    assert out["same_student"] == SESSIONS, "a reconnected student keeps the anonymous id in their address"
    assert out["chart_back"] == moved, "a reconnected student sees the chart: their answer came from Postgres"
    assert out["answers_kept"] == SESSIONS
    assert out["tally_after"] == {"joined": SESSIONS, "answered": SESSIONS}
    for t in out["teacher_after"]:
        assert t["served_by"] == [t["replica"]] and t["replica"] != victim, t
        assert (t["joined"], t["answered"]) == (str(SESSIONS), str(SESSIONS)), t
    # and the launcher stopped everything it started
    assert code == 0, launcher.output()
    assert _alive(launcher.pids()) == [], "left running after SIGTERM"
    print(f"topology test: {took:.0f} s")


def test_ctrl_c_stops_everything_and_the_proxy_sets_its_cookie(tmp_path):
    _need_binaries()
    launcher = Launcher(tmp_path, replicas=1)
    try:
        url = launcher.state["url"]
        with urllib.request.urlopen(url + S.HEALTH_PATH, timeout=10) as r:
            assert r.read().decode() == S.HEALTH_BODY
            cookies = r.headers.get_all("Set-Cookie") or []
            assert any(c.startswith(f"{S.AFFINITY_COOKIE}=app1;") for c in cookies), cookies
            assert r.headers.get(S.REPLICA_HEADER) == "app1"
        pids = launcher.pids()
        assert len(_alive(pids)) == len(pids), "everything the state file names is running"
    finally:
        code = launcher.stop(signal.SIGINT)
    assert code == 0, launcher.output()
    assert _alive(pids) == [], "left running after Ctrl-C"
