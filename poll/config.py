"""Where the class poll's database is: SQLite under the app's folder by default, Postgres by configuration.

    url_from(st.secrets, os.environ)   # [connections.poll] url = "postgresql+psycopg://…" in .streamlit/secrets.toml,
                                       # else POLL_DB_URL, else DEFAULT_URL(app_dir)
    describe(url)                      # "SQLite (file …/poll.sqlite3)" or
                                       # "Postgres (host db.example.org:5432, database poll)"

A hosted Postgres often hands out "postgres://…" or "postgresql://…"; normalize_url reads both as psycopg 3
("postgresql+psycopg://…"), the driver this app installs."""
from __future__ import annotations

import os
from collections.abc import Mapping

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from poll.errors import PollError

ENV_VAR = "POLL_DB_URL"
FOLDER = ".poll"
FILENAME = "poll.sqlite3"


def DEFAULT_URL(app_dir: str | os.PathLike) -> str:  # noqa: N802 - the contract's name
    """The embedded default: sqlite:///<app_dir>/.poll/poll.sqlite3 (the Store makes the folder on first use)."""
    path = os.path.join(os.path.abspath(os.fspath(app_dir)), FOLDER, FILENAME)
    return f"sqlite:///{path}"


def _secret_url(secrets: Mapping | None) -> str | None:
    if secrets is None:
        return None
    try:
        url = secrets["connections"]["poll"]["url"]
    except (KeyError, TypeError, AttributeError, OSError):  # no such key, or no secrets file at all
        return None
    return url.strip() if isinstance(url, str) and url.strip() else None


def url_from(secrets: Mapping | None, environ: Mapping, app_dir: str | os.PathLike | None = None) -> str:
    """secrets["connections"]["poll"]["url"], else environ["POLL_DB_URL"], else DEFAULT_URL(app_dir).

    app_dir defaults to the repository's root (the folder above poll/)."""
    url = _secret_url(secrets)
    if url:
        return url
    env = environ.get(ENV_VAR, "")
    if isinstance(env, str) and env.strip():
        return env.strip()
    if app_dir is None:
        app_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return DEFAULT_URL(app_dir)


def normalize_url(url: str):
    """The URL as SQLAlchemy reads it, with postgres:// and postgresql:// taken as psycopg 3. PollError if not a
    URL of a database this store speaks (SQLite, Postgres)."""
    if not isinstance(url, str) or not url.strip():
        raise PollError("no database URL given for the class poll")
    try:
        u = make_url(url.strip())
    except ArgumentError:
        raise PollError("the class poll's database URL is not a URL (expected sqlite:///… or "
                        "postgresql+psycopg://…)") from None
    name = u.drivername
    if name in ("postgres", "postgresql"):
        u = u.set(drivername="postgresql+psycopg")
    elif name.startswith("postgres+"):
        u = u.set(drivername="postgresql+" + name.split("+", 1)[1])
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise PollError(f"the class poll speaks SQLite and Postgres, not '{u.get_backend_name()}'")
    return u


def describe(url: str) -> str:
    """One line for the teacher page, never the password: "SQLite (file …)" or "Postgres (host …, database …)"."""
    try:
        u = normalize_url(url)
    except PollError:
        return "an unreadable database URL"
    if u.get_backend_name() == "sqlite":
        db = u.database
        return "SQLite (in memory)" if not db or db == ":memory:" else f"SQLite (file {db})"
    host = u.host or "local socket"
    if u.port:
        host = f"{host}:{u.port}"
    return f"Postgres (host {host}, database {u.database or '(default)'})"
