"""The page "Text" under AppTest: it opens on a sample, Start trains both models a tick (AppTest runs a fragment
once per run and never ticks it; the ticking is the browser's), and hostile texts in the text box or the URL
give a message and no exception. The visitor's text never reaches markdown: it is shown with st.text / st.code
and as data of Altair text marks."""
from __future__ import annotations

import pytest

from apptest_helpers import chart_tables, open_app

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
    # bits per character, one look-back strip per model, one gradient heatmap per model
    assert len(at.get("vega_lite_chart")) == 5
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
