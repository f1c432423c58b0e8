"""The live-training page: its state machine in ui.session.live_training, and the page under AppTest (load, Start, Stop,
Reset). The ticking itself is checked in Chromium (tests/browser/test_live_browser.py): AppTest never
ticks a fragment."""

import math

import numpy as np
import pytest

from apptest_helpers import open_app
from rnn.training import Trainer
from ui import limits
from ui.session import live_training as live
from ui.settings import Settings


def test_config_caps_and_label():
    cfg, notes = live.config(Settings(T=1500, hidden=256), "adding", "rnn", "adam", 0.01, "none", 1.0, None, 32)
    assert cfg.T == limits.LIVE_MAX_T and cfg.hidden_size == limits.LIVE_MAX_HIDDEN
    assert len(notes) == 2 and "capped" in notes[0]
    cfg2, _ = live.config(Settings(T=1), "adding", "lstm", "sgd", 0.1, "norm", 1.0, 500, 8)
    assert cfg2.T == 2 and cfg2.truncation is None  # N ≥ T is full BPTT
    assert live.label(cfg2).startswith("LSTM · adding problem · T=2 · sgd α=0.1 · clip norm 1")


def test_tick_is_time_boxed_and_matches_a_plain_trainer():
    """A run advanced by ticks gives the same curve as one Trainer trained in one go with the same config."""
    cfg, _ = live.config(Settings(T=12, hidden=16, seed=3), "adding", "rnn", "adam", 0.01, "none", 1.0, None, 8)
    run = live.LiveRun(Trainer(cfg), live.label(cfg), max_steps=25, status="running")
    while run.status == "running":
        live.tick(run, budget_s=0.05)
    assert run.status == "finished" and run.steps == 25
    ref = Trainer(cfg).train(25)
    np.testing.assert_array_equal(run.trainer.history()["loss"], ref["loss"])


def test_tick_stops_on_divergence():
    cfg, _ = live.config(Settings(T=50, hidden=16, activation="linear", scale=3.0, init="gaussian"),
                         "adding", "rnn", "sgd", 1.0, "none", 1.0, None, 8)
    run = live.LiveRun(Trainer(cfg), "x", max_steps=100, status="running")
    live.tick(run, budget_s=1.0)
    assert run.status == "diverged" and run.steps < 100


@pytest.mark.parametrize("float64, what", [(True, "gradient"), (False, "loss")])
def test_the_divergence_line_names_what_stopped_being_finite(float64, what):
    """relu at ρ = 100 with SGD α = 1 (a class's click): in float64 the first loss is a number (about 1e175) and its
    gradient overflows, and the line used to say the loss stopped being finite beside that loss; in float32 the
    loss itself overflows."""
    cfg, _ = live.config(Settings(T=50, hidden=32, activation="relu", scale=100.0, init="gaussian", float64=float64),
                         "adding", "rnn", "sgd", 1.0, "none", 1.0, None, 8)
    run = live.LiveRun(Trainer(cfg), "x", max_steps=100, status="running")
    live.tick(run, budget_s=1.0)
    assert run.status == "diverged" and run.trainer.diverged_at == 1
    loss = float(run.trainer.history()["loss"][-1])
    assert math.isfinite(loss) == (what == "gradient")
    line = live.diverged_line(run.trainer)
    assert line.startswith(f"The {what} stopped being finite at step 1")
    assert live.diverged_line(run.trainer, "LSTM").startswith(f"The LSTM's {what} stopped being finite at step 1")


@pytest.fixture
def at():
    a = open_app({"T": 15, "hidden": 16}, "pages/live_training.py", timeout=90)
    assert not a.exception
    return a


def _metric(a, label):
    return next(m.value for m in a.metric if m.label == label)


def test_page_start_stop_reset(at):
    assert not at.get("vega_lite_chart")  # nothing trained yet: an invitation, no charts
    at.button(key="live_start").click().run()
    assert not at.exception
    assert _metric(at, "Status") == "running" and int(_metric(at, "Step")) >= 1
    assert len(at.get("vega_lite_chart")) >= 5
    at.button(key="live_stop").click().run()
    assert _metric(at, "Status") == "stopped"
    steps = int(_metric(at, "Step"))
    at.run()  # a stopped run does not train on a rerun
    assert int(_metric(at, "Step")) == steps
    assert at.session_state["live"].archive, "a stopped run joins the comparison"
    at.button(key="live_reset").click().run()
    assert at.session_state["live"].run is None and not at.session_state["live"].archive


