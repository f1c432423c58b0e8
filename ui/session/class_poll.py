"""The Lesson as a class activity, the student's side: `/lesson?class=K7Q2&step=1` joins class K7Q2.

- The class code is checked before it reaches the store (poll.clean_code); a code not well formed, unknown or
  closed is said in one plain line and the Lesson works alone (`current` returns None).
- Each student is an anonymous id (poll.new_student_id, never a name) kept in their own address as `me=`
  (ui.url.keep: written with the rest of the address in one history entry, carried by links to the Lesson only),
  so a reload keeps the identity and never counts twice; a malformed `me` is replaced by a new one.
- The class's step is the teacher's: when the teacher moves everyone on, the student's Lesson goes to that step
  (its settings applied on arrival, as ui.session.lesson.go does); between two moves a student may look around.
- A fragment ticks every WATCH_S seconds (never a loop): it reads the class's step and this step's reveal and
  reruns the app only when one of them changed, so the reveal reaches every screen within about WATCH_S + a run.
  Where this session last found its answer to the step in the poll (HELD), the tick also looks whether it is still
  there, so the teacher's "Delete the answers" reaches the screen the same way (once per deletion).
- The database unavailable or locked: one line says so, the Lesson works alone, and the ticks retry.
- `?watch=1` (the teacher page's "Open this step on the projector"): the screen follows the class's step and
  shows the chart after the reveal, but never joins or answers.
"""
from __future__ import annotations

import streamlit as st

import poll

from .. import url
from ..blocks import STATE
from ..cached import class_poll as cached_poll

PAGE = "lesson"
WATCH_S = 2.0  # seconds between two looks at the class (the reveal reaches a screen within about this)
ME = "_class_me"  # session_state: this session's student id
JOINED = "_class_joined"  # session_state: (code, student) already joined in this session
SEEN = "_class_seen"  # session_state: (code, class step) this session last followed
UNAVAILABLE = "The class poll is unavailable; the Lesson works on its own — retrying."
OFF = "unavailable"  # the snapshot of a class the last full run could not read (any answer differs from it)
HELD = "_class_held"  # session_state: {(class code, student, step): whether the poll held this session's answer}
# Not ui.session.predict's IN_POLL (the answers this session knows the poll holds, forgotten by `ask` when gone):
# the watcher's body also runs inside every full run, before `ask`, so a tick that read IN_POLL would rerun that
# run before it could forget the answer, again and again. HELD is updated by every read of the poll (the status
# line's among them, before the watcher) and by the tick itself, so a deletion gives one rerun.


class Room:
    """One student's (or one watching screen's) seat in an open class, for one script run: what the Lesson's
    question needs (ui/session/predict.py). Every call says a fault in words, never raises."""

    def __init__(self, store: poll.Store, state, student: str, *, watching: bool = False, status=None):
        self.store = store
        self.state = state  # the class as this run found it (poll.ClassState)
        self.code: str = state.code
        self.student: str = student  # "" for a watching screen
        self.watching = watching
        self._status = status  # the status line's placeholder (redrawn after an answer is sent)
        self._answers: dict[int, object] = {}

    @property
    def step(self) -> int:
        """The class's step (the teacher's)."""
        return int(self.state.step)

    def _read(self, step: int) -> tuple[bool, object]:
        """(readable, this student's stored answer to `step` or None), read once per run: not readable on a watching
        screen or while the poll is unavailable."""
        if self.watching:
            return False, None
        if step not in self._answers:
            try:
                self._answers[step] = self.store.answer_of(self.code, step, self.student)
            except poll.PollError:
                return False, None
            _held()[(self.code, self.student, step)] = self._answers[step] is not None
        return True, self._answers[step]

    def my_answer(self, step: int):
        """This student's stored answer to `step` (a choice's key or a number), or None (none, or unavailable)."""
        return self._read(step)[1]

    def holds_answer(self, step: int) -> bool | None:
        """Whether the poll holds this student's answer to `step`; None when that cannot be read (a watching
        screen, or the poll unavailable)."""
        readable, value = self._read(step)
        return value is not None if readable else None

    def send(self, step: int, value) -> str | None:
        """Store this student's answer to `step` (an upsert: a changed answer replaces the old one). None when
        stored, else a plain sentence saying why not."""
        if self.watching:
            return "This screen watches the class for the teacher; it does not answer."
        try:
            self.store.answer(self.code, step, self.student, value)
        except poll.AlreadyRevealed:
            return "The answers to this step are revealed: yours can no longer change."
        except poll.ClassClosed:
            return f"Class {self.code} is closed: answers are no longer taken."
        except poll.ClassNotFound:
            return f"Class {self.code} no longer exists: answers are no longer taken."
        except poll.PollUnavailable:
            return "The class poll is unavailable, so your answer was not sent: try again in a moment."
        except poll.BadInput as e:
            return f"That answer cannot be taken: {e}"
        except poll.PollError as e:
            return f"The class poll refused the answer: {e}"
        self._answers[step] = value
        _held()[(self.code, self.student, step)] = True
        if self._status is not None:
            self._status.caption(status_line(self, step))
        return None

    def revealed(self, step: int) -> bool:
        """Whether the teacher has revealed `step` (as this run found the class; the ticks rerun on a change)."""
        return int(step) in self.state.revealed

    def tally(self, step: int):
        """The class's answers to `step` (poll.Tally), or None when the poll is unavailable."""
        try:
            return self.store.tally(self.code, step)
        except poll.PollError:
            return None


