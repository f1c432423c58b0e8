"""Security by inspection of the source (app.py, pages/, ui/, rnn/) and of .streamlit/config.toml:

- no `unsafe_allow_html=True`, st.html or components.html with anything but a constant string, so no text a
  visitor controls reaches the page as HTML;
- no eval, exec, compile, __import__; no pickle, marshal, shelve, dill, joblib; no torch.load, np.load,
  pd.read_pickle, yaml.load: nothing a visitor sends is ever executed or unpickled;
- no writes to disk (open for writing, write_text, to_csv(path), np.save, torch.save, mkdir, shutil,
  st.cache_data(persist=…)), no subprocesses: the app writes nothing anywhere (so nothing outside a
  temporary folder either);
- XSRF protection is left on: no server.enableXsrfProtection = false (nor enableCORS = false, which turns it
  off too) in the config, the CI script or the test server's command line.
The checks read the syntax tree, so a comment or a docstring that names these does not trip them."""
from __future__ import annotations

import ast
import pathlib
import re
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py"),
                  *(ROOT / "rnn").glob("*.py")])
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "input"}
BANNED_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib",
                  "subprocess", "shutil", "tempfile", "socket", "urllib", "requests", "http"}
BANNED_ATTRS = {  # obj.attr(...) calls that run code from data, write files or start processes
    "load": {"torch", "pickle", "yaml", "np", "numpy", "marshal", "dill", "joblib"},
    "loads": {"pickle", "marshal", "dill"},
    "read_pickle": None, "to_pickle": None, "save": None, "savez": None, "savez_compressed": None,
    "savetxt": None, "tofile": None, "write_text": None, "write_bytes": None, "mkdir": None, "makedirs": None,
    "rmtree": None, "remove": {"os"}, "unlink": None, "rename": {"os"}, "system": {"os"}, "popen": {"os"},
    "to_parquet": None, "to_excel": None, "to_hdf": None, "to_feather": None, "to_sql": None,
    "to_json": None, "to_csv": None, "to_html": None, "to_latex": None, "to_markdown": None,
}
HTML_SINKS = {"html"}  # st.html(...), components.html(...)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _const_str(node: ast.AST, constants: frozenset = frozenset()) -> bool:
    """A string literal, or the name of a module-level string literal assigned once (`constants`)."""
    if isinstance(node, ast.Name):
        return node.id in constants
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _module_constants(tree: ast.Module) -> frozenset:
    """Names bound exactly once in the file, at module level, to a string literal: `CSS = "<style>…"`. A name
    bound anywhere else too (another assignment, a loop, a parameter, `global`) is not a constant."""
    bound: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound[node.id] = bound.get(node.id, 0) + 1
        elif isinstance(node, ast.arg):
            bound[node.arg] = bound.get(node.arg, 0) + 1
        elif isinstance(node, ast.Global):
            for name in node.names:
                bound[name] = bound.get(name, 0) + 1
    return frozenset(
        t.id for node in tree.body if isinstance(node, ast.Assign) and len(node.targets) == 1
        for t in node.targets if isinstance(t, ast.Name) and _const_str(node.value) and bound.get(t.id) == 1)


