"""Live training, per session: one run held in st.session_state, advanced a time-boxed chunk per fragment
tick, and a short archive of finished runs to compare. Nothing here is shared between visitors, and every
history is a bounded window (the trainer's own deques, downsampled archives).

Two threads of one session can meet here. With Streamlit's fast reruns (runner.fastReruns, on by default) a
click outside the fragment starts a new script thread at once while the old one runs on until its next
Streamlit call: a tick in the middle of training, or the callback of the click before. So the buttons'
callbacks and every training chunk hold the session's lock (LiveState.lock), a tick checks the run's status
before each chunk, and a Start from a script run that a later click has already replaced starts nothing:
Stop and Pause win whatever order the threads get there in."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Callable

import numpy as np
import streamlit as st

from rnn.training import SideBySide, TrainConfig, Trainer

from .. import widget_state
from ..blocks import page_control
from ..charts import live_training as C
from ..charts.projector import for_projector
from ..limits import LIVE_ARCHIVE_POINTS, LIVE_BUDGET_S, LIVE_MAX_ARCHIVE, LIVE_MAX_HIDDEN, LIVE_MAX_T
from ..settings import CELL_NAMES, PAGE_CONTROLS, Settings, display_name, page_keys

CONTROLS = page_keys("live_training")  # the page's own controls (ui.settings.PAGE_CONTROLS), in order


@dataclass
class LiveRun:
    """The run in progress: its trainer, what it is called, where it stands, how fast it goes. The run owns
    its config and task (`config`, `task`: the trainer's): whatever is drawn about it reads them, never the
    controls of the moment."""

    trainer: Trainer
    label: str
    max_steps: int
    status: str = "paused"  # running, paused, stopped, finished (reached max_steps), diverged
    rate: float = 0.0  # steps per second over the last ticks
    chunk: int = 1  # steps per train() call, adapted to the time budget
    seconds: float = 0.0  # time spent training
    serial: int = 0  # its number in this session (1, 2, …): its identity, never reused (id() of a freed run is)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)  # its session's

    @property
    def steps(self) -> int:
        return self.trainer.steps_done

    def history(self) -> dict:
        """The trainer's history, read between two training chunks (never while another thread trains)."""
        with self.lock:
            return self.trainer.history()

    def curves(self) -> list[tuple[str, dict]]:
        """(label, history) of each model the run trains: its one, or each of the LSTM demo's (a SideBySide)."""
        h = self.history()
        if isinstance(self.trainer, SideBySide):  # "tanh RNN, LSTM, GRU · task …" → "LSTM · task …", one per model
            rest = self.label.split(" · ", 1)[-1]
            names = {m: f"{display_name(self.config.activation)} RNN" if m == "rnn" else CELL_NAMES[m] for m in h}
            return [(f"{names[m]} · {rest}", hm) for m, hm in h.items()]
        return [(self.label, h)]

    @property
    def config(self) -> TrainConfig:
        return self.trainer.config

    @property
    def task(self):
        return self.trainer.task


@dataclass
class LiveState:
    run: LiveRun | None = None
    archive: list[dict] = field(default_factory=list)
    runs_made: int = 0  # the session's run counter: the last run's serial
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)  # see the module


def new_run(st_: LiveState, cfg: TrainConfig, max_steps: int) -> LiveRun:
    """A running LiveRun with the next serial of this session (1, 2, …), sharing the session's lock."""
    st_.runs_made += 1
    return LiveRun(Trainer(cfg), f"{label(cfg)} (run {st_.runs_made})", max_steps, status="running",
                   serial=st_.runs_made, lock=st_.lock)


def state() -> LiveState:
    if "live" not in st.session_state:
        st.session_state["live"] = LiveState()
    return st.session_state["live"]


