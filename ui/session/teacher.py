"""The teacher page's logic: the passcode guard, the class this page runs (kept in its own address as
`teacher?class=K7Q2`, so a reload or a second tab resumes it), the class's code, link and QR code for the room,
and the live view of the class's step, refreshed by a fragment every LIVE_S seconds (never a loop), with the
buttons that move the class.

The store is the class poll's (ui.cached.class_poll: one per database URL for the server); every call that can fail
says so in one line, and the fragment's next tick tries again."""
from __future__ import annotations

import hmac
import math
import re
import threading
import time
from collections import deque

import streamlit as st

import poll

from .. import questions, url
from ..blocks import chart_block
from ..cached import class_poll as cached_poll
from .class_poll import shown_code
from ..charts import teacher as charts
from .lesson import STEPS

PAGE = "teacher"
LIVE_S = 2.0  # seconds between two refreshes of the live view
CODE = "_teacher_class"  # session_state: the class this page runs
OK = "_teacher_ok"  # session_state: the passcode was given in this session
EARLY = "teacher_show_early"  # session_state (the toggle): show the answers before the reveal
SAID = "_teacher_said"  # session_state: what the last button did (or why not), said once in the live view
UNAVAILABLE = "The class poll is unavailable just now — retrying."
# The class code and the student link in large type (easy to read aloud, and from the back of a room).
# A constant: nothing a visitor sends reaches it.
CSS = """<style>
.st-key-teacher_code p { font-size: 4.5rem; font-weight: 700; letter-spacing: 0.2em; line-height: 1.1;
  margin: 0; font-family: "Source Code Pro", monospace; }
.st-key-teacher_link p { font-size: 1.4rem; line-height: 1.3; overflow-wrap: anywhere; margin: 0; }
</style>"""


def say() -> None:
    """What the last button did, or why not (SAID: ("ok" | "error", text)), once."""
    said = st.session_state.pop(SAID, None)
    if said:
        (st.success if said[0] == "ok" else st.error)(said[1])


# ---------------------------------------------------------------------------------------------------------
# the passcode

# Guessing is slowed, not forbidden: a browser session gives FREE_TRIES wrong passcodes (typos) without waiting,
# then waits 2, 4, 8 … seconds (at most WAIT_CAP_S) before its next try is checked; and the server process checks
# at most SERVER_FAILS wrong passcodes a minute from all sessions together (a new tab starts a new session), after
# which every try waits, the right one too, until the oldest of them is a minute old. That count is the one piece
# of state here kept per process, not in the class poll's database: a limit needs no agreement between replicas
# (with n of them behind the proxy, at most n × SERVER_FAILS a minute), and it holds while the database is down.
FREE_TRIES = 3
WAIT_CAP_S = 60.0
SERVER_FAILS = 30
WINDOW_S = 60.0
FAILS = "_teacher_fails"  # session_state: (wrong passcodes this session gave, when its next try may be checked)
_FAILED_AT: deque = deque()  # this server's wrong passcodes in the last WINDOW_S seconds (monotonic times)
_FAILED_LOCK = threading.Lock()


def _now() -> float:
    return time.monotonic()


def _server_wait(now: float, failed: bool = False) -> float:
    """Seconds until the server checks a passcode again (0: now); `failed` records a wrong one at `now`."""
    with _FAILED_LOCK:
        while _FAILED_AT and _FAILED_AT[0] <= now - WINDOW_S:
            _FAILED_AT.popleft()
        if failed:
            _FAILED_AT.append(now)
        return _FAILED_AT[0] + WINDOW_S - now if len(_FAILED_AT) >= SERVER_FAILS else 0.0


def passcode() -> str | None:
    """The configured teacher's passcode: secrets `teacher_passcode`, else TEACHER_PASSCODE; None when neither."""
    return cached_poll.secret("teacher_passcode")


def _check() -> None:
    """The form's callback: the given passcode against the configured one, in constant time, unless this session
    or the server must wait first (then nothing is checked, and the wait is said)."""
    now = _now()
    fails, after = st.session_state.get(FAILS, (0, 0.0))
    if after > now:
        st.session_state[SAID] = ("error", f"Wait {math.ceil(after - now)} s before the next try ({fails} wrong "
                                           "passcodes in this tab).")
        return
    if wait := _server_wait(now):
        st.session_state[SAID] = ("error", f"Too many wrong passcodes on this server in the last minute: try again "
                                           f"in {math.ceil(wait)} s.")
        return
    given = str(st.session_state.get("teacher_passcode", ""))
    expected = passcode() or ""
    ok = bool(expected) and hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
    st.session_state[OK] = ok
    if ok:
        st.session_state.pop(FAILS, None)
        return
    fails += 1
    delay = 0.0 if fails < FREE_TRIES else min(WAIT_CAP_S, 2.0 ** (fails - FREE_TRIES + 1))
    st.session_state[FAILS] = (fails, now + delay)
    _server_wait(now, failed=True)
    st.session_state[SAID] = ("error", "That is not the teacher's passcode."
                                       + (f" Wait {delay:.0f} s before the next try." if delay else ""))


