"""Teacher: run the Lesson with a class. "New class" makes a class with a short code that is easy to read aloud;
the page shows the code and the student link in large type and as a QR code for the projector, and a live view of
the class's step (joined, answered, the answers as a chart, the truth after the reveal), refreshed every few
seconds, with the buttons that reveal the step to everyone and move everyone on.

A passcode, where one is configured (secrets `teacher_passcode` or TEACHER_PASSCODE), guards the page; the class
stays in this page's address (teacher?class=K7Q2), so a reload or a second tab resumes it."""
import streamlit as st

from ui import sidebar
from ui.session import teacher

sidebar.current()
st.title("Teacher", anchor=False)
code = teacher.current()  # in the address before the guard: a reload behind the passcode keeps the class
if teacher.guard():  # (no st.stop: the address is written when the page has run)
    if code is None:
        teacher.start()
    else:
        teacher.header(code)
        teacher.live(code)  # refreshed every few seconds
        teacher.footer()
