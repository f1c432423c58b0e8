"""Text: a character-level language model trained live on a text, and how far back its gradient reaches."""
import streamlit as st

from ui import sidebar
from ui.session import live_training as live, text as R
from ui.blocks import chart_block, page_control
from ui.charts import text as C
from ui.limits import LIVE_TICK_S, TEXT_WRAP
from rnn import text as X  # after ui, which imports the app once (ui/__init__.py)
from rnn.training import warm_optimizers

s = sidebar.current()
st.title("Text: how far back does it look?", anchor=False)
st.caption("A vanilla RNN and a gated cell learn to predict the next character of a text, side by side on the same "
           "windows. Then pick a character: the ones before it are shaded by how much they move its prediction, "
           r"$\lVert \partial L_p/\partial x_q \rVert$ by autograd. The sidebar sets hidden size, seed, activation and the RNN's weight scale.")

bar = st.container()  # the buttons above the controls, which fold away on Start: Pause stays put (as on Live training)
source, cell, trunc, steps = R.draw_controls(expanded=not R.state().runs)  # the text, the cell, N, the run's length
raw = R.own_text(source)
prep = R.prepared(source, raw)
for m in prep.messages:
    st.info(m, icon=":material/info:")
cfgs, notes = R.configs(s, prep.text, cell, trunc)
for n in notes:
    st.caption(n)

with bar:
    b = st.columns(3)
    b[0].button("Start", icon=":material/play_arrow:", type="primary", width="stretch", key="text_start",
                on_click=R.start, args=(cfgs, steps), disabled=R.running())
    # Pause is never disabled (it does nothing with nothing running): Streamlit drops a click on a widget whose last
    # drawing was disabled, and the rerun after Start draws it again only when it gets to it (as on Live training)
    b[1].button("Pause", icon=":material/pause:", width="stretch", key="text_pause", on_click=R.pause)
    b[2].button("Reset", icon=":material/restart_alt:", width="stretch", key="text_reset", on_click=R.reset)
    R.draw_changed(cfgs, steps)
text, window = R.view(prep.text, cfgs)  # the runs' text while there are runs: p is a position in it
R.keep_position(text, window)
pos = page_control("pos", st.slider, default=X.focus(text, window), hi=len(text) - 1, min_value=1,
                   max_value=len(text) - 1,
                   help="The character p whose prediction is examined; the strip shows the window before it.")
temp = page_control("temp", st.segmented_control, args=(R.choices("temp"),), required=True)
ticking = R.running()


@st.fragment(run_every=LIVE_TICK_S if ticking else None)
def panel() -> None:
    st_ = R.state()
    if not st_.runs:
        st.info(R.intro(prep, raw), icon=":material/play_circle:")
        st.text(prep.text[:600])  # plain text: the visitor's characters are never read as markdown or HTML
        return
    R.tick()
    with st_.lock:  # the pair and its histories of one moment
        pair, hist = st_.pair, R.histories()
    if pair is None:  # Reset, pressed while this tick trained
        return
    R.draw_metrics(hist)
    df = C.bits_frame(hist)
    chart_block(C.bits_chart(df, pair.corpus.unigram_bits, pair.corpus.uniform_bits), df,
                "Bits per character against the training step. Below the unigram line the model uses the order "
                "of the characters, not only their frequencies.", "text_bits.csv", key="text_bits")
    st.subheader("Samples", anchor=False)
    for k, smp in R.samples(temp).items():
        st.caption(f"{C.NAMES[k]} at step {smp.step} (temperature {smp.temperature:g}, seed {smp.seed})")
        st.code(smp.text, language=None, wrap_lines=True)
    st.subheader(f"How far back does it look from character {pos}?", anchor=False)
    with st_.lock:  # between two rounds: never while another thread trains the models
        frames = {k: C.influence_frame(pair.text, pos, *X.influence(r.trainer, pos), TEXT_WRAP)
                  for k, r in st_.runs.items() if not r.trainer.diverged}
    dom = C.shared_domain(list(frames.values()))
    for k, f in frames.items():
        chart_block(C.influence_chart(f, dom), f, f"{C.NAMES[k]} at step {st_.runs[k].steps}: each earlier character "
                    r"shaded by $\log_{10} \lVert \partial L_p/\partial x_q \rVert$ (one colour scale for both); the outlined one is predicted.",
                    f"text_look_back_{k}.csv", key=f"text_look_{k}")
    with st.expander("The gradient reaching each step of a window, log₁₀‖∂L/∂sₜ‖, as it trains", icon=":material/grid_on:"):
        for k, h in hist.items():
            c = pair.cfgs[k]
            st.caption(f"{C.NAMES[k]}: every {c.lag_every}th training step (rows) × time step t (columns).")
            live.draw_heat(h, c.T, c.lag_every, key=f"text_heat_{k}")
    if ticking and not R.running():
        st.rerun()  # both runs ended: a full rerun stops the timer and updates the buttons


panel()
warm_optimizers()  # the first Start's optimiser, imported while the visitor reads (rnn.training.warm_optimizers)
