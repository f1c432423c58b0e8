"""deploy/postgres.py: a throwaway cluster starts, answers, stops and leaves nothing; a killed owner blocks no next
start; a kept folder keeps its data; no binaries or a taken port is a plain PostgresUnavailable."""
from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import psycopg
import pytest

from deploy import postgres

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def binaries():
    try:
        postgres.find_bin_dir()
    except postgres.PostgresUnavailable as e:
        pytest.skip(str(e))


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_start_answers_and_stop_leaves_nothing():
    pg = postgres.start()
    try:
        assert pg.url == f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/poll"
        with psycopg.connect(pg.dsn) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("poll",)
        assert listening(pg.port) and pg.running()
    finally:
        pg.stop()
    assert not listening(pg.port)
    assert not pg.folder.exists()
    pg.stop()                                      # twice is harmless
    assert pg._watchdog.poll() is not None         # its watchdog ended with it


def test_an_owner_that_exits_without_stop_leaves_no_server():
    code = "from deploy import postgres; pg = postgres.start(); print(pg.folder, pg.port, flush=True)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    folder, port = pathlib.Path(out.stdout.split()[0]), int(out.stdout.split()[1])
    deadline = time.monotonic() + 30
    while (listening(port) or folder.exists()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not listening(port) and not folder.exists()


def test_a_killed_owner_leaves_no_server_and_blocks_no_next_start():
    code = ("import time; from deploy import postgres; pg = postgres.start(); "
            "print(pg.folder, pg.port, flush=True); time.sleep(120)")
    owner = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    orphan_folder = None
    try:
        line = owner.stdout.readline().split()
        assert line, "the owner did not start its cluster"
        orphan_folder, orphan_port = pathlib.Path(line[0]), int(line[1])
        owner.send_signal(signal.SIGKILL)          # no chance to stop its cluster
        owner.wait(10)
        with postgres.start() as pg:               # the next start is not blocked, whether or not it still runs
            assert pg.port != orphan_port and pg.folder != orphan_folder
            with psycopg.connect(pg.dsn) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
        deadline = time.monotonic() + 30           # and the owner's watchdog stops it and removes its folder
        while (listening(orphan_port) or orphan_folder.exists()) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not listening(orphan_port), "the killed owner's cluster still runs"
        assert not orphan_folder.exists()
    finally:
        if owner.poll() is None:
            owner.kill()
        if orphan_folder is not None and orphan_folder.exists():   # stop the orphan this test made, if still there
            postgres.Cluster(folder=orphan_folder, port=0, bin_dir=postgres.find_bin_dir(),
                             user=postgres._run_as(), owns_folder=True, database="poll").stop()


def test_a_kept_folder_keeps_its_data_across_restarts():
    base = pathlib.Path(tempfile.mkdtemp(prefix="poll-pg-test-"))
    base.chmod(0o755)                             # the postgres user must reach it when we are root
    try:
        with postgres.start(folder=base / "pg") as pg:
            with psycopg.connect(pg.dsn, autocommit=True) as conn:
                conn.execute("CREATE TABLE kept (x int)")
                conn.execute("INSERT INTO kept VALUES (7)")
        assert (base / "pg" / "data" / "PG_VERSION").exists()
        with postgres.start(folder=base / "pg") as pg:
            with psycopg.connect(pg.dsn) as conn:
                assert conn.execute("SELECT x FROM kept").fetchone() == (7,)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_taken_port_is_a_plain_error_with_the_log():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(postgres.PostgresUnavailable) as e:
            postgres.start(port=port, timeout=20)
    assert f"port {port}" in str(e.value)
    assert "could not" in str(e.value).lower()     # the server's own words from the log's tail


def test_no_binaries_says_what_to_install(monkeypatch):
    monkeypatch.setattr(postgres.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(postgres.shutil, "which", lambda name: None)
    with pytest.raises(postgres.PostgresUnavailable) as e:
        postgres.start()
    assert "apt-get install -y postgresql" in str(e.value)


@pytest.mark.skipif(os.geteuid() != 0, reason="the root case only")
def test_as_root_the_server_runs_as_the_postgres_user():
    with postgres.start() as pg:
        pid = int((pg.data / "postmaster.pid").read_text().split()[0])
        assert pathlib.Path(f"/proc/{pid}").stat().st_uid == __import__("pwd").getpwnam("postgres").pw_uid