def status_line(room: Room, k: int) -> str:
    """E.g. 'Class K7Q2 · step 3 · your answer is in', '… · revealed'."""
    parts = [f":material/groups: Class **{room.code}**", f"step {room.step}"]
    if k != room.step:
        parts.append(f"you are on step {k}")
    if room.revealed(k):
        parts.append("revealed")
    elif room.watching:
        parts.append("this screen shows the chart when the teacher reveals it")
    elif room.my_answer(k) is not None:
        parts.append("your answer is in")
    else:
        parts.append("waiting for your answer")
    return " · ".join(parts)


def _held() -> dict:
    return st.session_state.setdefault(HELD, {})


def _param(key: str) -> str | None:
    values = st.query_params.get_all(key)
    return values[-1] if values else None


def shown_code(text: str) -> str:
    """A visitor's class code made safe to print (in markdown too): short, letters and digits only."""
    safe = "".join(c if c.isascii() and c.isalnum() else "?" for c in text[:12])
    return safe + ("…" if len(text) > 12 else "") if safe else "(empty)"


def _student() -> str:
    """This session's anonymous id: kept from the first run; on the first, the address's `me` when well formed,
    else a new one."""
    me = st.session_state.get(ME)
    if me is None:
        raw = _param("me")
        try:
            me = poll.clean_student_id(raw) if raw is not None else poll.new_student_id()
        except poll.BadInput:
            me = poll.new_student_id()
        st.session_state[ME] = me
    return me


def _alone(text: str) -> None:
    """One plain line; the Lesson works alone, and its links no longer carry the class."""
    url.forget(PAGE)
    st.caption(f":material/groups: {text}")


def current(k: int) -> Room | None:
    """The class this Lesson belongs to (?class=…), or None: no class asked for, or said in one line why not
    (a code not well formed, unknown, closed, the poll unavailable). Joins the class on arrival, follows the
    teacher's step, and starts the fragment that watches for the teacher's next move."""
    raw = _param("class")
    if raw is None:
        url.forget(PAGE)
        return None
    try:
        code = poll.clean_code(raw)
    except poll.BadInput:
        url.want("class", raw[:32])
        _alone(f"No open class {shown_code(raw)} — the Lesson works on its own (a class code is 4 letters and "
               "digits).")
        return None
    watching = _param("watch") == "1"
    url.keep(PAGE, "class", code)
    if watching:
        url.keep(PAGE, "watch", "1")
    try:
        store = cached_poll.store()
        state = store.get_class(code)
        if state is not None and not state.closed and not watching:
            me = _student()
            url.keep(PAGE, "me", me)
            if st.session_state.get(JOINED) != (code, me):
                state = store.join(code, me)
                st.session_state[JOINED] = (code, me)
    except (poll.ClassNotFound, poll.ClassClosed):
        state = None
    except poll.PollError:
        if not watching and (ME in st.session_state or _param("me") is not None):
            url.keep(PAGE, "me", _student())  # the identity stays in the address for when the poll is back
        st.caption(f":material/cloud_off: {UNAVAILABLE}")
        _watch(code, k, OFF)
        return None
    if state is None or state.closed:
        _alone(f"No open class {code} — the Lesson works on its own.")
        return None
    _follow(code, k, int(state.step))
    placeholder = st.empty()
    room = Room(store, state, "" if watching else st.session_state[ME], watching=watching, status=placeholder)
    placeholder.caption(status_line(room, k))
    _watch(code, k, _snapshot(state, k), room.student)
    return room


def _follow(code: str, k: int, class_step: int) -> None:
    """The teacher moved the class (or this session just arrived): go to the class's step, once per move."""
    if st.session_state.get(SEEN) == (code, class_step):
        return
    st.session_state[SEEN] = (code, class_step)
    if class_step != k:
        # ui.session.lesson.current reads the step from here, and ui.session.lesson.arrive puts its settings in the
        # sidebar
        st.session_state[STATE + "step"] = class_step
        st.rerun()


def _snapshot(state, k: int) -> tuple | None:
    """What a tick compares: the class's step, whether step k is revealed, whether the class is open."""
    if state is None:
        return None
    return int(state.step), int(k) in state.revealed, bool(state.closed)


@st.fragment(run_every=WATCH_S)
def _watch(code: str, k: int, seen: tuple | str | None, student: str = "") -> None:
    """Every WATCH_S seconds: the class's step and step k's reveal; the whole app reruns only when either changed
    (or the class closed, or the poll came back after being unavailable), or when the answer to step k this
    session last found in the poll is gone (the teacher deleted the class's answers: once, the full run then
    says so). Never raises."""
    tag = (code, student, k)
    try:
        store = cached_poll.store()
        now = _snapshot(store.get_class(code), k)
        gone = bool(student) and _held().get(tag, False) and store.answer_of(code, k, student) is None
    except poll.PollError:
        if seen != OFF:  # the full run's line says it already
            st.caption(f":material/cloud_off: {UNAVAILABLE}")
        return
    if gone:
        _held()[tag] = False  # one rerun per deletion, whatever the page does with it
    if now != seen or gone:
        st.rerun()
