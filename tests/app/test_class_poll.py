"""AppTest of the Lesson in a class (ui/session/class_poll.py), against a real SQLite store in a temporary file
(POLL_DB_URL set before the app runs; the server's shared store, st.cache_resource, cleared between tests):

- a code not well formed, unknown or closed: one plain line, and the Lesson works alone;
- joining and answering give the store's rows; a reload with the same `me` keeps the identity and never counts
  twice; a malformed `me` is replaced by a new, well-formed one;
- the class's step is the teacher's (the Lesson follows a move), and a reveal shows the chart;
- the database unavailable (a folder that cannot exist, or a store whose every call raises PollUnavailable):
  the message, no exception, the Lesson alone.

A link is opened in a session that has run once (AppTest must run before it switches pages), with the link's
query set again before the switch, as a browser opening /lesson?class=… would send it."""
from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import poll
from apptest_helpers import APP
from ui.session import class_poll
from ui.cached import class_poll as cached_poll

LESSON = "pages/lesson.py"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A fresh SQLite poll in a temporary file, the app pointed at it; no passcode, no shared store left over."""
    url = f"sqlite:///{tmp_path / 'poll.sqlite3'}"
    monkeypatch.setenv("POLL_DB_URL", url)
    monkeypatch.delenv("TEACHER_PASSCODE", raising=False)
    st.cache_resource.clear()
    yield poll.Store(url)
    st.cache_resource.clear()


def open_lesson(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.query_params.clear()
    at.query_params.update({k: str(v) for k, v in query.items()})
    return at.switch_page(LESSON).run()


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def class_line(at) -> str:
    lines = [c for c in captions(at) if ":material/groups:" in c or ":material/cloud_off:" in c]
    assert len(lines) == 1, captions(at)
    return lines[0]


def url_value(at, key: str) -> str | None:
    v = at.query_params.get(key)
    return (v[-1] if isinstance(v, list) else v) if v else None


def assert_alone(at) -> None:
    """The Lesson with no class: no exception, the question asked with the alone-only skip button, no id."""
    assert not at.exception, [e.value for e in at.exception]
    assert at.button(key="answer_skip") is not None
    assert url_value(at, "me") is None


@pytest.mark.parametrize("code", ["K7", "K0O1", "<b>x</b>", "K7Q2K7Q2", " "])
def test_a_code_not_well_formed_says_one_line_and_the_lesson_works_alone(store, code):
    at = open_lesson({"class": code, "step": 1})
    assert_alone(at)
    line = class_line(at)
    assert line.startswith(":material/groups: No open class ") and "the Lesson works on its own" in line
    assert "<" not in line


def test_an_unknown_or_closed_class_says_one_line_and_the_lesson_works_alone(store):
    at = open_lesson({"class": "ZZZZ", "step": 1})
    assert_alone(at)
    assert class_line(at) == ":material/groups: No open class ZZZZ — the Lesson works on its own."
    code = store.create_class().code
    store.close(code)
    at = open_lesson({"class": code.lower(), "step": 1})  # read as the code it is
    assert_alone(at)
    assert class_line(at) == f":material/groups: No open class {code} — the Lesson works on its own."
    assert store.tally(code, 1).joined == 0


def test_joining_and_answering_give_rows_and_a_reload_never_counts_twice(store):
    code = store.create_class().code
    at = open_lesson({"class": code, "step": 1})
    assert not at.exception, [e.value for e in at.exception]
    me = url_value(at, "me")
    assert me and poll.clean_student_id(me) == me
    assert url_value(at, "class") == code
    assert store.tally(code, 1).joined == 1
    assert class_line(at) == f":material/groups: Class **{code}** · step 1 · waiting for your answer"
    at.segmented_control(key="answer_1").set_value("smaller")
    at.button(key="answer_send").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert store.answer_of(code, 1, me) == "smaller"
    assert class_line(at).endswith("· your answer is in")
    at.segmented_control(key="answer_1").set_value("larger")  # changed before the reveal: replaces the old one
    at.button(key="answer_send").click().run()
    t = store.tally(code, 1)
    assert (t.joined, t.answered, t.choices) == (1, 1, {"larger": 1})
    # a reload: a new session with the same address
    again = open_lesson({"class": code, "step": 1, "me": me})
    assert not again.exception
    assert url_value(again, "me") == me
    assert store.tally(code, 1).joined == 1
    assert again.segmented_control(key="answer_1").value == "larger"  # the poll's copy fills the answer in
    assert class_line(again).endswith("· your answer is in")
    # a second student counts once more
    other = open_lesson({"class": code, "step": 1})
    assert url_value(other, "me") not in (None, me)
    assert store.tally(code, 1).joined == 2


@pytest.mark.parametrize("reveal", [False, True])
def test_answers_the_teacher_deleted_are_no_longer_shown_as_in(store, reveal):
    """The teacher deletes the class's answers (and maybe reveals): the student's screen used to keep 'your answer
    is in', and after the reveal marked the deleted answer right beside a class chart of 0 answered."""
    code = store.create_class().code
    at = open_lesson({"class": code, "step": 1})
    me = url_value(at, "me")
    at.segmented_control(key="answer_1").set_value("smaller")
    at.button(key="answer_send").click().run()
    assert store.answer_of(code, 1, me) == "smaller" and class_line(at).endswith("· your answer is in")
    assert store.delete_answers(code) == 1
    if reveal:
        store.reveal(code, 1)
    at.run()  # the watcher's rerun (on the reveal), or any other
    assert not at.exception, [e.value for e in at.exception]
    infos = [i.value for i in at.info]
    assert any("Your teacher cleared the class's answers" in i for i in infos), infos
    assert not [m.value for m in at.markdown if "Your answer:" in m.value]  # no verdict on a deleted answer
    assert not [c for c in captions(at) if "Your answer is in" in c]
    assert at.segmented_control(key="answer_1").value is None
    if reveal:
        assert class_line(at).endswith("· revealed") and store.tally(code, 1).answered == 0
        return
    assert class_line(at).endswith("· waiting for your answer")
    at.segmented_control(key="answer_1").set_value("larger")  # answered again: in the poll, and said so
    at.button(key="answer_send").click().run()
    assert store.answer_of(code, 1, me) == "larger" and class_line(at).endswith("· your answer is in")


