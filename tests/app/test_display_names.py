"""Issue 20.8: no raw identifier or ambiguous label on screen. With the sidebar at leaky ReLU and Live training's
task at "remember first", every text element of the pages that print them (titles, captions, markdown, metric
labels and help, the selectboxes' options, refusals) is searched for identifiers (leaky_relu, remember_first),
for ‖∂h_T/∂h_T−k‖ (which reads as h_T minus k), for f′(a_t) and for the old refusal's "(T × RNN (256)³)"."""
from __future__ import annotations

import pytest

from apptest_helpers import open_app
from ui.settings import display_name

RAW = ("leaky_relu", "remember_first", "h_T−", "s_T−", "f′(a_t)", "RNN (")  # h_T−k, h_T−50, …
KINDS = ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "latex", "metric",
         "selectbox", "select_slider", "button")


def screen_texts(at) -> list[str]:
    out = []
    for kind in KINDS:
        for e in at.get(kind):
            # a selectbox's value is the identifier itself (what the URL keeps); the screen shows its options
            for attr in ("label", "help", "options") if kind.startswith("select") else ("value", "label", "body",
                                                                                       "help"):
                try:
                    v = getattr(e, attr)
                except Exception:  # an element without this attribute
                    continue
                if isinstance(v, (list, tuple)):
                    v = " | ".join(map(str, v))
                if isinstance(v, str):
                    out.append(v)
    for table in at.get("table"):  # every cell of a st.table
        out.append(table.value.to_string())
    return out


@pytest.mark.parametrize("page, query", [
    ("pages/jacobian_products.py", {"activation": "leaky_relu"}),
    ("pages/jacobian_products.py", {"T": 2000, "hidden": 256}),  # over the budget: the refusal
    ("pages/gated_cells.py", {"activation": "leaky_relu"}),
    ("pages/gated_cells.py", {"T": 2000, "hidden": 256}),
    ("pages/activations.py", {"activation": "leaky_relu"}),
    ("pages/phase_diagram.py", {"activation": "leaky_relu"}),
    ("pages/live_training.py", {"activation": "leaky_relu", "task": "remember_first"}),
    ("pages/report_check.py", {}),  # the sigmoid claim's ‖∂h_T/∂h_(T−50)‖
])
def test_no_raw_identifiers_on_screen(page, query):
    at = open_app(query, page)
    assert not at.exception, [e.message for e in at.exception]
    texts = screen_texts(at)
    bad = [(r, t[max(0, t.find(r) - 60):t.find(r) + 40]) for t in texts for r in RAW if r in t]
    assert not bad, bad
    if page.endswith("report_check.py"):
        assert any("∂h_T/∂h_(T−50)" in t for t in texts)  # the table is searched
    if "activation" in query:
        assert any(display_name("leaky_relu") in t for t in texts)


def test_display_names_read_as_words():
    assert display_name("leaky_relu") == "leaky ReLU" and display_name("remember_first") == "remember first"
    assert display_name("tanh") == "tanh"


def test_activation_panels_are_headed_by_words():
    from ui.charts.activations import activation_frame
    a = [0.0, 1.0]
    curves = {n: {"a": a, "f": a, "df": a, "codomain": "ℝ", "gamma": 1.0} for n in ("tanh", "leaky_relu")}
    panels = set(activation_frame(curves, current="leaky_relu")["panel"])
    assert any(p.startswith("leaky ReLU (in use)|") for p in panels) and not any("leaky_relu" in p for p in panels)
