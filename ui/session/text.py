"""The Text page's runs, per session: a vanilla RNN and a gated cell trained side by side on the same text,
the same seed and the same number of steps, with ui.session.live_training's run and tick (one LiveRun each, the
tick's time budget shared), under their own session_state key. Samples are drawn from each model every few ticks.

The pair owns its config (DESIGN.md, "a run owns its config"): Start records the configs, the text, its corpus,
the run length and a serial number (1, 2, … in the session), and everything drawn about the runs reads that
record, never the controls of the moment; when the controls differ from it, the page says so.

Pause always wins, as on Live training (ui.session.live_training's module note: with Streamlit's fast reruns a
click starts a new script thread while the old one still trains or runs Start's callback): both runs share the
session's lock (TextRuns.lock) with the buttons' callbacks, a tick trains one step of each model at a time under it
and checks each run's status before its step (live_training.tick), and a Start whose script run a later click
already replaced (live_training.superseded) starts nothing. Pause then returns only between two rounds: no step follows it, and both
models stand at the same step.

The text itself is prepared by rnn.text.prepare_text (messages and a fallback, never an exception); these
functions never print it."""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace

import streamlit as st

from rnn import text as X
from rnn.training import TrainConfig

from . import live_training as live
from ..limits import (LIVE_BUDGET_S, TEXT_BATCH, TEXT_MAX_CHARS, TEXT_MAX_T, TEXT_MAX_VOCAB, TEXT_MIN_CHARS,
                     TEXT_SAMPLE_CHARS, TEXT_SAMPLE_TICKS)
from ..blocks import page_control
from ..charts.style import fmt_num
from ..charts.text import NAMES
from ..settings import PAGE_CONTROLS, Settings
from ..widget_state import PAGE as STATE

KEY = "text_live"
OWN = "text_own"  # session_state key of the text box
KEPT = "text_own_kept"  # and of a copy of its text that outlives the box
TITLES = {**X.SAMPLE_TITLES, "own": "your own text"}


@dataclass(frozen=True)
class Pair:
    """What a press of Start began: the validated configs ("rnn" and "lstm" or "gru"), the text as trained on,
    its corpus, its name, the run length, and the pair's serial number in this session."""

    serial: int
    cfgs: dict[str, TrainConfig]
    text: str
    corpus: X.Corpus
    title: str
    max_steps: int

    @property
    def window(self) -> int:
        return self.cfgs["rnn"].T


@dataclass(frozen=True)
class Sample:
    step: int
    temperature: float
    seed: int
    text: str


@dataclass
class TextRuns:
    runs: dict[str, live.LiveRun] = field(default_factory=dict)  # "rnn" and "lstm" or "gru"
    pair: Pair | None = None  # what the runs were started with; None before Start and after Reset
    samples: dict[str, Sample] = field(default_factory=dict)  # model → its latest sample
    ticks: int = 0
    started: int = 0  # pairs started in this session: the next one's serial is started + 1
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)  # see the module


def choices(key: str) -> tuple[str, ...]:
    """The choices of one of the page's own controls (ui.settings.PAGE_CONTROLS)."""
    return PAGE_CONTROLS[key].field.choices


def state() -> TextRuns:
    if KEY not in st.session_state:
        st.session_state[KEY] = TextRuns()
    return st.session_state[KEY]


def title(text: str) -> str:
    """What a text is called on the page: a built-in sample's title, else "your own text"."""
    return next((f"the sample “{X.SAMPLE_TITLES[k]}”" for k, t in X.SAMPLES.items() if t == text), "your own text")


def box_count(raw) -> int:
    """What the text box's counter shows for `raw`: the browser counts UTF-16 code units (an emoji counts 2)."""
    return len(raw.encode("utf-16-le", "surrogatepass")) // 2 if isinstance(raw, str) else 0


def intro(prep: X.PreparedText, raw: str | None) -> str:
    """Before any run: what Start will train on, in numbers that are the trained text's; for the visitor's own
    text (`raw`, None for a built-in sample), why the box's counter shows another number when it does."""
    c = X.corpus(prep.text)
    line = f"Press **Start** to train on {title(prep.text)} ({len(prep.text):,} characters, {c.vocab_size} distinct)."
    box = box_count(raw)
    if prep.fallback or not isinstance(raw, str) or box == len(prep.text):
        return line
    wide = sum(ord(ch) > 0xFFFF for ch in raw)
    why = ([f"it counts each of {wide:,} emoji or other characters beyond U+FFFF twice"] if wide else []) + (
        ["see the notes above"] if prep.messages else [])
    return line + f" The box's counter shows {box:,}" + (f": {'; '.join(why)}." if why else ".")


def own_box() -> None:
    """The visitor's text box. Streamlit forgets a widget's value after a run that does not draw it (a sample
    chosen for a moment, another page), so its text is kept under KEPT as well and put back."""
    if OWN not in st.session_state and KEPT in st.session_state:
        st.session_state[OWN] = st.session_state[KEPT]
    st.text_area("Your text", key=OWN, max_chars=TEXT_MAX_CHARS, height=120,
                 placeholder="Paste a paragraph: a few hundred characters or more.")
    st.session_state[KEPT] = st.session_state[OWN]


