"""Cached calls into the engine, one module per page (ui/cached/<page>.py, for pages/<page>.py) and one for
the model every page analyses (model). Plain values in (Settings, numbers), numpy arrays and plain dicts out,
never a model that trains, so st.cache_data can share them safely between visitors.

Every visitor shares one server process, so two process-wide choices are made here, where the engine is
called from:
- one torch thread per computation. Visitors already run in threads of their own; torch's default of one
  thread per core made each of them fight the others for the cores and slowed every one of them;
- at most limits.COMPUTE_SLOTS computations at once (`one_at_a_slot`): a class opening one link waits in
  line for the cores instead of holding thirty half-done computations in memory (the server's peak over a
  lesson of 200 sessions, with and without it: benchmarks/RESULTS_LOAD.md). A cache hit never waits.

Cached functions are leaves: none calls another cached function, directly or through a helper
(tests/ui/test_cached_leaves.py checks it). st.cache_data holds a lock per key while it computes; a
computation that held a slot and waited for another key's lock could wait for good on a thread that holds
that lock and waits for a slot. Where a page needs two cached results together, it (or a plain helper
here) calls the cached functions one after another and combines what they return.
"""
from __future__ import annotations

import functools
import threading

import torch

from ..limits import COMPUTE_SLOTS

torch.set_num_threads(1)
_slots = threading.BoundedSemaphore(COMPUTE_SLOTS)


def one_at_a_slot(fn):
    """Run `fn` in one of the COMPUTE_SLOTS slots; put it under @st.cache_data, so only a miss waits."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _slots:
            return fn(*args, **kwargs)
    return wrapper