def test_page_pause_then_resume_keeps_the_run(at):
    at.button(key="live_start").click().run()
    at.button(key="live_pause").click().run()
    assert _metric(at, "Status") == "paused"
    trainer = at.session_state["live"].run.trainer
    at.button(key="live_start").click().run()
    assert _metric(at, "Status") == "running"
    assert at.session_state["live"].run.trainer is trainer


def test_page_controls_round_trip_the_url():
    a = open_app({"model": "lstm", "lr": "0.1", "N": "<b>5</b>"}, "pages/live_training.py", timeout=90)
    assert not a.exception
    assert a.session_state["p_model"] == "lstm" and a.session_state["p_lr"] == "0.1"
    assert a.session_state["p_N"] == "full"  # the hostile value fell back to the default …
    assert any("Truncation N" in w.value for w in a.warning)  # … with a short warning
    assert a.query_params["model"] == ["lstm"] or a.query_params["model"] == "lstm"


def test_compare_chart_draws_a_run_with_one_step():
    """While the first run goes, "Compare runs" (drawn at the page's full rerun) holds that run's first step
    only: a line through one point draws nothing, and a log axis over the one value v has the empty domain
    [v, v] (a lone tick "1.000000"). The chart draws each step as a point and opens the domain around v."""
    from ui.charts import live_training as C

    h = {"step": np.array([1]), "loss": np.array([0.25])}
    df = C.compare_frame([], ("tanh RNN · adding", h))
    assert list(df["run"]) == ["tanh RNN · adding (now)"] and list(df["loss"]) == [0.25]
    spec = C.compare_chart(df).to_dict()
    assert spec["mark"]["point"], "a run with one step must still be drawn"
    lo, hi = spec["encoding"]["y"]["scale"]["domain"]
    assert 0 < lo < 0.25 < hi
    lo, hi = spec["encoding"]["x"]["scale"]["domain"]  # the step axis: not the lone tick 1.000000
    assert lo < 1 < hi and spec["encoding"]["x"]["axis"]["format"] == "d"
    # with two steps the line draws itself and the axis keeps Vega's own domain
    two = C.compare_frame([], ("r", {"step": np.array([1, 2]), "loss": np.array([0.25, 0.2])}))
    enc = C.compare_chart(two).to_dict()["encoding"]
    assert "domain" not in enc["y"]["scale"] and "domain" not in enc["x"].get("scale", {})


def test_same_with_an_lstm_starts_the_same_run_with_an_lstm(at):
    """The one-click comparison: the vanilla run goes to the archive and an LSTM run with the same task, seed,
    optimiser and length starts; the page's model control now reads LSTM."""
    at.button(key="live_start").click().run()
    first = at.session_state["live"].run
    at.button(key="live_lstm").click().run()
    assert not at.exception
    run = at.session_state["live"].run
    assert run is not first and run.trainer.config.model == "lstm"
    assert (run.trainer.config.task, run.trainer.config.seed, run.trainer.config.T) == (
        first.trainer.config.task, first.trainer.config.seed, first.trainer.config.T)
    assert at.session_state["p_model"] == "lstm"
    assert any(a["label"] == first.label for a in at.session_state["live"].archive) or first.steps == 0


def _heat_app(steps: int):
    def page(steps):
        from rnn.training import Trainer
        from ui.session import live_training as live
        from ui.settings import Settings

        cfg, _ = live.config(Settings(T=12, hidden=8, seed=1), "adding", "rnn", "adam", 0.01, "none", 1.0, None, 4)
        tr = Trainer(cfg)
        tr.train(steps)
        live.draw_heat(tr.history(), cfg.T, cfg.lag_every)

    from streamlit.testing.v1 import AppTest
    return AppTest.from_function(page, kwargs={"steps": steps}, default_timeout=60).run()


def test_heatmap_before_its_first_row_is_a_line_not_an_empty_chart():
    """Before the first recorded row the heatmap's frame is empty: a caption says when it starts (an empty
    chart showed a legend of NaN); once there are rows, the chart."""
    cfg, _ = live.config(Settings(T=12, hidden=8, seed=1), "adding", "rnn", "adam", 0.01, "none", 1.0, None, 4)
    t = Trainer(cfg)
    first = 0  # the training step at which the first row is recorded
    while not t.history()["lag_step"].size and first <= 5 * cfg.lag_every:
        t.train(1)
        first += 1
    assert first >= 1
    early, later = _heat_app(first - 1), _heat_app(first)
    assert not early.exception and not later.exception
    assert len(early.get("vega_lite_chart")) == 0 and "starts at training step" in early.caption[0].value
    assert len(later.get("vega_lite_chart")) == 1 and not later.caption


