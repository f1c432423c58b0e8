"""The engine's argument checks, in one place. Each returns the value normalised (an int, a float, a
lower-case name) or raises a ValueError that says what was expected and what came:
`expected hidden_size to be a positive integer, got 0`, `unknown optimizer 'rmsprop'; expected one of sgd, adam`.

An integer is an int or anything with __index__ (numpy's integers, a 0-d integer tensor), never a bool.
"""
from __future__ import annotations

import math


def _is_integer(v) -> bool:
    return not isinstance(v, bool) and (isinstance(v, int) or hasattr(v, "__index__"))


def integer(v, what: str, least: int | None = None, expected: str | None = None) -> int:
    """An integer (≥ least when given). `expected` words the requirement; by default "an integer ≥ least"."""
    expected = expected or ("an integer" if least is None else f"an integer ≥ {least}")
    if not _is_integer(v):
        raise ValueError(f"expected {what} to be {expected}, got {v!r}")
    n = int(v)
    if least is not None and n < least:
        raise ValueError(f"expected {what} to be {expected}, got {n}")
    return n


def size(v, what: str) -> int:
    """A positive integer: a layer's size."""
    return integer(v, what, 1, "a positive integer")


def truncation(v) -> int | None:
    """None (full BPTT) or N ≥ 0 (keep the steps T−N … T)."""
    return None if v is None else integer(v, "truncation", 0, "None or an integer N ≥ 0")


def number(v, what: str, positive: bool = False) -> float:
    """A finite float ≥ 0, or > 0 when `positive`."""
    expected = f"a finite number {'>' if positive else '≥'} 0"
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"expected {what} to be {expected}, got {v!r}") from None
    if not math.isfinite(f) or f < 0 or (positive and f == 0):
        raise ValueError(f"expected {what} to be {expected}, got {v!r}")
    return f


def finite(v, what: str) -> float:
    """A finite int or float (not a string that parses as one)."""
    if not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ValueError(f"{what} must be a finite number, got {v!r}")
    return float(v)


def choice(v, what: str, choices, key: str | None = None) -> str:
    """One of `choices`, matched on `key` (by default v stripped and lower-cased)."""
    key = str(v).strip().lower() if key is None else key
    if key not in choices:
        raise ValueError(f"unknown {what} {v!r}; expected one of {', '.join(choices)}")
    return key
