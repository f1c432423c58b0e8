"""Random sequences of a student's actions on every page, under AppTest: after each action no exception on the
page and every label of a run agrees with the run's own config (tests/app/interactions.py says what is
checked, how values are chosen and capped, and how to replay a failure).

CI budget: 2 seeds × 25 actions × every page (the phase diagram 10 and visited by no other page, see SHORTER).
A longer run, by environment variable or by one command:

    INTERACTIONS_SEEDS=20 INTERACTIONS_ACTIONS=100 python -m pytest -q tests/app/test_interactions.py
    python -m tests.app.interactions --seeds 20 --actions 100

A failure prints the seed, the actions that led to it and a `--replay` command that repeats them."""
from __future__ import annotations

import os

import pytest

from interactions import pages, replay, run_sequence

SEEDS = int(os.environ.get("INTERACTIONS_SEEDS", "2"))
ACTIONS = int(os.environ.get("INTERACTIONS_ACTIONS", "25"))
# The phase diagram recomputes its whole grid (132 models, T up to 500) on nearly every sidebar change, several
# seconds each on these cores whatever n is: in the CI budget its sequences are shorter and the others do not
# visit it. Setting INTERACTIONS_ACTIONS gives it as many as the others and lets the others visit it.
LONG = "INTERACTIONS_ACTIONS" in os.environ
SHORTER = {} if LONG else {"pages/phase_diagram.py": 10}
AVOID = () if LONG else ("phase_diagram",)


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("page", pages())
def test_random_actions_keep_the_page_whole(page, seed):
    n = SHORTER.get(page, ACTIONS)
    done = run_sequence(page, seed, n, avoid=AVOID)
    assert len([a for a in done if a[0] != "back"]) == n


def test_a_sequence_is_reproducible_and_replays():
    """The same page and seed give the same actions, and replaying them passes the same checks."""
    page = "pages/jacobian_products.py"
    first = run_sequence(page, 7, 6)
    assert run_sequence(page, 7, 6) == first
    replay(page, first)


# Short sequences cut down from what the random ones found, replayed as they are so that each one fails
# on its own, loudly, until its owner fixes it; a fixed one stays as a regression test. Each failed before its
# fix: the live pair before 27a32a8 (the chance line, captions and heatmap T read the controls), the text pair
# before cfaaa34 (KeyError 'lstm'; the look-back strip drew the newly chosen text over the run's model).
FOUND = {
    "live-task-switched-after-start": ("pages/live_training.py", [["click", "live_start"],
                                                                  ["set", "p_task", "remember first"]]),
    "live-T-changed-after-start": ("pages/live_training.py", [["set", "w_T", "25"], ["click", "live_start"],
                                                              ["rerun"], ["rerun"], ["set", "w_T", "3"]]),
    "text-cell-switched-after-start": ("pages/text.py", [["click", "text_start"], ["set", "p_cell", "GRU"]]),
    "text-source-switched-after-start": ("pages/text.py", [["click", "text_start"],
                                                           ["set", "p_text", "brackets and quotes closed later"]]),
    "glossary-and-back": ("pages/jacobian_products.py", [["visit", "pages/glossary.py"],
                                                         ["back", "pages/jacobian_products.py"]]),
}


@pytest.mark.parametrize("name", FOUND)
def test_sequences_found_earlier(name):
    page, actions = FOUND[name]
    replay(page, actions, seed=name)
