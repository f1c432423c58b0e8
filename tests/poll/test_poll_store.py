"""The class poll's store, on SQLite and on Postgres: classes, joining, answers (an upsert), reveals, the tally,
checks before SQL, bound parameters, one class never reaching another, the 30-day purge."""
from __future__ import annotations

import math

import pytest
import sqlalchemy as sa
from sqlalchemy import event

import poll
from poll.store import answers, classes, members, questions

DAY = 86400.0


def count(store: poll.Store, table: sa.Table, **where) -> int:
    q = sa.select(sa.func.count()).select_from(table)
    for k, v in where.items():
        q = q.where(table.c[k] == v)
    with store._engine.connect() as conn:
        return conn.execute(q).scalar_one()


def sid(i: int) -> str:
    return f"st{i:08d}"


# ---- classes ------------------------------------------------------------------------------------------------------

def test_a_new_class_starts_on_step_one_open_and_unrevealed(store, clock):
    c = store.create_class()
    assert len(c.code) == 4 and set(c.code) <= set(poll.ALPHABET)
    assert (c.step, c.closed, c.revealed, c.created) == (1, False, frozenset(), clock.now)
    assert store.get_class(c.code) == c
    assert store.get_class(c.code.lower()) == c


def test_codes_are_unique(store):
    codes = [store.create_class().code for _ in range(150)]
    assert len(set(codes)) == 150
    assert count(store, classes) == 150


def test_an_unknown_code_is_no_class(store):
    made = store.create_class().code
    code = next(c for c in ("2222", "3333") if c != made)
    for call in (lambda: store.join(code, sid(1)), lambda: store.answer(code, 1, sid(1), "a"),
                 lambda: store.tally(code, 1), lambda: store.reveal(code, 1), lambda: store.set_step(code, 2),
                 lambda: store.close(code), lambda: store.delete_answers(code)):
        with pytest.raises(poll.ClassNotFound):
            call()
    assert store.get_class(code) is None
    assert store.answer_of(code, 1, sid(1)) is None


def test_the_database_folder_is_made_under_the_apps_folder(tmp_path, clock):
    url = poll.DEFAULT_URL(tmp_path / "app")
    s = poll.Store(url, clock=clock)
    try:
        assert not (tmp_path / "app" / ".poll").exists()   # nothing happens before the first call
        s.create_class()
        assert (tmp_path / "app" / ".poll" / "poll.sqlite3").is_file()
        with s._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        s.dispose()


# ---- joining and answering ----------------------------------------------------------------------------------------

def test_join_is_idempotent(store):
    c = store.create_class()
    for _ in range(3):
        assert store.join(c.code, sid(1)).code == c.code
    store.join(c.code, sid(2))
    assert store.tally(c.code, 1).joined == 2
    assert count(store, members, code=c.code) == 2


def test_an_answer_is_stored_and_a_changed_answer_replaces_it(store):
    c = store.create_class()
    store.answer(c.code, 1, sid(1), "explode")
    assert store.answer_of(c.code, 1, sid(1)) == "explode"
    store.answer(c.code, 1, sid(1), "vanish")
    assert store.answer_of(c.code, 1, sid(1)) == "vanish"
    store.answer(c.code, 1, sid(1), 2.5)          # a choice changed to a number: still one row
    assert store.answer_of(c.code, 1, sid(1)) == 2.5
    store.answer(c.code, 1, sid(1), 7)            # an int is a number
    got = store.answer_of(c.code, 1, sid(1))
    assert got == 7.0 and isinstance(got, float)
    assert count(store, answers, code=c.code) == 1
    t = store.tally(c.code, 1)
    assert (t.joined, t.answered, t.choices, t.numbers) == (1, 1, {}, (7.0,))


def test_a_student_who_answers_is_joined(store):
    c = store.create_class()
    store.answer(c.code, 2, sid(5), "lstm")
    assert store.tally(c.code, 2).joined == 1
    assert store.answer_of(c.code, 1, sid(5)) is None


def test_the_tally_counts_choices_and_keeps_numbers(store):
    c = store.create_class()
    for i, v in enumerate(["rnn", "lstm", "lstm", "gru", "lstm"]):
        store.answer(c.code, 1, sid(i), v)
    for i, v in enumerate([3.0, -1.5, 1e12, -1e12, 0.25]):
        store.answer(c.code, 2, sid(i), v)
    store.join(c.code, sid(99))
    t1, t2 = store.tally(c.code, 1), store.tally(c.code, 2)
    assert t1 == poll.Tally(joined=6, answered=5, choices={"gru": 1, "lstm": 3, "rnn": 1}, numbers=(), revealed=False)
    assert list(t1.choices) == sorted(t1.choices)
    assert t2.numbers == (-1e12, -1.5, 0.25, 3.0, 1e12) and t2.answered == 5 and t2.choices == {}
    t3 = store.tally(c.code, 3)
    assert (t3.joined, t3.answered, t3.choices, t3.numbers, t3.revealed) == (6, 0, {}, (), False)


