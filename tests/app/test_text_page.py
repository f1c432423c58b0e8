"""The page "Text" under AppTest: it opens on a sample, Start trains both models a tick (AppTest runs a fragment
once per run and never ticks it; the ticking is the browser's), and hostile texts in the text box or the URL
give a message and no exception. The visitor's text never reaches markdown: it is shown with st.text / st.code
and as data of Altair text marks."""
from __future__ import annotations

import pyarrow as pa
import pytest

from apptest_helpers import chart_tables, open_app
from rnn import text as X

PAGE = "pages/text.py"
SMALL = {"T": "16", "hidden": "8"}


def _no_raw_markdown(at, needle: str) -> None:
    for el in [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.subheader, *at.title]:
        assert needle not in el.value


def test_opens_on_a_sample_and_trains_a_tick():
    at = open_app(SMALL, PAGE)
    assert not at.exception
    assert at.button(key="text_start").disabled is False and len(at.text) == 1  # the sample, as plain text
    at.button(key="text_start").click().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Step", "Unigram baseline"] and any("LSTM" in x for x in labels)
    assert len(at.code) == 2  # a sample from each model
    # bits per character, one look-back strip per model, one gradient heatmap per model (or, before its first row
    # at training step 10, which a busy machine may not reach in one tick, a caption saying when it starts)
    waiting = [c for c in at.caption if "heatmap starts at training step" in c.value]
    assert len(at.get("vega_lite_chart")) + len(waiting) == 5 and len(at.get("vega_lite_chart")) >= 3
    strips = [t for t in chart_tables(at) if "shown" in t.column_names]
    assert sum(t.num_rows for t in strips) >= 2 * (16 + 1)  # each strip: a window of T inputs and the target
    at.button(key="text_pause").click().run()
    assert not at.exception and at.button(key="text_start").disabled is False


HOSTILE = ["", "a", "<script>alert(1)</script> <img src=x onerror=alert(2)> **bold** [l](javascript:x) $x$",
           "abc def " * 12_500, "line\x00\x07\x1b[31m red \u202egnp.exe\u202c\r\n more text to read here",
           "שלום עולם, זה טקסט בעברית ומשהו נוסף", "e\u0301te\u0301 q\u0301 n\u0303 Z\u0351\u0352\u0353 cafe\u0301 " * 3]


def test_hostile_texts_in_the_text_box():
    at = open_app({**SMALL, "text": "own"}, PAGE)
    assert not at.exception
    for raw in HOSTILE:
        at.text_area(key="text_own").set_value(raw).run()
        assert not at.exception, repr(raw[:30])
        if raw in ("", "a") or len(raw) > 3000 or "\x00" in raw:
            assert at.info, repr(raw[:30])  # a message says what happened
        _no_raw_markdown(at, "<script")
        _no_raw_markdown(at, "\u202e")
    at.button(key="text_start").click().run()  # trains on the last one
    assert not at.exception and len(at.code) == 2


@pytest.mark.parametrize("query", [{"text": "../../etc/passwd", "pos": "999999"}, {"cell": "<b>", "temp": "nan"},
                                   {"pos": "-3", "text_N": "1e9", "text_steps": "∞"}])
def test_bad_links_fall_back_with_a_warning(query):
    at = open_app({**SMALL, **query}, PAGE)
    assert not at.exception and at.warning
    _no_raw_markdown(at, "<b>")


# --- the runs own their config: controls changed after Start never reach what is drawn about the runs ------

def _strips(at) -> list[dict]:
    """Each look-back strip's positions q and characters, in order of q (a strip's chart holds its inputs and
    its target as two datasets)."""
    out = []
    for c in at.get("vega_lite_chart"):
        streams = [d.data.data for d in c.proto.datasets] + ([c.proto.data.data] if c.proto.data.data else [])
        parts = [pa.ipc.open_stream(b).read_all().to_pydict() for b in streams]
        rows = sorted((q, ch) for d in parts if "shown" in d for q, ch in zip(d["q"], d["char"]))
        if rows:
            out.append({"q": [q for q, _ in rows], "char": [ch for _, ch in rows]})
    return out


def _agrees_with_run(at, gated: str, text: str) -> None:
    """What is drawn names the runs' models and shades the runs' text: no exception, the metrics, samples,
    strips and heatmaps name the vanilla RNN and `gated`, and each strip's characters are `text`'s at the
    positions q it gives."""
    from ui.charts.text import NAMES

    assert not at.exception, at.exception[0].value
    names = {NAMES["rnn"], NAMES[gated]}
    assert {m.label for m in at.metric} >= {f"{n}, bits/char" for n in names}
    other = ({"lstm", "gru"} - {gated}).pop()
    assert not any(NAMES[other] in c.value for c in at.caption if "at step" in c.value or "training step" in c.value)
    strips = _strips(at)
    assert len(strips) == 2
    for s in strips:
        assert [text[q] for q in s["q"]] == s["char"]
    assert at.slider(key="p_pos").max == len(text) - 1


