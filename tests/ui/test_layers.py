"""Layers (issue 24): no two modules of the app import each other, directly or in a loop.

The scan reads the source (ast) of every module under ui/, rnn/ and poll/ (where it exists) and takes each
import anywhere in it as an edge: at the top, inside a function (a "lazy" import that only hides a loop), or
under `if TYPE_CHECKING:` (a type checker follows it). `from . import x` is an edge to the module x, `from .x
import name` to the module x (or to x's package module when `name` is no module). Importing a module also runs
its packages' __init__.py; those edges are left out (ui/__init__.py imports every module on purpose, see its
docstring). Any cycle fails the test, named module by module: `ui.url → ui.sidebar → ui.url`.

Run against the tree before this change it named ui.blocks → ui.url → ui.blocks, ui.limits → ui.settings →
ui.limits, ui.registry → ui.url → ui.sidebar → ui.registry and ui.sidebar → ui.url → ui.sidebar (ui.url's lazy
imports of the sidebar and of the blocks, ui.limits' TYPE_CHECKING import of Settings)."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ui", "rnn", "poll")


def modules(root: Path, packages=PACKAGES) -> dict[str, Path]:
    """Dotted module name → source file, for every .py under the packages that exist."""
    out = {}
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")) if (root / pkg).is_dir() else ():
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _owner(name: str, mods: dict[str, Path]) -> str | None:
    """The module `name` names, or the nearest package module above it (`ui.settings.Settings` → ui.settings)."""
    while name and name not in mods:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str, path: Path, mods: dict[str, Path]) -> set[str]:
    """The modules of `mods` that module `name` imports, anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets += [al.name for al in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            src = ".".join(p for p in ((base if node.level else ""), node.module or "") if p)
            targets += [f"{src}.{al.name}" if f"{src}.{al.name}" in mods else src for al in node.names]
    out = set()
    for t in targets:
        owner = _owner(t, mods)
        if owner and owner != name and not name.startswith(owner + "."):  # a package above it: see the docstring
            out.add(owner)
    return out


def graph(root: Path = ROOT, packages=PACKAGES) -> dict[str, set[str]]:
    mods = modules(root, packages)
    return {m: imports(m, p, mods) for m, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The cycles (a → … → a) among modules that import each other: in each strongly connected group, the
    shortest one through each of its modules."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    groups: list[set[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(g):
        if v not in index:
            visit(v)
    out = set()
    for group in groups:  # through each module of a group, a shortest way back to it inside the group
        for start in sorted(group):
            paths, seen = [[start]], {start}
            while paths:
                path = paths.pop(0)
                nxt = sorted(w for w in g[path[-1]] if w in group)
                if start in nxt:
                    i = path.index(min(path))  # the same loop found from another module: one entry
                    out.add(tuple(path[i:] + path[:i] + [min(path)]))
                    break
                for w in nxt:
                    if w not in seen:
                        seen.add(w)
                        paths.append(path + [w])
    return sorted(list(c) for c in out)


def test_no_module_imports_another_that_imports_it():
    g = graph()
    assert "ui.settings" in g and "rnn.model" in g, "the scan found no modules: is ROOT the repository?"
    found = cycles(g)
    assert not found, "modules that import each other (directly or in a loop):\n" + "\n".join(
        " → ".join(c) for c in found)


def test_the_scan_names_a_loop_through_a_lazy_import(tmp_path):
    """The scan itself: a loop of three modules closed by an import inside a function, and a TYPE_CHECKING one."""
    (tmp_path / "pk").mkdir()
    (tmp_path / "pk" / "__init__.py").write_text("from . import a\n")
    (tmp_path / "pk" / "a.py").write_text("from .b import thing\n")
    (tmp_path / "pk" / "b.py").write_text("from . import c\n")
    (tmp_path / "pk" / "c.py").write_text("def f():\n    from .a import g\n")
    (tmp_path / "pk" / "d.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                          "    from .e import X\n")
    (tmp_path / "pk" / "e.py").write_text("from pk.d import Y\nimport pk\n")
    found = cycles(graph(tmp_path, ("pk",)))
    assert found == [["pk.a", "pk.b", "pk.c", "pk.a"], ["pk.d", "pk.e", "pk.d"]]


def test_the_caches_and_the_chart_builders_sit_below_the_page_building_blocks():
    """ui/cached and ui/charts are called by the pages and by ui.blocks' callers: they import none of the modules
    that draw a page (the blocks, the sidebar, the address bar), so a cached function never reaches a widget."""
    g = graph()
    above = {"ui.blocks", "ui.sidebar", "ui.url", "ui.projector"} | {m for m in g if m.startswith("ui.session")}
    found = [f"{m} imports {d}" for m in sorted(g) if m.startswith(("ui.cached", "ui.charts"))
             for d in sorted(g[m] & above)]
    assert not found, "\n".join(found)


def test_what_a_page_keeps_per_visitor_is_in_ui_session_under_the_pages_name():
    """The README's rule: page x in pages/x.py, its charts in ui/charts/x.py, its cached calls in ui/cached/x.py,
    what it keeps for each visitor between runs in ui/session/x.py. A module of ui/session is named after its page,
    or after the block it draws, whose charts then carry the same name (ui/charts/unfolded.py, predict.py, …)."""
    pages = {p.stem for p in (ROOT / "pages").glob("*.py")}
    charts = {p.stem for p in (ROOT / "ui" / "charts").glob("*.py")}
    cached = {p.stem for p in (ROOT / "ui" / "cached").glob("*.py")}
    session = {p.stem for p in (ROOT / "ui" / "session").glob("*.py")} - {"__init__"}
    assert {"live_training", "text", "lesson", "teacher", "unfolded"} <= session
    named = [m for m in sorted(session) if m not in pages | charts | cached]
    assert not named, f"ui/session modules named after no page and no block: {named}"
    # and no module left beside ui/session under a name of its own for a page's per-visitor state
    old = [n for n in ("live", "text_runs", "lesson", "unfolded", "live_demo", "class_poll", "predict", "teacher")
           if (ROOT / "ui" / f"{n}.py").exists()]
    assert not old, f"per-visitor modules outside ui/session: {old}"