def guard() -> bool:
    """True when this session may run a class: no passcode is configured (said in a caption), or it was given
    in this session. Else the passcode form, and False."""
    expected = passcode()
    if expected is None:
        st.caption(":material/lock_open: No teacher's passcode is set: anyone with this page's link can run a class.",
                   help="To require a passcode, set `teacher_passcode` in .streamlit/secrets.toml or the environment "
                        "variable TEACHER_PASSCODE.")
        return True
    if st.session_state.get(OK):
        return True
    with st.form("teacher_pass", border=False, clear_on_submit=True):  # the passcode is not kept
        st.text_input("Teacher's passcode", type="password", key="teacher_passcode")
        st.form_submit_button("Open the teacher page", on_click=_check, type="primary")
    say()
    return False


# ---------------------------------------------------------------------------------------------------------
# the class this page runs

def current() -> str | None:
    """The class this page runs: the address's ?class= on the session's first visit (well formed only), then the
    session's. Kept in the page's own address (before the passcode guard, so a reload keeps it)."""
    if CODE not in st.session_state:
        values = st.query_params.get_all("class")
        try:
            st.session_state[CODE] = poll.clean_code(values[-1]) if values else None
        except poll.BadInput:
            st.session_state[CODE] = None
            st.warning(f"{shown_code(values[-1])} is not a class code (4 letters and digits) — start a new class "
                       "below.", icon=":material/link_off:")
    code = st.session_state[CODE]
    if code is None:
        url.forget(PAGE)
    else:
        url.keep(PAGE, "class", code)
    return code


def new_class() -> None:
    """The "New class" button's callback: a new class, which this page now runs."""
    try:
        st.session_state[CODE] = cached_poll.store().create_class().code
    except poll.PollError as e:
        st.session_state[SAID] = ("error", f"No class could be made: {e}")


def start() -> None:
    """No class yet: what a class is, and the button that makes one."""
    st.markdown("Start a class, then show its code or QR code: each student opens the Lesson with it on their own "
                "device, answers each step's question before its chart appears, and sees the class's answers when "
                "you reveal them. You move everyone from step to step.")
    st.button("New class", icon=":material/add:", type="primary", on_click=new_class, key="teacher_new")
    say()
    st.caption(f"Answers are kept in {poll.describe(cached_poll.url())}; a class and its answers are deleted "
               "after 30 days. Students are anonymous: an id in their own link, never a name.")


# ---------------------------------------------------------------------------------------------------------
# the code, the link and the QR code

_SAFE_BASE = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~\-/]*)?")


def base_url() -> str:
    """The app's address as the teacher's browser sees it, without the page: st.context.url (Streamlit ≥ 1.45;
    it ends with this page's path), else the Host header (behind a proxy, X-Forwarded-Host / -Proto), else ""
    (a relative link). Only plain URL characters are kept, so nothing odd reaches the page."""
    found = st.context.url or ""
    if found:
        found = found.split("?")[0].split("#")[0].rstrip("/")
        found = found[: -len("/" + PAGE)] if found.endswith("/" + PAGE) else found
    else:
        h = st.context.headers
        host = h.get("X-Forwarded-Host") or h.get("Host")
        if host:
            proto = (h.get("X-Forwarded-Proto") or "http").split(",")[0].strip()
            found = f"{proto}://{host.split(',')[0].strip()}"
    return found if _SAFE_BASE.fullmatch(found) else ""


def student_link(code: str, base: str | None = None) -> str:
    """The link students open: <app base>/lesson?class=CODE&step=1."""
    return f"{base_url() if base is None else base}/lesson?class={code}&step=1"


def header(code: str) -> None:
    """The class's code in large type, its student link in large type, and the link as a QR code."""
    st.html(CSS)
    link = student_link(code)
    words, qr = st.columns([3, 2], vertical_alignment="center")
    with words:
        st.caption("Class code")
        st.container(key="teacher_code").markdown(code)
        st.caption("Students open")
        st.container(key="teacher_link").markdown(f"[{link}]({link})" if link.startswith("http") else link)
    qr.image(charts.qr_image(link), width=240, caption="Scan to join")


# ---------------------------------------------------------------------------------------------------------
# the live view of the class's step

def _act(what: str, fn, *args) -> None:
    """A button's callback: call the store; say what happened (or why not) once in the live view."""
    try:
        fn(*args)
        st.session_state[SAID] = ("ok", what)
    except poll.PollError as e:
        st.session_state[SAID] = ("error", f"{e}")


def _store_call(name: str):
    def call(*args):
        return getattr(cached_poll.store(), name)(*args)
    return call


def leave() -> None:
    """"Start another class": this page runs no class until the next "New class"."""
    st.session_state[CODE] = None


def _question(k: int):
    return questions.QUESTIONS[k - 1]


def _truth(k: int):
    """Step k's truth (questions.Truth) or None where it cannot be computed."""
    try:
        return questions.truth(k)
    except Exception:  # a step's computation refused or overflowed: the chart shows the answers without it
        return None


