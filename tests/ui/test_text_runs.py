"""The Text page's runs (ui.session.text): both models advance in lockstep, Pause and Start resume the same runs,
new controls start new runs, and samples are seeded. (The ticking itself runs in the browser.)"""
from rnn import text as X
from ui.session import text as R
from ui.settings import Settings


def test_lockstep_pause_resume_and_samples():
    R.reset()
    cfgs, notes = R.configs(Settings(T=500, hidden=8, seed=1), X.SAMPLES["echo"], "gru", 5)
    assert set(cfgs) == {"rnn", "gru"} and all(c.T == 64 and c.truncation == 5 for c in cfgs.values())
    assert notes and "T = 64" in notes[0]
    R.start(cfgs, max_steps=6)
    assert R.running() and not R.changed(cfgs)
    R.tick(budget_s=0.0)  # one step each
    runs = R.state().runs
    assert [r.steps for r in runs.values()] == [1, 1]
    while R.running():
        R.tick(budget_s=0.05)
    assert [r.steps for r in runs.values()] == [6, 6] and {r.status for r in runs.values()} == {"finished"}
    first = R.samples(0.8)  # seeded with the runs' own seed
    assert set(first) == {"rnn", "gru"} and all(s.step == 6 and s.seed == 1 for s in first.values())
    R.state().samples.clear()
    assert R.samples(0.8) == first  # the same models, seed and temperature: the same samples
    other, _ = R.configs(Settings(T=500, hidden=8, seed=1), X.SAMPLES["echo"], "lstm", 5)
    R.start(other, max_steps=4)  # new controls: new runs from step 0
    assert set(R.state().runs) == {"rnn", "lstm"} and all(r.steps == 0 for r in R.state().runs.values())
    R.pause()
    assert not R.running() and R.changed(cfgs)
    R.start(other, max_steps=4)  # the same controls: resumes
    assert R.running() and all(r.steps == 0 for r in R.state().runs.values())
    R.reset()
    assert not R.state().runs


def test_short_text_caps_the_window():
    cfgs, notes = R.configs(Settings(T=100, hidden=8), "abcdefghijklmnopqrst", "lstm", None)
    assert cfgs["rnn"].T == 19 and cfgs["rnn"].truncation is None
    prep = R.prepared("own", "")
    assert prep.fallback and prep.messages


def test_the_pair_owns_its_config():
    """Start records the validated configs, the text, its corpus, the run length and a serial number 1, 2, …;
    the controls changing afterwards change none of it and are named by `differences`; Reset forgets the pair
    but not the count."""
    R.reset()
    s, echo, robot = Settings(T=30, hidden=8, seed=1), X.SAMPLES["echo"], X.SAMPLES["robot"]
    cfgs, _ = R.configs(s, echo, "lstm", None)
    assert R.differences(cfgs, 50) == [] and R.view(robot, cfgs) == (robot, 30)  # no runs: the controls' text
    R.start(cfgs, max_steps=50)
    pair = R.state().pair
    first = pair.serial
    assert set(pair.cfgs) == {"rnn", "lstm"} and pair.text == echo and pair.corpus == X.corpus(echo)
    assert pair.max_steps == 50 and pair.title == f"the sample “{X.SAMPLE_TITLES['echo']}”"
    assert all(pair.cfgs[k] == c.validated() for k, c in cfgs.items())
    other, _ = R.configs(Settings(T=30, hidden=16, seed=1), robot, "gru", 5)
    assert R.view(robot, other) == (echo, 30)  # p indexes the runs' text
    assert R.differences(other, 200) == ["the text", "the cell beside the vanilla RNN", "truncation N",
                                         "steps in a run", "the sidebar's settings"]
    assert R.differences(cfgs, 50) == [] and R.differences(cfgs) == []
    R.pause()
    R.start(other, 200)
    assert R.state().pair.serial == first + 1 and R.state().pair.text == robot
    R.reset()
    assert R.state().pair is None and not R.changed(other)
    R.start(cfgs, 50)
    assert R.state().pair.serial == first + 2
    R.reset()


def test_box_count_is_the_browsers():
    """The text box counts UTF-16 code units, as JavaScript's String.length does (an astral character is two)."""
    assert R.box_count("abc") == 3 and R.box_count("\U0001F415") == 2 and R.box_count("e\u0301") == 2
    assert R.box_count(None) == 0


def test_pause_from_another_thread_waits_for_the_round_in_training_and_no_step_follows(monkeypatch):
    """With Streamlit's fast reruns, Pause's callback runs in a new script thread while the old one is still in
    a tick. Pause returns only once the round in training (a step of each model) is done: no step follows it,
    and both models stand at the same step. Before, Pause set the statuses while a step trained on, so a
    counter moved after Pause had returned and the pair could stop a step apart. Three pauses, Start resuming
    the pair in between; the session's state is a fresh one, not st.session_state."""
    import threading
    import time

    st_ = R.TextRuns()
    monkeypatch.setattr(R, "state", lambda: st_)
    cfgs, _ = R.configs(Settings(T=64, hidden=64, seed=0), X.SAMPLES["echo"], "lstm", None)
    R.start(cfgs, max_steps=10 ** 6)
    runs, before = st_.runs, 0
    for i in range(3):
        ticker = threading.Thread(target=R.tick, kwargs={"budget_s": 5.0})
        ticker.start()
        time.sleep(0.4)
        R.pause()
        paused = [r.steps for r in runs.values()]
        ticker.join(10)
        assert not ticker.is_alive() and [r.status for r in runs.values()] == ["paused", "paused"]
        assert [r.steps for r in runs.values()] == paused, f"try {i + 1}: steps trained after Pause returned"
        assert paused[0] == paused[1] > before, f"try {i + 1}: the pair stopped at steps {paused}"
        before = paused[0]
        R.start(cfgs, max_steps=10 ** 6)  # the same controls: resumes the same pair
        assert st_.runs is runs and R.running()


def test_a_start_whose_script_run_was_replaced_starts_nothing(monkeypatch):
    """Fast reruns: a click on Pause right after Start may run its callback in a new thread before Start's
    callback, in the replaced script run, gets to the runs. That Start must start nothing
    (ui.session.live_training.superseded says its run was replaced), or it would set running what Pause had just
    paused."""
    from ui.session import live_training as live

    st_ = R.TextRuns()
    monkeypatch.setattr(R, "state", lambda: st_)
    cfgs, _ = R.configs(Settings(T=20, hidden=8, seed=0), X.SAMPLES["robot"], "gru", None)
    R.start(cfgs, max_steps=100)
    R.pause()
    monkeypatch.setattr(live, "superseded", lambda: True)
    R.start(cfgs, max_steps=100)  # a resume from a replaced run: nothing
    assert not R.running() and all(r.status == "paused" for r in st_.runs.values())
    other, _ = R.configs(Settings(T=20, hidden=8, seed=0), X.SAMPLES["echo"], "gru", None)
    R.start(other, max_steps=100)  # a new pair from a replaced run: nothing either
    assert st_.pair.serial == 1 and st_.pair.text == X.SAMPLES["robot"]