def config(s: Settings, task: str, model: str, optimizer: str, lr: float, clip: str, clip_threshold: float,
           truncation: int | None, batch_size: int) -> tuple[TrainConfig, list[str]]:
    """The trainer's config from the sidebar and the page's controls, with the live caps applied; the
    notes say what was capped."""
    notes = []
    T = max(2, min(s.T, LIVE_MAX_T))
    if s.T > LIVE_MAX_T:
        notes.append(f"Live training uses T ≤ {LIVE_MAX_T} (the sidebar's T = {s.T} is capped).")
    elif s.T < 2:
        notes.append("Live training needs T ≥ 2: using T = 2.")
    hidden = min(s.hidden, LIVE_MAX_HIDDEN)
    if s.hidden > LIVE_MAX_HIDDEN:
        notes.append(f"Live training uses at most {LIVE_MAX_HIDDEN} hidden units (sidebar: {s.hidden}).")
    trunc = None if truncation is None or truncation >= T else int(truncation)
    cfg = TrainConfig(task=task, T=T, batch_size=batch_size, model=model, hidden_size=hidden,
                      activation=s.activation, init=s.init, scale=s.scale, scale_kind=s.scale_kind,
                      optimizer=optimizer, lr=lr, clip=clip, clip_threshold=clip_threshold, truncation=trunc,
                      seed=s.seed, device=s.device, dtype="float64" if s.float64 else "float32")
    return cfg, notes


TASK_TEXT = {  # what each task asks of the network, in a sentence a student can check against the charts
    "adding": "**The adding problem.** Every step carries a random number in [0, 1] and a marker; exactly two "
              "steps are marked, one in the first half of the sequence. At the last step the network must output "
              "the sum of the two marked numbers, so it has to carry the first one across about half the "
              "sequence. Guessing 1 every time is the chance level.",
    "remember_first": "**Remember the first symbol.** The first step shows one of K symbols and the rest is "
                      "noise; at the last step the network must name the first symbol. Nothing but the gradient "
                      "from T steps back can teach it that. Guessing uniformly is the chance level.",
    "remember_noise": "**Remember the first symbol through noise.** The first step shows one of 8 symbols; every "
                      "later step carries only random noise, on other inputs. At the last step the network must name "
                      "the first symbol. A gate can shut the noise out; a vanilla RNN's state is stirred by it at "
                      "every step. Guessing uniformly (1/8) is the chance level.",
}


def draw_status(run: LiveRun, task, h: dict) -> None:
    """The run's numbers (step, pace, loss and accuracy beside their chance levels, status), its progress,
    and what to do when it diverged."""
    m = st.columns(3) + st.columns(2)  # two rows: nothing cut at 1024 px
    m[0].metric("Step", f"{run.steps:,}", help=run.label)
    m[1].metric("Steps / s", f"{run.rate:.0f}")
    m[2].metric("Status", run.status)
    loss = h["loss"][-1] if h["loss"].size else float("nan")
    m[3].metric(f"Loss (chance {task.chance_loss:.3g})", f"{loss:.4g}", help=task.chance_note)
    m[4].metric(f"Accuracy (chance {task.chance_accuracy:.1%})", f"{h['accuracy'][-1]:.1%}" if h["accuracy"].size
                else "—", help=task.chance_note)
    st.progress(min(1.0, run.steps / run.max_steps), text=f"{run.label}: {run.steps} of {run.max_steps} steps")
    if run.status == "diverged":
        st.error(f"{diverged_line(run.trainer)} Try clipping by norm, a smaller α or a smaller weight scale.",
                 icon=":material/warning:")


def diverged_line(tr: Trainer, name: str = "") -> str:
    """What stopped a diverged trainer, in one sentence: its loss, or its gradient while the loss was still a
    number (relu at a large scale: a loss of 4e175 whose gradient overflows)."""
    who = f"The {name}'s" if name else "The"
    if tr.diverged_what == "gradient":
        return f"{who} gradient stopped being finite at step {tr.diverged_at}, its loss still a number: it exploded."
    return f"{who} loss stopped being finite at step {tr.diverged_at}: the gradient exploded."


