"""The server's compute slots (ui.cached.one_at_a_slot): many visitors' computations at once never run more
than limits.COMPUTE_SLOTS at a time, a computation that calls another keeps its slot (no deadlock), and a
failing computation gives its slot back. Counted with threads here, not timed."""
from __future__ import annotations

import threading
import time

import pytest

from ui import limits
from ui.cached import one_at_a_slot


def test_at_most_compute_slots_run_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    @one_at_a_slot
    def work():
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert peak[0] == limits.COMPUTE_SLOTS


def test_a_nested_computation_keeps_its_slot_and_a_failure_frees_it():
    @one_at_a_slot
    def inner():
        return 1

    @one_at_a_slot
    def outer():
        return inner() + 1  # would wait forever for a slot if it had to take a second one

    results = []
    threads = [threading.Thread(target=lambda: results.append(outer())) for _ in range(limits.COMPUTE_SLOTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == [2] * limits.COMPUTE_SLOTS

    @one_at_a_slot
    def boom():
        raise ValueError("no")

    for _ in range(limits.COMPUTE_SLOTS + 1):
        with pytest.raises(ValueError):
            boom()
    assert outer() == 2  # every slot came back
