"""Class codes a teacher can read aloud, and the students' anonymous ids; both checked before they reach SQL.

A class code is 4 characters of ALPHABET, which leaves out 0/O and 1/I (32⁴ ≈ 1.05 million codes). A student id
is 10 characters of [a-z0-9] from `secrets` (36¹⁰ ≈ 3.7·10¹⁵), kept in the student's URL: never a name."""
from __future__ import annotations

import re
import secrets

from poll.errors import BadInput

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 4
STUDENT_ID_LENGTH = 10
_STUDENT_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"
_CODE_RE = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")
_STUDENT_RE = re.compile(f"[a-z0-9]{{{STUDENT_ID_LENGTH}}}")


def new_code() -> str:
    """A fresh random class code, e.g. "K7Q2" (uniqueness is the store's job)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def clean_code(text: object) -> str:
    """The code as stored: stripped, upper-cased; BadInput unless 4 characters of ALPHABET."""
    if not isinstance(text, str):
        raise BadInput(f"a class code is text, got {type(text).__name__}")
    code = text.strip().upper()
    if not _CODE_RE.fullmatch(code):
        shown = code[:12] + ("…" if len(code) > 12 else "")
        raise BadInput(f"'{shown}' is not a class code: expected {CODE_LENGTH} characters from "
                       f"{ALPHABET[:8]}…{ALPHABET[-3:]} (no 0, O, 1 or I)")
    return code


def new_student_id() -> str:
    """A fresh anonymous student id: 10 characters of [a-z0-9]."""
    return "".join(secrets.choice(_STUDENT_CHARS) for _ in range(STUDENT_ID_LENGTH))


def clean_student_id(text: object) -> str:
    """The id as stored (stripped); BadInput unless exactly 10 characters of [a-z0-9]."""
    if not isinstance(text, str):
        raise BadInput(f"a student id is text, got {type(text).__name__}")
    sid = text.strip()
    if not _STUDENT_RE.fullmatch(sid):
        raise BadInput(f"not a student id: expected {STUDENT_ID_LENGTH} characters of a-z and 0-9")
    return sid