def _problems(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(ROOT)
    constants = _module_constants(tree)
    out = []
    for node in ast.walk(tree):
        where = f"{rel}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            out += [f"{where} imports {a.name}" for a in node.names if a.name.split(".")[0] in BANNED_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in BANNED_MODULES:
            out.append(f"{where} imports from {node.module}")
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = _name(fn)
        owner = _name(fn.value) if isinstance(fn, ast.Attribute) else None
        if isinstance(fn, ast.Name) and name in BANNED_CALLS:
            out.append(f"{where} calls {name}()")
        if isinstance(fn, ast.Name) and name == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            if mode is not None and (not _const_str(mode) or set(mode.value) & set("wax+")):
                out.append(f"{where} opens a file for writing")
        if isinstance(fn, ast.Attribute) and name in BANNED_ATTRS:
            owners = BANNED_ATTRS[name]
            writes_path = name.startswith("to_") and (node.args or any(k.arg in ("path", "path_or_buf", "buf")
                                                                       for k in node.keywords))
            if name.startswith("to_"):
                if writes_path:
                    out.append(f"{where} writes a file with .{name}(path)")
            elif owners is None or owner in owners:
                out.append(f"{where} calls {owner}.{name}()")
        for k in node.keywords:
            if k.arg == "unsafe_allow_html" and not (isinstance(k.value, ast.Constant) and k.value.value is False):
                if not (node.args and _const_str(node.args[0])):
                    out.append(f"{where} passes non-constant text with unsafe_allow_html")
            if k.arg == "persist" and name in ("cache_data", "cache_resource"):
                out.append(f"{where} persists a cache to disk")
        if name in HTML_SINKS and owner in ("st", "components", "v1") and not (
                node.args and _const_str(node.args[0], constants)):
            out.append(f"{where} renders non-constant HTML with {owner}.{name}()")
    return out


def test_the_scan_covers_the_app():
    names = {p.relative_to(ROOT).as_posix() for p in SOURCES}
    assert {"app.py", "ui/settings.py", "ui/sidebar.py", "rnn/model.py", "pages/live_training.py"} <= names
    assert len(SOURCES) >= 20


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_html_injection_no_code_from_data_no_writes(path):
    assert _problems(path) == []


def test_the_scanner_catches_what_it_looks_for(tmp_path):
    """The scanner itself, on a file that does every banned thing (so a silent scanner cannot pass)."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import pickle\nimport streamlit as st\nimport torch\nfrom subprocess import run\n"
        "q = st.query_params.get('x')\n"
        "st.markdown(f'<b>{q}</b>', unsafe_allow_html=True)\n"
        "C = '<b>'\nC = q\nst.components.v1.html(C)\n"
        "st.html(q)\neval(q)\nexec(q)\ntorch.load(q)\nopen('/tmp/x', 'w')\n"
        "df.to_csv('out.csv')\nnp.save('a.npy', x)\npathlib.Path('x').write_text(q)\n"
        "@st.cache_data(persist='disk')\ndef f(): pass\n")
    old_root = globals()["ROOT"]
    globals()["ROOT"] = tmp_path
    try:
        found = _problems(bad)
    finally:
        globals()["ROOT"] = old_root
    for what in ("imports pickle", "imports from subprocess", "unsafe_allow_html", "st.html", "v1.html",
                 "calls eval",
                 "calls exec", "torch.load", "opens a file for writing", ".to_csv(path)", "np.save",
                 ".write_text", "persists a cache"):
        assert any(what in f for f in found), (what, found)
    ok = tmp_path / "ok.py"
    ok.write_text("import streamlit as st\nst.markdown('<br>', unsafe_allow_html=True)\n"
                  "st.download_button('x', df.to_csv(index=False))\nopen('f.txt').read()\n"
                  "CSS = '<style>b { color: red; }</style>'\nst.html(CSS)\n")
    globals()["ROOT"] = tmp_path
    try:
        assert _problems(ok) == []
    finally:
        globals()["ROOT"] = old_root


def test_xsrf_protection_stays_on():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    server = cfg.get("server", {})
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True  # CORS off forces XSRF off in Streamlit
    # nothing turns it off from the command line either: CI, README, the test server, the load test
    pattern = re.compile(r"enable(Xsrf|CORS)[^\n]*(false|False|0)")
    for p in [ROOT / ".ci" / "run", ROOT / "README.md", ROOT / "tests" / "browser" / "browser_kit.py",
              *(ROOT / "tests" / "browser").glob("test_*.py"), *(ROOT / ".ci").glob("*.py")]:
        if p.exists():
            assert not pattern.search(p.read_text(encoding="utf-8")), p


def test_streamlit_reads_the_config_with_xsrf_on():
    """What Streamlit itself makes of the project's config (read from .streamlit/config.toml)."""
    from streamlit import config

    import os

    cwd = os.getcwd()
    try:
        os.chdir(ROOT)
        config.get_config_options(force_reparse=True)
        assert config.get_option("server.enableXsrfProtection") is True
        assert config.get_option("server.enableCORS") is True
    finally:
        os.chdir(cwd)
