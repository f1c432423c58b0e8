"""Lesson: the report's story in steps a class can press through (unfolded RNN → one Jacobian → the product →
sigmoid's ¼ → vanishing → exploding and clipping → edge of chaos → LSTM's cell path → truncated BPTT). Each step
puts its settings in the shared sidebar and shows one live chart; ?step=k in the URL opens the class there."""
import streamlit as st

from ui import lesson, sidebar

s = sidebar.current()
k = lesson.current()
lesson.arrive(k, s)  # a new step: its settings into the sidebar (one rerun)
lesson.note()  # a link's bad step: said once
step, n = lesson.STEPS[k - 1], len(lesson.STEPS)

st.title("Lesson", anchor=False)
st.progress(k / n, text=f"Step {k} of {n}")
prev, nxt = st.columns(2)
prev.button("Previous", icon=":material/arrow_back:", on_click=lesson.go, args=(k - 1,), disabled=k == 1,
            width="stretch", key="lesson_prev")
nxt.button("Next", icon=":material/arrow_forward:", on_click=lesson.go, args=(k + 1,), disabled=k == n,
           width="stretch", type="primary", key="lesson_next")

st.header(f"{k}. {step.title}", anchor=False)
st.markdown(step.text)
if s != step.settings:
    st.button("Put this step's settings back in the sidebar", icon=":material/restart_alt:",
              on_click=lesson.reset, args=(k,), key="lesson_reset")
lesson.show(step, s)
lesson.link(step)
