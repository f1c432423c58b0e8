"""Cached calls into the engine, one module per page (ui/cached/<page>.py, for pages/<page>.py) and one for
the model every page analyses (model). Plain values in (Settings, numbers), numpy arrays and plain dicts out,
never a model that trains, so st.cache_data can share them safely between visitors.

Every visitor shares one server process, so two process-wide choices are made here, where the engine is
called from:
- one torch thread per computation. Visitors already run in threads of their own; torch's default of one
  thread per core made each of them fight the others for the cores (a Jacobian chain at n = 64, T = 100
  took 2.2 s instead of 0.07 s on this project's two busy cores);
- at most limits.COMPUTE_SLOTS computations at once (`one_at_a_slot`): a class opening one link waits in
  line for the cores instead of holding thirty half-done computations in memory (the server's peak over a
  lesson of 200 sessions fell from 845 MB to 679 MB, benchmarks/RESULTS_LOAD.md). A cache hit never waits.
"""
from __future__ import annotations

import functools
import threading

import torch

from ..limits import COMPUTE_SLOTS

torch.set_num_threads(1)
_slots = threading.BoundedSemaphore(COMPUTE_SLOTS)
_held = threading.local()  # a computation that calls another cached one keeps its slot (no deadlock)


def one_at_a_slot(fn):
    """Run `fn` in one of the COMPUTE_SLOTS slots; put it under @st.cache_data, so only a miss waits."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if getattr(_held, "depth", 0):
            return fn(*args, **kwargs)
        with _slots:
            _held.depth = 1
            try:
                return fn(*args, **kwargs)
            finally:
                _held.depth = 0
    return wrapper