def answers_chart(code: str, k: int, tally, early: bool = False) -> None:
    """The class's answers to step k: counts per choice, or a histogram of the guesses; the truth marked once
    revealed. Before the reveal the distribution is hidden (a projected teacher page would show the class the
    tally early) unless `early`: the teacher chose to see it on their own screen."""
    q = _question(k)
    truth = _truth(k) if tally.revealed else None
    if not (tally.revealed or early):
        st.info("The answers are hidden until you reveal them, so a projected page does not show them early.",
                icon=":material/visibility_off:")
    elif tally.answered == 0:
        st.info("No answers yet.", icon=":material/hourglass_empty:")
    elif q.kind == "choice":
        df = charts.choices_frame(q.choices, tally.choices, truth.value if truth else None)
        chart_block(charts.choices_chart(df), df, "Each bar: how many students chose that answer"
                    + (" (green: the answer)." if truth else "."), f"class_{code}_step_{k}.csv",
                    key=f"teacher_chart_{k}")
    else:
        t = float(truth.value) if truth else None
        df = charts.numbers_frame(tally.numbers, t)
        chart_block(charts.numbers_chart(df, t, unit=q.unit or "the guess"), df,
                    "The students' guesses, binned" + (" (green rule: the answer)." if truth else "."),
                    f"class_{code}_step_{k}.csv", key=f"teacher_chart_{k}")
    if truth is not None:
        st.markdown(f"**The answer: {q.label(truth.value)}** ({truth.detail}).")


@st.fragment(run_every=LIVE_S)
def live(code: str) -> None:
    """The class's step: joined, answered, the answers, and the buttons that move the class. Every LIVE_S seconds."""
    try:
        store = cached_poll.store()
        state = store.get_class(code)
        tally = store.tally(code, state.step) if state is not None else None
    except poll.PollError:
        st.warning(UNAVAILABLE, icon=":material/cloud_off:")
        return
    if state is None:
        st.info(f"There is no class {code} (a class is kept for 30 days).", icon=":material/info:")
        return
    k, n = state.step, len(STEPS)
    st.subheader(f"Step {k} of {n} · {STEPS[k - 1].title}", anchor=False)
    st.markdown(questions.prompt_for(_question(k), STEPS[k - 1].settings, dict(STEPS[k - 1].options)))
    say()  # what the last button did
    # the buttons first: the teacher reaches them on the first screen, above the chart
    prev, reveal, nxt = st.columns(3)
    move = dict(width="stretch", wrap=True, on_click=_act)  # a label wraps rather than being cut at 1024 px
    prev.button("Everyone to the previous step", icon=":material/arrow_back:", key="teacher_prev", disabled=k == 1,
                args=(f"Everyone is on step {k - 1}.", _store_call("set_step"), code, k - 1), **move)
    reveal.button("Reveal to everyone", icon=":material/visibility:", key="teacher_reveal", type="primary",
                  disabled=tally.revealed or state.closed,
                  args=(f"Step {k} is revealed.", _store_call("reveal"), code, k), **move)
    nxt.button("Everyone to the next step", icon=":material/arrow_forward:", key="teacher_next", disabled=k == n,
               args=(f"Everyone is on step {k + 1}.", _store_call("set_step"), code, k + 1), **move)
    joined, answered, shown = st.columns(3)
    joined.metric("Joined", tally.joined)
    answered.metric("Answered", tally.answered)
    shown.metric("Chart", "revealed" if tally.revealed else "hidden")
    if state.closed:
        st.info(f"Class {code} is closed: students can no longer join or answer. Its answers stay until you "
                "delete them.", icon=":material/lock:")
    # per session, off by default: only for a teacher looking at their own screen, never the projector
    early = st.toggle("Show the answers before the reveal", key=EARLY,
                      help="Off: the answers' chart stays hidden until you reveal it, so a projected page shows "
                           "only how many joined and answered. On: you see the answers now (this session only).")
    answers_chart(code, k, tally, early=early)
    base = base_url()
    st.link_button("Open this step on the projector", f"{base}/lesson?class={code}&step={k}&watch=1&projector=1",
                   icon=":material/open_in_new:",
                   help="The Lesson at the class's step in a new tab, for the projector: it follows the class and "
                        "shows the chart when you reveal it, without answering.")
    close, delete = st.columns(2)
    with close.popover("Close the class", icon=":material/lock:", width="stretch", disabled=state.closed,
                        wrap=True):
        st.markdown(f"Close class {code}? Students can no longer join or answer; the answers stay.")
        st.button("Close it", key="teacher_close", type="primary",
                  on_click=_act, args=(f"Class {code} is closed.", _store_call("close"), code))
    with delete.popover("Delete this class's answers", icon=":material/delete:", width="stretch", wrap=True):
        st.markdown(f"Delete every answer of class {code}, at every step? This cannot be undone.")
        st.button("Delete the answers", key="teacher_delete", type="primary",
                  on_click=_act, args=(f"The answers of class {code} are deleted.", _store_call("delete_answers"),
                                       code))


def footer() -> None:
    """Under the live view (outside its fragment, so the whole page follows): leave this class for a new one."""
    st.button("Start another class", icon=":material/add:", key="teacher_leave", on_click=leave,
              help="This page leaves this class (it stays open until you close it) and offers a new one.")
