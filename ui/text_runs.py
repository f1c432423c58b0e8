"""The Text page's runs, per session: a vanilla RNN and a gated cell trained side by side on the same text,
the same seed and the same number of steps, with ui.live's run and tick (one LiveRun each, the tick's time
budget shared), under their own session_state key. Samples are drawn from each model every few ticks.

The text itself is prepared by rnn.text.prepare_text (messages and a fallback, never an exception); these
functions never print it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import streamlit as st

from rnn import text as X
from rnn.training import TrainConfig

from . import live
from .limits import (LIVE_BUDGET_S, TEXT_BATCH, TEXT_MAX_CHARS, TEXT_MAX_T, TEXT_MAX_VOCAB, TEXT_MIN_CHARS,
                     TEXT_SAMPLE_CHARS, TEXT_SAMPLE_TICKS)
from .blocks import STATE
from .charts.text import NAMES
from .settings import PAGE_CONTROLS, Settings

KEY = "text_live"
OWN = "text_own"  # session_state key of the text box
TITLES = {**X.SAMPLE_TITLES, "own": "your own text"}


@dataclass
class TextRuns:
    runs: dict[str, live.LiveRun] = field(default_factory=dict)  # "rnn" and "lstm" or "gru"
    samples: dict[str, tuple[int, str]] = field(default_factory=dict)  # model → (step, sample)
    ticks: int = 0


def choices(key: str) -> tuple[str, ...]:
    """The choices of one of the page's own controls (ui.settings.PAGE_CONTROLS)."""
    return PAGE_CONTROLS[key].field.choices


def state() -> TextRuns:
    if KEY not in st.session_state:
        st.session_state[KEY] = TextRuns()
    return st.session_state[KEY]


def prepared(source: str, own) -> X.PreparedText:
    """The text to train on: a built-in sample, or the visitor's text through rnn.text.prepare_text."""
    if source in X.SAMPLES:
        return X.PreparedText(X.SAMPLES[source], (), False)
    return X.prepare_text(own, TEXT_MAX_CHARS, TEXT_MIN_CHARS, TEXT_MAX_VOCAB)


def keep_position(text: str, window: int) -> None:
    """When the text changes, the position slider gets a new range and Streamlit would put it back at 1 (no
    look-back at all): keep the old position if it still fits, else start at the text's focus."""
    key, pos = "text_seen", STATE + "pos"
    seen = st.session_state.get(key)
    if seen is not None and seen != hash(text) and pos in st.session_state:
        old = st.session_state[pos]
        st.session_state[pos] = old if 1 < old < len(text) else X.focus(text, window)
    st.session_state[key] = hash(text)


def configs(s: Settings, text: str, cell: str, truncation: str) -> tuple[dict[str, TrainConfig], list[str]]:
    """One TrainConfig per model (the sidebar's activation, scale, init, hidden size and seed; Adam α = 0.01,
    clipping by norm at 1), T capped by TEXT_MAX_T and the text's length; notes say what was capped."""
    T = max(2, min(s.T, TEXT_MAX_T, len(text) - 1))
    notes = [] if T == s.T else [f"Windows of T = {T} characters (the sidebar's T = {s.T}; this page uses at most "
                                 f"{TEXT_MAX_T}, and fewer than the text's length)."]
    N = None if truncation == "full" or int(truncation) >= T - 1 else int(truncation)
    out = {}
    for model in ("rnn", cell):
        cfg, more = live.config(replace(s, T=T), "text", model, "adam", 0.01, "norm", 1.0, N, TEXT_BATCH)
        out[model] = replace(cfg, text=text, matrix_stats=False)  # this page never shows ρ or σ_max of W
        notes += [n for n in more if n not in notes]
    return out, notes


def changed(cfgs: dict[str, TrainConfig]) -> bool:
    runs = state().runs
    return bool(runs) and any(r.status in ("running", "paused") for r in runs.values()) and (
        set(runs) != set(cfgs) or any(runs[k].trainer.config != c.validated() for k, c in cfgs.items()))


# --- the buttons (on_click callbacks) -------------------------------------------------------------------

def start(cfgs: dict[str, TrainConfig], max_steps: int) -> None:
    """Resume paused runs with the same configs, else begin new ones (both models from step 0)."""
    st_ = state()
    if st_.runs and set(st_.runs) == set(cfgs) and all(
            r.status == "paused" and r.trainer.config == cfgs[k].validated() for k, r in st_.runs.items()):
        for r in st_.runs.values():
            r.status = "running"
        return
    st_.runs = {k: live.LiveRun(live.Trainer(c), live.label(c).replace(" · text", ""), max_steps, status="running")
                for k, c in cfgs.items()}
    st_.samples.clear()
    st_.ticks = 0


def pause() -> None:
    for r in state().runs.values():
        if r.status == "running":
            r.status = "paused"


def reset() -> None:
    st_ = state()
    st_.runs.clear()
    st_.samples.clear()


def running() -> bool:
    return any(r.status == "running" for r in state().runs.values())


def tick(budget_s: float = LIVE_BUDGET_S) -> None:
    """Train the running models in lockstep, one step each in turn (ui.live.tick with no time left runs
    exactly one chunk of run.chunk = 1 step and keeps the run's status, rate and time), for about budget_s
    seconds: the models are compared after the same number of steps."""
    st_ = state()
    runs = [r for r in st_.runs.values() if r.status == "running"]
    if not runs:
        return
    st_.ticks += 1
    t0 = time.perf_counter()
    while runs:  # at least one step each, then until the budget is spent
        for r in runs:
            r.chunk = 1
            live.tick(r, 0.0)
        runs = [r for r in runs if r.status == "running"]
        if time.perf_counter() - t0 >= budget_s:
            break


def samples(temperature: float, seed: int) -> dict[str, tuple[int, str]]:
    """Each model's latest sample, drawn again every TEXT_SAMPLE_TICKS ticks and whenever none exists for a
    stopped run's current step."""
    st_ = state()
    for k, r in st_.runs.items():
        have = st_.samples.get(k)
        due = r.status == "running" and st_.ticks % TEXT_SAMPLE_TICKS == 1
        if have is None or (due and have[0] != r.steps) or (r.status != "running" and have[0] != r.steps):
            st_.samples[k] = (r.steps, X.generate(r.trainer, TEXT_SAMPLE_CHARS, temperature, seed))
    return dict(st_.samples)


def draw_metrics(hist: dict[str, dict], corpus: X.Corpus) -> None:
    """The step both models reached, the unigram baseline and each model's latest bits per character."""
    runs = state().runs
    m = st.columns(2 + len(hist))
    m[0].metric("Step", f"{min(r.steps for r in runs.values()):,}", help=" | ".join(r.status for r in runs.values()))
    m[1].metric("Unigram baseline", f"{corpus.unigram_bits:.2f} bits",
                help=f"Each character guessed from its frequency. A uniform guess costs {corpus.uniform_bits:.2f} bits.")
    for i, (k, h) in enumerate(hist.items()):
        bpc = float(X.bits(h["loss"][-1])) if h["loss"].size else float("nan")
        m[2 + i].metric(f"{NAMES[k]}, bits/char", f"{bpc:.2f}", delta=f"{bpc - corpus.unigram_bits:+.2f} vs unigram",
                        delta_color="inverse")
