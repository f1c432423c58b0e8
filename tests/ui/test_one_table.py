"""Each fact declared once (issue 24): Settings' fields carry their own Field (FIELDS is read from them), a page
control hands its page a typed value (the widget and the link keep the text), the cells' and inits' names and
the engine's choices are one table each, and the session_state prefixes of the widgets are named in one place.

Before this change: FIELDS was a second list of Settings' names, page_control returned the text "0.01" and the
pages parsed it (float(v["lr"]), "full" → None), {"rnn": "vanilla RNN", …} stood in three chart modules,
ui.charts.theory had an INIT_NAMES of its own, ui.settings listed SCALE_KINDS in another order than rnn.init, and
"p_" was written out in ui/session/live_training.py, ui/session/live_demo.py and pages/home.py."""
from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import rnn.init
from ui import settings as S
from ui.charts import gated_cells, text, theory

ROOT = Path(__file__).resolve().parents[2]


def test_settings_fields_carry_their_field_and_fields_is_read_from_them():
    names = [f.name for f in fields(S.Settings)]
    assert list(S.FIELDS) == names
    for f in fields(S.Settings):
        assert f.metadata.get("field") is S.FIELDS[f.name], f.name
        assert S.FIELDS[f.name].kind is type(f.default), f.name  # the kind is the default's type, said once


@pytest.mark.parametrize("key, text_, value", [
    ("lr", "0.01", 0.01), ("lr", "1", 1.0), ("clip_c", "0.5", 0.5), ("N", "full", None), ("N", "20", 20),
    ("batch", "32", 32), ("steps", "5000", 5000), ("gate_bias", "3", 3.0), ("text_N", "full", None),
    ("text_N", "5", 5), ("text_steps", "200", 200), ("temp", "0.8", 0.8), ("task", "adding", "adding"),
    ("model", "lstm", "lstm"), ("trunc", 7, 7), ("projector", True, True)])
def test_a_page_control_turns_its_text_into_the_value_a_page_uses(key, text_, value):
    got = S.PAGE_CONTROLS[key].value(text_)
    assert got == value and type(got) is type(value)


def test_every_choice_of_every_page_control_has_a_value():
    for key, c in S.PAGE_CONTROLS.items():
        for choice in c.field.choices:
            v = c.value(choice)
            assert v is None or isinstance(v, (str, int, float)), (key, choice)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                assert v == float(choice), (key, choice)  # the number the visitor picked, not another


def _script():
    import streamlit as st

    from ui.blocks import page_control
    from ui.settings import PAGE_CONTROLS

    for key in ("lr", "N", "batch", "gate_bias"):
        v = page_control(key, st.select_slider, args=(PAGE_CONTROLS[key].field.choices,))
        st.text(f"{key}={v!r}")


def test_page_control_hands_the_page_typed_values_from_a_link():
    at = AppTest.from_function(_script, default_timeout=60)
    at.query_params.update({"lr": "0.1", "N": "full", "batch": "64"})
    at.run()
    assert not at.exception
    assert [t.value for t in at.text] == ["lr=0.1", "N=None", "batch=64", "gate_bias=3.0"]
    assert at.session_state["p_lr"] == "0.1"  # the widget keeps the text a visitor sees and a link carries


def test_names_are_one_table_each():
    assert text.NAMES is S.CELL_NAMES and gated_cells.CELL_NAMES is S.CELL_NAMES
    assert theory.CELL_NAMES is S.CELL_NAMES and theory.INIT_NAMES is S.INIT_NAMES
    assert theory.W_NAMES == {"gaussian": "Gaussian W", "orthogonal": "orthogonal W"}
    assert S.INITS is rnn.init.INITS and S.SCALE_KINDS is rnn.init.SCALE_KINDS
    assert S.SCALE_KINDS == ("gain", "rho", "sigma_max")  # the sidebar's order, the default first


def test_no_widget_key_prefix_is_written_out_beside_its_name():
    """"p_" and "w_" are ui.widget_state.PAGE and SIDEBAR; nothing else in ui/, pages/ or app.py spells them."""
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]:
        if path.name == "widget_state.py":
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""["'][pw]_""", line):
                found.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not found, "\n".join(found)
