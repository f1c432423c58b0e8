"""Fixtures for the class poll's store: every store test runs on SQLite (a temp file) and on a real Postgres.

The Postgres is a throwaway cluster started once per session by deploy/postgres.py (Debian's binaries, a fresh
temp folder, a free port) and stopped at the end; POLL_TEST_PG_URL, if set, is used instead (its poll_ tables are
dropped between tests). The Postgres cases skip, with the reason, only when no cluster can be had.
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

import poll
from deploy import postgres
from poll.store import metadata


class Clock:
    """An injected clock: seconds since the epoch, moved by hand."""

    def __init__(self, now: float = 1_800_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="session")
def pg_url():
    """A Postgres URL for the session, or a skip naming what failed."""
    env = os.environ.get("POLL_TEST_PG_URL", "").strip()
    if env:
        yield env
        return
    try:
        cluster = postgres.start()
    except postgres.PostgresUnavailable as e:
        pytest.skip(f"no Postgres for the poll tests: {e}")
    try:
        yield cluster.url
    finally:
        cluster.stop()


def _drop_tables(url: str) -> None:
    engine = sa.create_engine(poll.normalize_url(url))
    try:
        with engine.begin() as conn:
            metadata.drop_all(conn, checkfirst=True)
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """An empty database of each kind: a fresh SQLite file, or the session's Postgres with no poll tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/app/.poll/poll.sqlite3"
        return
    url = request.getfixturevalue("pg_url")
    _drop_tables(url)
    yield url
    _drop_tables(url)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def make_store(db_url, clock):
    """Store(db_url, clock=clock, **kw); every store made is disposed of at the end."""
    made = []

    def make(**kw):
        kw.setdefault("clock", clock)
        s = poll.Store(db_url, **kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.dispose()


@pytest.fixture
def store(make_store):
    return make_store()