def own_text(source: str) -> str | None:
    """The box's text when the text chosen is "own", else None."""
    return st.session_state.get(KEPT, "") if source == "own" else None


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


def draw_controls(expanded: bool) -> tuple[str, str, int | None, int]:
    """The page's own controls in an expander, each kept in the URL (the text, the cell beside the vanilla RNN,
    truncation N, the run's length), and the visitor's text box when the text is their own; returns their values
    as the page uses them: ("echo", "lstm", None for "full", 1000)."""
    with st.expander("Text, cell and run", icon=":material/tune:", expanded=expanded):
        a, b = st.columns(2)
        c, d = st.columns(2)
        with a:
            source = page_control("text", st.selectbox, args=(choices("text"),), format_func=TITLES.get)
        with b:
            cell = page_control("cell", st.segmented_control, args=(choices("cell"),), required=True,
                                format_func=NAMES.get)
        with c:
            trunc = page_control("text_N", st.segmented_control, args=(choices("text_N"),), required=True)
        with d:
            steps = page_control("text_steps", st.select_slider, args=(choices("text_steps"),))
        if source == "own":
            own_box()
    return source, cell, trunc, steps


def configs(s: Settings, text: str, cell: str, truncation: int | None) -> tuple[dict[str, TrainConfig], list[str]]:
    """One TrainConfig per model (the sidebar's activation, scale, init, hidden size and seed; Adam α = 0.01,
    clipping by norm at 1), T capped by TEXT_MAX_T and the text's length; notes say what was capped. Truncation
    N None (or N ≥ T − 1) is full BPTT back to the start of each window."""
    T = max(2, min(s.T, TEXT_MAX_T, len(text) - 1))
    notes = [] if T == s.T else [f"Windows of T = {T} characters (the sidebar's T = {s.T}; this page uses at most "
                                 f"{TEXT_MAX_T}, and fewer than the text's length)."]
    N = None if truncation is None or truncation >= T - 1 else truncation
    out = {}
    for model in ("rnn", cell):
        cfg, more = live.config(replace(s, T=T), "text", model, "adam", 0.01, "norm", 1.0, N, TEXT_BATCH)
        out[model] = replace(cfg, text=text, matrix_stats=False)  # this page never shows ρ or σ_max of W
        notes += [n for n in more if n not in notes]
    return out, notes


def view(text: str, cfgs: dict[str, TrainConfig]) -> tuple[str, int]:
    """The text and window the position p indexes: the runs' while there are runs, else the controls'."""
    pair = state().pair
    return (pair.text, pair.window) if pair else (text, cfgs["rnn"].T)


def differences(cfgs: dict[str, TrainConfig], max_steps: int | None = None) -> list[str]:
    """What the controls now hold that differs from the runs' own record (empty when there are no runs)."""
    pair = state().pair
    if pair is None:
        return []
    now = {k: c.validated() for k, c in cfgs.items()}
    out = []
    if now["rnn"].text != pair.text:
        out.append("the text")
    if set(now) != set(pair.cfgs):
        out.append("the cell beside the vanilla RNN")
    if now["rnn"].truncation != pair.cfgs["rnn"].truncation:
        out.append("truncation N")
    if max_steps is not None and max_steps != pair.max_steps:
        out.append("steps in a run")
    rest = dict(text="", truncation=None)  # all but what is named above: the sidebar's part of the config
    if any(replace(c, **rest) != replace(pair.cfgs[k], **rest) for k, c in now.items() if k in pair.cfgs):
        out.append("the sidebar's settings")
    return out


def changed(cfgs: dict[str, TrainConfig], max_steps: int | None = None) -> bool:
    return bool(differences(cfgs, max_steps))


def draw_changed(cfgs: dict[str, TrainConfig], max_steps: int) -> None:
    """A note when the controls differ from the runs: what differs, and that the page still draws the runs."""
    diff = differences(cfgs, max_steps)
    pair = state().pair
    if not diff or pair is None:
        return
    what = ", ".join(diff[:-1]) + (" and " if len(diff) > 1 else "") + diff[-1]
    how = "Pause, then Start," if running() else "Start"
    st.caption(f"The controls changed ({what}) since run {pair.serial} began: everything below is still run "
               f"{pair.serial}, on {title(pair.text)} with the {NAMES[_gated(pair)]}. {how} trains new models on the "
               "controls.")


def _gated(pair: Pair) -> str:
    return next(k for k in pair.cfgs if k != "rnn")


# --- the buttons (on_click callbacks) -------------------------------------------------------------------