def base(cfg: TrainConfig, max_steps: int) -> tuple[TrainConfig, int]:
    """What "Same with an LSTM" starts from: the current run's own config and length (the run owns them,
    whatever the controls say now), or the controls' when there is no run."""
    run = state().run
    return (run.config, run.max_steps) if run is not None else (cfg, max_steps)


def same_with_lstm(cfg: TrainConfig, max_steps: int) -> None:
    """Button callback: the same run (task, seed, optimiser, length) with an LSTM, to compare: the current
    run's, else the controls'."""
    with state().lock:
        if superseded():
            return
        cfg, max_steps = base(cfg, max_steps)
        widget_state.set_page("model", "lstm")
        start(replace(cfg, model="lstm"), max_steps)


def draw_controls(expanded: bool) -> dict[str, object]:
    """The page's own controls (task, model, optimiser, …) in an expander, three to a row, each kept in the
    URL; returns their values as the page uses them (ui.settings.PageControl.value: α 0.01, N None for "full")."""
    cols = st.expander("Task, model and optimiser", icon=":material/tune:", expanded=expanded).columns(3)
    values = {}
    for i, key in enumerate(CONTROLS):
        choices = PAGE_CONTROLS[key].field.choices
        with cols[i % 3]:
            if len(choices) <= 3:
                values[key] = page_control(key, st.segmented_control, args=(choices,), required=True,
                                           format_func=display_name)
            else:
                values[key] = page_control(key, st.select_slider, args=(choices,))
    return values


def draw_buttons(cfg: TrainConfig, max_steps: int, demo: tuple[Callable, tuple]) -> None:
    """Start, Pause, Stop, Reset, "Same with an LSTM", the LSTM demo's button (`demo`: its callback and args, from
    ui.session.live_demo, which imports this module) and, when the controls changed under a run, a line that says so.

    The page draws them in a container above its controls, which fold away once a run starts: nothing above the
    buttons changes on Start, so Stop stays where it was. Drawn below the controls, the buttons moved up by the
    controls' height a moment after Start, and a Stop clicked then landed on whatever had moved under the pointer."""
    run = state().run
    changed = controls_changed(cfg, max_steps)
    # the four run buttons on one row, the two LSTM buttons on the next: five in one row left "Same with an LSTM"
    # 118 px wide, four lines tall, in projector mode at a projector's 1024 px
    b = st.columns(4)
    b[0].button("Start", icon=":material/play_arrow:", type="primary", width="stretch", key="live_start",
                on_click=start, args=(cfg, max_steps), disabled=bool(run and run.status == "running" and not changed))
    # Pause and Stop are never disabled: Streamlit drops a click on a widget whose last drawing was disabled, and
    # the rerun after Start draws them again only when it gets to them (seconds on a busy machine)
    b[1].button("Pause", icon=":material/pause:", width="stretch", key="live_pause", on_click=pause)
    b[2].button("Stop", icon=":material/stop:", width="stretch", key="live_stop", on_click=stop)
    b[3].button("Reset", icon=":material/restart_alt:", width="stretch", key="live_reset", on_click=reset)
    row = st.container(horizontal=True)
    row.button("Same with an LSTM", icon=":material/memory:", key="live_lstm",
               on_click=same_with_lstm, args=(cfg, max_steps), disabled=base(cfg, max_steps)[0].model == "lstm",
               help="Start this very run again with an LSTM (the earlier run stays, to compare below).")
    row.button("The LSTM demo: RNN, LSTM, GRU on the same batches", icon=":material/compare_arrows:", key="live_demo",
               on_click=demo[0], args=demo[1], help="Remember the first symbol through noise: the tanh RNN stays at "
               "chance, the LSTM and the GRU learn it (the controls and the sidebar take its settings).")
    if changed:
        st.caption("The controls changed: press Start to begin a new run with them (the current one is kept to "
                   "compare).")


