"""The server's compute slots (ui.cached.one_at_a_slot): many visitors' computations at once never run more
than limits.COMPUTE_SLOTS at a time, a failing computation gives its slot back, and a slot is never lent
twice to one thread (cached functions are leaves, so none needs it). Counted with threads here, not timed."""
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


def test_a_failure_gives_its_slot_back():
    @one_at_a_slot
    def boom():
        raise ValueError("no")

    @one_at_a_slot
    def fine():
        return 2

    for _ in range(limits.COMPUTE_SLOTS + 1):
        with pytest.raises(ValueError):
            boom()
    assert fine() == 2  # every slot came back


def test_a_slot_is_never_lent_twice_to_one_thread():
    """No re-entry: a computation that asked for a slot inside another (a cached function calling another)
    would wait like anyone else, which is why cached functions are leaves (tests/ui/test_cached_leaves.py).
    Before, one_at_a_slot let a thread holding a slot run nested calls without one (a per-thread depth),
    and the nesting it allowed could deadlock with st.cache_data's per-key locks (issue 19, item 7)."""
    import ui.cached as cached

    assert not hasattr(cached, "_held")
    gate, inner_ran = threading.Event(), threading.Event()

    @one_at_a_slot
    def inner():
        inner_ran.set()

    entered = threading.Semaphore(0)

    @one_at_a_slot
    def hold():
        entered.release()
        gate.wait(timeout=30)

    # every slot but one held elsewhere; the last one taken by `outer`, whose nested call must then wait
    holders = [threading.Thread(target=hold, daemon=True) for _ in range(limits.COMPUTE_SLOTS - 1)]
    for t in holders:
        t.start()
    for _ in holders:
        assert entered.acquire(timeout=30)

    @one_at_a_slot
    def outer():
        inner()

    t = threading.Thread(target=outer, daemon=True)
    t.start()
    assert not inner_ran.wait(timeout=0.5)  # the nested call waits for a slot: none is free
    gate.set()  # the holders finish, a slot frees, the nested call runs
    t.join(timeout=30)
    for h in holders:
        h.join(timeout=30)
    assert inner_ran.is_set() and not t.is_alive()
