"""A throwaway Postgres cluster from Debian's binaries, for the class poll's tests and local runs.

    from deploy import postgres
    pg = postgres.start()            # initdb into a fresh temp folder, pg_ctl -w start on a free port
    pg.url                           # "postgresql+psycopg://postgres@127.0.0.1:<port>/poll"
    pg.stop()                        # pg_ctl stop (fast), and the temp folder removed

or `with postgres.start() as pg: ...`, or `python -m deploy.postgres [--port N] [--data DIR]` to keep one running
in a terminal (it prints the URL for POLL_DB_URL and stops on Ctrl-C).

The binaries come from /usr/lib/postgresql/<version>/bin (Debian's `postgresql` package; the newest version is
taken), else from PATH. Postgres refuses to run as root: when this process is root, initdb and pg_ctl run as the
`postgres` user (`runuser -u postgres --`) and the data folder is handed to that user; otherwise they run as the
current user. The server listens on 127.0.0.1 only, with trust authentication (a local, throwaway cluster: never
expose it), and its unix socket in its own folder, so no system folder is needed.

A killed owner leaves no server behind: start() also starts a small watchdog process (this file, run with
--watchdog) that stops the cluster and removes its temp folder once the process that started it is gone, however it
ended (SIGKILL included); stop() ends the watchdog first. And nothing blocks the next start meanwhile: every start
uses a fresh temp folder and a free port (a port taken between the probe and the start is retried on another).
"""
from __future__ import annotations

import argparse
import glob
import os
import pathlib
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SUPERUSER = "postgres"       # the cluster's superuser name (initdb -U), whoever runs the server
DATABASE = "poll"            # made after the start, so the URL names a database of its own
RUN_AS_WHEN_ROOT = "postgres"
WATCHDOG_S = 0.5             # how often the watchdog looks whether the owner is still there


class PostgresUnavailable(RuntimeError):
    """No Postgres binaries, or the cluster did not start; the message says which, and the log's tail."""


def find_bin_dir() -> pathlib.Path:
    """The folder with initdb and pg_ctl: Debian's newest /usr/lib/postgresql/*/bin, else PATH's."""
    found = []
    for d in glob.glob("/usr/lib/postgresql/*/bin"):
        p = pathlib.Path(d)
        if (p / "initdb").exists() and (p / "pg_ctl").exists():
            try:
                found.append((float(p.parent.name), p))
            except ValueError:
                found.append((0.0, p))
    if found:
        return max(found)[1]
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return pathlib.Path(on_path).resolve().parent
    raise PostgresUnavailable(
        "no Postgres binaries: neither /usr/lib/postgresql/*/bin nor PATH has initdb and pg_ctl "
        "(install Debian's package: apt-get install -y postgresql)")


def free_port() -> int:
    """A port nobody listens on at this moment (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> str | None:
    """The user to run the server as: `postgres` when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(RUN_AS_WHEN_ROOT)
    except KeyError as e:
        raise PostgresUnavailable(
            f"running as root and there is no '{RUN_AS_WHEN_ROOT}' user to run Postgres as "
            "(Postgres refuses root; Debian's postgresql package makes that user)") from e
    return RUN_AS_WHEN_ROOT


def _command(args: list[str], user: str | None) -> list[str]:
    if user is None:
        return args
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", user, "--", *args]


def _chown_tree(path: pathlib.Path, user: str) -> None:
    pw = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, pw.pw_uid, pw.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), pw.pw_uid, pw.pw_gid)


def _check_reachable(path: pathlib.Path, user: str) -> None:
    """The server's user must be able to enter every folder above its data (o+x); say so plainly if not."""
    r = subprocess.run(_command(["test", "-w", str(path)], user), capture_output=True)
    if r.returncode != 0:
        raise PostgresUnavailable(
            f"the '{user}' user cannot write {path}: every folder above it needs o+x (e.g. chmod o+x on a "
            "mktemp -d folder), or leave the folder out to use a fresh temp folder")


