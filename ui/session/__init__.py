"""What a page keeps for each visitor between script runs, one module per page (or per block a page draws), named
as the page is: pages/x.py draws, ui/charts/x.py builds its charts, ui/cached/x.py computes once for every visitor,
and ui/session/x.py holds what this visitor's session carries from one run to the next (st.session_state, a run
in progress and its lock, the place in the Lesson, a class joined).

- live_training: a live run (its own config, the trainer, Pause/Stop and the lock they share with each chunk)
- live_demo: Live training's LSTM demo (three cells on the same batches)
- text: the Text page's pair of runs (the vanilla RNN and the LSTM on one text)
- lesson: the Lesson's nine steps and the step this visitor is on
- predict: a step's question before its chart (predict, then reveal)
- class_poll: a student in a class (the code, the anonymous id, the teacher's step and reveal)
- teacher: the Teacher page (the passcode, the class, the live view and the buttons that move it)
- unfolded: the unfolded network's block on Home and BPTT by hand (its position and play state)
"""
