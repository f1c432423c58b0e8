"""What ui/routing.py relies on in Streamlit (issue 24): each assumption checked against the installed release, so
that an upgrade that changes one fails here, saying what changed, instead of silently sending a shared link to a
page without its sidebar. The whole path (a link opened first on a fresh server) runs in Chromium:
tests/browser/test_live_browser.py."""
from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pytest
import streamlit

from ui import routing

ROOT = Path(__file__).resolve().parents[2]
WHO = f"Streamlit {streamlit.__version__} changed what ui/routing.py relies on"


@pytest.fixture
def pages_manager_class():
    """streamlit.runtime.pages_manager.PagesManager, its class attribute put back after the test."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError as e:
        pytest.fail(f"{WHO}: streamlit.runtime.pages_manager.PagesManager is gone ({e}). Check whether a pages/ "
                    "folder still routes the old (v1) way; if not, ui/routing.py can go.")
    if not hasattr(PagesManager, "uses_pages_directory"):
        pytest.fail(f"{WHO}: PagesManager.uses_pages_directory is gone, the flag ui.routing switches off. "
                    "Find what now picks the old routing for a pages/ folder.")
    before = PagesManager.uses_pages_directory
    yield PagesManager
    PagesManager.uses_pages_directory = before


def test_a_pages_folder_still_turns_the_old_routing_on(pages_manager_class):
    """The reason for the work-around: a pages/ folder beside app.py makes a new PagesManager set the flag."""
    pages_manager_class.uses_pages_directory = None
    pages_manager_class(str(ROOT / "app.py"))
    assert pages_manager_class.uses_pages_directory is True, (
        f"{WHO}: a pages/ folder beside the main script no longer sets PagesManager.uses_pages_directory "
        f"(got {pages_manager_class.uses_pages_directory!r}). If the old routing is gone, ui/routing.py and its "
        "call in ui.widget_state.settings can go; else find the new switch.")


def test_the_script_runner_reads_the_flag_to_route_the_old_way():
    from streamlit.runtime.scriptrunner import script_runner

    source = inspect.getsource(script_runner)
    assert "PagesManager.uses_pages_directory" in source and "_mpa_v1" in source, (
        f"{WHO}: the script runner no longer reads PagesManager.uses_pages_directory to run a page the old way "
        "(_mpa_v1). Switching the flag off may no longer send a session through app.py.")


def test_a_session_routed_the_old_way_lists_the_main_script(pages_manager_class):
    """How route_through_app tells the two apart: before st.navigation sets the pages, get_pages() lists the main
    script; app.py's navigation lists only the files in pages/."""
    pm = pages_manager_class(str(ROOT / "app.py"))
    for name in ("main_script_path", "get_pages"):
        assert hasattr(pm, name), f"{WHO}: PagesManager.{name} is gone."
    assert routing.routed_the_old_way(pm), (
        f"{WHO}: before st.navigation, a session's get_pages() no longer lists the main script "
        f"(got {pm.get_pages()!r}), so ui.routing cannot see a session routed the old way.")
    page = str(ROOT / "pages" / "home.py")
    pm.set_pages_and_resolve({"h": {"page_script_hash": "h", "page_name": "home", "icon": "",
                                    "script_path": page, "url_pathname": ""}})
    assert not routing.routed_the_old_way(pm), f"{WHO}: get_pages() no longer returns the pages st.navigation set."


def test_the_script_run_context_still_carries_the_pages_manager():
    from streamlit.runtime.scriptrunner import ScriptRunContext, get_script_run_ctx

    assert callable(get_script_run_ctx)
    names = {f.name for f in dataclasses.fields(ScriptRunContext)}
    assert "pages_manager" in names, f"{WHO}: ScriptRunContext has no pages_manager any more (fields: {names})."
