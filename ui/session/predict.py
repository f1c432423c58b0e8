"""Predict, then reveal: a Lesson step's question (ui/questions.py) asked in one row above its chart, and after the
chart the visitor's answer beside what the chart says.

Alone (room None) the chart shows once the visitor has answered, or pressed "Show the chart without answering"
(a teacher presenting alone); the answer can be changed at any time. In a class (room: ui/session/class_poll.py's Room,
the class engineer's) the answer goes to the class poll through room.send, the chart shows once the student has
answered or the teacher has revealed the step, and after the reveal `after` adds the class's spread
(room.tally). Answers are kept per visitor and step in st.session_state (ANSWERS), so Previous / Next keep them;
in a class the poll's own copy (room.my_answer) fills them in on a new session.

Widget keys (the load tests use them): f"answer_{k}" for the answer, "answer_send" for the button that sends it.
"""
from __future__ import annotations

import math

import streamlit as st

from .. import projector
from ..charts import predict as charts
from ..charts.projector import for_projector
from .lesson import STEPS
from ..questions import QUESTIONS, Question, prompt_for, truth

ANSWERS = "_predict_answers"  # {step: choice key or number}: this visitor's answers
SKIPPED = "_predict_skipped"  # {step}: the steps whose chart was shown without an answer (alone only)
MESSAGE = "_predict_message"  # (step, text): what the last send said, shown once
PENDING = "_predict_pending"  # (step, answer): sent by a callback, taken by the next `ask`
POLLED = "_predict_polled"  # {(class code, student, step)}: the poll's copy of an answer already read
IN_POLL = "_predict_in_poll"  # {(class code, student, step)}: answers this session knows the poll holds
CLEARED = ("Your teacher cleared the class's answers: answer again.",
           "Your teacher cleared the class's answers before the reveal: yours is not among them.")
SEND = "answer_send"  # the send button's key


def widget_key(k: int) -> str:
    return f"answer_{k}"


def _answers() -> dict:
    return st.session_state.setdefault(ANSWERS, {})


def answer_of(k: int):
    """This visitor's answer to step k's question, or None."""
    return _answers().get(k)


def _clean(q: Question, value):
    """A widget's value as the poll stores it (a choice key, a finite float), or None when there is none."""
    if value is None:
        return None
    if q.choices:
        return value if value in dict(q.choices) else None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return min(max(v, q.lo), q.hi) if math.isfinite(v) else None


def _send(k: int, quiet: bool = False) -> None:
    """The send button's (and, once it changes, the answer widget's) callback: the answer waits in PENDING for
    `ask`, which keeps it and, in a class, sends it through this run's room. `quiet`: a widget emptied again
    says nothing."""
    q = QUESTIONS[k - 1]
    st.session_state.pop(MESSAGE, None)
    value = _clean(q, st.session_state.get(widget_key(k)))
    if value is None:
        if not quiet:
            # a number outside [lo, hi] never reaches the server (the box refuses it, outlined in red): say the range
            st.session_state[MESSAGE] = (k, "Pick an answer first." if q.choices else
                                         f"Type a number from {q.lo:g} to {q.hi:g} first.")
        return
    st.session_state[PENDING] = (k, value)


def _take(room) -> None:
    """The answer a callback left: kept, and in a class sent to the poll (a message it returns is shown once)."""
    pending = st.session_state.pop(PENDING, None)
    if pending is None:
        return
    k, value = pending
    if room is not None:
        said = room.send(k, value)
        if said:
            st.session_state[MESSAGE] = (k, said)
            if room.revealed(k):  # the reveal came first: the poll keeps the answer it had
                return
        else:
            st.session_state.setdefault(IN_POLL, set()).add((room.code, room.student, k))
    _answers()[k] = value


def _skip(k: int) -> None:
    st.session_state.setdefault(SKIPPED, set()).add(k)


def _from_poll(k: int, room) -> None:
    """In a class, on a session's first look at step k: the answer the poll holds for this student (a reload)."""
    seen = st.session_state.setdefault(POLLED, set())
    tag = (room.code, room.student, k)
    if k in _answers() or tag in seen:
        return
    seen.add(tag)
    mine = room.my_answer(k)
    if mine is not None:
        _answers()[k] = mine
        st.session_state.setdefault(IN_POLL, set()).add(tag)


def _forget_cleared(k: int, room) -> None:
    """In a class: an answer the poll held and holds no longer (the teacher deleted the class's answers) is
    forgotten here too, with a note, so that the screen neither says it is in nor, after the reveal, marks it
    as this student's. An answer the poll never took (it was unavailable) stays, as before."""
    tag = (room.code, room.student, k)
    held = st.session_state.get(IN_POLL, set())
    if tag not in held or k not in _answers() or room.holds_answer(k) is not False:
        return
    held.discard(tag)
    _answers().pop(k, None)
    st.session_state[widget_key(k)] = None
    st.session_state[MESSAGE] = (k, CLEARED[room.revealed(k)])


