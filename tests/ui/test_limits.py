"""Budgets (ui/limits.py): a request whose cost is over its stated budget is refused with a message before
anything is built; what is allowed stays within the stated memory; the caches are capped.

- the cost model and the refusal messages (pure functions);
- through the app: over-budget settings on the Jacobian-products, Gated-cells and BPTT pages show the
  message, draw no chart, and never reach ui.model.build (a build that raises would show an exception);
- memory: the largest request the Jacobian budget allows adds less than REQUEST_BYTES to a fresh process,
  and the engine's memory does not grow with T (measured in a subprocess);
- the cache cap is in .streamlit/config.toml and is what Streamlit reads."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tomllib
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import open_app
from ui import limits
from ui.cached import activations as cached_acts
from ui.cached import bptt_by_hand as E
from ui.cached import model
from ui.cached import phase_diagram as PH
from ui.settings import MAX_HIDDEN, MAX_T, Settings, to_query

ROOT = pathlib.Path(__file__).resolve().parents[2]
CELLS = ("rnn", "lstm", "gru")


def test_cost_model():
    s = Settings(T=1000, hidden=64)
    assert limits.jacobian_cost(s) == 1000 * 64 ** 3
    assert limits.jacobian_cost(s, CELLS) == 1000 * (64 ** 3 + 128 ** 3 + 64 ** 3)  # LSTM state (h, c)
    assert limits.bptt_cost(s) == 1000 * 64 ** 2


def test_budgets_are_named_and_consistent():
    assert limits.JACOBIAN_WORK == 1000 * 256 ** 3
    assert limits.BPTT_NUMBERS == 5_000_000  # T·n² numbers: T = 1000 with n = 64 fits, about 40 MB
    # every vanilla RNN with n ≤ 128 fits at every T the sidebar allows; the defaults fit everywhere
    assert limits.refusal(Settings(T=MAX_T, hidden=128)) is None
    assert limits.refusal(Settings(), "jacobian", CELLS) is None and limits.refusal(Settings(), "bptt") is None


def test_the_phase_diagram_fits_the_jacobian_budget(monkeypatch):
    """The work of the cells the Phase diagram page really computes, at its largest (the sidebar's T and n at
    their caps), counted as each cell's model is built: within PHASE_CELLS_WORK and the Jacobian budget."""
    work = []

    def count(s, *a, **k):
        work.append(s.T * s.hidden ** 3)
        return model.build(replace(s, T=2, hidden=2), *a, **k)  # a tiny stand-in: only the count matters

    monkeypatch.setattr(PH, "build", count)
    PH.phase_row.clear()
    at = _open("pages/phase_diagram.py", Settings(T=MAX_T, hidden=MAX_HIDDEN))
    assert not at.exception, [e.message for e in at.exception]
    PH.phase_row.clear()
    assert work and sum(work) <= limits.PHASE_CELLS_WORK <= limits.JACOBIAN_WORK, sum(work)
    assert max(work) == limits.PHASE_MAX_T * limits.PHASE_MAX_HIDDEN ** 3  # the caps were reached


@pytest.mark.parametrize("s, what, kinds", [
    (Settings(T=MAX_T, hidden=MAX_HIDDEN), "jacobian", ("rnn",)),
    (Settings(T=500, hidden=256), "jacobian", CELLS),
    (Settings(T=2000, hidden=64), "bptt", ("rnn",)),
])
def test_refusal_says_what_fits(s, what, kinds):
    msg = limits.refusal(s, what, kinds)
    assert msg and "budget" in msg and "T ≤ " in msg and len(msg) < 400
    fits = int(msg.split("T ≤ ")[1].split(":")[0].split()[0].rstrip(","))
    cost = (lambda t: limits.jacobian_cost(replace(s, T=t), kinds)) if what == "jacobian" else \
        (lambda t: limits.bptt_cost(replace(s, T=t)))
    limit = limits.JACOBIAN_WORK if what == "jacobian" else limits.BPTT_NUMBERS
    assert cost(fits) <= limit < cost(fits + 1)  # the T it names is the largest that fits
    assert limits.refusal(replace(s, T=fits), what, kinds) is None