def config_from_controls(s: Settings, v: dict) -> tuple[TrainConfig, list[str], int]:
    """`config` from the page controls' values (`draw_controls`: 0.01, None, 32), and the run's length."""
    cfg, notes = config(s, v["task"], v["model"], v["opt"], v["lr"], v["clip"], v["clip_c"], v["N"], v["batch"])
    return cfg, notes, v["steps"]


def controls_changed(cfg: TrainConfig, max_steps: int) -> bool:
    """Whether a run is going (or paused) with another config or length than the controls now hold."""
    run = state().run
    if run is None or run.status not in ("running", "paused"):
        return False
    rc = run.config
    if isinstance(run.trainer, SideBySide):  # the LSTM demo trains every model, its gates biased: compare the rest
        rc = replace(rc, model=cfg.model, gate_bias=cfg.gate_bias, matrix_stats=cfg.matrix_stats)
    return rc != cfg.validated() or run.max_steps != max_steps


def label(cfg: TrainConfig) -> str:
    """E.g. 'tanh RNN · adding · T=50 · adam α=0.01 · seed 0'."""
    who = f"{display_name(cfg.activation)} RNN" if cfg.model == "rnn" else CELL_NAMES[cfg.model]
    extra = f" · N={cfg.truncation}" if cfg.truncation is not None else ""
    clip = f" · clip {cfg.clip} {cfg.clip_threshold:g}" if cfg.clip != "none" else ""
    return f"{who} · {display_name(cfg.task)} · T={cfg.T} · {cfg.optimizer} α={cfg.lr:g}{clip}{extra} · seed {cfg.seed}"


# --- the buttons (called from on_click callbacks, before the script reruns) -----------------------------

def superseded() -> bool:
    """Whether a later click has already replaced the script run this callback belongs to (fast reruns: the
    later click's thread may even have run its callbacks first). False outside a script run, and wherever
    Streamlit's internals are not as read here."""
    try:
        from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType
        from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    except ImportError:
        return False
    requests = getattr(get_script_run_ctx(suppress_warning=True), "script_requests", None)
    return getattr(requests, "_state", None) == ScriptRequestType.STOP


def start(cfg: TrainConfig, max_steps: int) -> None:
    """Resume a paused run with the same config, else begin a new one (the run it replaces is stopped and
    kept to compare). A Start whose script run a later click already replaced starts nothing: that click may
    have been Stop, run first by its own thread."""
    st_ = state()
    with st_.lock:
        if superseded():
            return
        run = st_.run
        if run is not None and run.status in ("running", "paused") and not controls_changed(cfg, max_steps):
            run.status = "running"  # resume (Start on a running run changes nothing)
            return
        if run is not None and run.status in ("running", "paused"):
            run.status = "stopped"  # a tick still under way in another thread trains it no further
            _archive(st_, run)
        st_.run = new_run(st_, cfg, max_steps)


def pause(st_: LiveState | None = None) -> None:
    st_ = st_ or state()
    with st_.lock:  # after the chunk in training, if any: none follows it
        run = st_.run
        if run is not None and run.status == "running":
            run.status = "paused"


def stop(st_: LiveState | None = None) -> None:
    st_ = st_ or state()
    with st_.lock:  # after the chunk in training, if any: none follows it
        run = st_.run
        if run is not None and run.status in ("running", "paused"):
            run.status = "stopped"
            _archive(st_, run)


def reset() -> None:
    st_ = state()
    with st_.lock:
        if st_.run is not None and st_.run.status in ("running", "paused"):
            st_.run.status = "stopped"
        st_.run = None
        st_.archive.clear()


