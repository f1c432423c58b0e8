"""The Text page's runs (ui.text_runs): both models advance in lockstep, Pause and Start resume the same runs,
new controls start new runs, and samples are seeded. (The ticking itself runs in the browser.)"""
from rnn import text as X
from ui import text_runs as R
from ui.settings import Settings


def test_lockstep_pause_resume_and_samples():
    R.reset()
    cfgs, notes = R.configs(Settings(T=500, hidden=8, seed=1), X.SAMPLES["echo"], "gru", "5")
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
    first = R.samples(0.8, seed=3)
    assert set(first) == {"rnn", "gru"} and all(step == 6 for step, _ in first.values())
    R.state().samples.clear()
    assert R.samples(0.8, seed=3) == first  # the same models, seed and temperature: the same samples
    other, _ = R.configs(Settings(T=500, hidden=8, seed=1), X.SAMPLES["echo"], "lstm", "5")
    R.start(other, max_steps=4)  # new controls: new runs from step 0
    assert set(R.state().runs) == {"rnn", "lstm"} and all(r.steps == 0 for r in R.state().runs.values())
    R.pause()
    assert not R.running() and R.changed(cfgs)
    R.start(other, max_steps=4)  # the same controls: resumes
    assert R.running() and all(r.steps == 0 for r in R.state().runs.values())
    R.reset()
    assert not R.state().runs


def test_short_text_caps_the_window():
    cfgs, notes = R.configs(Settings(T=100, hidden=8), "abcdefghijklmnopqrst", "lstm", "full")
    assert cfgs["rnn"].T == 19 and cfgs["rnn"].truncation is None
    prep = R.prepared("own", "")
    assert prep.fallback and prep.messages