def test_after_the_reveal_answers_are_final(store):
    c = store.create_class()
    store.answer(c.code, 1, sid(1), "stay")
    store.reveal(c.code, 1)
    store.reveal(c.code, 1)                       # idempotent
    with pytest.raises(poll.AlreadyRevealed):
        store.answer(c.code, 1, sid(1), "vanish")
    with pytest.raises(poll.AlreadyRevealed):
        store.answer(c.code, 1, sid(2), "vanish")
    assert store.answer_of(c.code, 1, sid(1)) == "stay"
    assert store.answer_of(c.code, 1, sid(2)) is None
    assert store.tally(c.code, 1).revealed and store.tally(c.code, 1).answered == 1
    assert store.get_class(c.code).revealed == frozenset({1})
    store.answer(c.code, 2, sid(1), "vanish")     # other steps stay open
    assert not store.tally(c.code, 2).revealed


def test_the_teacher_moves_the_class_on(store):
    c = store.create_class()
    store.set_step(c.code, 3)
    assert store.get_class(c.code).step == 3
    store.set_step(c.code, 1)
    assert store.get_class(c.code).step == 1


def test_a_closed_class_takes_no_members_or_answers_but_keeps_its_tally(store):
    c = store.create_class()
    store.answer(c.code, 1, sid(1), "a")
    store.close(c.code)
    assert store.get_class(c.code).closed
    with pytest.raises(poll.ClassClosed):
        store.join(c.code, sid(2))
    with pytest.raises(poll.ClassClosed):
        store.answer(c.code, 1, sid(1), "b")
    assert store.tally(c.code, 1).choices == {"a": 1}


def test_delete_answers_empties_the_class(store):
    c = store.create_class()
    for i in range(4):
        store.answer(c.code, 1 + i % 2, sid(i), "x")
    assert store.delete_answers(c.code) == 4
    assert store.tally(c.code, 1).answered == store.tally(c.code, 2).answered == 0
    assert store.get_class(c.code) is not None
    store.answer(c.code, 1, sid(1), "y")           # the class still works
    assert store.tally(c.code, 1).choices == {"y": 1}


# ---- checks before SQL, and bound parameters ----------------------------------------------------------------------