def _archive(st_: LiveState, run: LiveRun) -> None:
    if any(a["run_id"] == run.serial for a in st_.archive):
        return
    for lbl, h in run.curves():  # one curve, or one per model of the LSTM demo
        if h["step"].size == 0:
            continue
        idx = np.unique(np.linspace(0, h["step"].size - 1, min(LIVE_ARCHIVE_POINTS, h["step"].size)).astype(int))
        st_.archive.append({"run_id": run.serial, "label": lbl, "step": h["step"][idx],
                            "loss": h["loss"][idx], "accuracy": h["accuracy"][idx]})
    del st_.archive[:-LIVE_MAX_ARCHIVE]


# --- one tick -------------------------------------------------------------------------------------------

def tick(run: LiveRun, budget_s: float = LIVE_BUDGET_S) -> None:
    """Train for about budget_s seconds in chunks sized from the measured rate; mark the run finished at
    max_steps and diverged when the loss stops being finite."""
    t0 = time.perf_counter()
    while True:
        with run.lock:  # each chunk whole, and only while the run is still running (Stop may come between two)
            if run.status != "running":
                return
            k = max(1, min(run.chunk, run.max_steps - run.steps))
            c0 = time.perf_counter()
            run.trainer.train(k)
            dt = time.perf_counter() - c0
            run.seconds += dt
            per_step = dt / k
            run.rate = 1.0 / per_step if per_step > 0 else run.rate
            run.chunk = max(1, min(200, int(0.5 * budget_s / max(per_step, 1e-6))))
            if run.trainer.diverged:
                run.status = "diverged"
            elif run.steps >= run.max_steps:
                run.status = "finished"
        if time.perf_counter() - t0 + per_step > budget_s:
            return
        # let a callback waiting for the lock (Stop, Pause) have it now: a thread that releases a lock and takes it
        # again at once nearly always wins it back, so Stop would wait for the whole budget
        time.sleep(0)


def chart(c, key: str | None = None) -> None:
    """An Altair chart at full width, restyled for a projector when the visitor's projector mode is on (as
    ui.blocks.chart_block does; these charts have no CSV of their own: the run's CSV holds their data)."""
    if widget_state.page_value("projector"):
        c = for_projector(c)
    st.altair_chart(c, width="stretch", key=key)


def draw_heat(h: dict, T: int, every: int, key: str | None = None) -> None:
    """The heatmap of log10‖∂L/∂s_t‖ over training; before its first row (training step `every`) a line that
    says when it comes, not an empty chart with a legend of NaN. T and `every` are the run's own."""
    heat = C.heat_frame(h)
    if heat.empty:
        st.caption(f"The heatmap starts at training step {every}: one row every {every} steps.")
        return
    chart(C.heat_chart(heat, T), key=key)


def finish_if_done(run: LiveRun) -> None:
    """A run that ended on its own joins the archive like a stopped one."""
    if run.status in ("finished", "diverged"):
        _archive(state(), run)


def draw_compare() -> None:
    """"Compare runs": the archived runs and the current one. Drawn inside the page's ticking fragment, so the
    current run's curve grows with it (drawn once per full rerun, it stayed at the one step it had then)."""
    st_ = state()
    cur = st_.run
    st.subheader("Compare runs", anchor=False)
    now = cur is not None and not any(a["run_id"] == cur.serial for a in st_.archive)  # not archived yet
    curves = cur.curves() if now else []  # the LSTM demo has three: all but the last join as "(now)" entries
    extra = [{"label": f"{lbl} (now)", "step": h["step"], "loss": h["loss"]} for lbl, h in curves[:-1]]
    comp = C.compare_frame(st_.archive + extra, curves[-1] if curves else None)
    if comp.empty:
        st.caption("Finished and stopped runs appear here (the last five), e.g. a tanh RNN against an LSTM on the "
                   "same task and seed.")
        return
    chart(C.compare_chart(comp))
    st.caption("Loss against training step for the last runs of this session (log axis).")
    st.download_button("Download the comparison (CSV)", partial(comp.to_csv, index=False), "live_compare.csv",
                       "text/csv", icon=":material/download:", on_click="ignore", key="dl_compare")
