"""The class poll's store: classes, their steps' reveals, members and answers, in SQL through SQLAlchemy Core.

    store = Store("sqlite:///…/.poll/poll.sqlite3")          # or "postgresql+psycopg://user:pw@host/db"
    c = store.create_class()                                 # ClassState(code="K7Q2", step=1, …)
    store.join(c.code, sid); store.answer(c.code, 1, sid, "explode"); store.tally(c.code, 1)

Tables (made if missing, on first use; schema_version holds SCHEMA_VERSION, a different one is refused):
    classes   (code PK, created, step, closed)
    questions (code, step) PK → its reveal time          one row per class × revealed step
    members   (code, student) PK → joined time
    answers   (code, step, student) PK → choice | number  one row per class × step × student: an upsert
                                                          (INSERT … ON CONFLICT DO UPDATE, SQLite and Postgres)
Every row is reached through its class's code, so nothing one class's calls read or change lies in another class.
Every value goes to the driver as a bound parameter; codes, ids, steps and answers are checked before that
(poll/codes.py, _clean_step, _clean_value).

Concurrency. SQLite: WAL (readers never wait for the writer; the switch to it tried again while it clashes with
another process's, see _switch_to_wal), busy_timeout, and every writing transaction opened with BEGIN IMMEDIATE, so
writers queue on the busy timeout instead of failing when a deferred read lock cannot be upgraded. Postgres: an
answer holds its class's row FOR SHARE (answers run side by side), a reveal holds it FOR UPDATE, so an answer that
races the reveal is either stored before it or refused after it.
Faults: SQLAlchemy's OperationalError / InterfaceError / pool timeout (the database down, unreachable or locked
past the timeout) become PollUnavailable with a plain message; any other database error a PollError.
"""
from __future__ import annotations

import math
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.pool import StaticPool

from poll.codes import clean_code, clean_student_id, new_code
from poll.config import describe, normalize_url
from poll.errors import (AlreadyRevealed, BadInput, ClassClosed, ClassNotFound, PollError,
                         PollUnavailable)

SCHEMA_VERSION = 1
PURGE_DAYS = 30
MAX_ABS_NUMBER = 1e12
CHOICE_RE = re.compile(r"[a-z0-9_]{1,32}")
CREATE_LOCK_KEY = 0x706F6C6C  # "poll": the Postgres advisory lock held while the tables are made
PG_POOL = (5, 15)  # Postgres: connections kept, and more opened under load (20 at most per process)
UNAVAILABLE = "The class poll's database is busy or cannot be reached just now; try again in a moment."

