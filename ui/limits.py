"""Every limit of the app in one place: what one setting may be, what one request may cost, what live
training and the phase diagram may use, and how much the caches may hold. Each name is defined here once;
the rest of the app reads it from here.

The sidebar's caps (T ≤ MAX_T, n ≤ MAX_HIDDEN) bound every single setting; the budgets bound their
products, which is what the work and the memory grow with:

- Jacobian chain (rnn.jacobian_log10_norms / rnn.analyze): one n × n matrix product per step, plus an
  exact eigenvalue solve for the few products whose norm the cheap bounds cannot certify, so time O(T·n³)
  for a state of size n (the LSTM's state (h, c) has 2n; the GRU's n). Memory is O(chunk·n² + T·n),
  whatever T is: the engine measures the products in chunks of about 8 MiB (rnn.jacobians.CHUNK_BYTES),
  the trajectory holds T·n numbers.
- Hand BPTT keeps each step's term of ∂L/∂W: T·n² numbers (8 bytes each in float64), and autograd's
  reference keeps a graph of the same order.
- What a request at these budgets costs in seconds and memory (a vanilla RNN and an LSTM at JACOBIAN_WORK,
  hand BPTT at BPTT_NUMBERS), a cell of the Theory page's diagram, a live-training step at LIVE_MAX_T and a
  round of the Text page: measured by `python -m benchmarks.limits --full`, benchmarks/RESULTS_LIMITS.md.
- The phase diagram runs one model per cell on a fixed grid with n ≤ PHASE_MAX_HIDDEN and T ≤ PHASE_MAX_T:
  its whole grid costs at most PHASE_CELLS_WORK, under the budget by construction.

A request over its budget is refused with a short message before the model or any array is built
(`stop_if_over`), so no single visitor can hold a core for minutes or exhaust memory. Cached results are
bounded too: server.maxCacheDataSize in .streamlit/config.toml caps every st.cache_data entry together at
CACHE_BYTES (serialized), and each cache has its max_entries (CACHE_ENTRIES)."""
from __future__ import annotations

from typing import Protocol


class Settings(Protocol):
    """What a budget reads of ui.settings.Settings (which imports its caps from here, so this module does not
    import it back): the sequence length and the hidden size."""

    T: int
    hidden: int

# --- one setting: the sidebar's caps (ui.settings checks every value against them) -----------------------
MAX_T = 2000  # sequence length
MAX_HIDDEN = 256  # hidden units n
MAX_SCALE = 100.0  # weight scale (gain, ρ or σ_max)
MAX_INPUT_SCALE = 10.0  # standard deviation of the inputs
MAX_SEED = 2**31 - 1
LESSON_STEPS = 9  # the Lesson's steps (ui.session.lesson.STEPS; a URL's ?step= is checked against it)
MAX_TEXT = 40  # characters of one URL value; a longer one is refused, not cut ("0.00…05" would read 0)

# (the regime's tolerances and REGIME_MIN_T are numerical policy: the engine's, rnn/jacobians.py)

# --- one request: time and memory budgets ------------------------------------------------------------
# time: Σ T·n³ over the models one request analyses (n = state size): a vanilla RNN with n = 256 up to
# T = 1000, with n ≤ 128 at every T the sidebar allows; the three cells of "Gated cells" (n³ + (2n)³ + n³
# per step) with n = 64 at every T, n = 128 up to T = 800
JACOBIAN_WORK = 1000 * 256 ** 3  # 1.68·10¹⁰
JACOBIAN_SECONDS = 20  # the stated worst case at JACOBIAN_WORK, one request, on 2 busy shared cores
# memory: hand BPTT's per-step terms, T·n² numbers (5·10⁶ × 8 bytes = 40 MB; T = 1000 with n = 64)
BPTT_NUMBERS = 5_000_000
BPTT_BYTES = 8 * BPTT_NUMBERS
# the most one request may add to the server's memory (measured in tests/ui/test_limits.py)
REQUEST_BYTES = 512 * 2**20
STATE_FACTOR = {"rnn": 1, "gru": 1, "lstm": 2}  # state size / hidden size
CELL_LABELS = {"rnn": "the vanilla RNN", "gru": "the GRU", "lstm": "the LSTM's state (h, c)"}  # in refusals

