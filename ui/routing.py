"""The one work-around the folder name `pages/` costs: Streamlit's old (v1) routing, switched off.

The project keeps its pages in `pages/` (its brief names the folder). Streamlit still reads a `pages/` folder
beside the main script as the old multipage app: `PagesManager.uses_pages_directory` (a class attribute, set when
the first PagesManager is made) is True, and until a server's first script run reaches app.py's st.navigation
(which sets it False), the script runner routes a URL path that names a file in pages/ the old way: that file
alone, without app.py and its sidebar. A shared link opened first on a fresh server would land there.

`route_through_app` (called on every page, through ui.widget_state.settings: a page reads the settings or links to
another page with them) sees a session routed the old way — it
lists the main script itself among its pages, which app.py's own navigation never does — marks the old routing
off and reruns the session through app.py like any other visit. The check is per session: when a class opens a
link on a fresh server, the first session switches the server-wide flag off while the others are already in
their old-way first run, and each of those must still find its own way back.

What this relies on in Streamlit (1.67), each checked by tests/ui/test_routing.py, which fails with a message
saying what changed: the class attribute PagesManager.uses_pages_directory, read by the script runner to pick
the old routing; the script run context's `pages_manager` with `main_script_path` and `get_pages()` (entries
with a "script_path"); `st.rerun`. tests/browser/test_live_browser.py opens a link first on a fresh server."""
from __future__ import annotations

import functools
import os

import streamlit as st


@functools.lru_cache(maxsize=64)
def _real_path(path: str) -> str:
    """A script's real path, found once per process: resolving it asks the file system once per folder on
    the way, and each such call lets thirty threads queue for Python's lock when a class opens at once."""
    return os.path.realpath(path)


def routed_the_old_way(pages_manager) -> bool:
    """Whether this session's pages list the main script itself: Streamlit's old routing, never app.py's."""
    main = _real_path(pages_manager.main_script_path)
    return any(_real_path(p.get("script_path") or "") == main for p in pages_manager.get_pages().values())


def route_through_app() -> None:
    """A session routed the old way (a page without app.py): the old routing marked off, and a rerun through
    app.py. Does nothing in a session app.py routed, outside a script run, or on a Streamlit without the old
    routing."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # a Streamlit without the old routing
        return
    ctx = get_script_run_ctx()
    if ctx is None:
        return
    if routed_the_old_way(ctx.pages_manager):
        PagesManager.uses_pages_directory = False
        st.rerun()
