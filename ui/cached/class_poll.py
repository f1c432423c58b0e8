"""The class poll's store, one per database URL for the whole server (st.cache_resource): every session of the
process shares its engine and connection pool, as the store's shared state must never live in a session.

The URL comes from poll.url_from: `[connections.poll] url = …` in .streamlit/secrets.toml, else the environment's
POLL_DB_URL, else the SQLite file under the app's folder. No secrets file is the usual case (`streamlit run
app.py` with no configuration): reading st.secrets then gives nothing, never an error.

A store that cannot be made (the database unreachable, a folder that cannot exist) raises poll.PollUnavailable
and is not cached, so the next call tries again: the pages say the poll is unavailable and retry."""
from __future__ import annotations

import os
from typing import Any

import streamlit as st

import poll


def secrets() -> dict[str, Any] | None:
    """st.secrets as a plain dict, or None where no secrets file exists or it cannot be read."""
    try:
        return st.secrets.to_dict()
    except Exception:  # StreamlitSecretNotFoundError (no file), a parse error: the poll falls back on the environment
        return None


def secret(name: str) -> str | None:
    """One top-level secret as text, else the environment's NAME in capitals (TEACHER_PASSCODE), else None."""
    value = (secrets() or {}).get(name)
    if value is None:
        value = os.environ.get(name.upper())
    return None if value in (None, "") else str(value)


def url() -> str:
    """The poll's database URL (secrets, then POLL_DB_URL, then the default SQLite file)."""
    return poll.url_from(secrets(), os.environ)


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(db_url: str) -> poll.Store:
    """The shared store of one URL. Made once per server process; an error is not cached (the next call retries)."""
    return poll.Store(db_url)


def store() -> poll.Store:
    """The store of the configured URL; raises poll.PollUnavailable (or another poll.PollError, a wrong schema
    version) where it cannot be reached."""
    try:
        return _store(url())
    except poll.PollError:
        raise
    except Exception as e:  # a driver's or the file system's own error while the engine was made
        raise poll.PollUnavailable(f"the poll's database cannot be opened ({type(e).__name__})") from e
