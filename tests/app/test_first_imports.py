"""A class opening links on a server that has just started: every session's script makes its first imports at
the same moment, each from its own page. Python's per-module import locks do not order two threads that enter
one package at different modules, and that race ends in partially initialised modules: some students saw
`KeyError: 'rnn'` or "cannot import name 'sidebar' from 'ui'" until they reloaded. The app's answer
(ui/__init__.py): importing ui imports the whole app under ui's own lock, and app.py and every page import ui
before anything else of the app, so the first session imports everything while the others wait.

Two checks: the order, read from each script's syntax tree; and the race itself, run as the server would
meet it (the import statements of app.py and every page in threads released together, in a fresh
interpreter, with Python switching threads as often as it can). Before the fix that race failed in 6 runs of
10 on this project's machine."""
from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
PROJECT = {"ui", "rnn"}
LOADED_FIRST = {"streamlit", "__future__"}  # the server has these imported before any script runs


def _top_imports(path: pathlib.Path) -> list[str]:
    """The top-level package of each import statement at the script's top level, in order."""
    names = []
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            names += [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_every_script_imports_ui_before_the_rest_of_the_app(script):
    names = _top_imports(script)
    first = next((n for n in names if n in PROJECT), None)
    if first is None:
        pytest.fail(f"{script.name} imports nothing of the app")
    assert first == "ui", f"{script.name} imports {first} before ui"
    # anything imported before ui must be loaded already (streamlit) or the standard library's own
    before = names[:names.index("ui")]
    third_party = [n for n in before if n not in LOADED_FIRST and n not in sys.stdlib_module_names]
    assert not third_party, f"{script.name} imports {third_party} before ui: a package ui would import under its lock"


RACE = r"""
import ast, pathlib, sys, threading, traceback
sys.setswitchinterval(1e-6)  # switch threads as often as Python can: the race shows in most runs
root = pathlib.Path(sys.argv[1])
sys.path.insert(0, str(root))
import streamlit  # the server has it loaded before any script runs
codes = []
for s in sys.argv[2:]:
    body = [n for n in ast.parse(pathlib.Path(s).read_text()).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    codes.append(compile(ast.Module(body=body, type_ignores=[]), s, "exec"))
gate, errors = threading.Barrier(len(codes)), []
def run(code):
    gate.wait()
    try:
        exec(code, {"__name__": "__page__"})
    except BaseException:
        errors.append(traceback.format_exc(limit=2))
threads = [threading.Thread(target=run, args=(c,)) for c in codes]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("".join(errors) or "ok")
"""


@pytest.mark.parametrize("run", range(3))
def test_scripts_importing_at_once_on_a_fresh_server_all_succeed(run):
    out = subprocess.run([sys.executable, "-c", RACE, str(ROOT), *map(str, SCRIPTS)], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1:] == ["ok"], out.stdout[-3000:]