# --- the phase diagram: one model per cell, on a fixed grid -------------------------------------------
PHASE_MAX_HIDDEN = 64
PHASE_MAX_T = 500
PHASE_SCALES = (0.18, 0.25, 0.35, 0.5, 0.71, 1.0, 1.4, 2.0, 2.8, 4.0, 5.6, 8.0)  # about ×√2 apart
PHASE_LENGTHS = (10, 20, 50, 100, 200, 500)
# its largest cells (n = 64, T = 500) over 12 scales × (6 lengths + 5 activations at T = 500)
PHASE_CELLS_WORK = 64 ** 3 * 12 * (10 + 20 + 50 + 100 + 200 + 500 + 5 * 500)

# --- the theory page: mean field beside measurement ------------------------------------------------------
# its phase diagram gain × input scale: one vanilla RNN (Gaussian W) per cell, n ≤ PHASE_MAX_HIDDEN and
# T ≤ PHASE_MAX_T as in the phase diagram, on a grid of 48 cells (the phase diagram's has 132); a cell at the
# defaults (n = 64, T = 100): benchmarks/RESULTS_LIMITS.md, theory_cell
THEORY_GAINS = (0.5, 0.71, 1.0, 1.25, 1.6, 2.0, 2.5, 3.2)  # about ×1.26 apart; tanh's edge lies at 1.2 … 2.4
THEORY_INPUT_SCALES = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0)
THEORY_CELLS_WORK = PHASE_MAX_HIDDEN ** 3 * PHASE_MAX_T * len(THEORY_GAINS) * len(THEORY_INPUT_SCALES)
THEORY_MAX_LAG = 50  # the singular values of ∂h_T/∂h_{T−k} are shown for k = min(T, THEORY_MAX_LAG)
THEORY_MIN_HIDDEN = 9  # below this many units mean-field theory (a wide-network limit) is not even a guide

# --- live training, per visitor ----------------------------------------------------------------------
LIVE_MAX_T = 200  # live training uses at most this sequence length (a step's time: RESULTS_LIMITS.md, live_step)
LIVE_MAX_HIDDEN = 128
LIVE_TICK_S = 0.5  # the fragment reruns every LIVE_TICK_S seconds while a run is going
LIVE_BUDGET_S = 0.25  # and trains for about this long per tick, so Stop acts within one short chunk
LIVE_DEMO_BUDGET_S = 1.0  # the LSTM demo trains three models: longer per tick, so it ends within about a minute
UNFOLDED_TICK_S = 0.6  # the unfolded diagram's play moves the gradient one step back per tick
LIVE_MAX_ARCHIVE = 5  # finished runs kept for comparison
LIVE_ARCHIVE_POINTS = 400  # each archived curve is downsampled to at most this many points
LIVE_HEAT_ROWS = 60  # the gradient heatmap shows at most this many training steps …
LIVE_HEAT_COLS = 100  # … and this many time steps (evenly subsampled)

# --- the Text page: a character-level language model on the visitor's text, two models side by side --------
TEXT_MAX_CHARS = 3000  # a longer text is cut (with a message); the text box stops there too
TEXT_MIN_CHARS = 16  # a shorter one falls back to a built-in sample (with a message)
TEXT_MAX_VOCAB = 64  # characters beyond the 63 most frequent read as one placeholder (input size = V)
TEXT_MAX_T = 64  # the training window and the look-back shown (a round's time: RESULTS_LIMITS.md, text_step)
TEXT_BATCH = 32  # windows per training step
TEXT_SAMPLE_CHARS = 160  # each generated sample
TEXT_SAMPLE_TICKS = 4  # a new sample every this many ticks
TEXT_WRAP = 32  # characters per row of the look-back strip

# --- the server, all visitors together -----------------------------------------------------------------
COMPUTE_SLOTS = 2  # engine computations at once (the cores of the smallest Community Cloud tier); ui.cached

