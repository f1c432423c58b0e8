"""The Community Cloud entrypoint (cloud/streamlit_app.py) and its requirements (cloud/requirements.txt).

- The app runs from the cloud entrypoint and every page renders (AppTest), as it does from app.py.
- cloud/requirements.txt lists the root's packages and only differs in torch.
- `deploy`: pip and uv both resolve cloud/requirements.txt to the CPU build of torch (`+cpu`) and every
  other package to what the root requirements.txt gives. Without the network to PyTorch's index, a stand-in
  for it is served on 127.0.0.1: the same paths as download.pytorch.org (/whl/cpu/torch/ as a PEP 503 page,
  the wheel file beside it), holding the +cpu wheel this machine has, and a copy of the requirements points
  at it. Both resolvers run without installing anything (`pip install --dry-run --report`, `uv pip
  compile`), against PyPI as Community Cloud does (pip `--isolated`: none of this machine's pip config).
  Deselect with `-m "not deploy"`; it needs PyPI and takes under a minute or two.
"""
from __future__ import annotations

import glob
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from streamlit.testing.v1 import AppTest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENTRY = ROOT / "cloud" / "streamlit_app.py"
CLOUD_REQ = ROOT / "cloud" / "requirements.txt"
ROOT_REQ = ROOT / "requirements.txt"
HOST = "https://download.pytorch.org"
PY = f"{sys.version_info.major}.{sys.version_info.minor}"
TAG = f"cp{sys.version_info.major}{sys.version_info.minor}"

# small settings, so that every page is quick; the pages' own controls keep their defaults
QUERY = {"T": "40", "hidden": "16"}


def _lines(path: pathlib.Path) -> list[str]:
    return [ln.split(" #")[0].strip() for ln in path.read_text().splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def _name(line: str) -> str:
    return re.split(r"[ @<>=!~;\[]", line, maxsplit=1)[0].lower()


# ---------------------------------------------------------------------------------------------------------
# the entrypoint

def test_cloud_entrypoint_opens_home():
    at = AppTest.from_file(str(ENTRY), default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title and at.title[0].value  # Home drew its title
    assert at.sidebar.children  # and the shared sidebar is there


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "pages").glob("*.py") if p.name != "home.py"))
def test_cloud_entrypoint_renders_every_page(page):
    at = AppTest.from_file(str(ENTRY), default_timeout=180)
    at.query_params.update(QUERY)
    at.run()
    at.switch_page(str(ROOT / "pages" / page)).run()  # absolute: the registry hands Streamlit absolute paths
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} drew no title from the cloud entrypoint"


def test_cloud_allocator_is_set_once_per_process():
    """The entrypoint caps glibc's arenas and starts one trimming thread per process, however many runs."""
    import threading

    at = AppTest.from_file(str(ENTRY), default_timeout=120).run()
    at.run()
    from cloud import allocator

    trimmers = [t for t in threading.enumerate() if t.name == "malloc-trim"]
    assert len(trimmers) == (1 if allocator.TUNED else 0)
    assert allocator.TUNED or not sys.platform.startswith("linux") or not hasattr(__import__("ctypes").CDLL(None),
                                                                                   "malloc_trim")


def test_cloud_requirements_are_the_roots_but_torch():
    root = [ln for ln in _lines(ROOT_REQ) if _name(ln) != "torch"]
    cloud = _lines(CLOUD_REQ)
    assert [ln for ln in cloud if _name(ln) != "torch"] == root
    torch_lines = [ln for ln in cloud if _name(ln) == "torch"]
    urls = [ln for ln in torch_lines if " @ " in ln]
    assert urls and all(HOST + "/whl/cpu/torch-" in ln and "%2Bcpu-" in ln for ln in urls), urls
    # every other Python and platform still gets a torch, under the root's own pin
    root_pin = next(ln for ln in _lines(ROOT_REQ) if _name(ln) == "torch")
    assert any(ln.startswith(root_pin + " ;") for ln in torch_lines), torch_lines
    # and the markers pick exactly one torch line anywhere: the link for this Python's tag on Linux x86_64
    from packaging.requirements import Requirement

    for py in ("3.10", "3.11", "3.12", "3.13"):
        for system, machine in (("Linux", "x86_64"), ("Linux", "aarch64"), ("Darwin", "arm64")):
            env = {"python_version": py, "platform_system": system, "platform_machine": machine}
            picked = [Requirement(ln) for ln in torch_lines if Requirement(ln).marker.evaluate(env)]
            assert len(picked) == 1, (env, picked)
            tag = "cp" + py.replace(".", "")
            if (system, machine) == ("Linux", "x86_64") and py in ("3.11", "3.12"):
                assert picked[0].url and f"-{tag}-{tag}-manylinux" in picked[0].url, (env, picked)
            else:
                assert picked[0].url is None and str(picked[0].specifier) == str(Requirement(root_pin).specifier)


# ---------------------------------------------------------------------------------------------------------
# pip and uv against a stand-in for PyTorch's CPU index

def _local_cpu_wheel() -> pathlib.Path | None:
    """The +cpu torch wheel for this Python on this machine: $TORCH_CPU_WHEEL, or in pip's find-links."""
    if os.environ.get("TORCH_CPU_WHEEL"):
        return pathlib.Path(os.environ["TORCH_CPU_WHEEL"])
    dirs = os.environ.get("PIP_FIND_LINKS", "").split()
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True,
                             timeout=60).stdout
        dirs += [d for ln in out.splitlines() if "find-links" in ln for d in ln.split("=", 1)[1].strip("'").split()]
    except (OSError, subprocess.SubprocessError):
        pass
    for d in dict.fromkeys(d.removeprefix("file://") for d in dirs):
        hits = sorted(glob.glob(os.path.join(d, f"torch-*+cpu-{TAG}-{TAG}-manylinux*_x86_64.whl")))
        if hits:
            return pathlib.Path(hits[-1])
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _uv() -> str | None:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


