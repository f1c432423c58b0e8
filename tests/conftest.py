"""Shared test setup: the repository root on sys.path (so `import rnn` works under plain `pytest` too),
one torch thread as in the app (ui/cached/__init__.py says why: the chains multiply small matrices one step at
a time, and on busy shared cores torch's intra-op threads only wait for each other), and a hypothesis profile
that keeps the property tests fast and free of wall-clock deadlines."""
from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

torch.set_num_threads(1)

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("engine", deadline=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("engine")
except ImportError:  # hypothesis is in requirements-dev.txt; the property tests import it themselves
    pass
