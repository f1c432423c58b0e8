"""The address bar: one write per script run, and links that carry the view, so that Back goes back.

Streamlit's frontend pushes one browser-history entry each time the query string changes (every
`st.query_params[k] = v` is a change of its own), and it opens another page with a bare address. Writing the
sidebar's ten keys one by one after every page switch left a student a dozen Back presses from the page
before. So:
- during a run, the sidebar and the page's controls only say what the URL should hold (`want`); app.py writes
  it once, after the page has run (`write`), and only when it differs from the address bar: one visit, one
  entry; a changed setting, one more;
- every link to a page (the sidebar's navigation, the pages' own links, a preset's switch) carries the view it
  opens (`query_for`), so the page switch itself puts the right address in the bar and nothing is written
  after it.
Projector mode is read from a link (`?projector=1`) but never written: it is a display preference, and a link
copied from a projector's screen opens normally for a student. Keys the app does not own (an embed option, a
future one) are kept as they are. The class poll's keys (PAGE_ONLY: the class code, the student's anonymous id)
belong to the page that asks for them (the Lesson, the teacher page): written in its own address and carried by
links to that page only (`keep`), never into another page's links or address.

Back and Forward: the browser reruns the page with the address it went back to, while every widget still
holds what it held (the app reads a link's settings once per session). Streamlit marks such a rerun as a
history navigation; `follow_history`, at the top of app.py, then puts that address's settings and page controls
into the widgets, as a link opened in a new session would, and the page shows the entry Back went to. (Only
that mark says so: a click can reach the server with the address from before the last run's, and that must not
undo the visitor's last change.)
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from streamlit.runtime.scriptrunner import get_script_run_ctx

from . import settings as S
from .widget_state import PAGE as STATE
from .widget_state import put_settings
from .widget_state import settings as _sidebar_settings

WANT = "_url_want"  # session_state: the page's own keys this run asked for, in the order they were drawn
NEVER_WRITTEN = ("projector",)
PAGE_ONLY = ("class", "me", "watch")  # the class poll's keys: in one page's address and links only (`keep`)
KEPT = "_url_kept"  # session_state: {page name: {key: text}} of the PAGE_ONLY keys a page keeps
OWNED = frozenset(S.FIELDS) | frozenset(S.PAGE_CONTROLS) | frozenset(PAGE_ONLY)  # every key the app reads
REPLACED = "_url_replaced"  # session_state: the sidebar's Settings this run's `follow_history` replaced, or absent
LINK_VIEWS: dict = {}  # page name → a function that fills in a link's query for that page (`link_view`)


def begin() -> None:
    """At the top of every full run (ui.sidebar.draw): forget the last run's page keys."""
    st.session_state[WANT] = {}


def want(key: str, value) -> None:
    """A page control asks for its value in the URL (written by `write` when the run ends)."""
    if key in NEVER_WRITTEN:
        return
    st.session_state.setdefault(WANT, {})[key] = S.to_text(value)


def keep(page: str, key: str, value) -> None:
    """A PAGE_ONLY key that `page` holds (the Lesson's class and student id, the teacher page's class): asked
    for in this run's address, and carried by links to `page` (query_for) for the rest of the session."""
    want(key, value)
    st.session_state.setdefault(KEPT, {}).setdefault(page, {})[key] = S.to_text(value)


def forget(page: str) -> None:
    """`page` keeps no PAGE_ONLY key any more (its class closed or unknown): its links carry none."""
    st.session_state.get(KEPT, {}).pop(page, None)


def sidebar_query() -> dict[str, str]:
    """The sidebar's settings as a link's query string (query_for's first part, for several links at once)."""
    return S.to_query(_sidebar_settings())


def query_for(page: str, sidebar: dict[str, str] | None = None) -> dict[str, str]:
    """The query string a link to `page` (its file name without .py, or its path) carries: the sidebar's
    settings and the page's own controls as this visitor last left them (their defaults on a first visit).
    `sidebar`: sidebar_query() read once for a list of links drawn together (it reads every control)."""
    name = Path(page).stem
    out = dict(sidebar) if sidebar is not None else sidebar_query()
    for key in S.page_keys(name):
        if key in NEVER_WRITTEN:
            continue
        value = st.session_state.get(STATE + key, S.PAGE_CONTROLS[key].default)
        out[key] = S.to_text(value)
    if name in LINK_VIEWS:  # what the page will show on arrival (the Lesson: its step's settings)
        LINK_VIEWS[name](out)
    out.update(st.session_state.get(KEPT, {}).get(name, {}))  # the class poll's keys, to their own page only
    return out


def link_view(page: str, fill) -> None:
    """Links to `page` carry what it will put in the sidebar when it opens: fill(query) changes a link's query in
    place (the Lesson's, its step's settings). The page switch then puts the view it will show in the address,
    one history entry, with nothing written after it."""
    LINK_VIEWS[page] = fill


def query_lists() -> dict[str, list[str]]:
    """The address bar's query string, every key with all its values."""
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}


def target() -> dict[str, str]:
    """What the address bar should hold after this run: the sidebar's keys, then the page's, then every key
    the app does not own, and any page's key this session has not read yet, as they came."""
    out = sidebar_query()
    out.update(st.session_state.get(WANT, {}))
    for k, v in query_lists().items():
        unread = k in S.PAGE_CONTROLS and STATE + k not in st.session_state and k not in NEVER_WRITTEN
        if k not in OWNED or (unread and k not in out):
            out[k] = v if len(v) != 1 else v[0]
    return out


def write() -> None:
    """After the page has run (app.py): the address bar set to `target()` in one message, if it differs."""
    want_ = target()
    now = {k: v if len(v) != 1 else v[0] for k, v in query_lists().items()}
    if now != want_:
        st.query_params.from_dict(want_)


def history_navigation() -> bool:
    """Whether the browser's Back or Forward sent this run (Streamlit marks the rerun it asks for then)."""
    return bool(getattr(get_script_run_ctx(), "is_history_navigation", False))


def follow_history() -> None:
    """At the top of a run, before any control is drawn (app.py): after Back or Forward, the sidebar and the page
    controls take the values of the address the browser went to, read as a link's are (a missing sidebar key is
    its default; a page control the address does not name keeps its value). The sidebar's settings before that
    stay in REPLACED for this run (the Lesson keeps them as the visitor's own)."""
    st.session_state.pop(REPLACED, None)
    if not history_navigation():
        return
    st.session_state[REPLACED] = _sidebar_settings()
    raw = query_lists()
    put_settings(S.from_mapping(raw)[0])  # only this app wrote these addresses: a bad value keeps the default quietly
    for key, control in S.PAGE_CONTROLS.items():
        if key in raw and key not in NEVER_WRITTEN:
            try:
                st.session_state[STATE + key] = S.parse_field(control.field, raw[key][-1])
            except S.SettingError:
                pass
