"""Every `python -m …` command that the README and the results files name starts: its `--help` exits 0.

A command is run by hand, not by the tests, so a broken import in one (a helper moved, a module renamed) would
otherwise wait for the next person to measure something. Each runs in a fresh process from the repository root,
as the README says to run it."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "benchmarks").glob("RESULTS*.md"))]
NAMED = sorted({m for p in DOCS for m in re.findall(r"python -m ((?:benchmarks|deploy|tests)\.[a-z_.]+)",
                                                      p.read_text(encoding="utf-8"))})


def test_the_docs_name_the_commands():
    assert {"benchmarks.run", "benchmarks.browser", "benchmarks.load", "deploy.local", "deploy.drill"} <= set(NAMED)


@pytest.mark.parametrize("module", NAMED)
def test_a_named_command_starts(module):
    r = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True,
                       timeout=180)
    assert r.returncode == 0, f"python -m {module} --help exited {r.returncode}:\n{r.stderr[-3000:]}"
    assert "usage:" in r.stdout, r.stdout[-2000:]
