"""A class answering at once through the Lesson (marker `load`): POLL_LOAD_STUDENTS students (default 20; the
full 60, SQLite and Postgres, are `python -m benchmarks.poll_load`, figures in benchmarks/RESULTS.md) open
/lesson?class=CODE&step=1 as websocket sessions on a server whose POLL_DB_URL is a fresh SQLite file, and answer
at once through the question's widgets (answer_1, answer_send). The class must hold one row per student, each
student's answer as sent, and the store's tally (what the teacher page reads) must count them all within 3 s of
the last answer, with no failed session, no exception and no 'unavailable' line on any page."""
from __future__ import annotations

import os

import pytest

from benchmarks import poll_load

STUDENTS = max(2, min(int(os.environ.get("POLL_LOAD_STUDENTS", "20")), 60))

pytestmark = pytest.mark.load


def test_a_class_answers_at_once_through_the_lesson(tmp_path):
    r = poll_load.run("sqlite", f"sqlite:///{tmp_path}/poll.sqlite3", STUDENTS, 1, timeout=300.0)
    assert r["failures"] == [] and r["exceptions"] == [] and r["unavailable"] == [], r
    assert r["rows"] == STUDENTS and r["joined"] == STUDENTS
    assert r["stored_as_sent"] == STUDENTS
    assert r["tally_reached_s"] is not None and r["tally_reached_s"] <= poll_load.TALLY_WITHIN_S, r
    assert r["store_alone"]["errors"] == [] and r["store_alone"]["rows"] == STUDENTS