@pytest.fixture(scope="module")
def stand_in(tmp_path_factory):
    """(requirements file pointing at the stand-in, the wheel's URL there, its version) — served by
    `python -m http.server` on 127.0.0.1 for the module's tests, then stopped."""
    if sys.platform != "linux" or os.uname().machine != "x86_64" or PY not in ("3.11", "3.12"):
        pytest.skip("the cloud requirements link the CPU wheel for Linux x86_64, Python 3.11 and 3.12")
    wheel = _local_cpu_wheel()
    if wheel is None or not wheel.exists():
        pytest.skip("no +cpu torch wheel for this Python on this machine (set TORCH_CPU_WHEEL to one)")
    try:
        urllib.request.urlopen("https://pypi.org/simple/streamlit/", timeout=20).close()
    except OSError:
        pytest.skip("PyPI is not reachable: the other packages cannot be resolved")
    ver = wheel.name.split("-")[1]  # 2.13.0+cpu
    line = next(ln for ln in _lines(CLOUD_REQ) if ln.startswith("torch @") and f"-{TAG}-{TAG}-" in ln)
    url_path = line.split(" @ ", 1)[1].split(";")[0].strip().removeprefix(HOST)
    assert url_path == f"/whl/cpu/{wheel.name.replace('+', '%2B')}", (url_path, wheel.name)
    www = tmp_path_factory.mktemp("download.pytorch.org")
    cpu = www / "whl" / "cpu"
    (cpu / "torch").mkdir(parents=True)
    os.symlink(wheel, cpu / wheel.name)  # the file, named as the index names it
    href = f"../{wheel.name.replace('+', '%2B')}"
    (cpu / "torch" / "index.html").write_text(  # PEP 503: the project's page links its files
        f'<!DOCTYPE html><html><body><a href="{href}">{wheel.name}</a></body></html>\n')
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                               "--directory", str(www)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/whl/cpu/torch/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        req = www.parent / "cloud-requirements.txt"
        req.write_text(CLOUD_REQ.read_text().replace(HOST, base))
        yield req, base + url_path, ver
    finally:
        server.terminate()
        server.wait(10)


def _pip_report(req: pathlib.Path, tmp: pathlib.Path) -> dict[str, dict]:
    """What `pip install -r req` would install into a fresh environment, by PyPI alone plus req's links."""
    out = tmp / f"report-{req.stem}.json"
    cmd = [sys.executable, "-m", "pip", "install", "--isolated", "--dry-run", "--ignore-installed", "--quiet",
           "--disable-pip-version-check", "--report", str(out), "-r", str(req)]
    if os.path.exists("/etc/ssl/certs/ca-certificates.crt"):  # --isolated drops PIP_CERT with the config
        cmd[4:4] = ["--cert", "/etc/ssl/certs/ca-certificates.crt"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return {i["metadata"]["name"].lower(): i for i in json.loads(out.read_text())["install"]}


def _uv_compile(req: pathlib.Path, tmp: pathlib.Path, python: str = PY) -> dict[str, str]:
    """`uv pip compile` of req for Linux x86_64 and this Python: {name: version or 'url'}."""
    uv = _uv()
    if uv is None:
        pytest.skip("uv is not installed (requirements-dev.txt brings it)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("UV_", "PIP_"))}
    env["UV_CACHE_DIR"] = str(tmp / "uv-cache")
    env["SSL_CERT_FILE"] = env.get("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    r = subprocess.run([uv, "pip", "compile", "--quiet", "--no-header", "--no-annotate", "--no-config",
                        "--python-version", python, "--python-platform", "x86_64-manylinux_2_28", str(req)],
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    pins = {}
    for ln in r.stdout.splitlines():
        ln = ln.strip()
        if " @ " in ln:
            name, url = ln.split(" @ ", 1)
            pins[name.lower()] = url.strip()
        elif "==" in ln:
            name, ver = ln.split("==", 1)
            pins[name.lower()] = ver.split(";")[0].strip()
    return pins


@pytest.mark.deploy
def test_pip_resolves_torch_cpu_from_the_link(stand_in, tmp_path):
    req, url, ver = stand_in
    cloud = _pip_report(req, tmp_path)
    torch = cloud["torch"]
    assert torch["metadata"]["version"] == ver and ver.endswith("+cpu")
    assert torch["download_info"]["url"] == url and torch["is_direct"]
    assert not [n for n in cloud if n.startswith("nvidia")], "a CUDA library came along"
    root = _pip_report(ROOT_REQ, tmp_path)  # what the root file gives on Community Cloud: PyPI's torch
    assert not root["torch"]["metadata"]["version"].endswith("+cpu")
    same = {n: i["metadata"]["version"] for n, i in cloud.items() if n != "torch"}
    before = {n: root[n]["metadata"]["version"] for n in same if n in root}
    assert same == before, "the other packages differ from the root file's"


@pytest.mark.deploy
def test_uv_resolves_torch_cpu_from_the_link(stand_in, tmp_path):
    req, url, ver = stand_in
    cloud = _uv_compile(req, tmp_path)
    assert cloud["torch"] == url and "%2Bcpu-" in url
    assert not [n for n in cloud if n.startswith("nvidia")], "a CUDA library came along"
    root = _uv_compile(ROOT_REQ, tmp_path)
    assert not root["torch"].endswith("+cpu")
    others = {n: v for n, v in cloud.items() if n != "torch"}
    assert others == {n: root[n] for n in others if n in root}, "the other packages differ from the root file's"
