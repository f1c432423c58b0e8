"""glibc's allocator, set for a server that many visitors share (Linux; elsewhere this does nothing).

Each script run is a thread of its own, and glibc gives busy threads arenas of their own (up to eight per
core) that keep what torch and numpy freed in them. Measured with `python -m benchmarks.load --memory`
(sessions in waves of ten over four pages, each its own seed, T = 200, hidden 128): the server's RSS kept
climbing past 1.2 GB without this, and stayed near 600 MB with two arenas and a trim every second.

MALLOC_ARENA_MAX only works from the environment, before the process starts, which Community Cloud does not
let an app set; mallopt(M_ARENA_MAX) does the same from inside the process for the arenas not yet made (the
script threads come later). malloc_trim(0) hands the free pages of every arena back to the system; it takes
milliseconds, five times a second (TRIM_EVERY_S), in a daemon thread.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys
import threading
import time

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2
# five times a second: what a finished computation freed goes back before the next visitors' work piles on it
# (a lesson's peak against a trim every second: benchmarks/RESULTS_LOAD.md, issue 23); ctypes calls it outside the GIL
TRIM_EVERY_S = 0.2


def _trim_forever(libc) -> None:
    while True:
        time.sleep(TRIM_EVERY_S)
        libc.malloc_trim(0)


def tune() -> bool:
    """Cap the arenas and start the trimming thread, once per process; False where there is no glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_ARENA_MAX, ARENAS)
        libc.malloc_trim  # musl has no malloc_trim: AttributeError, and nothing is changed
    except (OSError, AttributeError):
        return False
    threading.Thread(target=_trim_forever, args=(libc,), daemon=True, name="malloc-trim").start()
    return True


TUNED = tune()  # at the first import; Python keeps the module, so reruns do not start a second thread