def _tail(path: pathlib.Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


class Cluster:
    """A running cluster: .url (SQLAlchemy, psycopg 3), .dsn (libpq), .port, .folder; .stop() ends it."""

    def __init__(self, *, folder: pathlib.Path, port: int, bin_dir: pathlib.Path, user: str | None,
                 owns_folder: bool, database: str):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = port
        self.bin_dir = bin_dir
        self.user = user
        self.owns_folder = owns_folder
        self.database = database
        self.url = f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"
        self.dsn = f"host=127.0.0.1 port={port} user={SUPERUSER} dbname={database}"
        self._stopped = False
        self._watchdog: subprocess.Popen | None = None

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Cluster(url={self.url!r}, folder={str(self.folder)!r})"

    def running(self) -> bool:
        r = subprocess.run(_command([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "status"], self.user),
                           capture_output=True, text=True)
        return r.returncode == 0

    def stop(self, timeout: float = 30) -> None:
        """pg_ctl stop -m fast (waits); the temp folder is removed when start() made it. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self._watchdog is not None:            # the owner stops it: the watchdog has nothing left to do
            self._watchdog.terminate()
            try:
                self._watchdog.wait(10)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()
        if self.data.exists():
            r = subprocess.run(_command([str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w",
                                         "-t", str(int(timeout)), "stop"], self.user),
                               capture_output=True, text=True)
            if r.returncode != 0 and self.running():
                # the fast stop did not finish: the postmaster's pid is the first line of postmaster.pid
                try:
                    pid = int((self.data / "postmaster.pid").read_text().split()[0])
                    os.kill(pid, signal.SIGQUIT)
                except (OSError, ValueError, IndexError):
                    pass
        if self.owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)


def start(*, port: int | None = None, folder: str | os.PathLike | None = None, database: str = DATABASE,
          timeout: float = 60, tries: int = 3) -> Cluster:
    """Start a cluster and return its handle; PostgresUnavailable (with the log's tail) when it cannot.

    port: None picks a free one (retried on another if it is taken meanwhile); a given port is tried once.
    folder: None makes a fresh temp folder, removed on stop(); a given folder keeps its data across runs
    (initdb only when it has no cluster yet) and is never removed.
    """
    bin_dir = find_bin_dir()
    user = _run_as()
    owns = folder is None
    if owns:
        base = pathlib.Path(tempfile.mkdtemp(prefix="poll-pg-"))
    else:
        base = pathlib.Path(folder).resolve()
        base.mkdir(parents=True, exist_ok=True)
    data = base / "data"
    try:
        if not (data / "PG_VERSION").exists():
            data.mkdir(exist_ok=True)
            if user is not None:
                os.chmod(base, 0o755)
                _chown_tree(base, user)
                _check_reachable(base, user)
            os.chmod(data, 0o700)
            r = subprocess.run(
                _command([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                          "-E", "UTF8", "--no-locale", "--no-sync"], user),
                capture_output=True, text=True, timeout=timeout)
            if r.returncode != 0:
                said = (r.stderr or r.stdout).strip()[-800:]
                raise PostgresUnavailable(f"initdb failed (exit {r.returncode}): {said}")
        elif user is not None:
            _chown_tree(base, user)
        log = base / "postgres.log"
        last = ""
        for attempt in range(1 if port is not None else max(1, tries)):
            p = port if port is not None else free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {p} -c unix_socket_directories='{base}' "
                       f"-c fsync=off -c max_connections=200")
            r = subprocess.run(
                _command([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", str(int(timeout)),
                          "-o", options, "start"], user),
                capture_output=True, text=True, timeout=timeout + 10)
            if r.returncode == 0:
                cluster = Cluster(folder=base, port=p, bin_dir=bin_dir, user=user, owns_folder=owns,
                                  database=database)
                cluster._watchdog = _start_watchdog(cluster)
                try:
                    _ensure_database(p, database)
                except Exception as e:  # noqa: BLE001 - the server is up but unusable: stop it, say why
                    cluster.stop()
                    raise PostgresUnavailable(
                        f"Postgres started on port {p} but '{database}' could not be made: {e}") from e
                return cluster
            last = f"pg_ctl start failed on port {p} (exit {r.returncode}): {(r.stderr or r.stdout).strip()[-400:]}\n" \
                   f"log tail:\n{_tail(log)}"
            # a half-started server may still hold the folder: make sure it is down before the next try
            subprocess.run(_command([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user),
                           capture_output=True, text=True)
        raise PostgresUnavailable(last)
    except BaseException:
        if owns:
            shutil.rmtree(base, ignore_errors=True)
        raise


def _ensure_database(port: int, database: str) -> None:
    """CREATE DATABASE <database> unless it exists (psycopg 3, autocommit: CREATE DATABASE refuses a transaction)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", autocommit=True,
                         connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def _start_watchdog(cluster: Cluster) -> subprocess.Popen:
    """This file as its own process, in its own session (a Ctrl-C to the owner's group does not reach it), with
    nothing of the owner's open: it stops the cluster once its parent, the owner, is gone."""
    return subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "--watchdog", str(os.getpid()), str(cluster.folder),
         str(cluster.bin_dir), cluster.user or "", "1" if cluster.owns_folder else "0"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True, close_fds=True)


def _watchdog(owner: int, folder: str, bin_dir: str, user: str, remove: str) -> int:
    """Wait while the owner lives (it is our parent: once it is gone, our parent changes); then stop its cluster
    (fast) and remove its temp folder. SIGTERM (the owner's stop()) ends the wait with nothing done."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while os.getppid() == owner:
        time.sleep(WATCHDOG_S)
    data = os.path.join(folder, "data")
    if os.path.exists(os.path.join(data, "postmaster.pid")):
        subprocess.run(_command([os.path.join(bin_dir, "pg_ctl"), "-D", data, "-m", "fast", "-w", "-t", "20",
                                 "stop"], user or None), capture_output=True)
    if remove == "1":
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _interrupt(*_) -> None:
    """SIGTERM ends `python -m deploy.postgres` as Ctrl-C does (the cluster is stopped on the way out)."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run a local Postgres for the class poll until Ctrl-C.")
    ap.add_argument("--port", type=int, default=None, help="port on 127.0.0.1 (default: a free one)")
    ap.add_argument("--data", default=None, help="folder to keep the cluster in (default: a temp folder, removed)")
    args = ap.parse_args(argv)
    try:
        cluster = start(port=args.port, folder=args.data)
    except PostgresUnavailable as e:
        print(f"Postgres did not start: {e}", file=sys.stderr)
        return 1
    print(f"POLL_DB_URL={cluster.url}", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--watchdog"]:
        raise SystemExit(_watchdog(int(sys.argv[2]), *sys.argv[3:7]))
    raise SystemExit(main())