# ---------------------------------------------------------------------------------------------------------
# through the app: refused before anything is built

@pytest.fixture
def no_build(monkeypatch):
    """ui.cached.model.build raises: a page that reaches it shows an exception box (which the tests forbid)."""
    def refuse(*a, **k):
        raise AssertionError("built a model for an over-budget request")
    monkeypatch.setattr(model, "build", refuse)
    monkeypatch.setattr(E, "build", refuse)


def _open(page: str, s: Settings) -> AppTest:
    return open_app(to_query(s), page)


@pytest.mark.parametrize("page, s", [
    ("pages/jacobian_products.py", Settings(T=MAX_T, hidden=MAX_HIDDEN)),
    ("pages/gated_cells.py", Settings(T=500, hidden=256)),
    ("pages/gated_cells.py", Settings(T=2000, hidden=128)),
    ("pages/bptt_by_hand.py", Settings(T=2000, hidden=256)),
])
def test_over_budget_pages_say_so_and_build_nothing(no_build, page, s):
    at = _open(page, s)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.get("vega_lite_chart")
    text = " ".join(w.value for w in at.warning)
    assert "budget" in text and "T ≤ " in text or "budget is" in text


def test_a_lower_budget_refuses_what_it_allowed(no_build, monkeypatch):
    """The check reads the named constant: lower it and the default page is refused, nothing built."""
    monkeypatch.setattr(limits, "JACOBIAN_WORK", 10 ** 6)
    at = _open("pages/jacobian_products.py", Settings(T=100, hidden=64))
    assert not at.exception and not at.get("vega_lite_chart")
    assert "budget" in " ".join(w.value for w in at.warning)


def test_within_budget_pages_draw():
    at = _open("pages/jacobian_products.py", Settings(T=300, hidden=16))
    assert not at.exception and at.get("vega_lite_chart") and not at.warning


# ---------------------------------------------------------------------------------------------------------
# memory

PROBE = """
import logging, sys
logging.disable(logging.WARNING)
from ui.cached import model
from ui.settings import Settings
def status(key):
    return int(next(l for l in open("/proc/self/status") if l.startswith(key)).split()[1]) * 1024
def rss():
    return status("VmRSS:")
model.build(Settings(T=2, hidden=8))  # imports and torch warm
base = rss()
model._analysis.__wrapped__(Settings(T=int(sys.argv[1]), hidden=int(sys.argv[2])), sys.argv[3])
# the peak of this process's own memory (VmHWM): ru_maxrss would count the parent's size at fork, which Linux
# keeps across exec, so a large test runner would read as this request's growth
print(status("VmHWM:") - base)
"""


def _peak_growth(T: int, n: int, kind: str = "rnn") -> int:
    out = subprocess.run([sys.executable, "-c", PROBE, str(T), str(n), kind], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert out.returncode == 0, out.stderr[-2000:]
    return int(out.stdout.strip().splitlines()[-1])


def test_requests_stay_within_their_memory():
    """The chain's memory is per chunk of products, not per step: with n = 128, peak growth at T = 300 and at
    T = 900 are alike (so T = 2000 adds only T·n numbers of trajectory), and the largest state a vanilla RNN
    can have, n = 256, adds less than REQUEST_BYTES."""
    short, long_ = _peak_growth(300, 128), _peak_growth(900, 128)
    assert long_ < short + 48 * 2**20, (short, long_)
    widest = _peak_growth(120, 256)
    assert max(short, long_, widest) < limits.REQUEST_BYTES, (short, long_, widest)


def test_the_cache_cap_is_configured():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["maxCacheDataSize"].lower() == limits.CACHE_SIZE_TEXT
    assert limits.CACHE_BYTES == 64 * 2**20
    # and no single cache can hold more than a few budgets' worth: every wrapper has max_entries
    for fn in (model._analysis, cached_acts.fprime_along_trajectory, cached_acts.activation_curves, E.bptt_report,
               E.truncated, PH.phase_row, PH.critical_scales):
        assert fn._info.max_entries is not None and fn._info.persist is None