def ask(k: int, s, room=None) -> bool:
    """Step k's question in one row (prompt, answer, Answer), and once the chart may show, one line under it: the
    answer beside what the chart says. True when the chart may show: answered, or revealed to the class, or
    (alone) shown without answering."""
    q, step = QUESTIONS[k - 1], STEPS[k - 1]
    _take(room)
    revealed = room is not None and room.revealed(k)
    prompt = prompt_for(q, step.settings, dict(step.options))
    if getattr(room, "watching", False):  # the teacher's projector: the question, never an answer
        st.markdown(f"**{prompt}**")
        if not revealed:
            st.caption(":material/how_to_vote: The class answers on their screens; the chart shows when you reveal.")
        return revealed
    if room is not None:
        _from_poll(k, room)
        _forget_cleared(k, room)
    mine = answer_of(k)
    key = widget_key(k)
    if st.session_state.get(key) is None and mine is not None:  # back on the step: the widget shows the answer
        st.session_state[key] = mine
    # one row: a choice's prompt is its label, over the options (they need the width); a number's prompt
    # stands beside a narrow input
    row = st.container(key="predict_row")
    common = dict(key=key, disabled=revealed, on_change=_send, args=(k, True))
    if q.choices:
        answer, send = row.columns([7, 2], vertical_alignment="bottom")
        labels = dict(q.choices)
        if revealed:  # a disabled widget greys its label: the question stays readable above it
            answer.markdown(f"**{prompt}**")
        answer.segmented_control(f"**{prompt}**", list(labels), format_func=labels.get,
                                 label_visibility="collapsed" if revealed else "visible", **common)
    else:
        text, answer, send = row.columns([5, 2.5, 2], vertical_alignment="center")
        text.markdown(f"**{prompt}**")
        answer.number_input(prompt, min_value=q.lo, max_value=q.hi, value=None, step=q.step,
                            format=f"%.{q.digits}f", placeholder=q.unit or f"{q.lo:g} … {q.hi:g}",
                            label_visibility="collapsed", **common)
    send.button("Answer", key=SEND, on_click=_send, args=(k,), disabled=revealed, type="primary",
                width="stretch", icon=":material/send:",
                help="Send your answer; the chart shows once you have answered." if room is None else
                     "Send your answer to the class poll; you can change it until your teacher reveals the answers.")
    said = st.session_state.pop(MESSAGE, None)
    if said and said[0] == k:
        st.info(said[1], icon=":material/info:")
    shown = mine is not None or revealed or (room is None and k in st.session_state.get(SKIPPED, set()))
    if not shown:
        if room is None:
            st.button("Show the chart without answering", key="answer_skip", type="tertiary", on_click=_skip,
                      args=(k,), icon=":material/visibility:")
        else:
            st.caption(":material/visibility_off: The chart shows once you have answered, or when your teacher "
                       "reveals the answers.")
    elif mine is not None or room is None or revealed:
        _line(k, s, room, mine, revealed)
    return shown


def _verdict(q: Question, mine, t) -> str:
    """A badge: green 'right' / 'close' (a number within the question's tolerance), amber 'not quite' / 'off by …'."""
    if q.close(mine, t):
        return ":green-badge[:material/check: right]" if q.choices else ":green-badge[:material/check: close]"
    if q.choices:
        return ":orange-badge[:material/close: not quite]"
    return f":orange-badge[off by {q.label(abs(float(mine) - float(t)))}]"


def _line(k: int, s, room, mine, revealed: bool) -> None:
    """Under the question once the chart shows: your answer beside what the chart says (green when right or
    close, amber when not); in a class before the reveal, only that your answer is in."""
    q, step = QUESTIONS[k - 1], STEPS[k - 1]
    if room is not None and not revealed:
        st.caption(f":material/how_to_vote: Your answer is in: **{q.label(mine)}**. You can change it until your "
                   "teacher reveals the class's answers.")
        return
    try:
        t = truth(k)
    except ValueError as e:
        st.caption(f"This step's answer cannot be read at its settings: {e}.")
        return
    where = "" if s == step.settings else " at this step's own settings"
    says = f"The chart says{where}: **{q.label(t.value)}**"
    # one line (the chart follows it on a projector's first screen); the numbers behind it in its help
    why = t.detail[0].upper() + t.detail[1:] + "." + (f" An answer {q.tolerance_text} counts as close." if
                                                        not q.choices else "")
    if mine is None:
        st.markdown(says, help=why)
    else:
        st.markdown(f"{_verdict(q, mine, t.value)} Your answer: **{q.label(mine)}** · {says}", help=why)


def after(k: int, s, room=None) -> None:
    """Under the chart, in a class after the reveal: the class's answers (room.tally) with the chart's answer and
    yours marked. (Your answer beside the chart's is the line `ask` draws under the question.)"""
    if room is None or not room.revealed(k):
        return
    q = QUESTIONS[k - 1]
    tally = room.tally(k)
    if tally is None:
        st.caption("The class's answers are unavailable just now.")
        return
    try:
        t = truth(k).value
    except ValueError:
        t = None
    chart = charts.spread_chart(q, tally, t, answer_of(k))
    st.altair_chart(for_projector(chart) if projector.on() else chart, width="stretch", key=f"predict_spread_{k}")
    st.caption(f"The class: {tally.answered} of {tally.joined} answered"
               + (". The bar with ✓ is the chart's answer." if q.choices else
                  "; the solid rule is the chart's answer, the dashed one yours."))