def _steps_at_least(a, n: int, tries: int = 20) -> None:
    """Rerun until the running run has trained n steps (AppTest runs the fragment once per run: one tick)."""
    for _ in range(tries):
        if a.session_state["live"].run.steps >= n:
            return
        a.run()
    assert a.session_state["live"].run.steps >= n


def test_a_run_is_drawn_from_its_own_config_not_the_controls(at):
    """Change the task and the sidebar's T under a paused run without pressing Start: the chance line and
    the loss metric's chance, the heatmap's axis (T) and caption (lag_every), and the accuracy caption stay
    those of the run (adding problem, T = 15), and the page says that the controls changed. Before, all of
    them followed the controls (remember-first's chance ln 8, T = 30)."""
    import json

    at.button(key="live_start").click().run()
    _steps_at_least(at, 10)  # the heatmap's first row (lag_every = 10)
    at.button(key="live_pause").click().run()
    run = at.session_state["live"].run
    at.session_state["p_task"] = "remember_first"
    at.session_state["w_T"] = 30
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["live"].run is run and run.trainer.config.task == "adding" and run.trainer.config.T == 15
    assert any("controls changed" in c.value for c in at.caption)
    chance = 1.0 / 12.0  # the adding problem: guessing 1 every time, E[(s − 1)²] = 1/12 (closed form)
    assert any(m.label == f"Loss (chance {chance:.3g})" for m in at.metric), [m.label for m in at.metric]
    from apptest_helpers import chart_tables

    rules = [t.column("chance").to_pylist() for t in chart_tables(at) if "chance" in t.column_names]
    assert rules and all(abs(v - chance) < 1e-12 for r in rules for v in r), rules
    specs = [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in at.get("vega_lite_chart")]
    assert any("time step t (0 … 15)" in s for s in specs) and not any("(0 … 30)" in s for s in specs)
    assert any(f"every {run.trainer.config.lag_every}th training step" in c.value for c in at.caption)
    assert any(c.value == "Accuracy: |ŷ − y| < 0.04." for c in at.caption)


def test_serial_ids_never_take_a_new_run_for_an_archived_one():
    """A run's identity is its serial in the session, not id(run): CPython hands a freed object's address to
    the next one of its size, and with id() a later run that got an archived run's address was taken for it
    and never archived. Runs here are made and dropped until an address does come back (so the case is
    really met), and every one of them must reach the archive."""
    cfg, _ = live.config(Settings(T=4, hidden=4, seed=0), "adding", "rnn", "adam", 0.01, "none", 1.0, None, 2)
    trainer = Trainer(cfg)
    trainer.train(2)  # one trainer shared: only the small LiveRun objects come and go
    st_ = live.LiveState()
    seen, reused = set(), False
    for i in range(200):
        st_.runs_made += 1
        run = live.LiveRun(trainer, f"run {i}", 10, status="stopped", serial=st_.runs_made)
        reused |= id(run) in seen
        seen.add(id(run))
        live._archive(st_, run)
        assert st_.archive[-1]["label"] == f"run {i}", f"run {i} was taken for an earlier one"
        del run
        if reused and i >= 10:
            break
    assert reused, "CPython never reused an address here: the case was not met"
    assert [a["run_id"] for a in st_.archive] == list(range(st_.runs_made - 4, st_.runs_made + 1))


def test_runs_started_in_a_session_get_serials_one_two_three(at):
    at.button(key="live_start").click().run()
    at.button(key="live_stop").click().run()
    at.button(key="live_start").click().run()
    L = at.session_state["live"]
    assert [a["run_id"] for a in L.archive] == [1] and L.run.serial == 2
    assert L.archive[0]["label"] != L.run.label  # two runs with one config stay two lines in "Compare runs"


