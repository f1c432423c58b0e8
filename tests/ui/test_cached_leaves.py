"""Cached functions are leaves (issue 19, item 7): no function under st.cache_data (or one_at_a_slot) in ui/
calls another one, directly or through a helper, and the server's worst case of the old nesting, two
report-check misses beside a visitor computing the sigmoid preset's analysis, now finishes.

The scan reads the source (ast): every module of the ui package, each top-level function's references to
other functions resolved through the module's imports (`from . import model` then `model.analysis`,
`from .bptt_by_hand import bptt_report`, `import ui.cached.x as E` then `E.f`), and what each cached function
can reach by following them. A reference counts, not only a call: a cached function handing another one on
as a callback nests it too. Run against the code before this change (the tree at commit 53efe63, extracted
with git archive into a temporary folder) it named ui.cached.report_check.claims → ui.cached.bptt_by_hand.bptt_report and
ui.cached.report_check.claims → ui.cached.model.analysis → ui.cached.model._analysis and
ui.cached.jacobian_products.chart → ui.cached.model.analysis → ui.cached.model._analysis."""
from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CACHING = {"cache_data", "cache_resource", "one_at_a_slot"}  # decorators whose functions hold a lock or a slot


def _dotted(node: ast.AST) -> str | None:
    """'a.b.c' for the expression a.b.c (a Name with attributes), else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _is_caching(dec: ast.AST) -> bool:
    d = _dotted(dec.func if isinstance(dec, ast.Call) else dec)
    return d is not None and d.rsplit(".", 1)[-1] in CACHING


class _Module:
    def __init__(self, name: str, path: Path, is_pkg: bool):
        self.name, self.tree = name, ast.parse(path.read_text(encoding="utf-8"), str(path))
        package = name if is_pkg else name.rpartition(".")[0]
        self.imports: dict[str, str] = {}  # local name -> dotted target (a module or a module's attribute)
        for node in ast.walk(self.tree):  # imports anywhere in the module (some sit inside functions)
            if isinstance(node, ast.Import):
                for al in node.names:
                    if al.asname:
                        self.imports[al.asname] = al.name
                    else:
                        self.imports.setdefault(al.name.split(".")[0], al.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom):
                base = package
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                src = ".".join(p for p in (base if node.level else "", node.module or "") if p)
                for al in node.names:
                    self.imports[al.asname or al.name] = f"{src}.{al.name}"
        self.functions = {n.name: n for n in self.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def _modules(root: Path, package: str) -> dict[str, _Module]:
    out = {}
    for path in sorted((root / package).rglob("*.py")):
        rel = path.relative_to(root).with_suffix("").parts
        is_pkg = rel[-1] == "__init__"
        name = ".".join(rel[:-1] if is_pkg else rel)
        out[name] = _Module(name, path, is_pkg)
    return out


def cached_reaches(root: Path, package: str = "ui") -> list[str]:
    """Every path by which a caching function of `package` (under root) reaches another one, as
    'a → helper → b' strings; empty when every caching function is a leaf."""
    mods = _modules(root, package)

    def resolve(dotted: str, mod: _Module) -> str | None:
        """The function 'module.func' that a dotted reference in `mod` names, if it names one of `package`."""
        head, _, rest = dotted.partition(".")
        if head in mod.functions and not rest:
            return f"{mod.name}.{head}"
        if head not in mod.imports:
            return None
        full = mod.imports[head] + ("." + rest if rest else "")
        for _ in range(10):  # follow re-exports (a name imported into a module and read from there)
            mname, _, attr = full.rpartition(".")
            while mname and mname not in mods:  # 'ui.cached.model.analysis.x': the module is a prefix
                mname, _, more = mname.rpartition(".")
                attr = f"{more}.{attr}"
            if not mname:
                return None
            first, _, tail = attr.partition(".")
            target = mods[mname]
            if first in target.functions:
                return f"{mname}.{first}"
            if first in target.imports:
                full = target.imports[first] + ("." + tail if tail else "")
                continue
            return None
        return None

    graph: dict[str, set[str]] = {}
    caching: set[str] = set()
    for mod in mods.values():
        for fname, fn in mod.functions.items():
            me = f"{mod.name}.{fname}"
            if any(_is_caching(d) for d in fn.decorator_list):
                caching.add(me)
            refs = set()
            for stmt in fn.body:
                for node in ast.walk(stmt):
                    if isinstance(node, (ast.Name, ast.Attribute)) and isinstance(getattr(node, "ctx", None), ast.Load):
                        d = _dotted(node)
                        target = resolve(d, mod) if d else None
                        if target:
                            refs.add(target)
            graph[me] = refs

    found = []
    for start in sorted(caching):
        stack, seen = [(start, (start,))], {start}
        while stack:
            fn, path = stack.pop()
            for nxt in sorted(graph.get(fn, ())):
                if nxt in caching:
                    found.append(" → ".join((*path, nxt)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
    return found


def test_no_cached_function_reaches_another():
    found = cached_reaches(ROOT, "ui")
    assert not found, "cached functions must be leaves (ui/cached/__init__.py):\n" + "\n".join(found)


def test_the_scan_finds_nesting_through_a_helper_in_another_module(tmp_path):
    """The scan itself, on a small package: a cached function reaching another through a plain helper in a
    second module (imported as `from . import b`, and as `from .b import helper`) is found; the same package
    with the helper made plain is clean."""
    pkg = tmp_path / "pkg"
    (pkg / "cached").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "cached" / "__init__.py").write_text("def one_at_a_slot(fn):\n    return fn\n")
    (pkg / "cached" / "a.py").write_text(
        "import streamlit as st\nfrom . import b\nfrom .b import helper as h\n\n"
        "@st.cache_data\ndef outer(s):\n    return b.helper(s) + 1\n\n"
        "@st.cache_data(max_entries=4)\ndef other(s):\n    return [h(x) for x in s]\n")
    (pkg / "cached" / "b.py").write_text(
        "import streamlit as st\nfrom . import one_at_a_slot\n\n"
        "def helper(s):\n    return inner(s)\n\n"
        "@st.cache_data\n@one_at_a_slot\ndef inner(s):\n    return s\n")
    assert sorted(cached_reaches(tmp_path, "pkg")) == [
        "pkg.cached.a.other → pkg.cached.b.helper → pkg.cached.b.inner",
        "pkg.cached.a.outer → pkg.cached.b.helper → pkg.cached.b.inner"]
    (pkg / "cached" / "b.py").write_text("def helper(s):\n    return s\n")
    assert cached_reaches(tmp_path, "pkg") == []


# ---------------------------------------------------------------------------------------------------------
# the deadlock of issue 19 item 7, replayed in threads

class _WatchedSlots:
    """A stand-in for ui.cached._slots (same capacity) that orders the scenario without sleeping: each
    report-check visitor keeps the slot it takes until another thread has had to wait for one; that waiter
    can be released (`abort`) so that a hang leaves no lock held for the tests after this one."""

    def __init__(self, n: int):
        self.sem = threading.BoundedSemaphore(n)
        self.n, self.held, self.lock = n, 0, threading.Lock()
        self.full, self.waiting, self.abort = threading.Event(), threading.Event(), threading.Event()

    def __enter__(self):
        if not self.sem.acquire(blocking=False):
            self.waiting.set()
            while not self.sem.acquire(timeout=0.05):
                if self.abort.is_set():
                    raise RuntimeError("gave up waiting for a compute slot")
        with self.lock:
            self.held += 1
            if self.held == self.n:
                self.full.set()
        if threading.current_thread().name.startswith("report"):
            self.waiting.wait(timeout=30)
        return self

    def __exit__(self, *exc):
        with self.lock:
            self.held -= 1
        self.sem.release()
        return False


def test_report_check_misses_beside_the_sigmoid_preset_do_not_deadlock(monkeypatch):
    """COMPUTE_SLOTS visitors open "The report, checked" with settings nobody computed yet, and while they hold
    every slot, another visitor starts computing the sigmoid preset's analysis (Jacobian products after the
    preset's button). The old `claims` was a cached function that took a slot and then, inside it, asked for
    the sigmoid preset's analysis (ui.cached.model.analysis): it waited for that key's lock, held by the third
    visitor, who waited for a slot; nothing moved again, and every later visitor needing a slot or one of those
    keys hung behind them. Run against the old ui/cached (commit 53efe63) this test failed ("deadlock: ['report-0',
'report-1', 'preset'] still waiting after 120 s");
    now claims calls the cached functions one after another, each taking and giving back its slot."""
    import streamlit as st

    import ui.cached as cached
    from ui import limits
    from ui.cached import model, report_check
    from ui.presets import PRESETS
    from ui.settings import Settings

    st.cache_data.clear()  # every key below is a miss
    slots = _WatchedSlots(limits.COMPUTE_SLOTS)
    monkeypatch.setattr(cached, "_slots", slots)
    errors: list[BaseException] = []

    def visit(fn, *args):
        def run():
            try:
                fn(*args)
            except BaseException as e:  # noqa: BLE001 - reported by the test
                errors.append(e)
        return run

    reports = [threading.Thread(target=visit(report_check.claims, Settings(T=20, hidden=8, seed=900 + i)),
                                name=f"report-{i}", daemon=True) for i in range(limits.COMPUTE_SLOTS)]
    for t in reports:
        t.start()
    assert slots.full.wait(timeout=60), "the report-check visitors never took every slot"
    preset = threading.Thread(target=visit(model.analysis, PRESETS["sigmoid"].settings), name="preset", daemon=True)
    preset.start()
    everyone = [*reports, preset]
    deadline = time.monotonic() + 120
    for t in everyone:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [t.name for t in everyone if t.is_alive()]
    if hung:
        slots.abort.set()  # let the waiter go, so that no lock stays held after this test
        for t in everyone:
            t.join(timeout=60)
    assert not hung, f"deadlock: {hung} still waiting after 120 s"
    assert not errors, errors
    st.cache_data.clear()
