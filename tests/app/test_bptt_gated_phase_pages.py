"""AppTest for the pages BPTT by hand, Gated cells and Phase diagram: each loads; the sidebar's T, activation
and scale change what the charts hold; the numbers on screen are the engine's (recomputed here with rnn);
the gradient check is at rounding level in float64; the truncation control round-trips through the URL and a
hostile URL value gives a warning, not a traceback; big runs are refused or flagged, never charted as inf/NaN.
Small models (hidden 8–16) keep the whole file to a few tens of seconds."""
from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_tables, open_app
import rnn
from rnn.bptt import autograd_grads
from ui.cached import model
from ui.charts.style import tex_num
from ui.settings import Settings

BPTT, GATED, PHASE = "pages/bptt_by_hand.py", "pages/gated_cells.py", "pages/phase_diagram.py"


def open_page(page: str, **query) -> AppTest:
    at = open_app(query, page)
    assert not at.exception, [e.value for e in at.exception]
    return at


def charts(at: AppTest) -> list:
    return list(at.get("vega_lite_chart"))


def signature(at: AppTest) -> list[tuple]:
    """What each chart holds: its spec and the names (content hashes) of its datasets."""
    return [(c.proto.spec, tuple(sorted(d.name for d in c.proto.datasets))) for c in charts(at)]


def chart_numbers(at: AppTest) -> np.ndarray:
    """Every number in every chart's datasets, decoded from Arrow."""
    out = []
    for table in chart_tables(at):
        for col in table.columns:
            if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
                out.extend(v for v in col.to_pylist() if v is not None)
    return np.asarray(out, dtype=np.float64)


def latex_text(at: AppTest) -> str:
    return "\n".join(el.body for el in at.latex)


def change(at: AppTest, T=None, activation=None, scale=None) -> AppTest:
    if T is not None:
        at.select_slider(key="w_T").set_value(T).run()
    if activation is not None:
        at.selectbox(key="w_activation").set_value(activation).run()
    if scale is not None:
        at.select_slider(key="w_scale").set_value(scale).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ---------------------------------------------------------------------------------------------------------

def test_each_page_loads_with_charts_captions_and_downloads():
    for page, query in ((BPTT, {}), (GATED, {}), (PHASE, {"hidden": 16})):
        at = open_page(page, **query)
        assert len(charts(at)) >= 1, page
        assert len(at.get("download_button")) >= len(charts(at)), page
        assert len(at.caption) >= len(charts(at)), page
        nums = chart_numbers(at)
        assert nums.size and np.isfinite(nums).all(), page


def test_bptt_numbers_on_screen_are_the_engines():
    s = Settings()
    at = open_page(BPTT)
    m, x, y = model.build(s)
    res = rnn.bptt(m, x, y)
    text = latex_text(at)
    assert f"L &= {tex_num(res.loss)}" in text
    assert rf"\lVert \partial L/\partial W \rVert_F &= {tex_num(res.grads['W'].norm().item())}" in text
    assert rf"\lVert \partial L/\partial V \rVert_F &= {tex_num(res.grads['V'].norm().item())}" in text
    logn = rnn.jacobian_log10_norms(m, x)
    assert rf"\partial h_T/\partial h_0 \rVert_2 &= {tex_num(logn[0])}" in text
    shown_L = float(re.search(r"L &= ([-0-9.]+)", text).group(1))
    assert shown_L == pytest.approx(res.loss, rel=1e-3)
    # the truncation metrics: N = 10 by default, against rnn.bptt(truncation=10)
    g, full = rnn.bptt(m, x, y, truncation=10).grads["W"].flatten(), res.grads["W"].flatten()
    metrics = {mt.label: mt.value for mt in at.metric}
    assert metrics["cos(∂L/∂W truncated, full)"] == f"{float(g @ full / (g.norm() * full.norm())):.4f}"
    assert metrics["‖truncated‖ / ‖full‖"] == f"{float(g.norm() / full.norm()):.4g}"


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradient_check_table_is_at_rounding_level_in_float64(activation):
    at = open_page(BPTT, activation=activation, T=40, hidden=16)
    table = at.dataframe[0].value
    assert list(table["parameter"]) == ["U", "W", "V", "b_h", "b_y"]
    errors = table[[c for c in table.columns if c not in ("parameter", "shape")]].to_numpy(dtype=float)
    assert (errors < 1e-9).all(), table
    m, x, y = model.build(Settings(activation=activation, T=40, hidden=16))
    ref = autograd_grads(m, x, y)
    hand = rnn.bptt(m, x, y).grads
    want = max(float((hand[k] - ref[k]).abs().max()) for k in ref)
    assert table.iloc[:, 2].max() == pytest.approx(want, abs=1e-18)


