"""The class poll's store: classes, reveals, members and answers in SQL (SQLAlchemy Core), SQLite by default and
Postgres by URL. Never imports streamlit; the Lesson and the teacher page reach it through ui/session/class_poll.py
(the store itself, one per database URL for the server: ui/cached/class_poll.py). README, "The class poll's
database", says how to configure it.

The SQL half (poll.config, poll.store and SQLAlchemy under them, about half a second to import) is imported on
first use of one of its names, not with the package: importing the app imports this package, and most pages,
and a fresh server's first page, never touch the poll. The first use imports under one lock, so sessions that
reach the poll together wait for a single import (ui/__init__.py says why a first import must not race)."""
import importlib as _importlib
import threading as _threading

from poll.codes import ALPHABET, clean_code, clean_student_id, new_code, new_student_id
from poll.errors import (AlreadyRevealed, BadInput, ClassClosed, ClassNotFound, PollError,
                         PollUnavailable)

_SQL = {name: "poll.config" for name in ("DEFAULT_URL", "describe", "normalize_url", "url_from")}
_SQL.update({name: "poll.store" for name in ("PURGE_DAYS", "SCHEMA_VERSION", "ClassState", "Store", "Tally")})
_IMPORT_LOCK = _threading.RLock()

__all__ = [
    "ALPHABET", "new_code", "clean_code", "new_student_id", "clean_student_id",
    "DEFAULT_URL", "url_from", "describe", "normalize_url",
    "PollError", "BadInput", "ClassNotFound", "ClassClosed", "AlreadyRevealed", "PollUnavailable",
    "Store", "ClassState", "Tally", "SCHEMA_VERSION", "PURGE_DAYS",
]


def __getattr__(name: str):
    """A name of the SQL half (_SQL), imported on first use (PEP 562) and kept as an attribute after."""
    module = _SQL.get(name)
    if module is None:
        raise AttributeError(f"module 'poll' has no attribute {name!r}")
    with _IMPORT_LOCK:
        value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SQL))