# --- the caches, all visitors together -----------------------------------------------------------------
# everything st.cache_data may hold at once, all functions and visitors together (serialized bytes);
# .streamlit/config.toml's server.maxCacheDataSize says the same. A Community Cloud app gets roughly
# 690 MB to 2.7 GB.
# 64 MB still holds the largest entries a class makes (16 trajectories of f′ at 4 MB); a lesson of 200 sessions
# left 1.2 MB in the caches (benchmarks/RESULTS_LOAD.md), so the cap bounds the worst case, not the usual one
CACHE_BYTES = 64 * 2**20
CACHE_SIZE_TEXT = "64mb"  # the config's spelling of CACHE_BYTES (binary units)
CACHE_ENTRIES = {  # max_entries of each st.cache_data function (ui/cached/)
    "analysis": 64,  # one per (settings, cell, gate bias): a class's worth of seeds
    "jacobian_chart": 32,  # one per (settings, projector): the chart's spec and frame
    "activation_curves": 4,
    "fprime": 16,  # up to T·n = 512 000 values (4 MB) an entry
    "bptt_report": 32,
    "truncated": 64,
    "phase_row": 512,
    "critical_scales": 16,
    "mean_field": 64,  # a few numbers an entry
    "theory_row": 256,  # one row of the gain × input-scale diagram: a few numbers a cell
    "theory_curve": 16,
    "lyapunov": 32,  # 4n numbers (vanilla RNN, LSTM, GRU) an entry
    "product_svals": 32,  # 2n numbers an entry
    "unfolded_steps": 64,  # one per (settings, shown steps) of the unfolded diagram: a few floats each
    "unfolded_dot": 256,  # one per (settings, played step, view) of the unfolded diagram: its DOT text, ~5 kB
    "chart_spec": 256,  # one per (chart, inputs, projector): a page chart's spec and data (ui.cached.charts)
    "report_check": 8,  # one per settings: the report's claims checked, a few numbers each
}


def jacobian_cost(s: Settings, kinds: tuple[str, ...] = ("rnn",)) -> int:
    """Σ T·(state size)³ for one Jacobian-chain analysis per kind (the unit of JACOBIAN_WORK)."""
    return sum(s.T * (STATE_FACTOR[k] * s.hidden) ** 3 for k in kinds)


def bptt_cost(s: Settings) -> int:
    """How many numbers hand BPTT's per-step terms of ∂L/∂W hold: T·n² (the unit of BPTT_NUMBERS)."""
    return s.T * s.hidden ** 2


def refusal(s: Settings, what: str = "jacobian", kinds: tuple[str, ...] = ("rnn",)) -> str | None:
    """None when the request fits its budget, else a short message for the screen (what it would cost,
    what the budget is, what to lower). `what` is "jacobian" or "bptt"."""
    if what == "jacobian":
        cost, limit = jacobian_cost(s, kinds), JACOBIAN_WORK
        if cost <= limit:
            return None
        per_step = cost // s.T
        fits = max(1, limit // per_step)
        names = " + ".join(f"{(STATE_FACTOR[k] * s.hidden)}³ for {CELL_LABELS[k]}" for k in kinds)
        return (f"This would multiply {cost:.2e} numbers (T = {s.T} steps × {names}), above this app's budget of "
                f"{limit:.2e} per request (about {JACOBIAN_SECONDS} s of one CPU core). With n = {s.hidden} "
                f"the budget allows T ≤ {fits}: lower T or the hidden size n in the sidebar.")
    if what == "bptt":
        cost, limit = bptt_cost(s), BPTT_NUMBERS
        if cost <= limit:
            return None
        fits = max(1, limit // (s.hidden ** 2))
        return (f"Hand BPTT keeps each step's term of ∂L/∂W, T·n² = {cost:,} numbers here; the budget is "
                f"{limit:,} (about {BPTT_BYTES // 10**6} MB). With n = {s.hidden} it allows T ≤ {fits}: lower "
                "T or the hidden size n in the sidebar.")
    raise ValueError(f"expected what to be 'jacobian' or 'bptt', got {what!r}")


def stop_if_over(s: Settings, what: str = "jacobian", kinds: tuple[str, ...] = ("rnn",)) -> None:
    """On a page: if the request is over budget, say so and stop the page here, before anything is built."""
    msg = refusal(s, what, kinds)
    if msg is not None:
        import streamlit as st

        st.warning(msg, icon=":material/memory:")
        st.stop()
