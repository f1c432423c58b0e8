"""What the browser tests share besides their fixtures: the app server on a free port, Chromium's launch
arguments, a page that collects console errors, waiting for a run to end, screenshots.

A module of its own name, not conftest.py: tests/, tests/browser/ and tests/poll/ each have a conftest.py, and
pytest keeps only the last one it loaded under the name `conftest`, so `from conftest import …` inside a
test (run after every conftest has loaded) found tests/poll/conftest.py."""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, extra_env: dict | None = None, app_dir: Path = ROOT, timeout_s: float = 60,
                 own_group: bool = False) -> subprocess.Popen:
    """`streamlit run app.py` from app_dir (its own .streamlit/config.toml), answering on 127.0.0.1:port within
    timeout_s; its output goes to a file, shown if it exits early. own_group: in a process group of its own (the
    benchmarks stop a server with everything it started)."""
    env = dict(os.environ, **(extra_env or {}))
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_dir / "app.py"), "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = tempfile.TemporaryFile()  # a file, not a pipe: nobody reads it while tests run, so it can't fill
    proc = subprocess.Popen(cmd, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=own_group)
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"streamlit exited early:\n{log.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"streamlit did not answer its health check within {timeout_s:g} s")


# On a link to a page (/live_training), Streamlit's frontend first looks for its server under that path
# (/live_training/_stcore/health), gets 404, then uses the root. Those probes are Streamlit's own, not errors.
PROBE = re.compile(r"/[^/]+/_stcore/(health|host-config)$")


def _response(pg, r) -> None:
    if r.status >= 400 and not (r.status == 404 and PROBE.search(r.url.split("?")[0])):
        pg.console_errors.append(f"HTTP {r.status} {r.url}")


def _console(pg, m) -> None:
    # a failed load is reported with its URL by _response; the console line carries no URL to filter by
    if m.type == "error" and not m.text.startswith("Failed to load resource"):
        pg.console_errors.append(m.text)


def watched_page(browser, **context_options):
    """A 1280×720 page in a context of its own that collects console errors, page errors and failed
    responses in `page.console_errors`; close it with `page.context.close()`."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, **context_options)
    pg = ctx.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: _console(pg, m))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    pg.on("response", lambda r: _response(pg, r))
    return pg


def wait_idle(pg, timeout: float = 30_000) -> None:
    """Wait until the app has rendered and its script has finished running."""
    pg.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    pg.wait_for_function(
        """() => { const a = document.querySelector('[data-testid="stApp"]');
                   return a && a.getAttribute('data-test-script-state') === 'notRunning'; }""",
        timeout=timeout)
    pg.wait_for_timeout(300)


def shot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=False)
    return path
