"""The store under faults and load, on SQLite and Postgres: a database locked past the timeout or unreachable is
PollUnavailable with a plain message; another schema version is refused naming both; 60 students answering at
once into one class give 60 rows and a tally of 60 with no error; a reveal racing answers lets none in after it."""
from __future__ import annotations

import pathlib
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pytest
import sqlalchemy as sa

import poll
from deploy import postgres
from poll.store import answers, members, questions, schema_version

STUDENTS = 60


def sid(i: int) -> str:
    return f"st{i:08d}"


def assert_plain(e: poll.PollUnavailable) -> None:
    text = str(e)
    assert text == poll.store.UNAVAILABLE
    for raw in ("Traceback", "sqlite3", "psycopg", "OperationalError", "(Background on this error"):
        assert raw not in text


# ---- locked or unreachable ------------------------------------------------------------------------------------------

def test_sqlite_locked_past_the_timeout_is_unavailable_and_reads_go_on(tmp_path, clock):
    url = f"sqlite:///{tmp_path}/poll.sqlite3"
    s = poll.Store(url, clock=clock, timeout=0.3)
    try:
        c = s.create_class()
        s.answer(c.code, 1, sid(1), "a")
        other = sqlite3.connect(tmp_path / "poll.sqlite3", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")          # another writer holds the write lock
        try:
            t0 = time.perf_counter()
            with pytest.raises(poll.PollUnavailable) as e:
                s.answer(c.code, 1, sid(2), "b")
            waited = time.perf_counter() - t0
            assert 0.25 <= waited < 5, waited      # it waited its busy timeout, not forever
            assert_plain(e.value)
            assert "locked" in e.value.reason
            assert s.tally(c.code, 1).answered == 1   # WAL: readers do not wait for the writer
        finally:
            other.execute("ROLLBACK")
            other.close()
        s.answer(c.code, 1, sid(2), "b")          # the lock gone, the same Store works again
        assert s.tally(c.code, 1).answered == 2
    finally:
        s.dispose()


def test_sqlite_whose_folder_cannot_be_made_is_unavailable(tmp_path):
    (tmp_path / "a_file").write_text("not a folder")
    s = poll.Store(f"sqlite:///{tmp_path}/a_file/.poll/poll.sqlite3")
    with pytest.raises(poll.PollUnavailable) as e:
        s.create_class()
    assert_plain(e.value)
    s.dispose()


def test_postgres_unreachable_is_unavailable_within_the_timeout():
    port = postgres.free_port()                   # nobody listens there
    s = poll.Store(f"postgresql+psycopg://poll:secret-pw@127.0.0.1:{port}/poll", timeout=2)
    t0 = time.perf_counter()
    for call in (s.create_class, lambda: s.get_class("K7Q2"), lambda: s.answer("K7Q2", 1, sid(1), "a")):
        with pytest.raises(poll.PollUnavailable) as e:
            call()
        assert_plain(e.value)
        assert "secret-pw" not in e.value.reason
    assert time.perf_counter() - t0 < 15
    s.dispose()


def test_postgres_row_locked_past_the_timeout_is_unavailable(pg_url, clock):
    db_url = pg_url
    s = poll.Store(db_url, clock=clock, timeout=0.5)
    try:
        c = s.create_class()
        # another session holds the class's row (a stuck teacher's transaction)
        with psycopg.connect(poll.normalize_url(db_url).set(drivername="postgresql")
                             .render_as_string(hide_password=False)) as other:
            other.execute("SELECT code FROM poll_classes WHERE code = %s FOR UPDATE", (c.code,))
            t0 = time.perf_counter()
            with pytest.raises(poll.PollUnavailable) as e:
                s.answer(c.code, 1, sid(1), "a")
            assert 0.4 <= time.perf_counter() - t0 < 5
            assert_plain(e.value)
            other.rollback()
        s.answer(c.code, 1, sid(1), "a")
        assert s.tally(c.code, 1).answered == 1
    finally:
        s.dispose()


@pytest.fixture
def kept_folder():
    """A folder the postgres user can reach (pytest's tmp_path is 0700 under root), removed at the end."""
    folder = pathlib.Path(tempfile.mkdtemp(prefix="poll-pg-kept-"))
    folder.chmod(0o755)
    yield folder / "pg"
    shutil.rmtree(folder, ignore_errors=True)


def test_postgres_down_then_back_the_same_store_recovers(kept_folder, clock):
    folder = kept_folder
    try:
        cluster = postgres.start(folder=folder)
    except postgres.PostgresUnavailable as e:
        pytest.skip(f"no Postgres: {e}")
    port = cluster.port
    s = poll.Store(cluster.url, clock=clock, timeout=2)
    try:
        c = s.create_class()
        s.answer(c.code, 1, sid(1), "a")
        cluster.stop()
        with pytest.raises(poll.PollUnavailable) as e:
            s.tally(c.code, 1)
        assert_plain(e.value)
        cluster = postgres.start(folder=folder, port=port)
        assert s.tally(c.code, 1).choices == {"a": 1}    # pre-ping: the pool drops its dead connections
    finally:
        s.dispose()
        cluster.stop()


# ---- schema version ---------------------------------------------------------------------------------------------

def test_another_schema_version_is_refused_naming_both(make_store):
    s = make_store()
    s.create_class()
    with s._engine.begin() as conn:
        conn.execute(sa.update(schema_version).values(version=poll.SCHEMA_VERSION + 41))
    fresh = make_store()
    with pytest.raises(poll.PollError) as e:
        fresh.create_class()
    assert f"version {poll.SCHEMA_VERSION + 41}" in str(e.value) and f"version {poll.SCHEMA_VERSION}" in str(e.value)
    assert not isinstance(e.value, poll.PollUnavailable)


def test_two_stores_make_the_tables_once(make_store):
    a, b = make_store(), make_store()
    ca = a.create_class()
    cb = b.create_class()
    assert a.get_class(cb.code) == cb and b.get_class(ca.code) == ca
    with a._engine.connect() as conn:
        assert conn.execute(sa.select(schema_version.c.version)).scalars().all() == [poll.SCHEMA_VERSION]


SERVER = """
import sys, time
import poll
s = poll.Store(sys.argv[1])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
print(s.create_class().code)
"""


def test_six_server_processes_make_the_tables_at_once(db_url):
    """Replicas sharing one database, all making its tables on their first call at the same moment."""
    root = pathlib.Path(__file__).resolve().parents[2]
    at = time.time() + 6.0                          # after every process has imported its modules
    procs = [subprocess.Popen([sys.executable, "-c", SERVER, db_url, str(at)], cwd=root, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err[-500:] for _, err in outs]
    codes = [out.strip() for out, _ in outs]
    s = poll.Store(db_url)
    try:
        assert all(s.get_class(c) is not None for c in codes) and len(set(codes)) == 6
        with s._engine.connect() as conn:
            assert conn.execute(sa.select(schema_version.c.version)).scalars().all() == [poll.SCHEMA_VERSION]
    finally:
        s.dispose()


class RefusingCursor:
    """A real SQLite cursor whose first `refusals` statements fail as SQLite fails the second of two connections
    switching a new file to WAL at the same moment: "database is locked", at once, without the busy timeout."""

    def __init__(self, cur: sqlite3.Cursor, refusals: int, message: str = "database is locked"):
        self.cur, self.refusals, self.message, self.calls = cur, refusals, message, 0

    def execute(self, sql: str):
        self.calls += 1
        if self.calls <= self.refusals:
            raise sqlite3.OperationalError(self.message)
        return self.cur.execute(sql)


def test_the_wal_switch_refused_at_once_is_tried_again(tmp_path):
    """The fault behind a rare failure of the six-process test: the switch clashes, and the store tries again."""
    conn = sqlite3.connect(tmp_path / "poll.sqlite3", isolation_level=None)
    try:
        cur = RefusingCursor(conn.cursor(), refusals=3)
        poll.store._switch_to_wal(cur, timeout=5.0)
        assert cur.calls == 4
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    finally:
        conn.close()


def test_the_wal_switch_gives_up_after_the_timeout_and_on_other_faults_at_once(tmp_path):
    conn = sqlite3.connect(tmp_path / "poll.sqlite3", isolation_level=None)
    try:
        cur = RefusingCursor(conn.cursor(), refusals=10**6)
        t0 = time.monotonic()
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            poll.store._switch_to_wal(cur, timeout=0.5)
        waited = time.monotonic() - t0
        assert 0.35 <= waited < 3.0 and cur.calls > 3      # kept trying for about the timeout, then gave up
        cur = RefusingCursor(conn.cursor(), refusals=1, message="disk I/O error")
        with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
            poll.store._switch_to_wal(cur, timeout=5.0)
        assert cur.calls == 1                               # not a lock: no second try
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        conn.close()


# ---- a class at once ---------------------------------------------------------------------------------------------

def answer_at_once(stores: list[poll.Store], code: str, values, step: int = 1) -> list[BaseException]:
    """STUDENTS threads released together by a barrier, each answering once (student i through stores[i % n])."""
    barrier = threading.Barrier(len(values))
    errors: list[BaseException] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            stores[i % len(stores)].answer(code, step, sid(i), values[i])
        except BaseException as e:  # noqa: BLE001 - every failure counts
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(values))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "an answer hung"
    return errors


def test_sixty_students_answer_at_once(make_store):
    s = make_store()
    c = s.create_class()
    keys = ["vanish", "stay", "explode"]
    errors = answer_at_once([s], c.code, [keys[i % 3] for i in range(STUDENTS)])
    assert errors == []
    t = s.tally(c.code, 1)
    assert (t.joined, t.answered) == (STUDENTS, STUDENTS)
    assert t.choices == {k: STUDENTS // 3 for k in sorted(keys)}
    with s._engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(answers)).scalar_one() == STUDENTS
        assert conn.execute(sa.select(sa.func.count()).select_from(members)).scalar_one() == STUDENTS


def test_sixty_students_through_three_server_processes_change_their_answers_at_once(make_store):
    stores = [make_store() for _ in range(3)]     # three engines on one database, as three replicas
    c = stores[0].create_class()
    assert answer_at_once(stores, c.code, [float(i) for i in range(STUDENTS)], step=2) == []
    assert answer_at_once(stores, c.code, [float(-i) for i in range(STUDENTS)], step=2) == []
    t = stores[1].tally(c.code, 2)
    assert t.answered == STUDENTS
    assert t.numbers == tuple(float(-i) for i in reversed(range(STUDENTS)))


def test_a_reveal_racing_the_answers_lets_none_in_after_it(make_store):
    s = make_store(clock=time.time)
    c = s.create_class()
    barrier = threading.Barrier(STUDENTS + 1)
    stored, refused, errors = [], [], []

    def student(i: int) -> None:
        barrier.wait()
        try:
            s.answer(c.code, 1, sid(i), "a")
            stored.append(i)
        except poll.AlreadyRevealed:
            refused.append(i)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(STUDENTS)]
    for t in threads:
        t.start()
    barrier.wait()
    time.sleep(0.01)
    s.reveal(c.code, 1)
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(stored) + len(refused) == STUDENTS
    assert s.tally(c.code, 1).answered == len(stored)
    with s._engine.connect() as conn:
        revealed_at = conn.execute(sa.select(questions.c.revealed_at)).scalar_one()
        last_answer = conn.execute(sa.select(sa.func.max(answers.c.answered_at))).scalar()
    assert last_answer is None or last_answer <= revealed_at