def start(cfgs: dict[str, TrainConfig], max_steps: int) -> None:
    """Resume paused runs when the controls still match them, else begin new ones (both models from step 0)
    and record what they were started with. A Start whose script run a later click already replaced starts
    nothing: that click may have been Pause, run first by its own thread."""
    st_ = state()
    with st_.lock:
        if live.superseded():
            return
        if st_.runs and not changed(cfgs, max_steps) and all(r.status == "paused" for r in st_.runs.values()):
            for r in st_.runs.values():
                r.status = "running"
            return
        _halt(st_, "stopped")  # runs it replaces: a tick still under way in another thread trains them no further
        now = {k: c.validated() for k, c in cfgs.items()}
        text = now["rnn"].text
        st_.started += 1
        st_.pair = Pair(st_.started, now, text, X.corpus(text), title(text), max_steps)
        st_.runs = {k: live.LiveRun(live.Trainer(c), live.label(c).replace(" · text", ""), max_steps,
                                    status="running", lock=st_.lock) for k, c in now.items()}
        st_.samples.clear()
        st_.ticks = 0


def _halt(st_: TextRuns, status: str) -> None:
    """Mark the runs that are going (or, to stop them, paused) `status`; the caller holds the session's lock."""
    for r in st_.runs.values():
        if r.status == "running" or status == "stopped" and r.status == "paused":
            r.status = status


def pause() -> None:
    st_ = state()
    with st_.lock:  # after the round in training, if any: none follows it
        _halt(st_, "paused")


def reset() -> None:
    st_ = state()
    with st_.lock:
        _halt(st_, "stopped")
        st_.runs = {}  # a new dict: a tick or a drawing under way in another thread keeps the old one
        st_.pair = None
        st_.samples.clear()


def running() -> bool:
    return any(r.status == "running" for r in state().runs.values())


def tick(budget_s: float = LIVE_BUDGET_S) -> None:
    """Train the running models in lockstep, one step each in turn (ui.session.live_training.tick with no time left runs
    exactly one chunk of run.chunk = 1 step and keeps the run's status, rate and time), for about budget_s
    seconds: the models are compared after the same number of steps. Each round (a step of each model) holds
    the session's lock, so Pause comes between two rounds, never inside one."""
    st_ = state()
    with st_.lock:
        runs = [r for r in st_.runs.values() if r.status == "running"]
        if not runs:
            return
        st_.ticks += 1
    t0 = time.perf_counter()
    while runs:  # at least one step each, then until the budget is spent
        with st_.lock:
            for r in runs:
                r.chunk = 1
                live.tick(r, 0.0)  # checks the run's status first: a run paused or stopped meanwhile trains no more
            runs = [r for r in runs if r.status == "running"]
        if time.perf_counter() - t0 >= budget_s:
            break
        time.sleep(0)  # Pause waiting for the lock gets it now (ui.session.live_training.tick says why)


def histories() -> dict[str, dict]:
    """Each run's history, read between two rounds (never while another thread trains)."""
    return {k: r.history() for k, r in state().runs.items()}


def samples(temperature: float) -> dict[str, Sample]:
    """Each model's latest sample, seeded with the run's own seed: drawn again every TEXT_SAMPLE_TICKS ticks,
    whenever none exists for a stopped run's current step, and at once when the temperature changes (the
    caption gives the sample's own step, temperature and seed)."""
    st_ = state()
    with st_.lock:  # the models are read between two rounds, never while another thread trains them
        for k, r in st_.runs.items():
            if r.trainer.diverged:  # nothing finite to sample from: draw_metrics says so
                st_.samples.pop(k, None)
                continue
            have, seed = st_.samples.get(k), r.trainer.config.seed
            due = r.status == "running" and st_.ticks % TEXT_SAMPLE_TICKS == 1
            if (have is None or have.temperature != temperature or have.seed != seed
                    or (due or r.status != "running") and have.step != r.steps):
                st_.samples[k] = Sample(r.steps, temperature, seed, X.generate(r.trainer, TEXT_SAMPLE_CHARS,
                                                                               temperature, seed))
        return dict(st_.samples)


def draw_metrics(hist: dict[str, dict]) -> None:
    """The step both models reached, the unigram baseline of the runs' text and each model's latest bits per
    character."""
    st_ = state()
    runs, corpus = st_.runs, st_.pair.corpus
    m = st.columns(2 + len(hist))
    m[0].metric("Step", f"{min(r.steps for r in runs.values()):,}", help=f"Run {st_.pair.serial} on "
                f"{st_.pair.title}: " + " | ".join(r.status for r in runs.values()))
    m[1].metric("Unigram baseline", f"{corpus.unigram_bits:.2f} bits",
                help=f"Each character guessed from its frequency. A uniform guess costs {corpus.uniform_bits:.2f} bits.")
    for i, (k, h) in enumerate(hist.items()):
        bpc = float(X.bits(h["loss"][-1])) if h["loss"].size else float("nan")
        d = bpc - corpus.unigram_bits  # NaN before the first step and after a divergence: no delta then
        m[2 + i].metric(f"{NAMES[k]}, bits/char", fmt_num(bpc, 2, fixed=True), delta_color="inverse",
                        delta=None if math.isnan(d) else f"{fmt_num(d, 2, fixed=True, sign=True)} vs unigram")
    for k, r in runs.items():
        if r.trainer.diverged:
            st.error(f"{live.diverged_line(r.trainer, NAMES[k])} It has no sample and no look-back strip. Try "
                     "float64, a smaller weight scale or tanh in the sidebar, then Start.", icon=":material/warning:")