def test_changing_the_cell_after_start_keeps_drawing_the_runs():
    """Issue 19.1: with the LSTM pair started, switching the cell to GRU raised KeyError: 'lstm' (the heatmap
    captions read the controls' configs, keyed rnn/gru, for runs keyed rnn/lstm)."""
    echo = X.SAMPLES["echo"]
    at = open_app(SMALL, PAGE)
    at.button(key="text_start").click().run()
    at.button_group(key="p_cell").set_value("gru").run()
    _agrees_with_run(at, "lstm", echo)
    assert any("controls changed (the cell beside the vanilla RNN)" in c.value for c in at.caption)
    at.button(key="text_pause").click().run()
    at.button(key="text_start").click().run()  # new runs on the controls: the GRU pair
    _agrees_with_run(at, "gru", echo)
    assert not any("controls changed" in c.value for c in at.caption)


def test_changing_the_text_after_start_keeps_the_runs_text():
    """Issue 19.2: trained on the shorter "robot" sample, then switched to "echo" (702 characters): the slider
    reached past robot's 606 and X.influence raised a ValueError; below that the strip showed echo's characters
    shaded by gradients computed on robot. Now p indexes the runs' text, and the strip shows its characters."""
    robot, echo = X.SAMPLES["robot"], X.SAMPLES["echo"]
    assert len(echo) > len(robot)
    at = open_app({**SMALL, "text": "robot"}, PAGE)
    at.button(key="text_start").click().run()
    at.selectbox(key="p_text").set_value("echo").run()
    _agrees_with_run(at, "lstm", robot)
    assert any("controls changed (the text)" in c.value for c in at.caption)
    for p in (len(robot) - 1, 300, 1):
        at.slider(key="p_pos").set_value(p).run()
        _agrees_with_run(at, "lstm", robot)
        assert max(max(s["q"]) for s in _strips(at)) == p


def test_temperature_change_redraws_the_samples_it_names():
    """A sample's caption names the step, temperature and seed it was drawn with: changing the temperature of a
    paused pair used to keep the old sample under a caption naming the new temperature; and the seed is the
    runs' own, not the sidebar's of the moment."""
    from ui.limits import TEXT_SAMPLE_CHARS

    at = open_app({**SMALL, "seed": "4"}, PAGE)
    at.button(key="text_start").click().run()
    at.button(key="text_pause").click().run()
    at.button_group(key="p_temp").set_value("1.5").run()
    at.number_input(key="w_seed").set_value(9).run()
    assert not at.exception
    runs = at.session_state["text_live"].runs
    heads = [c.value for c in at.caption if "temperature" in c.value]
    assert len(heads) == 2 and all("temperature 1.5, seed 4" in h for h in heads)
    assert [c.value for c in at.code] == [X.generate(r.trainer, TEXT_SAMPLE_CHARS, 1.5, 4) for r in runs.values()]


def test_odd_orders_of_presses():
    """Start, change the text, the cell and p, Reset, Start again, Start while paused after a change, Reset
    twice: never an exception, and whatever is drawn agrees with the runs."""
    robot, brackets = X.SAMPLES["robot"], X.SAMPLES["brackets"]
    at = open_app({**SMALL, "text": "robot"}, PAGE)
    at.button(key="text_reset").click().run()  # Reset with nothing to reset
    assert not at.exception
    at.button(key="text_start").click().run()
    _agrees_with_run(at, "lstm", robot)
    at.selectbox(key="p_text").set_value("brackets").run()
    at.button_group(key="p_cell").set_value("gru").run()
    at.slider(key="p_pos").set_value(len(robot) - 1).run()
    _agrees_with_run(at, "lstm", robot)
    at.button_group(key="p_text_N").set_value("5").run()
    at.select_slider(key="p_text_steps").set_value("200").run()
    _agrees_with_run(at, "lstm", robot)
    assert any("the text, the cell beside the vanilla RNN, truncation N and steps in a run" in c.value
               for c in at.caption)
    at.button(key="text_reset").click().run()
    assert not at.exception and not at.metric and at.slider(key="p_pos").max == len(brackets) - 1
    at.button(key="text_start").click().run()
    _agrees_with_run(at, "gru", brackets)
    at.button(key="text_pause").click().run()
    at.selectbox(key="p_text").set_value("robot").run()
    at.button(key="text_start").click().run()  # paused, then a change: Start begins new runs, not a resume
    _agrees_with_run(at, "gru", robot)
    assert at.session_state["text_live"].pair.serial == 3
    at.button(key="text_reset").click().run()
    at.button(key="text_reset").click().run()
    assert not at.exception and not at.metric


