"""Live training: train a recurrent net on a long-dependency task and watch the gradient reach back in time."""
from functools import partial

import streamlit as st

from ui import sidebar
from ui.session import live_demo, live_training as live
from ui.charts import live_training as C
from ui.limits import LIVE_TICK_S
from rnn.training import warm_optimizers  # after ui, which imports the app once (ui/__init__.py)

s = sidebar.current()
st.title("Live training", anchor=False)
st.caption("BPTT while it happens: each tick trains a few steps and redraws. The heatmap shows how much gradient "
           "reaches each time step t, training step after training step. The sidebar sets the RNN's activation, "
           "scale, init, hidden size and seed; the controls below set the task and the optimiser.")

bar = st.container()  # the buttons, above the controls (ui.session.live_training.draw_buttons says why)
v = live.draw_controls(expanded=live.state().run is None)
cfg, notes, max_steps = live.config_from_controls(s, v)
st.markdown(live.TASK_TEXT.get(cfg.task, ""))
for n in notes:
    st.info(n, icon=":material/info:")

run = live.state().run
with bar:
    live.draw_buttons(cfg, max_steps, demo=(live_demo.start, (s,)))


ticking = run is not None and run.status == "running"


@st.fragment(run_every=LIVE_TICK_S if ticking else None)
def panel() -> None:
    run = live.state().run
    if run is None:
        st.info("Press **Start** to train: " + live.label(cfg) + ". Or **The LSTM demo**: a tanh RNN, an LSTM and "
                "a GRU side by side on the same batches.", icon=":material/play_circle:")
        live.draw_compare()
        return
    live.tick(run, live_demo.budget(run))
    live.finish_if_done(run)
    if live_demo.is_demo(run):  # the LSTM demo: three models on the same batches
        live_demo.draw(run)
        live.draw_compare()
        if ticking and run.status != "running":
            st.rerun()
        return
    h, rc, task = run.history(), run.config, run.task  # the run's own config and task, not the controls'
    live.draw_status(run, task, h)
    left, right = st.columns(2)
    with left:
        df = C.loss_frame(h)
        live.chart(C.loss_chart(df, task.chance_loss))
        st.caption("Loss against training step (log axis); the dashed line is chance. Look for the drop below it.")
        live.draw_heat(h, rc.T, rc.lag_every)
        st.caption(rf"$\log_{{10}} \lVert \partial L/\partial s_t \rVert$ for every {rc.lag_every}th training step (rows) "
                   "and time step t (columns). "
                   "Dark on the left: the gradient never reaches early steps (vanishing); a bright band "
                   "spreading left: the net learns to carry it.")
    with right:
        live.chart(C.accuracy_chart(df))
        st.caption("Accuracy: " + ("|ŷ − y| < 0.04." if task.kind == "regression" else "the first symbol named."))
        live.chart(C.grad_chart(C.grad_frame(h)))
        st.caption("Total gradient norm before and after clipping (log axis); spikes are exploding gradients.")
        live.chart(C.spectrum_chart(C.spectrum_frame(h)))
        st.caption("ρ(W) and σₘₐₓ(W) of the recurrent matrix as it trains; the dashed line is 1.")
    # the CSV is made on click (a callable): no file per rerun, so a tick never retires one the page still points to
    st.download_button("Download this run (CSV)", partial(df.to_csv, index=False), "live_run.csv", "text/csv",
                       icon=":material/download:", on_click="ignore", key="dl_live")
    live.draw_compare()
    if ticking and run.status != "running":
        st.rerun()  # the run ended on its own: a full rerun turns the timer off and updates the buttons


panel()
warm_optimizers()  # the first Start's optimiser, imported while the visitor reads (rnn.training.warm_optimizers)
