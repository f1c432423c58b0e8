"""AppTest of the teacher page (pages/teacher.py, ui/session/teacher.py) against a real SQLite store in a temp file:
"New class" makes a class and keeps its code in the page's address, a reload resumes it, the live view shows the
store's tally, and Reveal / next / previous / Close / Delete act on the store; the passcode guard (secrets or the
environment, compared in constant time, remembered for the session); an unreachable database is said, never a
traceback. The chart's counts are checked against the store's rows, the QR code against segno's own matrix."""
from __future__ import annotations

import numpy as np
import pytest
import segno
import streamlit as st
from streamlit.testing.v1 import AppTest

import poll
from apptest_helpers import APP, chart_tables
from ui import questions
from ui.session import teacher
from ui.charts import teacher as charts

PAGE = "pages/teacher.py"


@pytest.fixture
def store(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'poll.sqlite3'}"
    monkeypatch.setenv("POLL_DB_URL", url)
    monkeypatch.delenv("TEACHER_PASSCODE", raising=False)
    st.cache_resource.clear()
    yield poll.Store(url)
    st.cache_resource.clear()


def open_teacher(query: dict | None = None, secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets.update(secrets or {})
    at.run()
    at.query_params.clear()
    at.query_params.update({k: str(v) for k, v in (query or {}).items()})
    return at.switch_page(PAGE).run()


def ok(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


def texts(at) -> list[str]:
    return [m.value for m in at.markdown] + [c.value for c in at.caption]


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def url_class(at) -> str | None:
    v = at.query_params.get("class")
    return (v[-1] if isinstance(v, list) else v) if v else None


def test_new_class_shows_its_code_link_and_qr_and_keeps_it_in_the_address(store):
    at = open_teacher()
    ok(at)
    assert any("anyone with this page's link can run a class" in t for t in texts(at))
    at.button(key="teacher_new").click().run()
    ok(at)
    code = url_class(at)
    assert code and poll.clean_code(code) == code and store.get_class(code) is not None
    assert code in texts(at)
    assert any(f"/lesson?class={code}&step=1" in t for t in texts(at))
    assert len(at.get("image")) == 1
    assert metrics(at) == {"Joined": "0", "Answered": "0", "Chart": "hidden"}
    # a reload (or a second tab) with the page's address resumes the class
    again = open_teacher({"class": code})
    ok(again)
    assert url_class(again) == code and code in texts(again) and "Joined" in metrics(again)


def test_the_live_view_counts_the_stores_rows(store):
    code = store.create_class().code
    for i, choice in enumerate(["smaller", "smaller", "larger"]):
        store.answer(code, 1, f"student{i:03d}", choice)
    store.join(code, "student999")
    at = open_teacher({"class": code})
    ok(at)
    assert metrics(at) == {"Joined": "4", "Answered": "3", "Chart": "hidden"}
    at.toggle(key=teacher.EARLY).set_value(True).run()  # the distribution before the reveal: the teacher's choice
    ok(at)
    (table,) = chart_tables(at)
    counts = dict(zip(table.column("key").to_pylist(), table.column("count").to_pylist()))
    assert counts == {"smaller": 2, "same": 0, "larger": 1}
    assert not any(table.column("truth").to_pylist())  # no truth before the reveal


def test_the_answers_are_hidden_until_the_reveal_unless_the_teacher_asks(store):
    """A projected teacher page must not show the class the tally early: before the reveal, the counts of joined and
    answered but no chart of the answers; the toggle (this session, off by default) shows it; the reveal shows it."""
    code = store.create_class().code
    for i, choice in enumerate(["smaller", "larger"]):
        store.answer(code, 1, f"student{i:03d}", choice)
    at = open_teacher({"class": code})
    ok(at)
    assert metrics(at) == {"Joined": "2", "Answered": "2", "Chart": "hidden"}
    assert chart_tables(at) == [] and not at.get("vega_lite_chart")
    assert at.toggle(key=teacher.EARLY).value is False
    assert any("hidden until you reveal them" in i.value for i in at.info)
    at.run()  # still hidden on the next run
    assert not at.get("vega_lite_chart")
    at.toggle(key=teacher.EARLY).set_value(True).run()
    ok(at)
    assert len(chart_tables(at)) == 1
    at.toggle(key=teacher.EARLY).set_value(False).run()
    ok(at)
    assert not at.get("vega_lite_chart")
    at.button(key="teacher_reveal").click().run()
    ok(at)
    (table,) = chart_tables(at)
    assert sorted(table.column("count").to_pylist()) == [0, 1, 1]
    assert not any("hidden until you reveal them" in i.value for i in at.info)


def test_reveal_next_previous_close_and_delete_act_on_the_store(store):
    code = store.create_class().code
    store.answer(code, 1, "student001", "smaller")
    at = open_teacher({"class": code})
    at.button(key="teacher_reveal").click().run()
    ok(at)
    assert store.get_class(code).revealed == frozenset({1})
    assert metrics(at)["Chart"] == "revealed"
    t = questions.truth(1)
    (table,) = chart_tables(at)
    assert [k for k, v in zip(table.column("key").to_pylist(), table.column("truth").to_pylist()) if v] == [t.value]
    assert any(m.startswith(f"**The answer: {questions.QUESTIONS[0].label(t.value)}**") for m in texts(at))
    assert at.button(key="teacher_reveal").disabled
    at.button(key="teacher_next").click().run()
    ok(at)
    assert store.get_class(code).step == 2
    assert any(s.value.startswith("Step 2 of ") for s in at.subheader)
    at.button(key="teacher_prev").click().run()
    assert store.get_class(code).step == 1
    at.button(key="teacher_delete").click().run()
    ok(at)
    assert store.tally(code, 1).answered == 0
    at.button(key="teacher_close").click().run()
    ok(at)
    assert store.get_class(code).closed
    assert any("is closed" in i.value for i in at.info)
    assert at.button(key="teacher_reveal").disabled


def test_an_unknown_class_in_the_address_offers_a_new_one(store):
    at = open_teacher({"class": "ZZZZ"})
    ok(at)
    assert any("There is no class ZZZZ" in i.value for i in at.info)
    at.button(key="teacher_leave").click().run()
    ok(at)
    assert at.button(key="teacher_new") is not None and url_class(at) is None


@pytest.mark.parametrize("code", ["<b>x</b>", "[A](JAVASCRIPT:X)", "K0O1", "**K7Q2**"])
def test_a_code_not_well_formed_in_the_address_is_said_plainly(store, code):
    at = open_teacher({"class": code})
    ok(at)
    (warning,) = at.warning
    assert "is not a class code" in warning.value
    assert not set("<>[]()*:") & set(warning.value.split(" is not")[0])  # nothing of it read as markup
    assert at.button(key="teacher_new") is not None and url_class(at) is None


@pytest.mark.parametrize("where", ["secrets", "environment"])
def test_a_passcode_guards_the_page_and_is_remembered_for_the_session(store, monkeypatch, where):
    secrets = {}
    if where == "secrets":
        secrets = {"teacher_passcode": "läuft 42"}
    else:
        monkeypatch.setenv("TEACHER_PASSCODE", "läuft 42")
    code = store.create_class().code
    at = open_teacher({"class": code}, secrets)
    ok(at)
    assert [b.label for b in at.button] == ["Open the teacher page"]  # the form's button, nothing of the class
    assert not at.metric and code not in texts(at)
    assert url_class(at) == code  # kept in the address for after the passcode
    at.text_input(key="teacher_passcode").input("wrong")
    at.button[0].click().run()
    ok(at)
    assert any("not the teacher's passcode" in e.value for e in at.error) and not at.metric
    at.text_input(key="teacher_passcode").input("läuft 42")
    at.button[0].click().run()
    ok(at)
    assert "Joined" in metrics(at) and code in texts(at)
    at.run()  # remembered for the session
    assert "Joined" in metrics(at)


@pytest.fixture
def clock(monkeypatch):
    """The passcode guard's clock, moved by the test; the server's record of wrong passcodes starts empty."""
    now = [1000.0]
    monkeypatch.setattr(teacher, "_now", lambda: now[0])
    monkeypatch.setattr(teacher, "_FAILED_AT", type(teacher._FAILED_AT)())
    return now


def _try(at, given: str) -> None:
    at.text_input(key="teacher_passcode").input(given)
    at.button[0].click().run()
    ok(at)


def test_wrong_passcodes_make_a_tab_wait_before_the_next_is_checked(store, monkeypatch, clock):
    """Two typos cost nothing; from the third wrong passcode on the tab waits 2, 4 … s, and during the wait even
    the right passcode is not checked (a guess that came early learns nothing); after it, the right one opens."""
    monkeypatch.setenv("TEACHER_PASSCODE", "läuft 42")
    at = open_teacher({"class": store.create_class().code})
    for _ in range(teacher.FREE_TRIES - 1):
        _try(at, "wrong")
        assert [e.value for e in at.error] == ["That is not the teacher's passcode."]
    _try(at, "wrong")
    assert [e.value for e in at.error] == ["That is not the teacher's passcode. Wait 2 s before the next try."]
    clock[0] += 1.0
    _try(at, "läuft 42")
    assert [e.value for e in at.error] == [f"Wait 1 s before the next try ({teacher.FREE_TRIES} wrong passcodes in "
                                           "this tab)."]
    assert "Joined" not in metrics(at)
    clock[0] += 1.5
    _try(at, "wrong")
    assert at.error[0].value.endswith("Wait 4 s before the next try.")  # the next wait is twice as long
    clock[0] += 4.0
    _try(at, "läuft 42")
    assert "Joined" in metrics(at) and not at.error


def test_the_server_stops_checking_after_many_wrong_passcodes_from_all_tabs(store, monkeypatch, clock):
    """Each new tab has its own free tries, so the server counts too: after SERVER_FAILS wrong passcodes within a
    minute every tab waits, the right passcode too, until the oldest of them is a minute old."""
    monkeypatch.setenv("TEACHER_PASSCODE", "läuft 42")
    monkeypatch.setattr(teacher, "SERVER_FAILS", 2)
    code = store.create_class().code
    for _ in range(2):  # two tabs, one wrong passcode each
        _try(open_teacher({"class": code}), "wrong")
        clock[0] += 10.0
    teacher_tab = open_teacher({"class": code})
    _try(teacher_tab, "läuft 42")
    assert [e.value for e in teacher_tab.error] == ["Too many wrong passcodes on this server in the last minute: "
                                                    "try again in 40 s."]
    assert "Joined" not in metrics(teacher_tab)
    clock[0] += 40.0
    _try(teacher_tab, "läuft 42")
    assert "Joined" in metrics(teacher_tab) and not teacher_tab.error


def test_an_unreachable_database_is_said_not_raised(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("POLL_DB_URL", f"sqlite:///{blocker / 'sub' / 'poll.sqlite3'}")
    monkeypatch.delenv("TEACHER_PASSCODE", raising=False)
    st.cache_resource.clear()
    try:
        at = open_teacher()
        at.button(key="teacher_new").click().run()
        ok(at)
        assert any("No class could be made" in e.value for e in at.error)
        at = open_teacher({"class": "K7Q2"})
        ok(at)
        assert any(teacher.UNAVAILABLE in w.value for w in at.warning)
    finally:
        st.cache_resource.clear()


def test_the_qr_code_is_segnos_matrix_with_a_quiet_zone():
    link = "http://127.0.0.1:8501/lesson?class=K7Q2&step=1"
    img = charts.qr_image(link, module_px=3, border=4)
    modules = np.asarray(segno.make(link, error="m").matrix, dtype=bool)
    n = modules.shape[0] + 8
    assert img.shape == (3 * n, 3 * n) and img.dtype == np.uint8
    sampled = img[1::3, 1::3] == 0  # the middle pixel of each module
    assert not sampled[:4].any() and not sampled[:, :4].any()  # the quiet zone is white
    assert (sampled[4:-4, 4:-4] == modules).all()


def test_the_histogram_covers_every_guess_and_the_truth():
    guesses = [0.1, 0.2, 0.2, 0.9, 3.0]
    df = charts.numbers_frame(guesses, truth=4.5)
    assert df["count"].sum() == len(guesses)
    assert df["lo"].min() <= min(guesses) and df["hi"].max() >= 4.5
    assert len(df) <= charts.MAX_BINS
    edges = np.append(df["lo"].to_numpy(), df["hi"].iloc[-1])
    np.testing.assert_array_equal(df["count"].to_numpy(), np.histogram(guesses, bins=edges)[0])
    same = charts.numbers_frame([2.0, 2.0])
    assert same["count"].sum() == 2 and len(same) == 1
