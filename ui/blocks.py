"""Page building blocks: a chart with its caption and CSV download, and a page's own control kept in the URL.

Every page draws its charts through `chart_block` and its own controls through `page_control`, so a chart
always says what its axes are and offers its data, and a control's value always survives a shared link. A page
receives a control's value typed (ui.settings.PageControl.value: the learning rate 0.01, a truncation None for
"full"); its widget and the link keep the text a visitor sees."""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

import pandas as pd
import streamlit as st

from . import settings as S
from .charts.projector import for_projector
from . import theme, url
from .widget_state import PAGE as STATE  # session_state key prefix of a page control's widget
from rnn.jacobians import TOO_SHORT


def chart_block(chart, frame: pd.DataFrame, caption: str, file_name: str, key: str | None = None,
                on_select=None, label: str = "Download the data (CSV)", width: str | None = "stretch", **kw):
    """The chart (or a list of charts that share one caption), its caption (what the axes are, what to look
    for) and a CSV download of its data, made on click. `width` None keeps a faceted chart at its own
    width. A chart may also be a spec made once for many visitors (ui.charts.spec.vega_spec, already styled for
    the projector or not), drawn with `frame` as its data. Returns the selection state of the (last) chart."""
    event = None
    for i, c in enumerate(chart if isinstance(chart, (list, tuple)) else [chart]):
        k = key if key is None or i == 0 else f"{key}_{i}"
        if isinstance(c, dict):
            select = {} if on_select is None else {"on_select": on_select}
            # a spec that carries its datasets (ui.cached.charts) is drawn as st.altair_chart would draw it
            event = st.vega_lite_chart(None if "datasets" in c else frame, c, width=width, key=k, **select, **kw)
            continue
        if st.session_state.get(STATE + "projector"):  # ui.projector's toggle: display only
            c = for_projector(c)
        if on_select is None:
            event = st.altair_chart(c, width=width, key=k, **kw)
        else:
            event = st.altair_chart(c, width=width, key=k, on_select=on_select, **kw)
    st.caption(caption)
    _download(frame, file_name, label)
    return event


def table_block(frame: pd.DataFrame, caption: str, file_name: str, label: str = "Download the table (CSV)",
                **kw) -> None:
    """A table (st.dataframe without its index; `kw` such as column_config), its caption and a CSV download of
    it, made on click: as chart_block, for a table."""
    st.dataframe(frame, hide_index=True, **kw)
    st.caption(caption)
    _download(frame, file_name, label)


def _download(frame: pd.DataFrame, file_name: str, label: str) -> None:
    """The CSV download of a frame, made on click (a callable): no file per rerun."""
    st.download_button(label, partial(frame.to_csv, index=False), file_name=file_name, mime="text/csv",
                       icon=":material/download:", on_click="ignore", key=f"dl_{file_name}")


def _held(key: str, default: Any = None) -> Any:
    """What a page control's widget holds (its URL text, or a number for a slider): read from the URL on the
    session's first use (checked by the same parse as the sidebar, ui.settings.PAGE_CONTROLS; a bad value gives
    a warning and the default), then kept in session_state under STATE + key, where the control's widget keeps it
    for the whole session (persist_state="session" in `page_control`: Streamlit would otherwise forget it after a
    run that did not draw it, another page or a refused setting that stopped this one early, and the slider
    would come back showing its first stop while the page used the value)."""
    control = S.PAGE_CONTROLS[key]
    default = control.default if default is None else default
    skey = STATE + key
    if skey not in st.session_state:
        value = default
        if key in st.query_params:
            try:
                value = S.parse_field(control.field, st.query_params.get_all(key)[-1])
            except S.SettingError as e:
                st.warning(f"{e} — using {default!r}.", icon=":material/link_off:")
        st.session_state[skey] = value
    return st.session_state[skey]


def page_setting(key: str, default: Any = None) -> Any:
    """A page control's value as the page uses it (ui.settings.PageControl.value of what `_held` reads), for a
    page that needs it before or without drawing the control."""
    return S.PAGE_CONTROLS[key].value(_held(key, default))


def sync_page_setting(key: str) -> None:
    """Ask for a page control's value in the URL, so the address bar reproduces the view (ui.url writes it
    once, when the run ends)."""
    url.want(key, st.session_state.get(STATE + key))


SHOWN = "_shown"  # suffix of the widget key of a control drawn with `cap`


def _take_shown(key: str, wkey: str, cap: int) -> None:
    """A capped control moved by the visitor: what the widget shows is now the control's value (its last stop,
    the cap, shows a larger value too: that one is kept)."""
    v = st.session_state[wkey]
    if not (v == cap and st.session_state[STATE + key] > cap):
        st.session_state[STATE + key] = v


def page_control(key: str, widget: Callable, label: str | None = None, *, default: Any = None,
                 hi: int | None = None, cap: int | None = None, too_high: str = "", **widget_kw) -> Any:
    """A page's own control kept in the URL: its value from the URL or the session, the widget drawn with
    it, the value written back to the URL; returns the value the page uses, typed (PageControl.value). `widget` is a Streamlit widget
    function taking (label, …, key=…). With `hi`, a value above it (a link's, or one left from a longer T) is
    lowered to `hi` and `too_high` (formatted with value and hi) says so above the widget, so the widget shows
    the value the page uses. With `cap`, the widget shows and the page uses min(value, cap) while the value
    itself stays (in the session and the URL): a lag of 50 shows as 8 while T = 8 and is 50 again at T = 100."""
    typed = S.PAGE_CONTROLS[key].value
    value = _held(key, default)
    if cap is not None:
        shown = min(value, cap)
        if value > cap and too_high:
            st.caption(too_high.format(value=value, hi=cap))
        # one widget per cap: a select slider reports its position, and read against another cap's stops a
        # stale position would name another value (at T = 1 the lag's only stop is 1; back at T = 40 that
        # position would have set the lag to 1)
        wkey = f"{STATE}{key}{SHOWN}{cap}"
        st.session_state[wkey] = shown
        widget(label or S.PAGE_CONTROLS[key].field.label, *widget_kw.pop("args", ()), key=wkey,
               on_change=_take_shown, kwargs={"key": key, "wkey": wkey, "cap": cap}, **widget_kw)
        sync_page_setting(key)
        return typed(shown)
    if hi is not None and value > hi:
        if too_high:
            st.caption(too_high.format(value=value, hi=hi))
        st.session_state[STATE + key] = value = hi
    widget(label or S.PAGE_CONTROLS[key].field.label, *widget_kw.pop("args", ()), key=STATE + key,
           persist_state="session", **widget_kw)
    sync_page_setting(key)
    return typed(st.session_state[STATE + key])


def regime_badge(regime: str, big: bool = True) -> None:
    """The engine's regime (rnn.analyze's, by rnn.jacobians.classify) as a coloured badge: vanishing / edge of
    chaos / exploding, or "too short to judge" (TOO_SHORT: fewer than REGIME_MIN_T lags give the slope)."""
    if regime == TOO_SHORT:
        text, color, icon = "too short to judge", "gray", ":material/help:"
    else:
        text = "edge of chaos" if regime == "edge" else regime
        color, icon = theme.REGIME_BADGE[regime], theme.REGIME_ICONS[regime]
    if big:
        st.markdown(f"### :{color}-background[:{color}[{icon} {text}]]")
    else:
        st.badge(text, icon=icon, color=color)
