"""The shared sidebar, drawn once by app.py: widgets ⇄ Settings ⇄ st.query_params.

The URL is read once per session (a shared link opens a new session), then the widgets own the values and
every rerun writes them back to the URL, so the address bar always reproduces the view; after the browser's Back
or Forward, the widgets take the address's values again (ui.url.follow_history).
"""
from __future__ import annotations

import bisect

import streamlit as st

from rnn import device as rdev

from . import registry, url, widget_state
from . import settings as S
from .limits import MAX_SEED

PREFIX = widget_state.SIDEBAR  # session_state key of each sidebar widget: PREFIX + a field of Settings
# the weight scale's stops: about ×√2 apart (the Phase diagram's cells among them, so a click there loads a
# stop), finer around 1 where the regime turns, and 100 for the far end of the field's range
SCALE_STEPS = (0.0, 0.1, 0.18, 0.25, 0.35, 0.5, 0.6, 0.71, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.4, 1.6,
               2.0, 2.8, 3.0, 4.0, 5.6, 8.0, 10.0, 20.0, 100.0)
INPUT_STEPS = (0.0, 0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
# the sequence length's stops: about ×1.3 apart, so the lengths a class uses (10 to 500) fill most of the
# track and one arrow key moves one stop; a link's own T (e.g. 37) is added as a stop for that session
T_STEPS = (1, 2, 3, 5, 8, 10, 15, 20, 25, 30, 40, 50, 60, 75, 100, 125, 150, 200, 250, 300, 400, 500, 750, 1000,
           1500, 2000)
HIDDEN_STEPS = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256)


def _steps(options: tuple, value) -> list:
    """The slider's stops, with `value` added in order if a URL brought one that is not a stop."""
    out = list(options)
    if value not in out:
        bisect.insort(out, value)
    return out


def load_query_once() -> None:
    """On a session's first run: URL → widget state, and remember the warnings for bad values."""
    if st.session_state.get("_settings_loaded"):
        return
    s, warnings = S.from_mapping(url.query_lists())
    widget_state.put_settings(s)
    st.session_state["_url_warnings"] = warnings
    st.session_state["_settings_loaded"] = True


CHANGED = "_sidebar_changed"  # what the last `apply` changed, said once at the top of the next page


def apply(**values) -> None:
    """Set sidebar controls (for presets and phase-diagram clicks); call from a widget callback. What changed
    is said at the top of the next page (`show_changes`), since some controls sit in a collapsed section."""
    if not values:
        return
    changed = []
    for k, v in values.items():
        old, new = st.session_state.get(PREFIX + k, getattr(S.DEFAULTS, k)), S.parse(k, v)
        if old != new:
            changed.append(f"{S.FIELDS[k].label}: {S.to_screen(k, old)} → {S.to_screen(k, new)}")
        st.session_state[PREFIX + k] = new
    st.session_state[CHANGED] = changed


GOTO = "_sidebar_goto"  # a page a callback asked to open (st.switch_page is not allowed in callbacks)


def go_to(page_file: str) -> None:
    """From a callback: open this page (its registered file) on the next run, before anything is drawn."""
    st.session_state[GOTO] = page_file


def _scale_kind_changed() -> None:
    """The same number now means another size of W: say so once, at the top of the page."""
    s = current()
    st.session_state[CHANGED] = [f"{S.FIELDS['scale_kind'].label}: now {S.SCALE_NAMES[s.scale_kind]}. W is "
                                 f"rescaled so that its {S.SCALE_NAMES[s.scale_kind]} is {s.scale:g}: the same "
                                 "number is another matrix, and the regime may change"]


def follow_go_to() -> None:
    """At the top of a run, before anything is drawn (app.py): open the page a callback asked for (`go_to`), so
    that the run which switches draws nothing first (it drew the whole sidebar, then switched)."""
    target = st.session_state.pop(GOTO, None)
    if target:
        st.switch_page(target, query_params=url.query_for(target))


def show_changes() -> None:
    """Once, after a preset or a click set the sidebar: which controls it changed, hidden ones included. A
    page asked for by `go_to` is opened first, so the note shows on the page the visitor lands on."""
    target = st.session_state.pop(GOTO, None)
    if target:
        st.switch_page(target, query_params=url.query_for(target))
    if st.session_state.pop(QUIET, False):  # the page says what it changed itself (the Lesson, in one line)
        st.session_state.pop(CHANGED, None)
        return
    changed = st.session_state.pop(CHANGED, None)
    if changed:
        st.info("Changed in the sidebar: " + "; ".join(changed) + ".", icon=":material/tune:")
    elif changed is not None:
        st.info("The sidebar already held these values.", icon=":material/tune:")


