"""Determinism on the CPU: the same settings and seed give identical numbers across reruns and sessions.

- every page through the app twice, in two sessions, with Streamlit's caches cleared in between (so the
  second run recomputes rather than reads the first one's result): chart datasets, metrics, typeset
  numbers and text are identical;
- the live trainer: two sessions' trainers with the same config, run in two threads at once (as two
  visitors' fragments do in one server), give bit-identical curves, equal to a run alone; different seeds
  give different curves; the live page's own run, started in two sessions, agrees step for step."""
from __future__ import annotations

import threading

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_tables, open_app
from rnn.training import Trainer
from ui.session import live_training as live
from ui.settings import Settings, to_query

SETTINGS = Settings(T=60, hidden=8, seed=7, activation="tanh", scale=1.1)


def _view(at: AppTest) -> dict:
    """Everything a visitor reads on the page: chart data (decoded), metrics, LaTeX, markdown, captions."""
    return {"charts": [t.to_pydict() for t in chart_tables(at)], "metrics": [(m.label, m.value) for m in at.metric],
            "latex": [x.value for x in at.latex], "markdown": [x.value for x in at.markdown],
            "captions": [x.value for x in at.caption], "tables": [df.value.to_dict() for df in at.dataframe]}


def _session(page: str, s: Settings) -> dict:
    at = open_app(to_query(s), page, timeout=90)
    assert not at.exception, [e.message for e in at.exception]
    return _view(at)


@pytest.mark.parametrize("page", ["pages/activations.py", "pages/jacobian_products.py", "pages/bptt_by_hand.py",
                                  "pages/gated_cells.py", "pages/phase_diagram.py"])
def test_two_sessions_see_identical_numbers(page):
    st.cache_data.clear()
    first = _session(page, SETTINGS)
    st.cache_data.clear()  # recompute, do not read the first session's cached result
    second = _session(page, SETTINGS)
    assert first["charts"], "the page draws charts"
    assert first == second
    third = _session(page, SETTINGS)  # and from the cache: the same again
    assert third == first


def test_another_seed_changes_the_numbers():
    a = _session("pages/jacobian_products.py", SETTINGS)
    b = _session("pages/jacobian_products.py", Settings(**{**SETTINGS.__dict__, "seed": 8}))
    assert a["charts"] != b["charts"]


def _cfg(seed: int):
    return live.config(Settings(T=20, hidden=16, seed=seed), "adding", "rnn", "adam", 0.01, "none", 1.0, None,
                       32)[0]


def test_concurrent_trainers_equal_trainers_alone():
    """Four sessions training at once in threads (two share a seed) against each seed trained alone."""
    seeds = (1, 2, 1, 3)
    alone = {s: Trainer(_cfg(s)).train(60)["loss"] for s in set(seeds)}
    out: dict[int, np.ndarray] = {}

    def run(i: int, s: int) -> None:
        t = Trainer(_cfg(s))
        for _ in range(6):  # in chunks, as the live page's ticks do
            t.train(10)
        out[i] = t.history()["loss"]

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(seeds)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    for i, s in enumerate(seeds):
        np.testing.assert_array_equal(out[i], alone[s])
    assert not np.array_equal(alone[1], alone[2])


def test_live_page_runs_agree_across_sessions():
    """Start the same run in two sessions: whatever number of steps each first tick managed, the shared
    steps have identical losses, equal to a plain Trainer's."""
    hist = []
    for _ in range(2):
        at = open_app({"T": 20, "hidden": 16, "seed": 5, "steps": 200}, "pages/live_training.py", timeout=90)
        at.button(key="live_start").click().run()
        assert not at.exception
        hist.append(at.session_state["live"].run.trainer.history()["loss"])
    k = min(h.size for h in hist)
    assert k >= 1
    np.testing.assert_array_equal(hist[0][:k], hist[1][:k])
    np.testing.assert_array_equal(hist[0][:k], Trainer(_cfg(5)).train(k)["loss"])
