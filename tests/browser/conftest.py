"""A running app server and a Chromium page for the browser tests.

The server is started once per test session on a free port on 127.0.0.1; Chromium is Debian's
(/usr/bin/chromium), driven by playwright's Python client (never `playwright install`). The helpers the
tests import are in browser_kit.py."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from browser_kit import CHROMIUM, CHROMIUM_ARGS, free_port, start_server, watched_page


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def server():
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    pg = watched_page(browser)
    yield pg
    pg.context.close()
