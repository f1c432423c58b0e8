"""Lesson: the report's story in steps a class can press through (unfolded RNN → one Jacobian → the product →
sigmoid's ¼ → vanishing → exploding and clipping → edge of chaos → LSTM's cell path → truncated BPTT). Each step
puts its settings in the shared sidebar and shows one live chart; ?step=k in the URL opens the class there.

A step is one screen: where the class is and Previous / Next (PageUp / PageDown), the step's question, its chart,
then its two or three sentences; what the Lesson changed in the sidebar is one line under them, with a button
that puts the visitor's own settings back."""
import streamlit as st

from ui import sidebar
from ui.session import class_poll, lesson, predict

s = sidebar.current()
k = lesson.current()
lesson.arrive(k, s)  # a new step: its settings into the sidebar (one rerun), the visitor's own kept
lesson.note()  # a link's bad step: said once
room = class_poll.current(k)  # ?class=…: joins it and follows its step; None alone (said in one line)
step = lesson.STEPS[k - 1]

lesson.nav(k)
st.header(f"{k}. {step.title}", anchor=False)
if predict.ask(k, s, room):  # the step's question first; its chart once answered (or revealed to the class)
    lesson.show(step, s)
    predict.after(k, s, room)  # the answer beside what the chart says; in a class, after the reveal, the spread
st.markdown(step.text)
lesson.settings_row(k, s)
lesson.link(step)