@pytest.mark.parametrize("page,query", [(BPTT, {"hidden": 8}), (GATED, {"hidden": 8})])
def test_sidebar_changes_change_the_charts(page, query):
    at = open_page(page, T=30, **query)
    before = signature(at)
    for kw in ({"T": 25}, {"activation": "sigmoid"}, {"scale": 1.4}):
        change(at, **kw)
        after = signature(at)
        assert after != before, kw
        before = after


def test_phase_diagram_follows_activation_T_and_scale():
    at = open_page(PHASE, hidden=8, T=50)
    first = signature(at)
    assert len(first) == 2
    change(at, T=20)  # the scale × activation diagram is drawn at the sidebar's T
    second = signature(at)
    assert second[1] != first[1]
    change(at, activation="relu")  # the scale × T diagram is for the sidebar's activation
    third = signature(at)
    assert third[0] != second[0]
    change(at, scale=2.0)  # the current-settings outline moves
    assert signature(at)[0] != third[0]
    assert np.isfinite(chart_numbers(at)).all()


def test_truncation_round_trips_through_the_url():
    at = open_page(BPTT, trunc=7, T=30, hidden=8)
    assert at.slider(key="p_trunc").value == 7
    assert at.query_params["trunc"] in ("7", ["7"])
    at.slider(key="p_trunc").set_value(12).run()
    assert not at.exception
    url = {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert url["trunc"] == "12"
    again = open_page(BPTT, **url)
    assert again.slider(key="p_trunc").value == 12


def test_truncation_beyond_T_is_clamped():
    at = open_page(BPTT, trunc=150, T=30, hidden=8)
    assert at.slider(key="p_trunc").value == 29
    assert any("full BPTT" in c.value for c in at.caption)


def test_bptt_refuses_beyond_its_budget():
    at = open_page(BPTT, T=2000, hidden=256)
    assert any("budget" in w.body for w in at.warning)
    assert not charts(at)


def test_a_dead_relu_output_says_every_gradient_is_zero():
    at = open_page(BPTT, T=25, hidden=8, activation="relu", scale=1.5)
    assert any("every gradient is exactly 0" in i.body for i in at.info)


def test_overflow_is_said_not_charted():
    at = open_page(BPTT, T=600, hidden=8, activation="linear", scale=3, scale_kind="rho")
    assert any("overflowed" in w.body for w in at.warning), [w.body for w in at.warning]
    nums = chart_numbers(at)
    assert nums.size and np.isfinite(nums).all()


def test_gated_memory_gate_bias_moves_the_gated_cells_only():
    """The slider sets the LSTM's forget-gate and the GRU's update-gate bias: their slopes on screen are the
    engine's for that bias, the vanilla RNN's does not move, and the value round-trips through the URL."""
    s = Settings(T=60, hidden=16)
    at = open_page(GATED, T=60, hidden=16, gate_bias=6)
    assert at.select_slider(key="p_gate_bias").value == "6"
    shown = [float(mt.value) for mt in at.metric]
    want = [rnn.analyze(*model.build(s, kind, 6.0)).slope for kind in ("rnn", "lstm", "gru")]
    assert shown == pytest.approx(want, abs=5e-5)  # printed with 4 decimals
    at.select_slider(key="p_gate_bias").set_value("1").run()
    assert not at.exception and at.query_params["gate_bias"] == "1"
    after = [float(mt.value) for mt in at.metric]
    assert after[0] == shown[0] and after[1] != shown[1] and after[2] != shown[2]
    assert after[1] < shown[1] and after[2] < shown[2]  # gates nearer σ(1) = 0.73 than σ(6) forget faster


def test_gated_memory_gate_bias_from_a_hostile_link_falls_back():
    at = open_page(GATED, hidden=8, gate_bias="1e999")
    assert at.select_slider(key="p_gate_bias").value == "3"  # the default: where the page opens
    assert any("Memory-gate bias" in w.value for w in at.warning)
