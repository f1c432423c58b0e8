"""AppTest for the Lesson's questions (issue 21: predict, then reveal), alone and in a class.

Alone: a step's chart is hidden until the visitor answers (or presses 'Show the chart without answering'), then
shows with one line, the answer beside what the chart says, whose truth is checked against the references of
tests/question_refs.py (autograd, closed forms), never the app's output; a changed answer changes the line; the
answers stay across Next / Previous. In a class: ui.session.class_poll.current is replaced by a fake Room (the seam of
/work/notes/poll_api.md): the chart shows once answered or revealed, the answer goes through room.send and its
message is shown, and after the reveal the class's spread is drawn."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import pytest

import question_refs as R
from apptest_helpers import chart_tables, open_app
from lesson_steps import SKIP
from ui.questions import QUESTIONS
from ui.session import lesson

LESSON = "pages/lesson.py"
SEND = "answer_send"


def ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def charts(at) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("graphviz_chart"))


def line(at) -> str:
    found = [m.value for m in at.markdown if "The chart says" in m.value]
    assert len(found) == 1, [m.value[:80] for m in at.markdown]
    return found[0]


def line_help(at) -> str:
    """The line's tooltip: the numbers behind what the chart says, and a number's tolerance."""
    return [m.proto.help for m in at.markdown if "The chart says" in m.value][0]


def answer(at, k: int, value):
    """Set step k's answer widget and press Answer."""
    if isinstance(value, str):
        at.button_group(key=f"answer_{k}").set_value(value)
    else:
        at.number_input(key=f"answer_{k}").set_value(value)
    at.button(key=SEND).click().run()
    ok(at)
    return at


# ---------------------------------------------------------------------------------------------------------
# alone

def test_the_chart_is_hidden_until_the_answer_and_the_line_says_the_truth():
    at = open_app({"step": 3}, LESSON)
    ok(at)
    assert charts(at) == 0, "no chart before the answer"
    assert [b for b in at.button if b.key == SKIP]
    assert at.button_group(key="answer_3").value is None
    want, _ = R.regime(lesson.STEPS[2].settings)  # 'vanish', by classify on the jacrev reference
    answer(at, 3, "stay")
    assert charts(at) >= 1
    text = line(at)
    assert "Your answer: **stay near 1**" in text and f"The chart says: **{dict(R_LABELS)[want]}**" in text
    assert ":orange-badge[" in text and ":green-badge[" not in text
    assert not [b for b in at.button if b.key == SKIP], "nothing to skip once answered"


R_LABELS = (("vanish", "vanish"), ("stay", "stay near 1"), ("explode", "explode"))


def test_a_number_within_the_tolerance_is_close_and_a_changed_answer_changes_the_line():
    at = open_app({"step": 5}, LESSON)
    ok(at)
    assert charts(at) == 0
    want = -R.tanh_log10_norms(lesson.STEPS[4].settings)[49]  # decades at lag 50, by jacrev
    answer(at, 5, 4.5)  # ρ⁵⁰ alone: 10^-4.8
    text = line(at)
    said = float(re.search(r"The chart says: \*\*([\d.]+) decades\*\*", text).group(1))
    assert said == pytest.approx(want, abs=0.05)
    assert "Your answer: **4.5 decades**" in text and ":orange-badge[off by" in text
    answer(at, 5, round(want * 2) / 2)  # on the input's 0.5 grid, within 1 decade
    text = line(at)
    assert ":green-badge[:material/check: close]" in text and "within 1 decade counts as close" in line_help(at)
    at50 = re.search(r"([\d.]+) × 10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+) at lag 50", line_help(at))
    sup = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
    assert math.log10(float(at50.group(1))) + int(at50.group(2).translate(sup)) == pytest.approx(-want, abs=0.02)
    assert charts(at) >= 1


def test_the_skip_button_shows_the_chart_and_the_truth_without_an_answer():
    at = open_app({"step": 1}, LESSON)
    ok(at)
    assert charts(at) == 0
    at.button(key=SKIP).click().run()
    ok(at)
    assert len(at.get("graphviz_chart")) == 1
    want, _ = R.h1_against_hT(lesson.STEPS[0].settings)
    text = line(at)
    assert text.startswith(f"The chart says: **{dict(lesson_choices(1))[want]}**") and "Your answer" not in text
    answer(at, 1, want)  # the question can still be answered after the skip
    assert ":green-badge[:material/check: right]" in line(at)


def lesson_choices(k: int):
    from ui.questions import QUESTIONS
    return QUESTIONS[k - 1].choices


def test_answers_are_kept_across_next_and_previous():
    at = open_app({"step": 3}, LESSON)
    answer(at, 3, "explode")
    at.button(key="lesson_next").click().run()
    ok(at)
    assert charts(at) == 0, "step 4 asks its own question first"
    answer(at, 4, 0.75)
    assert ":green-badge[" in line(at)
    at.button(key="lesson_prev").click().run()
    ok(at)
    assert charts(at) >= 1 and at.button_group(key="answer_3").value == "explode"
    assert "Your answer: **explode**" in line(at)
    at.button(key="lesson_next").click().run()
    ok(at)
    assert charts(at) >= 1 and at.number_input(key="answer_4").value == pytest.approx(0.75)


