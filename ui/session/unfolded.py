"""The unfolded RNN (the report's Figure 1) as a page block: the diagram of ui.charts.unfolded for the sidebar's
model, a play button that sends the gradient back one step at a time (a fragment ticking while it plays) and a
slider to pause on any step. Its state (position, playing) is per visitor, in st.session_state under the block's
key, so Home and BPTT by hand each keep their own."""
from __future__ import annotations

import streamlit as st

from .. import projector
from ..cached import unfolded as cached
from ..charts import unfolded as U
from ..limits import UNFOLDED_TICK_S, refusal
from ..settings import Settings


def _dark() -> bool:
    """Whether the visitor's page has the dark theme (the browser tells Streamlit; light until it has)."""
    return getattr(getattr(st.context, "theme", None), "type", None) == "dark"


def _keys(key: str) -> tuple[str, str]:
    return f"unf_{key}_k", f"unf_{key}_play"


def _toggle(key: str, T: int) -> None:
    """Play / pause (a button callback): playing from the end starts again at h_T."""
    k_key, p_key = _keys(key)
    playing = not st.session_state.get(p_key, False)
    if playing and st.session_state.get(k_key, T) >= T:
        st.session_state[k_key] = 0
    st.session_state[p_key] = playing


def diagram(s: Settings, key: str, N: int | None = None, caption: bool = True) -> None:
    """The block. N: truncation (the steps T − N … T are kept); None is full BPTT."""
    why = refusal(s)
    if why:
        st.info("The unfolded diagram needs the product of Jacobians: " + why, icon=":material/info:")
        return
    k_key, p_key = _keys(key)
    playing = bool(st.session_state.get(p_key, False))

    @st.fragment(run_every=UNFOLDED_TICK_S if playing else None)
    def body() -> None:
        g = cached.gradients(s)
        T = g["T"]
        now = bool(st.session_state.get(p_key, False))
        if now != playing:  # the button changed the mode: a full rerun sets the fragment's ticking on or off
            st.rerun()
        k = min(int(st.session_state.get(k_key, T)), T)
        if now:
            k, go_on = U.advance(k, T)
            st.session_state[p_key] = go_on
            st.session_state[k_key] = k
            if not go_on:
                st.rerun()  # the end: stop ticking
        st.session_state[k_key] = k
        # made once per settings and view for every visitor (the steps shown follow the played step)
        d = cached.picture(s, g["grad"], T, N, k if (now or k < T) else None, projector.on(), _dark())
        left, right = st.columns([1, 3], vertical_alignment="center")
        left.button("Pause" if now else "Play", key=f"unf_{key}_btn", on_click=_toggle, args=(key, T),
                    icon=":material/pause:" if now else ":material/play_arrow:", width="stretch",
                    help="Send the gradient back from the loss one step at a time.")
        right.slider("Steps the gradient has travelled back, k", 0, T, key=k_key, disabled=now,
                     help=r"Pause on any step: the states from $h_T$ back to $h_{T-k}$ are coloured.")
        st.graphviz_chart(d.dot, width="stretch")
        st.markdown(U.product_line(g["prod"], g["grad"], k, T))
        if caption:
            trunc = (f" Dashed: the steps truncated BPTT with N = {N} drops (it keeps steps {max(T - N, 0)} … {T})."
                     if N is not None and N < T else "")
            elided = (" Long sequences show the first and the last steps; ⋯ stands for the steps between."
                      if d.elided else "")
            st.caption(r"The network unfolded in time: input $x_t$ enters through U, the state $h_t$ passes to the next "
                       r"step through W and to the output $\hat y_t$ through V; the loss L reads $\hat y_T$. Each state "
                       r"is filled by the size of the gradient BPTT delivers to it, $\lVert \partial L/\partial h_t "
                       r"\rVert$, and each W arrow coloured by one step's Jacobian $\lVert \partial h_t/\partial "
                       r"h_{t-1} \rVert$, on the one scale of the legend: colour fading to the left "
                       "is a vanishing gradient, colour burning is an exploding one." + trunc + elided +
                       (f" The forward pass overflows at step {T + 1}, so the diagram stops at step {T}."
                        if T < s.T else ""))

    body()