@pytest.fixture
def statements(store):
    """Every SQL statement the store's engine sends, with its parameters."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    event.listen(store._engine, "before_cursor_execute", record)
    yield seen
    event.remove(store._engine, "before_cursor_execute", record)


BAD_STEPS = [0, -1, 100, 1.0, 1.5, "1", True, None, math.nan]
BAD_VALUES = [math.nan, math.inf, -math.inf, 1e12 * (1 + 1e-9), -2e12, 1e300, "", "A", "Explode", "a" * 33, "a-b",
              "x y", "vanish;", "é", "' OR 1=1 --", None, True, False, [1], {"a": 1}, b"a", 1 + 2j]


@pytest.mark.parametrize("step", BAD_STEPS, ids=repr)
def test_a_bad_step_is_refused_before_sql(store, statements, step):
    c = store.create_class()
    statements.clear()
    for call in (lambda: store.answer(c.code, step, sid(1), "a"), lambda: store.tally(c.code, step),
                 lambda: store.reveal(c.code, step), lambda: store.set_step(c.code, step),
                 lambda: store.answer_of(c.code, step, sid(1))):
        with pytest.raises(poll.BadInput):
            call()
    assert statements == []


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_a_malformed_answer_is_refused_before_sql(store, statements, value):
    c = store.create_class()
    statements.clear()
    with pytest.raises(poll.BadInput):
        store.answer(c.code, 1, sid(1), value)
    assert statements == []
    assert store.tally(c.code, 1).answered == 0


@pytest.mark.parametrize("code, student", [("K7Q0", sid(1)), ("K7Q2'--", sid(1)), ("", sid(1)),
                                           ("K7Q2", "x' OR '1'='1"), ("K7Q2", "ABCDEFGHIJ"), ("K7Q2", None)])
def test_a_malformed_code_or_id_is_refused_before_sql(store, statements, code, student):
    for call in (lambda: store.join(code, student), lambda: store.answer(code, 1, student, "a"),
                 lambda: store.answer_of(code, 1, student)):
        with pytest.raises(poll.BadInput):
            call()
    assert statements == []


def test_the_limits_themselves_are_accepted(store):
    c = store.create_class()
    store.answer(c.code, 99, sid(1), 1e12)
    store.answer(c.code, 1, sid(1), -1e12)
    store.answer(c.code, 2, sid(1), "a" * 32)
    store.answer(c.code, 3, sid(1), "no_0_9")
    assert store.answer_of(c.code, 99, sid(1)) == 1e12
    assert store.answer_of(c.code, 2, sid(1)) == "a" * 32
    s = poll.Store(store._url.render_as_string(hide_password=False), max_step=5)
    try:
        with pytest.raises(poll.BadInput):
            s.answer(c.code, 6, sid(1), "a")
    finally:
        s.dispose()


def test_every_value_travels_as_a_bound_parameter(store, statements):
    c = store.create_class()
    student, choice, number = "zq9x7w3v1u", "marker_choice_42", 123456.789
    store.join(c.code, student)
    store.answer(c.code, 7, student, choice)
    store.answer(c.code, 8, student, number)
    store.answer_of(c.code, 7, student)
    store.tally(c.code, 7)
    store.reveal(c.code, 7)
    store.set_step(c.code, 8)
    store.delete_answers(c.code)
    store.close(c.code)
    assert statements
    texts = " ".join(s for s, _ in statements)
    params = repr([p for _, p in statements])
    for literal in (c.code, student, choice, "123456.789"):
        assert literal not in texts, literal
    for literal in (c.code, student, choice):
        assert literal in params, literal


def test_answer_uses_the_dialects_upsert(store, statements):
    c = store.create_class()
    statements.clear()
    store.answer(c.code, 1, sid(1), "a")
    inserts = [s for s, _ in statements if "INSERT INTO poll_answers" in s]
    assert len(inserts) == 1 and "ON CONFLICT (code, step, student) DO UPDATE" in inserts[0]


# ---- one class never reaches another ------------------------------------------------------------------------------

def test_nothing_one_class_does_reaches_another(store):
    a, b = store.create_class(), store.create_class()
    same = sid(1)                                  # the same student id in both classes
    store.answer(a.code, 1, same, "explode")
    store.answer(b.code, 1, same, "vanish")
    store.answer(a.code, 2, same, 4.0)
    store.join(a.code, sid(2))
    assert store.answer_of(b.code, 1, same) == "vanish"
    assert store.answer_of(b.code, 2, same) is None
    assert store.tally(b.code, 1) == poll.Tally(joined=1, answered=1, choices={"vanish": 1}, numbers=(),
                                                revealed=False)
    # A's teacher reveals, moves on, deletes A's answers and closes A: B is untouched
    store.reveal(a.code, 1)
    store.set_step(a.code, 3)
    assert store.delete_answers(a.code) == 2
    store.close(a.code)
    got_b = store.get_class(b.code)
    assert (got_b.step, got_b.closed, got_b.revealed) == (1, False, frozenset())
    assert store.answer_of(b.code, 1, same) == "vanish"
    store.answer(b.code, 1, same, "stay")          # B's step 1 is still open, B still takes answers
    assert store.tally(b.code, 1).choices == {"stay": 1}
    assert count(store, answers, code=b.code) == 1
    assert count(store, questions, code=b.code) == 0
    # and B's changes leave A as it was
    store.reveal(b.code, 2)
    assert store.get_class(a.code).revealed == frozenset({1})


# ---- the 30-day purge ---------------------------------------------------------------------------------------------

def test_classes_older_than_30_days_go_when_a_class_is_made(store, clock):
    old = store.create_class()
    store.answer(old.code, 1, sid(1), "a")
    store.reveal(old.code, 1)
    clock.advance(10 * DAY)
    middle = store.create_class()
    store.answer(middle.code, 1, sid(1), "b")

    clock.advance(20 * DAY - 1)                    # old is 30 days less a second old: kept
    store.create_class()
    assert store.get_class(old.code) is not None

    clock.advance(2)                               # now 30 days and a second
    newest = store.create_class()
    assert store.get_class(old.code) is None
    for table in (answers, members, questions, classes):
        assert count(store, table, code=old.code) == 0, table.name
    assert store.get_class(middle.code) is not None and store.answer_of(middle.code, 1, sid(1)) == "b"
    assert store.get_class(newest.code) is not None

    clock.advance(25 * DAY)                        # middle is 45 days old now, the rest 25-ish
    assert store.purge() == 1
    assert store.get_class(middle.code) is None and count(store, answers) == 0
    assert store.purge(days=0) == 2
    assert count(store, classes) == 0


def test_purge_refuses_a_bad_age(store):
    for days in (-1, math.nan, math.inf, "30", None, True):
        with pytest.raises(poll.BadInput):
            store.purge(days)
