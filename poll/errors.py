"""The class poll's exceptions: one base, PollError, so the Lesson and the teacher page catch one name.

Every message is plain text a page may show as it is (never a traceback, never a password)."""
from __future__ import annotations


class PollError(Exception):
    """Anything the class poll refuses or cannot do."""


class BadInput(PollError, ValueError):
    """A code, student id, step or answer that is not well formed; refused before any SQL runs."""


class ClassNotFound(PollError):
    """No class has this code (never made, or purged after 30 days)."""


class ClassClosed(PollError):
    """The teacher closed this class: no more joining or answering."""


class AlreadyRevealed(PollError):
    """The teacher revealed this step: its answers are final."""


class PollUnavailable(PollError):
    """The database cannot be reached, or stayed locked past the timeout. `reason` keeps the driver's one line."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason
