"""Where the engine runs: CUDA, then Apple's MPS, then the CPU; float64 wherever the device has it.

MPS has no float64, so there the engine falls back to float32 and says so (`dtype_note`).
"""
from __future__ import annotations

import torch

from . import checks

CHOICES = ("auto", "cpu", "cuda", "mps")


def mps_available() -> bool:
    return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()


def available() -> list[str]:
    """The devices this machine offers, best first."""
    out = []
    if torch.cuda.is_available():
        out.append("cuda")
    if mps_available():
        out.append("mps")
    out.append("cpu")
    return out


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA → MPS → CPU for "auto"; a named device if present, else the CPU (never an error)."""
    pref = checks.choice(preference, "device", CHOICES, key=str(preference).lower())
    have = available()
    if pref == "auto":
        return torch.device(have[0])
    return torch.device(pref if pref in have else "cpu")


def pick_dtype(device: torch.device | str, float64: bool = True) -> torch.dtype:
    """float64 when asked for and the device has it (not MPS); float32 otherwise."""
    if float64 and torch.device(device).type != "mps":
        return torch.float64
    return torch.float32


def dtype_note(device: torch.device | str, float64: bool) -> str | None:
    """A sentence for the screen when the asked-for precision is not available, else None."""
    if float64 and torch.device(device).type == "mps":
        return "MPS has no float64: computing in float32."
    return None
