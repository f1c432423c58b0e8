"""Shared test setup: the repository root on sys.path (so `import rnn` works under plain `pytest` too)
and a hypothesis profile that keeps the property tests fast and free of wall-clock deadlines."""
from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

try:
    from hypothesis import HealthCheck, settings

    settings.register_profile("engine", deadline=None, derandomize=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.load_profile("engine")
except ImportError:  # hypothesis is in requirements-dev.txt; the property tests import it themselves
    pass
