"""Live training: train a recurrent net on a long-dependency task and watch the gradient reach back in time."""
from functools import partial

import streamlit as st

from ui import live, sidebar
from ui.charts import live_training as C
from ui.limits import LIVE_TICK_S
from rnn.tasks import get_task  # after ui, which imports the app once (ui/__init__.py)

s = sidebar.current()
st.title("Live training", anchor=False)
st.caption("BPTT while it happens: each tick trains a few steps and redraws. The heatmap shows how much gradient "
           "reaches each time step t, training step after training step. The sidebar sets the RNN's activation, "
           "scale, init, hidden size and seed; the controls below set the task and the optimiser.")

v = live.draw_controls(expanded=live.state().run is None)
cfg, notes, max_steps = live.config_from_controls(s, v)
task = get_task(cfg.task)
st.markdown(live.TASK_TEXT.get(cfg.task, ""))
for n in notes:
    st.info(n, icon=":material/info:")

state = live.state()
run = state.run
b = st.columns(5)
b[0].button("Start", icon=":material/play_arrow:", type="primary", width="stretch", key="live_start",
            on_click=live.start, args=(cfg, max_steps), disabled=bool(run and run.status == "running"))
b[1].button("Pause", icon=":material/pause:", width="stretch", key="live_pause", on_click=live.pause,
            disabled=not (run and run.status == "running"))
b[2].button("Stop", icon=":material/stop:", width="stretch", key="live_stop", on_click=live.stop,
            disabled=not (run and run.status in ("running", "paused")))
b[3].button("Reset", icon=":material/restart_alt:", width="stretch", key="live_reset", on_click=live.reset)
b[4].button("Same with an LSTM", icon=":material/memory:", width="stretch", key="live_lstm",
            on_click=live.same_with_lstm, args=(cfg, max_steps), disabled=cfg.model == "lstm",
            help="Start this very run again with an LSTM (the earlier run stays, to compare below).")
if live.controls_changed(cfg):
    st.caption("The controls changed: press Start to begin a new run with them (the current one is kept to compare).")


ticking = run is not None and run.status == "running"


@st.fragment(run_every=LIVE_TICK_S if ticking else None)
def panel() -> None:
    run = live.state().run
    if run is None:
        st.info("Press **Start** to train: " + live.label(cfg), icon=":material/play_circle:")
        live.draw_compare()
        return
    live.tick(run)
    live.finish_if_done(run)
    h = run.trainer.history()
    live.draw_status(run, task, h)
    left, right = st.columns(2)
    with left:
        df = C.loss_frame(h)
        st.altair_chart(C.loss_chart(df, task.chance_loss), width="stretch")
        st.caption("Loss against training step (log axis); the dashed line is chance. Look for the drop below it.")
        live.draw_heat(h, cfg.T, cfg.lag_every)
        st.caption(rf"$\log_{{10}} \lVert \partial L/\partial s_t \rVert$ for every {cfg.lag_every}th training step (rows) and time step t (columns). "
                   "Dark on the left: the gradient never reaches early steps (vanishing); a bright band "
                   "spreading left: the net learns to carry it.")
    with right:
        st.altair_chart(C.accuracy_chart(df), width="stretch")
        st.caption("Accuracy: " + ("|ŷ − y| < 0.04." if task.kind == "regression" else "the first symbol named."))
        st.altair_chart(C.grad_chart(C.grad_frame(h)), width="stretch")
        st.caption("Total gradient norm before and after clipping (log axis); spikes are exploding gradients.")
        st.altair_chart(C.spectrum_chart(C.spectrum_frame(h)), width="stretch")
        st.caption("ρ(W) and σₘₐₓ(W) of the recurrent matrix as it trains; the dashed line is 1.")
    # the CSV is made on click (a callable): no file per rerun, so a tick never retires one the page still points to
    st.download_button("Download this run (CSV)", partial(df.to_csv, index=False), "live_run.csv", "text/csv",
                       icon=":material/download:", on_click="ignore", key="dl_live")
    live.draw_compare()
    if ticking and run.status != "running":
        st.rerun()  # the run ended on its own: a full rerun turns the timer off and updates the buttons


panel()
