"""What one request may cost, in one place: named budgets, the cost of a request under each, and the check
pages call before they build anything.

The sidebar's caps (T ≤ 2000, n ≤ 256, ui.settings) bound every single setting; these budgets bound their
products, which is what the work and the memory grow with:

- Jacobian chain (rnn.jacobian_log10_norms / rnn.analyze): one n × n matrix product per step, plus an
  exact eigenvalue solve for the few products whose norm the cheap bounds cannot certify, so time O(T·n³)
  for a state of size n (the LSTM's state (h, c) has 2n; the GRU's n). Memory is O(chunk·n² + T·n),
  whatever T is: the engine measures the products in chunks of about 8 MiB (rnn.jacobians.CHUNK_BYTES),
  the trajectory holds T·n numbers.
  Measured on this project's 2 shared CPU cores under a load of about 7 (so several times slower than an
  idle core), float64: a vanilla RNN at T = 2000, n = 256 (twice the budget) took 38 s and 81 MB above the
  baseline; an LSTM at T = 250, n = 256 (also twice the budget) 51 s and 236 MB.
- Hand BPTT keeps each step's term of ∂L/∂W: T·n² numbers (8 bytes each in float64), and autograd's
  reference keeps a graph of the same order. Measured at the budget (T = 1220, n = 64): 5 s, 140 MB.
- The phase diagram runs one model per cell on a fixed grid with n ≤ 64 and T ≤ 500 (ui.engine_extra):
  its whole grid costs at most PHASE_CELLS_WORK, under the budget by construction.

A request over its budget is refused with a short message before the model or any array is built
(`stop_if_over`), so no single visitor can hold a core for minutes or exhaust memory. Cached results are
bounded too: server.maxCacheDataSize in .streamlit/config.toml caps every st.cache_data entry together at
CACHE_BYTES (serialized), and each cache has its max_entries."""
from __future__ import annotations

from .settings import Settings

# time: Σ T·n³ over the models one request analyses (n = state size): a vanilla RNN with n = 256 up to
# T = 1000, with n ≤ 128 at every T the sidebar allows; the three cells of "Gated cells" (n³ + (2n)³ + n³
# per step) with n = 64 at every T, n = 128 up to T = 800
JACOBIAN_WORK = 1000 * 256 ** 3  # 1.68·10¹⁰
JACOBIAN_SECONDS = 20  # the stated worst case at JACOBIAN_WORK, one request, on 2 busy shared cores
# memory: hand BPTT's per-step terms, T·n² numbers (5·10⁶ × 8 bytes = 40 MB; T = 1000 with n = 64)
BPTT_NUMBERS = 5_000_000
BPTT_BYTES = 8 * BPTT_NUMBERS
# the most one request may add to the server's memory (measured in tests/test_budget.py)
REQUEST_BYTES = 512 * 2**20
# the phase diagram's fixed grid: its largest cells (n = 64, T = 500) over 12 scales × (6 lengths + 5
# activations); ui.engine_extra holds the grid itself
PHASE_CELLS_WORK = 64 ** 3 * 12 * (10 + 20 + 50 + 100 + 200 + 500 + 5 * 500)
# everything st.cache_data may hold at once, all functions and visitors together (serialized bytes);
# .streamlit/config.toml's server.maxCacheDataSize says the same. A Community Cloud app gets roughly
# 690 MB to 2.7 GB.
CACHE_BYTES = 200 * 2**20
CACHE_SIZE_TEXT = "200mb"  # the config's spelling of CACHE_BYTES (binary units)

STATE_FACTOR = {"rnn": 1, "gru": 1, "lstm": 2}  # state size / hidden size


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
        names = " + ".join(f"{k.upper()} ({STATE_FACTOR[k] * s.hidden})³" for k in kinds)
        return (f"This would multiply {cost:.2e} numbers (T × {names}), above this app's budget of "
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
