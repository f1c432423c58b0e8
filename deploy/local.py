"""The container topology without containers: Postgres, N Streamlit replicas and HAProxy with cookie affinity
in front of them, on this machine, by one command.

    python -m deploy.local --replicas 3 --port 8600            # then open http://127.0.0.1:8600
    python -m deploy.local --replicas 3 --address 0.0.0.0      # let the room in (the proxy only; replicas stay local)
    python -m deploy.local --db-url postgresql+psycopg://…     # an existing database instead of a throwaway one

What it starts, in order (each waits until the one before answers):
1. Postgres from Debian's package (deploy/postgres.py: a throwaway cluster in a temporary folder, on a free
   port, 127.0.0.1 only), unless --db-url names a database; the poll's tables are made once, before any
   replica starts.
2. N `streamlit run app.py` processes on free ports of 127.0.0.1, each with POLL_DB_URL, the one cookie
   secret and deploy/settings.py's environment, each checked on /_stcore/health.
3. HAProxy (Debian's package) on --address:--port, configured by deploy/haproxy.py from deploy/settings.py:
   the affinity cookie, the timeouts and the health checks the Compose file's proxy has.

Ctrl-C or SIGTERM stops all of it: the proxy, the replicas (SIGTERM, then SIGKILL after 10 s, each in its own
process group) and Postgres; the replicas and the proxy also get SIGTERM from the kernel if this launcher
itself is killed (PR_SET_PDEATHSIG). A replica that dies is reported and not restarted: the proxy sends its
students to the others, as a crashed container's would be until its orchestrator restarts it.

--state FILE writes what runs (the proxy's address, each replica's name, port and process id, the database
URL) as JSON once everything answers; tests/deploy/test_topology.py reads it.
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import pathlib
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass

from deploy import haproxy
from deploy import settings as S

ROOT = pathlib.Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 180.0  # a replica's first answer on /_stcore/health (two busy cores: tens of seconds)


class LaunchError(RuntimeError):
    """Something the launcher needs is missing or did not start; the message says what."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(url + S.HEALTH_PATH, timeout=timeout) as r:
            return r.read().decode().strip() == S.HEALTH_BODY
    except OSError:
        return False


