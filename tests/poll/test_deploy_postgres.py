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


def test_a_killed_owner_does_not_block_the_next_start():
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
        assert listening(orphan_port)              # the orphan still runs ...
        with postgres.start() as pg:               # ... and the next start is not blocked by it
            assert pg.port != orphan_port and pg.folder != orphan_folder
            with psycopg.connect(pg.dsn) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        if owner.poll() is None:
            owner.kill()
        if orphan_folder is not None:              # stop the orphan this test made
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