def test_projector_mode_styles_every_chart_on_the_page():
    """Projector mode (?projector=1) enlarges the labels of every chart on Live training: loss, accuracy,
    heatmap, gradient norm, spectrum and "Compare runs" (they were drawn with st.altair_chart, not through
    the projector style). The sizes are ui.charts.projector's (22 px)."""
    import json

    from ui.charts.projector import FS

    a = open_app({"T": 15, "hidden": 16, "projector": 1}, "pages/live_training.py", timeout=90)
    a.button(key="live_start").click().run()
    _steps_at_least(a, 10)
    a.button(key="live_stop").click().run()
    assert not a.exception
    specs = [json.loads(c.proto.spec) for c in a.get("vega_lite_chart")]
    assert len(specs) >= 6, "loss, heatmap, accuracy, gradient norm, spectrum and the comparison"
    for s in specs:
        axis = s["config"]["axis"]
        assert axis["labelFontSize"] >= FS and axis["titleFontSize"] >= FS, s.get("encoding", s.get("layer"))
        assert s["config"]["legend"]["labelFontSize"] >= FS


def test_stop_from_another_thread_waits_for_the_chunk_in_training_and_no_step_follows():
    """With Streamlit's fast reruns, Stop's callback runs in a new script thread while the old one is still in
    a tick. Stop returns only once the chunk in training is done, and no step follows it. Before, Stop set the
    status while a chunk trained on, so the counter moved after Stop had returned (here by up to 200 steps:
    a 5 s budget makes chunks long)."""
    import threading
    import time

    cfg, _ = live.config(Settings(T=30, hidden=32, seed=0), "adding", "rnn", "adam", 0.01, "none", 1.0, None, 32)
    st_ = live.LiveState()
    run = st_.run = live.new_run(st_, cfg, 10 ** 6)
    ticker = threading.Thread(target=live.tick, args=(run,), kwargs={"budget_s": 5.0})
    ticker.start()
    time.sleep(0.5)
    live.stop(st_)
    stopped = run.steps
    ticker.join(10)
    assert not ticker.is_alive() and run.status == "stopped"
    assert run.steps == stopped, f"{run.steps - stopped} steps trained after Stop returned"
    assert st_.archive[-1]["step"][-1] == stopped  # the archived curve ends where the run did


def test_start_is_open_when_the_controls_changed_under_a_running_run(at):
    """The page says "The controls changed: press Start to begin a new run with them" while a run goes; Start
    must then be pressable (it was disabled while any run was running). Pressing it keeps the old run to
    compare, stopped, and starts one with the new task."""
    at.button(key="live_start").click().run()
    first = at.session_state["live"].run
    at.session_state["p_task"] = "remember_first"
    at.run()
    assert any("controls changed" in c.value for c in at.caption)
    assert not at.button(key="live_start").disabled
    at.button(key="live_start").click().run()
    assert not at.exception
    L = at.session_state["live"]
    assert L.run is not first and L.run.trainer.config.task == "remember_first" and L.run.status == "running"
    assert first.status == "stopped" and [a["run_id"] for a in L.archive] == [first.serial]
    assert at.button(key="live_start").disabled  # the controls are the run's again: nothing new to start


def test_pressing_the_buttons_in_odd_orders_never_breaks_the_page(at):
    """Start, change the task, Pause, Same with an LSTM, Reset, Stop (nothing to stop), Start, Stop, Start,
    Pause, Stop: no exception, and each state is the one the buttons say."""
    def press(key):
        at.button(key=key).click().run()
        assert not at.exception, (key, [e.value for e in at.exception])
        return at.session_state["live"]

    press("live_start")
    at.session_state["p_task"] = "remember_first"
    at.run()
    L = press("live_pause")
    assert L.run.status == "paused" and L.run.trainer.config.task == "adding"
    L = press("live_lstm")  # the paused run again, with an LSTM: its task, not the controls'
    assert L.run.trainer.config.model == "lstm" and L.run.trainer.config.task == "adding" and L.run.status == "running"
    L = press("live_reset")
    assert L.run is None and not L.archive
    L = press("live_stop")  # nothing to stop: nothing happens
    assert L.run is None
    L = press("live_start")
    assert L.run.trainer.config == L.run.trainer.config.validated() and L.run.trainer.config.task == "remember_first"
    for key, status in (("live_stop", "stopped"), ("live_start", "running"), ("live_pause", "paused"),
                        ("live_stop", "stopped")):
        L = press(key)
        assert L.run.status == status, key
    assert len({a["run_id"] for a in L.archive}) == len(L.archive) == 2
