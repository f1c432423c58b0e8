"""The LSTM demo on Live training (issue 20): one click trains a tanh RNN, an LSTM and a GRU side by side on the
same batches (rnn.training.SideBySide at rnn.training.DEMO, the sidebar's seed), and the page draws their
accuracies and losses against the chance level. The run is an ordinary ui.session.live_training.LiveRun whose
trainer is the SideBySide: Pause, Stop, Reset, the ticks and the comparison treat it like any run, and everything drawn reads
the run's own config. benchmarks/RESULTS_LSTM_DEMO.md has the figures (seeds, accuracies, seconds)."""
from __future__ import annotations

import math
from dataclasses import replace
from functools import partial

import numpy as np
import streamlit as st

from rnn.training import DEMO, DEMO_STEPS, SideBySide, TrainConfig

from .. import sidebar, widget_state
from . import live_training as live
from ..charts import live_demo as C
from ..limits import LIVE_BUDGET_S, LIVE_DEMO_BUDGET_S
from ..presets import PRESETS
from ..settings import Settings, display_name

PRESET = "lstm_demo"  # ui.presets: the demo's sidebar values and page controls


def is_demo(run) -> bool:
    return run is not None and isinstance(run.trainer, SideBySide)


def budget(run) -> float:
    """Seconds of training per tick: the demo's three models get LIVE_DEMO_BUDGET_S (chunks of half that, so Stop
    still waits at most half a second), any other run LIVE_BUDGET_S."""
    return LIVE_DEMO_BUDGET_S if is_demo(run) else LIVE_BUDGET_S


def config(s: Settings) -> TrainConfig:
    """The demo's config with the visitor's seed (the benchmark checks seeds 0–4), device and precision."""
    return replace(DEMO, seed=s.seed, device=s.device, dtype="float64" if s.float64 else "float32")


def label(cfg: TrainConfig) -> str:
    """E.g. 'tanh RNN, LSTM, GRU · remember through noise · T=50 · adam α=0.01 · gate bias 5 · seed 0'."""
    return (f"{', '.join(C.NAMES.values())} · {display_name(cfg.task)} · T={cfg.T} · "
            f"{cfg.optimizer} α={cfg.lr:g} · gate bias {cfg.gate_bias:g} · seed {cfg.seed}")


def start(s: Settings) -> None:
    """Button callback: the page's controls and the sidebar take the demo's values (the seed, device and precision
    stay), a run in progress stops and joins the comparison, and the three models start on the same batches."""
    st_ = live.state()
    with st_.lock:
        if live.superseded():
            return
        p = PRESETS[PRESET]
        sidebar.apply(**{**p.values, "seed": s.seed, "device": s.device, "float64": s.float64})
        for key, value in p.page_values:
            widget_state.set_page(key, value)
        run = st_.run
        if run is not None and run.status in ("running", "paused"):
            run.status = "stopped"  # a tick still under way in another thread trains it no further
            live._archive(st_, run)
        cfg = config(s)
        st_.runs_made += 1
        st_.run = live.LiveRun(SideBySide(cfg), f"{label(cfg)} (run {st_.runs_made})", DEMO_STEPS,
                               status="running", serial=st_.runs_made, lock=st_.lock)


def draw(run: live.LiveRun) -> None:
    """The demo's numbers (step, pace, status, each model's accuracy), its progress, and the accuracy and loss
    of the three models against the chance level; all from the run's own task and histories."""
    task, hs = run.task, run.history()
    m = st.columns(3) + st.columns(3)
    m[0].metric("Step", f"{run.steps:,}", help=run.label)
    m[1].metric("Steps / s", f"{run.rate:.0f}", help="Steps of the three models together, per second.")
    m[2].metric("Status", run.status)
    for i, (k, h) in enumerate(hs.items()):
        acc = float(np.mean(h["accuracy"][-C.SMOOTH:])) if h["accuracy"].size else math.nan
        m[3 + i].metric(f"{C.NAMES[k]} accuracy", f"{acc:.1%}" if math.isfinite(acc) else "—",
                        help=f"Mean over the last {C.SMOOTH} steps, each on its own fresh batch. Chance: "
                             + task.chance_note)
    st.progress(min(1.0, run.steps / run.max_steps), text=f"{run.label}: {run.steps} of {run.max_steps} steps")
    for k, tr in run.trainer.trainers.items():
        if tr.diverged:
            st.error(f"{live.diverged_line(tr, C.NAMES[k])} The others go on.",
                     icon=":material/warning:")
    df = C.frame(hs)  # one chart under the other: side by side at 1024 px, the legends were cut
    live.chart(C.accuracy_chart(df, task.chance_accuracy), key="demo_acc")
    st.caption(f"Accuracy: the first symbol named, the mean of the last {C.SMOOTH} steps (each step scores its own "
               f"fresh batch); the dashed line is chance ({task.chance_accuracy:.1%}).")
    live.chart(C.loss_chart(df, task.chance_loss), key="demo_loss")
    st.caption(f"Cross-entropy (log axis); the dashed line is chance, ln K = {task.chance_loss:.3g}.")
    st.markdown(
        "All three models see the same batches from the same seed. The vanilla RNN's state is stirred by the noise "
        "at every step, and the gradient that would teach it to keep the symbol has to cross all "
        f"{run.config.T} steps: it stays at chance. The LSTM's forget gate and the GRU's update gate start near "
        f"σ({run.config.gate_bias:g}) ≈ {1 / (1 + math.exp(-run.config.gate_bias)):.3f}, so the cell keeps what "
        "it wrote and the gradient reaches the first step; they learn to shut the noise out.")
    st.download_button("Download the demo (CSV)", partial(df.to_csv, index=False), "live_demo.csv", "text/csv",
                       icon=":material/download:", on_click="ignore", key="dl_demo")
