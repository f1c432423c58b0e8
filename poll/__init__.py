"""The class poll's store: classes, reveals, members and answers in SQL (SQLAlchemy Core), SQLite by default and
Postgres by URL. Never imports streamlit; the Lesson and the teacher page reach it through ui/session/class_poll.py.
The contract: /work/notes/poll_api.md (codes, config, store, exceptions)."""
from poll.codes import ALPHABET, clean_code, clean_student_id, new_code, new_student_id
from poll.config import DEFAULT_URL, describe, normalize_url, url_from
from poll.errors import (AlreadyRevealed, BadInput, ClassClosed, ClassNotFound, PollError,
                         PollUnavailable)
from poll.store import PURGE_DAYS, SCHEMA_VERSION, ClassState, Store, Tally

__all__ = [
    "ALPHABET", "new_code", "clean_code", "new_student_id", "clean_student_id",
    "DEFAULT_URL", "url_from", "describe", "normalize_url",
    "PollError", "BadInput", "ClassNotFound", "ClassClosed", "AlreadyRevealed", "PollUnavailable",
    "Store", "ClassState", "Tally", "SCHEMA_VERSION", "PURGE_DAYS",
]