def test_sending_nothing_asks_for_an_answer_and_shows_no_chart():
    at = open_app({"step": 9}, LESSON)
    at.button(key=SEND).click().run()
    ok(at)
    assert charts(at) == 0
    q = QUESTIONS[8]  # the range too: a number outside it never reaches the server (the box refuses it)
    assert [i.value for i in at.info if f"Type a number from {q.lo:g} to {q.hi:g} first" in i.value]
    answer(at, 9, 0.5)
    want = R.truncated_cosine(lesson.STEPS[8].settings, 10)
    said = float(re.search(r"The chart says: \*\*([-\d.]+)\*\*", line(at)).group(1))
    assert said == pytest.approx(want, abs=0.005)


def test_a_changed_sidebar_says_the_truth_is_at_the_steps_own_settings():
    at = open_app({"step": 6}, LESSON)
    at.select_slider(key="w_scale").set_value(1.1).run()
    answer(at, 6, 8.0)
    s = lesson.STEPS[5].settings
    text = line(at)
    assert "The chart says at this step's own settings" in text
    said = float(re.search(r"\*\*([\d.]+) decades\*\*", text.split("·")[1]).group(1))
    assert said == pytest.approx(R.linear_log10_norm(s, s.T), abs=0.05)


# ---------------------------------------------------------------------------------------------------------
# in a class: a fake Room in place of ui.session.class_poll's

@dataclass
class Tally:
    joined: int
    answered: int
    choices: dict
    numbers: tuple
    revealed: bool


@dataclass
class FakeRoom:
    code: str = "K7Q2"
    student: str = "abcdefghij"
    shown: set = field(default_factory=set)  # the revealed steps
    stored: dict = field(default_factory=dict)  # step -> answer, as the poll would keep it
    sent: list = field(default_factory=list)
    message: str | None = None  # what send says (None: stored)
    others: dict = field(default_factory=dict)  # step -> Tally of the rest of the class

    def my_answer(self, step):
        return self.stored.get(step)

    def holds_answer(self, step):
        return step in self.stored

    def send(self, step, value):
        self.sent.append((step, value))
        if step in self.shown:
            return "The answers to this step are revealed: yours can no longer change."
        if self.message:
            return self.message
        self.stored[step] = value
        return None

    def revealed(self, step):
        return step in self.shown

    def tally(self, step):
        return self.others.get(step)


@pytest.fixture
def room(monkeypatch):
    r = FakeRoom()
    from ui.session import class_poll
    monkeypatch.setattr(class_poll, "current", lambda k: r)
    return r


def test_in_a_class_the_chart_waits_for_the_answer_which_goes_to_the_poll(room):
    at = open_app({"step": 3}, LESSON)
    ok(at)
    assert charts(at) == 0
    assert not [b for b in at.button if b.key == SKIP], "a student cannot skip the question"
    assert [c.value for c in at.caption if "when your teacher reveals" in c.value]
    answer(at, 3, "stay")
    assert room.sent == [(3, "stay")] and room.stored[3] == "stay"
    assert charts(at) >= 1, "the chart shows once the student has answered"
    assert [c.value for c in at.caption if "Your answer is in: **stay near 1**" in c.value]
    assert not [m.value for m in at.markdown if "The chart says" in m.value], "the verdict waits for the reveal"
    answer(at, 3, "vanish")  # changed before the reveal: sent again
    assert room.stored[3] == "vanish"


def test_in_a_class_the_reveal_shows_the_chart_the_truth_and_the_spread(room):
    room.shown.add(3)
    room.others[3] = Tally(joined=5, answered=4, choices={"vanish": 1, "stay": 3}, numbers=(), revealed=True)
    room.stored[3] = "stay"  # answered before, in another session: read back from the poll
    at = open_app({"step": 3}, LESSON)
    ok(at)
    assert at.button_group(key="answer_3").value == "stay" and at.button_group(key="answer_3").disabled
    # a disabled widget greys its label: after the reveal the question is plain text above the answers
    assert [m.value for m in at.markdown if "100 steps back, the product" in m.value], "the question stays readable"
    text = line(at)
    assert "Your answer: **stay near 1**" in text and "The chart says: **vanish**" in text
    tables = chart_tables(at)
    spread = [t.to_pydict() for t in tables if "count" in t.column_names and "answer" in t.column_names]
    assert spread, "the class's answers as a chart"
    d = spread[0]
    assert d["count"] == [1, 3, 0] and d["answer"] == ["vanish ✓", "stay near 1", "explode"]
    assert [c.value for c in at.caption if "4 of 5 answered" in c.value]


def test_in_a_class_a_revealed_step_shows_without_an_answer_and_a_late_answer_is_refused(room):
    room.shown.add(5)
    room.others[5] = Tally(joined=3, answered=3, choices={}, numbers=(4.0, 9.5, math.inf), revealed=True)
    at = open_app({"step": 5}, LESSON)
    ok(at)
    assert charts(at) >= 2, "the step's chart and the class's guesses"
    assert line(at).startswith("The chart says: **")
    nums = [v for t in chart_tables(at) if t.column_names == ["value"] for v in t.to_pydict()["value"]]
    assert sorted(nums) == [4.0, 9.5], "the guesses, never a non-finite one"
    room.shown.discard(5)  # the widget is enabled again for a moment; a send as the reveal lands
    at.run()
    room.shown.add(5)
    answer(at, 5, 7.0)
    assert [i.value for i in at.info if "revealed" in i.value], "the poll's message is shown"
    assert 5 not in room.stored


def test_in_a_class_an_unavailable_poll_is_said_and_the_chart_still_shows(room):
    room.message = "The class poll is unavailable, so your answer was not sent: try again in a moment."
    at = open_app({"step": 2}, LESSON)
    answer(at, 2, 0.5)
    assert [i.value for i in at.info if "unavailable" in i.value]
    assert charts(at) >= 1, "the Lesson works on: the student answered"
