"""The LSTM demo in the app (issue 20): the Home preset opens Live training with the demo's settings, and the
page's demo button starts a tanh RNN, an LSTM and a GRU on the same batches, drawn from the run's own config.
AppTest never ticks the fragment: the learning itself is tests/rnn/test_lstm_demo.py and the benchmark; the
live curves are checked in Chromium by hand (see the commit)."""
import json
from dataclasses import replace

import pytest

from apptest_helpers import chart_tables, open_app, spec_dicts
from rnn.tasks import get_task
from rnn.training import DEMO, DEMO_STEPS, SideBySide
from ui.presets import PRESETS


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]


def _metrics(at):
    return {m.label: m.value for m in at.metric}


def test_home_preset_opens_live_training_with_the_demo_settings():
    at = open_app({"T": "7", "seed": "3", "hidden": "16"}, timeout=90)
    at.button(key="preset_lstm_demo").click().run()
    _ok(at)
    assert at.session_state["w_T"] == DEMO.T and at.session_state["w_hidden"] == DEMO.hidden_size
    assert at.session_state["w_activation"] == "tanh"
    for key, value in PRESETS["lstm_demo"].page_values:
        assert at.session_state["p_" + key] == value, key
    assert any(b.key == "live_demo" for b in at.button), "the preset lands on Live training with its demo button"
    assert at.session_state["p_task"] == "remember_noise"
    assert "remember the first symbol through noise" in " ".join(m.value for m in at.markdown).lower()


@pytest.fixture
def page():
    at = open_app({"T": "15", "hidden": "16", "seed": "2"}, "pages/live_training.py", timeout=90)
    _ok(at)
    return at


def test_demo_button_starts_three_models_on_the_same_batches(page):
    at = page
    at.button(key="live_demo").click().run()
    _ok(at)
    run = at.session_state["live"].run
    assert isinstance(run.trainer, SideBySide) and run.status == "running"
    assert run.config == replace(DEMO, seed=2, device="auto").validated()  # the demo's, the visitor's seed
    assert run.max_steps == DEMO_STEPS and run.steps >= 1
    assert tuple(run.trainer.trainers) == ("rnn", "lstm", "gru")
    # the controls and the sidebar now hold the demo's values, so nothing reads as changed
    assert at.session_state["w_T"] == DEMO.T and at.session_state["w_seed"] == 2
    assert at.session_state["p_task"] == "remember_noise" and at.session_state["p_steps"] == str(DEMO_STEPS)
    assert at.button(key="live_start").disabled
    m = _metrics(at)
    assert m["Status"] == "running" and m["Step"] == f"{run.steps:,}"
    assert {"tanh RNN accuracy", "LSTM accuracy", "GRU accuracy"} <= set(m)
    # the accuracy chart's chance line is the run's task's 1/K, the loss chart's ln K
    task = get_task(run.config.task)
    chance = sorted({v for t in chart_tables(at) if "chance" in t.column_names for v in t.column("chance").to_pylist()})
    assert chance == pytest.approx(sorted({task.chance_accuracy, task.chance_loss}))
    models = {r for t in chart_tables(at) if "model" in t.column_names for r in t.column("model").to_pylist()}
    assert models == {"tanh RNN", "LSTM", "GRU"}
    assert not any(d.get("title", "").startswith("time step t") for c in at.get("vega_lite_chart")
                   for d in spec_dicts(json.loads(c.proto.spec)) if isinstance(d.get("title"), str))


def test_demo_stops_into_three_compared_curves_and_resets(page):
    at = page
    at.button(key="live_start").click().run()  # a plain run first: the demo replaces it and keeps it to compare
    first = at.session_state["live"].run
    at.button(key="live_demo").click().run()
    _ok(at)
    assert first.status == "stopped"
    at.button(key="live_pause").click().run()
    assert _metrics(at)["Status"] == "paused"
    at.button(key="live_start").click().run()  # Start with the demo's controls resumes the demo
    _ok(at)
    run = at.session_state["live"].run
    assert isinstance(run.trainer, SideBySide) and run.status == "running"
    at.button(key="live_stop").click().run()
    _ok(at)
    archive = at.session_state["live"].archive
    assert [a["label"].split(" · ")[0] for a in archive[-3:]] == ["tanh RNN", "LSTM", "GRU"]
    assert all(a["label"].split(" · ")[1] == "remember through noise" for a in archive[-3:])
    assert len({a["run_id"] for a in archive[-3:]}) == 1 and archive[0]["run_id"] == first.serial
    at.button(key="live_reset").click().run()
    _ok(at)
    assert at.session_state["live"].run is None


def test_controls_moved_off_the_demo_open_start(page):
    at = page
    at.button(key="live_demo").click().run()
    at.session_state["p_lr"] = "0.03"
    at.run()
    _ok(at)
    assert not at.button(key="live_start").disabled
    at.button(key="live_start").click().run()
    run = at.session_state["live"].run
    assert not isinstance(run.trainer, SideBySide) and run.config.lr == 0.03 and run.config.task == "remember_noise"


def test_demo_among_a_students_clicks():
    """The demo button among other clicks (interactions.replay checks after each one that the page has no
    exception and says about the run what the run's own config says)."""
    from interactions import replay

    replay("pages/live_training.py", [["click", "live_demo"], ["rerun"], ["set", "p_task", "adding problem"],
                                      ["click", "live_lstm"], ["click", "live_demo"], ["click", "live_pause"],
                                      ["click", "live_stop"]])


def test_a_demo_tick_trains_the_three_models_alike_within_its_budget():
    from ui.session import live_demo
    from ui.session import live_training as live
    from ui.limits import LIVE_BUDGET_S, LIVE_DEMO_BUDGET_S

    cfg = replace(DEMO, T=6, hidden_size=4)
    run = live.LiveRun(SideBySide(cfg), "tanh RNN, LSTM, GRU · demo", max_steps=7, status="running")
    assert live_demo.budget(run) == LIVE_DEMO_BUDGET_S
    assert live_demo.budget(live.LiveRun(None, "plain", 1)) == LIVE_BUDGET_S
    while run.status == "running":
        live.tick(run, budget_s=0.05)
    assert run.status == "finished" and [t.steps_done for t in run.trainer.trainers.values()] == [7, 7, 7]
    assert [label for label, _ in run.curves()] == [f"{m} · demo" for m in ("tanh RNN", "LSTM", "GRU")]