def test_only_links_to_the_lesson_carry_the_class_and_the_id(store):
    code = store.create_class().code
    at = open_lesson({"class": code, "step": 1})
    at.run()  # the sidebar's links drawn after the session joined
    me = url_value(at, "me")
    links = {l.proto.label: dict(parse_qsl(l.proto.query_string)) for l in at.get("page_link")}
    assert links["Lesson"]["class"] == code and links["Lesson"]["me"] == me  # back to the Lesson: still in class
    for label, query in links.items():
        if label != "Lesson":
            assert not {"class", "me", "watch"} & set(query), (label, query)


@pytest.mark.parametrize("bad", ["BAD!", "abc", "ABCDEFGHIJ", "abcdefghij0"])
def test_a_malformed_me_is_replaced_by_a_new_id(store, bad):
    code = store.create_class().code
    at = open_lesson({"class": code, "step": 1, "me": bad})
    assert not at.exception
    me = url_value(at, "me")
    assert me != bad and poll.clean_student_id(me) == me
    assert store.tally(code, 1).joined == 1


def test_the_lesson_follows_the_teachers_step_and_the_reveal(store):
    code = store.create_class().code
    store.set_step(code, 3)
    at = open_lesson({"class": code, "step": 1})  # a latecomer lands on the class's step
    assert not at.exception
    assert at.session_state["p_step"] == 3 and url_value(at, "step") == "3"
    assert any(h.value.startswith("3. ") for h in at.header)
    me = url_value(at, "me")
    at.button(key="lesson_next").click().run()  # a student may look ahead between two moves
    assert at.session_state["p_step"] == 4
    at.run()
    assert at.session_state["p_step"] == 4
    store.set_step(code, 5)  # the teacher moves everyone on
    at.run()
    assert at.session_state["p_step"] == 5 and any(h.value.startswith("5. ") for h in at.header)
    assert class_line(at).startswith(f":material/groups: Class **{code}** · step 5 ·")
    assert not at.get("vega_lite_chart")  # hidden until an answer or the reveal
    store.reveal(code, 5)
    at.run()
    assert not at.exception
    assert class_line(at).endswith("· revealed")
    assert at.get("vega_lite_chart")  # the step's chart (and the class's spread)
    assert store.tally(code, 5).joined == 1 and store.answer_of(code, 5, me) is None


def test_a_watching_screen_follows_but_never_joins(store):
    code = store.create_class().code
    at = open_lesson({"class": code, "step": 1, "watch": 1})
    assert not at.exception
    assert store.tally(code, 1).joined == 0 and url_value(at, "me") is None
    assert "the chart when the teacher reveals it" in class_line(at)


def test_an_unreachable_database_says_so_and_the_lesson_works_alone(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("POLL_DB_URL", f"sqlite:///{blocker / 'sub' / 'poll.sqlite3'}")  # a folder that cannot exist
    st.cache_resource.clear()
    try:
        at = open_lesson({"class": "K7Q2", "step": 1})
        assert_alone(at)
        assert class_line(at) == f":material/cloud_off: {class_poll.UNAVAILABLE}"
        at.run()  # a retry (a tick, or any rerun) fails the same way, quietly
        assert_alone(at)
    finally:
        st.cache_resource.clear()


class _Down:
    """A store whose every call raises PollUnavailable, as the real one does when the database is locked."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise poll.PollUnavailable("The class poll's database is busy or cannot be reached just now.")
        return fail


def test_a_store_that_goes_down_mid_lesson_says_so_and_comes_back(store, monkeypatch):
    code = store.create_class().code
    at = open_lesson({"class": code, "step": 1})
    me = url_value(at, "me")
    real = cached_poll.store
    monkeypatch.setattr(cached_poll, "store", lambda: _Down())
    at.run()
    assert class_line(at) == f":material/cloud_off: {class_poll.UNAVAILABLE}"
    assert not at.exception and url_value(at, "me") == me  # the identity stays for when it comes back
    monkeypatch.setattr(cached_poll, "store", real)
    at.run()
    assert not at.exception
    assert class_line(at).startswith(f":material/groups: Class **{code}**")
    assert store.tally(code, 1).joined == 1


def test_the_rooms_faults_are_sentences(store):
    code = store.create_class().code
    state = store.join(code, "abcdefghij")
    room = class_poll.Room(_Down(), state, "abcdefghij")
    assert room.my_answer(1) is None and room.tally(1) is None
    assert "unavailable" in room.send(1, "smaller")
    room = class_poll.Room(store, state, "abcdefghij")
    assert room.send(1, "smaller") is None and room.my_answer(1) == "smaller"
    store.reveal(code, 1)
    assert "revealed" in room.send(1, "larger")
    store.close(code)
    assert "closed" in room.send(2, "larger")
    assert re.search("cannot be taken", room.send(2, "NOT A KEY"))
    watcher = class_poll.Room(store, state, "", watching=True)
    assert watcher.send(2, "smaller") and watcher.my_answer(2) is None


def test_reading_secrets_without_a_secrets_file_never_raises(store):
    assert cached_poll.secrets() is None  # the repository has no .streamlit/secrets.toml
    assert cached_poll.url() == os.environ["POLL_DB_URL"]