def test_own_text_words_agree_with_what_is_trained():
    """Issue 20.7: with "your own text" and an empty box the page said both "Using the built-in sample" and
    "train on your own text (702 characters)". Now it names the sample it will train on; with a text of its own,
    it gives the count that is trained on and says why the box's counter shows another."""
    echo = X.SAMPLES["echo"]
    at = open_app({**SMALL, "text": "own"}, PAGE)
    start = [i.value for i in at.info if "Start" in i.value]
    assert any("Using the built-in sample" in i.value for i in at.info)
    assert len(start) == 1 and "your own text" not in start[0]
    assert f"“{X.SAMPLE_TITLES['echo']}” ({len(echo):,} characters" in start[0]
    # 3 accents typed apart, 3 carriage returns, 6 emoji
    raw = "cafe\u0301 and the cat\r\n sat with the dog \U0001F415 and the other dog \U0001F415 " * 3
    at.text_area(key="text_own").set_value(raw).run()
    trained = X.prepare_text(raw, 3000).text
    assert len(trained) == len(raw) - 6  # NFC joins the accents, the CRs are dropped
    start = [i.value for i in at.info if "Start" in i.value][0]
    box = len(raw) + 6  # the browser counts each emoji as two UTF-16 code units
    assert f"your own text ({len(trained):,} characters" in start and f"counter shows {box:,}" in start
    assert "emoji" in start
    notes = " ".join(i.value for i in at.info)
    assert "3 accents typed apart" in notes and "3 invisible control" in notes


def test_own_text_survives_a_look_at_a_sample():
    """Typing a text, choosing a sample for a moment and coming back used to empty the box (Streamlit forgets a
    widget's value after a run that does not draw it), and the page fell back to the built-in sample."""
    mine = "my own little text about cats and dogs and birds."
    at = open_app({**SMALL, "text": "own"}, PAGE)
    at.text_area(key="text_own").set_value(mine).run()
    at.selectbox(key="p_text").set_value("robot").run()
    at.selectbox(key="p_text").set_value("own").run()
    assert not at.exception and at.text_area(key="text_own").value == mine
    assert [t.value for t in at.text] == [mine]
    at.button(key="text_start").click().run()
    _agrees_with_run(at, "lstm", mine)


def test_a_diverged_run_is_said_not_raised():
    """float32, a linear vanilla RNN and gain 8 make the RNN's state overflow within the first window (|h_t| grows
    about 8× a step: near 1e58 by t = 64 in float64, float32 stops at 3.4e38), so its loss is not finite at the
    first step: the page
    drew its sample with torch.multinomial on NaN probabilities and showed a RuntimeError. Now it says which model
    diverged and when, prints its bits/char as missing, and draws the other model's sample and strip."""
    at = open_app({"T": "64", "hidden": "64", "activation": "linear", "scale": "8", "float64": "false",
                   "init": "gaussian"}, PAGE)
    at.button(key="text_start").click().run()
    assert not at.exception, at.exception[0].value
    runs = at.session_state["text_live"].runs
    assert runs["rnn"].trainer.diverged and not runs["lstm"].trainer.diverged
    assert any("vanilla RNN's loss stopped being finite at step 1" in e.value for e in at.error)
    assert {m.label: m.value for m in at.metric}["vanilla RNN, bits/char"] == "—"
    assert len(at.code) == 1 and len(_strips(at)) == 1


def test_pause_is_never_drawn_disabled():
    """Streamlit drops a click on a widget whose last drawing was disabled, and the rerun after Start draws the
    buttons again only when it gets to them: a Pause drawn disabled before Start (or while paused) swallowed a
    click made right after Start, and the runs went on. Pause is always pressable, and does nothing when
    nothing runs."""
    at = open_app(SMALL, PAGE)
    assert at.button(key="text_pause").disabled is False
    at.button(key="text_pause").click().run()  # nothing to pause: nothing happens
    assert not at.exception and not at.session_state["text_live"].runs
    at.button(key="text_start").click().run()
    assert at.button(key="text_pause").disabled is False
    at.button(key="text_pause").click().run()
    runs = at.session_state["text_live"].runs
    assert not at.exception and {r.status for r in runs.values()} == {"paused"}
    assert at.button(key="text_pause").disabled is False and at.button(key="text_start").disabled is False