def _die_with_parent() -> None:
    """In the child, before exec: its own process group, and SIGTERM when the launcher dies (Linux)."""
    os.setsid()
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def _stop_process(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM to the process's group, SIGKILL after `grace` seconds; waits for it."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)


@dataclass
class Replica:
    name: str
    port: int
    proc: subprocess.Popen
    log: pathlib.Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid


class Topology:
    """Postgres + N replicas + HAProxy. `start()` brings them up (and everything down again if a step
    fails); `stop()` takes them down, whatever state they are in. Also a context manager."""

    def __init__(self, replicas: int = 3, port: int = S.PROXY_PORT, address: str = "127.0.0.1",
                 db_url: str | None = None, entry: str = S.ENTRY, app_dir: pathlib.Path = ROOT,
                 stats_port: int | None = None, keep: bool = False, log=print):
        if replicas < 1:
            raise LaunchError(f"--replicas must be at least 1, got {replicas}")
        if not 1 <= port <= 65535:
            raise LaunchError(f"--port must be a TCP port (1-65535), got {port}")
        self.n, self.port, self.address = replicas, port, address
        self.db_url, self.entry, self.app_dir = db_url, entry, pathlib.Path(app_dir)
        self.stats_port, self.keep, self.log = stats_port, keep, log
        self.rundir: pathlib.Path | None = None
        self.pg = None  # deploy.postgres's handle, when this launcher started the database
        self.replicas: list[Replica] = []
        self.proxy: subprocess.Popen | None = None
        self._logs: list = []

    # -- the pieces ---------------------------------------------------------------------------------------

    def _database(self) -> str:
        if self.db_url:
            return self.db_url
        try:
            from deploy import postgres
        except ImportError as e:
            raise LaunchError(f"no deploy/postgres.py to start Postgres with ({e}); pass --db-url") from None
        try:
            self.pg = postgres.start()  # its own temp folder, removed by its stop()
        except postgres.PostgresUnavailable as e:
            raise LaunchError(f"Postgres did not start: {e}") from None
        return self.pg.url

    def _make_tables(self, url: str) -> None:
        """The poll's tables, made once here rather than by N replicas racing on their first class."""
        try:
            from poll import Store
        except ImportError:
            return  # no poll package in this checkout: the replicas have nothing to store either
        store = Store(url)
        try:
            store.get_class("2222")  # the first call makes the tables and checks the schema's version
        except Exception as e:  # noqa: BLE001 - said plainly, before any replica starts
            raise LaunchError(f"the poll's database at {_describe(url)} is not usable: {e}") from None
        finally:
            store.dispose()

    def _start_replica(self, name: str, env: dict[str, str]) -> Replica:
        port = free_port()
        log_path = self.rundir / f"{name}.log"
        log = open(log_path, "w")
        self._logs.append(log)
        cmd = [sys.executable, "-m", "streamlit", "run", self.entry, *S.server_flags(port, "127.0.0.1")]
        proc = subprocess.Popen(cmd, cwd=self.app_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        return Replica(name, port, proc, log_path)

    def _wait_healthy(self, replicas: list[Replica]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        waiting = list(replicas)
        while waiting:
            for r in list(waiting):
                if r.proc.poll() is not None:
                    tail = r.log.read_text(errors="replace")[-2000:]
                    raise LaunchError(f"replica {r.name} exited with status {r.proc.returncode}:\n{tail}")
                if healthy(r.url):
                    waiting.remove(r)
            if waiting and time.monotonic() > deadline:
                raise LaunchError(f"{', '.join(r.name for r in waiting)} did not answer {S.HEALTH_PATH} "
                                  f"within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.3)

    def _start_proxy(self) -> None:
        exe = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
        if not exe:
            raise LaunchError("HAProxy is not installed: apt-get install -y haproxy")
        stats = f"127.0.0.1:{self.stats_port}" if self.stats_port else None
        cfg = haproxy.render([haproxy.Server(r.name, "127.0.0.1", r.port) for r in self.replicas],
                             f"{self.address}:{self.port}", stats=stats)
        path = self.rundir / "haproxy.cfg"
        path.write_text(cfg)
        check = subprocess.run([exe, "-c", "-q", "-f", str(path)], capture_output=True, text=True)
        if check.returncode:
            raise LaunchError(f"HAProxy refused its configuration:\n{check.stdout}{check.stderr}")
        log = open(self.rundir / "haproxy.log", "w")
        self._logs.append(log)
        self.proxy = subprocess.Popen([exe, "-db", "-f", str(path)], stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 30
        while not healthy(self.url):
            if self.proxy.poll() is not None:
                raise LaunchError(f"HAProxy exited with status {self.proxy.returncode}: "
                                  f"{(self.rundir / 'haproxy.log').read_text()[-2000:]}"
                                  + (f" (is port {self.port} taken?)" if self.proxy.returncode else ""))
            if time.monotonic() > deadline:
                raise LaunchError(f"HAProxy did not answer on {self.url} within 30 s")
            time.sleep(0.2)

    # -- the whole ----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "*", "") else self.address
        return f"http://{host}:{self.port}"

    def start(self) -> "Topology":
        self.rundir = pathlib.Path(tempfile.mkdtemp(prefix="deploy-local-"))
        try:
            t0 = time.monotonic()
            url = self._database()
            self._make_tables(url)
            self.log(f"database: {_describe(url)}")
            env = {**os.environ, **S.ENV, S.DB_ENV: url, S.COOKIE_SECRET_ENV: secrets.token_hex(32)}
            self.replicas = [self._start_replica(n, env) for n in S.replica_names(self.n)]
            self._wait_healthy(self.replicas)
            for r in self.replicas:
                self.log(f"replica {r.name}: 127.0.0.1:{r.port} (pid {r.pid})")
            self._start_proxy()
            self.log(f"serving {self.url} through HAProxy (pid {self.proxy.pid}), {self.n} replicas, "
                     f"affinity cookie {S.AFFINITY_COOKIE}; up in {time.monotonic() - t0:.0f} s; "
                     f"logs in {self.rundir}")
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proxy is not None:
            _stop_process(self.proxy)
        for r in self.replicas:  # all at once, then wait for each
            if r.proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(r.pid, signal.SIGTERM)
        for r in self.replicas:
            _stop_process(r.proc)
        if self.pg is not None:
            with contextlib.suppress(Exception):
                self.pg.stop()
            self.pg = None
        for f in self._logs:
            f.close()
        self._logs.clear()
        if self.rundir is not None and not self.keep:
            shutil.rmtree(self.rundir, ignore_errors=True)

    def state(self) -> dict:
        return {"url": self.url, "launcher_pid": os.getpid(),
                "proxy_pid": self.proxy.pid if self.proxy else None,
                "db_url": self.pg.url if self.pg is not None else self.db_url,
                "db_pid": _postmaster_pid(self.pg),
                "cookie": S.AFFINITY_COOKIE, "rundir": str(self.rundir),
                "replicas": [{"name": r.name, "port": r.port, "pid": r.pid} for r in self.replicas]}

    def __enter__(self) -> "Topology":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _describe(url: str) -> str:
    try:
        from poll.config import describe

        return describe(url)
    except ImportError:
        return url.split("@")[-1]


def _postmaster_pid(pg) -> int | None:
    """Postgres's main process (postmaster.pid's first line), so that a caller can see it is gone."""
    datadir = getattr(pg, "data", None)
    try:
        return int(pathlib.Path(datadir, "postmaster.pid").read_text().split()[0]) if datadir else None
    except (OSError, ValueError, IndexError):
        return None


class _Stop(Exception):
    pass


def _on_signal(signum, _frame):
    raise _Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deploy.local", description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=3, help="Streamlit processes behind the proxy (default 3)")
    ap.add_argument("--port", type=int, default=S.PROXY_PORT, help="the proxy's port (default %(default)s)")
    ap.add_argument("--address", default="127.0.0.1",
                    help="the proxy's address (default %(default)s; 0.0.0.0 lets other machines in)")
    ap.add_argument("--db-url", default=None, help="use this database instead of a throwaway Postgres")
    ap.add_argument("--entry", default=S.ENTRY, help="the script each replica runs (default %(default)s)")
    ap.add_argument("--stats-port", type=int, default=None, help="HAProxy's status page on 127.0.0.1:PORT")
    ap.add_argument("--state", default=None, help="write what runs (JSON) to this file once it all answers")
    ap.add_argument("--keep", action="store_true", help="keep the logs and the database folder at the end")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    topo = Topology(args.replicas, args.port, args.address, args.db_url, args.entry,
                    stats_port=args.stats_port, keep=args.keep, log=lambda m: print(m, flush=True))
    try:
        topo.start()
        if args.state:
            tmp = pathlib.Path(args.state + ".tmp")
            tmp.write_text(json.dumps(topo.state(), indent=1))
            tmp.replace(args.state)
        print("Ctrl-C stops everything.", flush=True)
        gone: set[str] = set()
        while True:
            for r in topo.replicas:
                if r.name not in gone and r.proc.poll() is not None:
                    gone.add(r.name)
                    print(f"replica {r.name} exited (status {r.proc.returncode}); the proxy sends its sessions "
                          f"to the {topo.n - len(gone)} others", flush=True)
            if topo.proxy.poll() is not None:
                print(f"HAProxy exited (status {topo.proxy.returncode}); stopping", flush=True)
                return 1
            if len(gone) == topo.n:
                print("every replica has exited; stopping", flush=True)
                return 1
            time.sleep(0.5)
    except _Stop as e:
        print(f"{e}: stopping the proxy, the replicas and the database", flush=True)
        return 0
    except LaunchError as e:
        print(f"deploy.local: {e}", file=sys.stderr, flush=True)
        return 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the cleanup short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        topo.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