QUIET = "_sidebar_quiet"  # set by a page that says itself what its `request` changes: no note above it
PENDING = "_sidebar_pending"  # values a page asked for after the sidebar was drawn (see `request`)


def request(rerun: bool = True, **values) -> None:
    """Set sidebar controls from a page's script, where the widgets already exist (the Lesson on arrival
    from a link): the values wait in session_state and the app reruns; `draw` applies them first. Before the
    sidebar is drawn (app.py), `rerun=False`: this run's `draw` applies them."""
    st.session_state[PENDING] = {k: S.parse(k, v) for k, v in values.items()}
    if rerun:
        st.rerun()


def current() -> S.Settings:
    """The Settings the widgets hold now, each value checked by its field's parse (ui.widget_state, which first
    sends a session Streamlit routed the old way through app.py: ui.routing)."""
    return widget_state.settings()


def navigation() -> None:
    """The pages, grouped by section, at the top of the sidebar. Each link carries the view it opens
    (ui.url.query_for), so a page switch is one browser-history entry and Back returns to the page before.
    (Streamlit's own navigation opens a page with a bare address; writing the settings back afterwards added
    entries of their own.)"""
    base = url.sidebar_query()
    with st.sidebar.container(key="nav"):
        for section, infos in registry.sections().items():
            st.caption(section)
            for p in infos:
                st.page_link(registry.link_target(p.name), label=p.title, icon=p.icon,
                             query_params=url.query_for(p.name, base), width="stretch")


def draw() -> S.Settings:
    """Draw the shared controls in the sidebar and return the Settings they hold."""
    load_query_once()
    url.begin()
    apply(**st.session_state.pop(PENDING, {}))  # a page's `request`, before the widgets are drawn
    navigation()
    F, P = S.FIELDS, PREFIX
    sb = st.sidebar
    sb.header("Settings", anchor=False)
    sb.select_slider(F["T"].label, _steps(T_STEPS, st.session_state[P + "T"]), key=P + "T", help=F["T"].help)
    sb.selectbox(F["activation"].label, S.ACTIVATION_NAMES, key=P + "activation", help=F["activation"].help,
                 format_func=S.display_name)
    sb.select_slider(F["scale"].label, _steps(SCALE_STEPS, st.session_state[P + "scale"]), key=P + "scale",
                     help=F["scale"].help)
    if st.session_state.get(P + "scale_kind") is None:  # never None: set before the widget exists
        st.session_state[P + "scale_kind"] = S.DEFAULTS.scale_kind
    sb.segmented_control(F["scale_kind"].label, S.SCALE_KINDS, key=P + "scale_kind", help=F["scale_kind"].help,
                         format_func=lambda k: S.SCALE_SYMBOL[k], required=True,  # cannot be clicked off
                         on_change=_scale_kind_changed)
    with sb.expander("Model and numerics", icon=":material/tune:"):
        st.selectbox(F["init"].label, S.INITS, key=P + "init", help=F["init"].help,
                     format_func=S.INIT_NAMES.get)
        st.select_slider(F["hidden"].label, _steps(HIDDEN_STEPS, st.session_state[P + "hidden"]),
                         key=P + "hidden", help=F["hidden"].help)
        st.select_slider(F["input_scale"].label, _steps(INPUT_STEPS, st.session_state[P + "input_scale"]),
                         key=P + "input_scale", help=F["input_scale"].help)
        st.number_input(F["seed"].label, 0, MAX_SEED, step=1, key=P + "seed", help=F["seed"].help)
        st.toggle(F["float64"].label, key=P + "float64", help=F["float64"].help)
        st.selectbox(F["device"].label, S.DEVICES, key=P + "device", help=F["device"].help)
    s = current()
    dev = rdev.pick_device(s.device)
    dtype = rdev.pick_dtype(dev, s.float64)
    note = rdev.dtype_note(dev, s.float64)
    used = f"In use: **{dev.type}**, {str(dtype).replace('torch.', '')}"
    if s.device not in ("auto", dev.type):
        used += f" ({s.device} is not available here)"
    sb.caption(used + (f". {note}" if note else ""))
    return s


def show_url_warnings() -> None:
    """The short warnings for bad URL values, shown once at the top of the first page."""
    warnings = st.session_state.pop("_url_warnings", [])
    if warnings:
        lines = [f"- {w}" for w in warnings[:6]]
        if len(warnings) > 6:
            lines.append(f"- … and {len(warnings) - 6} more.")
        st.warning("Some values in the link could not be used:\n\n" + "\n".join(lines), icon=":material/link_off:")