metadata = sa.MetaData()
schema_version = sa.Table(
    "poll_schema_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.CheckConstraint("id = 1", name="poll_schema_version_one_row"),
)
classes = sa.Table(
    "poll_classes", metadata,
    sa.Column("code", sa.String(4), primary_key=True),
    sa.Column("created", sa.Double, nullable=False, index=True),
    sa.Column("step", sa.Integer, nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False),
    sa.CheckConstraint("step >= 1", name="poll_classes_step"),
)
questions = sa.Table(
    "poll_questions", metadata,
    sa.Column("code", sa.String(4), sa.ForeignKey("poll_classes.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("step", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("revealed_at", sa.Double, nullable=False),
)
members = sa.Table(
    "poll_members", metadata,
    sa.Column("code", sa.String(4), sa.ForeignKey("poll_classes.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("student", sa.String(10), primary_key=True),
    sa.Column("joined_at", sa.Double, nullable=False),
)
answers = sa.Table(
    "poll_answers", metadata,
    sa.Column("code", sa.String(4), sa.ForeignKey("poll_classes.code", ondelete="CASCADE"), primary_key=True),
    sa.Column("step", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("student", sa.String(10), primary_key=True),
    sa.Column("choice", sa.String(32), nullable=True),
    sa.Column("number", sa.Double, nullable=True),
    sa.Column("answered_at", sa.Double, nullable=False),
    # exactly one of choice / number
    sa.CheckConstraint("(choice IS NULL) <> (number IS NULL)", name="poll_answers_one_value"),
)


@dataclass(frozen=True)
class ClassState:
    code: str
    created: float              # seconds since the epoch (the store's clock)
    step: int                   # the step the teacher has the class on; starts at 1
    closed: bool
    revealed: frozenset[int]    # the steps the teacher has revealed


@dataclass(frozen=True)
class Tally:
    joined: int                 # members of the class (a student who answers is one)
    answered: int               # answers to this step
    choices: dict[str, int]     # choice key → count, keys sorted
    numbers: tuple[float, ...]  # the numeric answers, ascending
    revealed: bool


def _clean_value(value: object) -> tuple[str | None, float | None]:
    """(choice, None) for a choice key [a-z0-9_]{1,32}; (None, x) for a finite number with |x| ≤ 1e12."""
    if isinstance(value, str):
        if not CHOICE_RE.fullmatch(value):
            raise BadInput("an answer is a choice key (1-32 characters of a-z, 0-9, _) or a number")
        return value, None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        # numpy scalars are accepted through float(); anything else is refused
        try:
            import numpy as np
            if isinstance(value, np.generic) and np.issubdtype(type(value), np.number) \
                    and not isinstance(value, np.bool_):
                value = float(value)
            else:
                raise TypeError
        except (ImportError, TypeError):
            raise BadInput(f"an answer is a choice key or a number, got {type(value).__name__}") from None
    x = float(value)
    if not math.isfinite(x):
        raise BadInput("a numeric answer must be a finite number")
    if abs(x) > MAX_ABS_NUMBER:
        raise BadInput(f"a numeric answer must lie within ±{MAX_ABS_NUMBER:.0e}")
    return None, x


class Store:
    """One engine per Store; thread-safe (share one across sessions). Nothing touches the database until the
    first call, so a database that is down when the app starts costs nothing until a class is used."""

    def __init__(self, url: str, *, max_step: int = 99, clock: Callable[[], float] = time.time,
                 timeout: float = 5.0):
        if isinstance(max_step, bool) or not isinstance(max_step, int) or max_step < 1:
            raise BadInput(f"max_step must be a positive whole number, got {max_step!r}")
        self.max_step = max_step
        self.clock = clock
        self.timeout = float(timeout)
        self._url = normalize_url(url)
        self.kind = self._url.get_backend_name()          # "sqlite" | "postgresql"
        self.description = describe(self._url.render_as_string(hide_password=False))
        self._ready = False
        self._ready_lock = threading.Lock()
        self._memory_lock: threading.RLock | None = None
        self._engine = self._make_engine()

    # ---- engine and transactions ---------------------------------------------------------------------------

    def _make_engine(self) -> sa.Engine:
        if self.kind == "sqlite":
            db = self._url.database
            if not db or db == ":memory:":
                # one shared in-memory database: one connection, used by one thread at a time
                self._memory_lock = threading.RLock()
                engine = sa.create_engine(self._url, poolclass=StaticPool,
                                          connect_args={"check_same_thread": False})
            else:
                self._sqlite_path = db
                engine = sa.create_engine(self._url, pool_size=10, max_overflow=30, pool_timeout=2 * self.timeout,
                                          connect_args={"timeout": self.timeout})
            busy_ms = int(self.timeout * 1000)

            @event.listens_for(engine, "connect")
            def _on_connect(dbapi_conn, _record):
                # pysqlite's own BEGIN is switched off: _on_begin opens each transaction as it should be
                dbapi_conn.isolation_level = None
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {busy_ms}")   # an int made here, not input
                _switch_to_wal(cur, self.timeout)
                cur.execute("PRAGMA synchronous = NORMAL")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.close()

            @event.listens_for(engine, "begin")
            def _on_begin(conn):
                # a writer takes the write lock at BEGIN and waits there (busy_timeout) for its turn
                conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("poll_write")
                                     else "BEGIN")

            return engine
        # at most PG_POOL connections per server process: a hosted Postgres's free tier allows a few dozen in all
        engine = sa.create_engine(self._url, pool_size=PG_POOL[0], max_overflow=PG_POOL[1],
                                  pool_timeout=2 * self.timeout, pool_pre_ping=True,
                                  connect_args={"connect_timeout": max(1, math.ceil(self.timeout))})
        lock_ms, statement_ms = int(self.timeout * 1000), int(3 * self.timeout * 1000)

        @event.listens_for(engine, "connect")
        def _on_pg_connect(dbapi_conn, _record):
            # a row held past the timeout (a stuck teacher's transaction) ends as PollUnavailable, not a hang;
            # ints made here, not input
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET lock_timeout = {lock_ms}")
                cur.execute(f"SET statement_timeout = {statement_ms}")
            dbapi_conn.commit()

        return engine

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Database faults as PollError / PollUnavailable with a plain message; the driver's line kept in .reason."""
        try:
            yield
        except PollError:
            raise
        except (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.TimeoutError,
                sa.exc.DisconnectionError) as e:
            raise PollUnavailable(UNAVAILABLE, _reason(e)) from e
        except OSError as e:  # the SQLite folder cannot be made
            raise PollUnavailable(UNAVAILABLE, f"{type(e).__name__}: {e.strerror or e}") from e
        except sa.exc.SQLAlchemyError as e:
            raise PollError(f"The class poll's database refused the request ({_reason(e)}).") from e

    @contextmanager
    def _tx(self, write: bool) -> Iterator[sa.Connection]:
        """A transaction; on SQLite a writing one begins IMMEDIATE. Faults become PollError (see _guard)."""
        with self._guard():
            self._ensure_ready()
            lock = self._memory_lock
            if lock is not None:
                lock.acquire()
            try:
                with self._engine.connect() as conn:
                    conn = conn.execution_options(poll_write=write)
                    with conn.begin():
                        yield conn
            finally:
                if lock is not None:
                    lock.release()

    def _ensure_ready(self) -> None:
        """Make the folder (SQLite), the tables if missing, and check the schema version, once per Store."""
        if self._ready:
            return
        with self._ready_lock:
            if self._ready:
                return
            path = getattr(self, "_sqlite_path", None)
            if path:
                os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            for attempt in range(3):
                try:
                    with self._engine.connect() as conn:
                        conn = conn.execution_options(poll_write=True)
                        with conn.begin():
                            if self.kind == "postgresql":
                                # one creator at a time across server processes (released at commit); SQLite's
                                # BEGIN IMMEDIATE does the same there
                                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(CREATE_LOCK_KEY)))
                            metadata.create_all(conn, checkfirst=True)
                            conn.execute(self._insert(schema_version).values(id=1, version=SCHEMA_VERSION)
                                         .on_conflict_do_nothing(index_elements=["id"]))
                            found = conn.execute(sa.select(schema_version.c.version)
                                                 .where(schema_version.c.id == 1)).scalar_one()
                    break
                except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
                    # another process made the same tables at the same moment (a database without the lock)
                    if attempt == 2:
                        raise
                    time.sleep(0.2)
            if found != SCHEMA_VERSION:
                raise PollError(f"The class poll's database has schema version {found}; this app uses version "
                                f"{SCHEMA_VERSION}. Point it at a new database, or upgrade the app.")
            self._ready = True

    def _insert(self, table: sa.Table):
        """The dialect's INSERT, which has on_conflict_do_update / on_conflict_do_nothing."""
        return (sqlite_dialect.insert if self.kind == "sqlite" else pg_dialect.insert)(table)

    def dispose(self) -> None:
        """Close the engine's pooled connections (the Store works again on its next call)."""
        self._engine.dispose()

    # ---- checks ----------------------------------------------------------------------------------------------

    def _clean_step(self, step: object) -> int:
        if isinstance(step, bool) or not isinstance(step, int):
            try:
                import numpy as np
                if isinstance(step, np.integer):
                    step = int(step)
                else:
                    raise TypeError
            except (ImportError, TypeError):
                raise BadInput(f"a step is a whole number, got {type(step).__name__}") from None
        if not 1 <= step <= self.max_step:
            raise BadInput(f"a step is between 1 and {self.max_step}, got {step}")
        return step

    # ---- reading ---------------------------------------------------------------------------------------------

    def _state(self, conn: sa.Connection, code: str, lock: str | None = None) -> ClassState | None:
        q = sa.select(classes.c.created, classes.c.step, classes.c.closed).where(classes.c.code == code)
        if lock == "share":
            q = q.with_for_update(read=True)
        elif lock == "update":
            q = q.with_for_update()
        row = conn.execute(q).first()
        if row is None:
            return None
        revealed = conn.execute(sa.select(questions.c.step).where(questions.c.code == code)).scalars().all()
        return ClassState(code=code, created=float(row.created), step=int(row.step), closed=bool(row.closed),
                          revealed=frozenset(int(s) for s in revealed))

    def _existing(self, conn: sa.Connection, code: str, lock: str | None = None) -> ClassState:
        state = self._state(conn, code, lock)
        if state is None:
            raise ClassNotFound(f"There is no class {code} (a class is kept for {PURGE_DAYS} days).")
        return state

    def get_class(self, code: str) -> ClassState | None:
        code = clean_code(code)
        with self._tx(write=False) as conn:
            return self._state(conn, code)

    def answer_of(self, code: str, step: int, student: str) -> str | float | None:
        code, step, student = clean_code(code), self._clean_step(step), clean_student_id(student)
        with self._tx(write=False) as conn:
            row = conn.execute(sa.select(answers.c.choice, answers.c.number).where(
                answers.c.code == code, answers.c.step == step, answers.c.student == student)).first()
        if row is None:
            return None
        return row.choice if row.choice is not None else float(row.number)

    def tally(self, code: str, step: int) -> Tally:
        code, step = clean_code(code), self._clean_step(step)
        with self._tx(write=False) as conn:
            state = self._existing(conn, code)
            joined = conn.execute(sa.select(sa.func.count()).select_from(members)
                                  .where(members.c.code == code)).scalar_one()
            rows = conn.execute(sa.select(answers.c.choice, answers.c.number)
                                .where(answers.c.code == code, answers.c.step == step)).all()
        choices: dict[str, int] = {}
        numbers = []
        for choice, number in rows:
            if choice is not None:
                choices[choice] = choices.get(choice, 0) + 1
            else:
                numbers.append(float(number))
        return Tally(joined=int(joined), answered=len(rows), choices=dict(sorted(choices.items())),
                     numbers=tuple(sorted(numbers)), revealed=step in state.revealed)

    # ---- students ----------------------------------------------------------------------------------------------

    def _join(self, conn: sa.Connection, code: str, student: str) -> None:
        conn.execute(self._insert(members).values(code=code, student=student, joined_at=self.clock())
                     .on_conflict_do_nothing(index_elements=["code", "student"]))

    def join(self, code: str, student: str) -> ClassState:
        """Record the student as a member (idempotent). ClassNotFound, ClassClosed."""
        code, student = clean_code(code), clean_student_id(student)
        with self._tx(write=True) as conn:
            state = self._existing(conn, code, lock="share")
            if state.closed:
                raise ClassClosed(f"Class {code} is closed.")
            self._join(conn, code, student)
        return state

    def answer(self, code: str, step: int, student: str, value: str | float) -> None:
        """Store (or replace) the student's answer to the step. BadInput, ClassNotFound, ClassClosed,
        AlreadyRevealed. The student is joined too."""
        code, step, student = clean_code(code), self._clean_step(step), clean_student_id(student)
        choice, number = _clean_value(value)
        with self._tx(write=True) as conn:
            state = self._existing(conn, code, lock="share")
            if state.closed:
                raise ClassClosed(f"Class {code} is closed.")
            if step in state.revealed:
                raise AlreadyRevealed(f"Step {step} has been revealed: its answers are final.")
            self._join(conn, code, student)
            now = self.clock()
            ins = self._insert(answers).values(code=code, step=step, student=student, choice=choice,
                                               number=number, answered_at=now)
            conn.execute(ins.on_conflict_do_update(
                index_elements=["code", "step", "student"],
                set_={"choice": ins.excluded.choice, "number": ins.excluded.number,
                      "answered_at": ins.excluded.answered_at}))

    # ---- the teacher ---------------------------------------------------------------------------------------------

    def create_class(self) -> ClassState:
        """A new class with a code no live class has; classes older than 30 days are purged first."""
        self.purge(PURGE_DAYS)
        for _ in range(50):
            code = new_code()
            now = self.clock()
            with self._tx(write=True) as conn:
                made = conn.execute(self._insert(classes).values(code=code, created=now, step=1, closed=False)
                                    .on_conflict_do_nothing(index_elements=["code"])
                                    .returning(classes.c.code)).first()
            if made is not None:
                return ClassState(code=code, created=float(now), step=1, closed=False, revealed=frozenset())
        raise PollError("Could not find a free class code; try again.")

    def reveal(self, code: str, step: int) -> None:
        """Reveal the step to everyone: its answers become final (idempotent). ClassNotFound."""
        code, step = clean_code(code), self._clean_step(step)
        with self._tx(write=True) as conn:
            self._existing(conn, code, lock="update")
            conn.execute(self._insert(questions).values(code=code, step=step, revealed_at=self.clock())
                         .on_conflict_do_nothing(index_elements=["code", "step"]))

    def set_step(self, code: str, step: int) -> None:
        """Move the class to the step (the Lesson follows it). ClassNotFound."""
        code, step = clean_code(code), self._clean_step(step)
        with self._tx(write=True) as conn:
            if conn.execute(sa.update(classes).where(classes.c.code == code).values(step=step)).rowcount != 1:
                raise ClassNotFound(f"There is no class {code}.")

    def close(self, code: str) -> None:
        """Close the class: no more joining or answering; its tallies stay readable. ClassNotFound."""
        code = clean_code(code)
        with self._tx(write=True) as conn:
            if conn.execute(sa.update(classes).where(classes.c.code == code).values(closed=True)).rowcount != 1:
                raise ClassNotFound(f"There is no class {code}.")

    def delete_answers(self, code: str) -> int:
        """Delete every answer of this class (members, reveals and the class stay); returns how many. ClassNotFound."""
        code = clean_code(code)
        with self._tx(write=True) as conn:
            self._existing(conn, code, lock="update")
            return conn.execute(sa.delete(answers).where(answers.c.code == code)).rowcount

    def purge(self, days: float = PURGE_DAYS) -> int:
        """Delete the classes created more than `days` days ago, with their answers, members and reveals; returns
        how many classes went."""
        if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) or days < 0:
            raise BadInput(f"days must be a finite number ≥ 0, got {days!r}")
        cutoff = self.clock() - float(days) * 86400.0
        old = sa.select(classes.c.code).where(classes.c.created < cutoff)
        with self._tx(write=True) as conn:
            # the children first, in case a database has its foreign keys off
            for table in (answers, members, questions):
                conn.execute(sa.delete(table).where(table.c.code.in_(old)))
            return conn.execute(sa.delete(classes).where(classes.c.created < cutoff)).rowcount


def _switch_to_wal(cur: sqlite3.Cursor, timeout: float) -> None:
    """PRAGMA journal_mode = WAL, tried again for up to `timeout` s while the database is locked.

    The busy timeout does not cover this one: when two connections switch a new database at the same moment, each
    holds the shared lock the other needs to let go of, and SQLite answers one of them "database is locked" at once
    instead of waiting (six server processes on their first call, measured: within 40 ms). Once the file is in WAL
    mode (it stays so) the pragma takes no lock that can clash."""
    deadline = time.monotonic() + timeout
    pause = 0.005
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(2 * pause, 0.1)


def _reason(e: Exception) -> str:
    """The driver's first line, short (psycopg's messages name host and port, never the password)."""
    orig = getattr(e, "orig", None) or e
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return text[:200]
