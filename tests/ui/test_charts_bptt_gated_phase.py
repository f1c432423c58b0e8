"""The chart builders and cached wrappers of the pages BPTT by hand, Gated cells and Phase diagram, tested
alone (no app): every number handed to Altair is finite, even where hand BPTT overflows in float64; the
gradient check agrees with autograd; the truncation sweep agrees with rnn.bptt(truncation=N); a click on the
phase diagram reads back as settings; the critical lines sit where the theory puts them."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

import rnn
from rnn.jacobians import EDGE_TOL
from apptest_helpers import spec_dicts
from ui.cached import bptt_by_hand as E
from ui.cached import phase_diagram as PH
from ui.charts import bptt_by_hand as CB
from ui.charts import gated_cells as GC
from ui.charts import phase_diagram as CP
from ui.charts import style
from ui.settings import Settings


def all_numbers(obj) -> list[float]:
    """Every number anywhere in a Vega-Lite spec (data, scales, encodings)."""
    if isinstance(obj, bool):
        return []
    if isinstance(obj, (int, float)):
        return [float(obj)]
    if isinstance(obj, dict):
        return [v for x in obj.values() for v in all_numbers(x)]
    if isinstance(obj, (list, tuple)):
        return [v for x in obj for v in all_numbers(x)]
    return []


def assert_finite(chart) -> None:
    nums = all_numbers(chart.to_dict())
    assert nums, "expected the chart to hold numbers"
    bad = [v for v in nums if not math.isfinite(v)]
    assert not bad, f"non-finite values handed to Altair: {bad[:5]}"


SMALL = Settings(T=30, hidden=8)
HUGE = Settings(T=600, hidden=8, activation="linear", scale=3.0, scale_kind="rho")  # 3^600 ≫ 10^308


# ---------------------------------------------------------------------------------------------------------
# BPTT by hand

def test_tex_num_reads_like_a_number():
    assert style.tex_num(1.26549) == "1.265"
    assert style.tex_num(0) == "0"
    assert style.tex_num(2.5e-7) == r"2.5 \times 10^{-7}"
    assert style.tex_num(-3.2e12) == r"-3.2 \times 10^{12}"
    assert style.tex_num(math.inf) == r"\text{overflow}\ (> 10^{308})"
    assert style.tex_num(-math.inf) == r"\text{overflow}\ (< -10^{308})"
    assert style.tex_num(math.nan) == r"\text{undefined (float64 overflow)}"


def test_gradient_check_agrees_with_autograd_in_float64():
    for act in ("tanh", "sigmoid", "relu"):
        rep = E.bptt_report(replace(SMALL, activation=act))
        assert rep["finite"]
        for row in rep["check"]:
            assert row["max_abs_error"] < 1e-9 and row["max_rel_error"] < 1e-9, (act, row)


def test_per_step_terms_sum_to_the_gradient_norms_shown():
    s = SMALL
    m, x, y = E.build(s)
    res = rnn.bptt(m, x, y)
    rep = E.bptt_report(s)
    for k in ("W", "U", "b_h"):
        want = [torch.linalg.vector_norm(res.per_step[k][t]).item() for t in range(s.T)]
        got = 10.0 ** rep["per_step"][k]
        np.testing.assert_allclose(got, want, rtol=1e-10)
        assert rep["norms"][k] == pytest.approx(torch.linalg.vector_norm(res.grads[k]).item(), rel=1e-12)
    assert rep["per_step"]["W"][0] == -math.inf  # h_0 = 0: step 1 adds nothing to ∂L/∂W
    assert rep["loss"] == pytest.approx(res.loss, rel=1e-14)


def test_truncation_sweep_matches_rnn_bptt_with_truncation():
    s = SMALL
    m, x, y = E.build(s)
    full = rnn.bptt(m, x, y).grads["W"].flatten()
    sweep = E.bptt_report(s)["sweep"]
    for N in (0, 1, 5, 17, s.T - 1):
        g = rnn.bptt(m, x, y, truncation=N).grads["W"].flatten()
        cos = float(g @ full / (g.norm() * full.norm()))
        assert sweep["cos"][N] == pytest.approx(cos, abs=1e-12)
        assert sweep["log10_ratio"][N] == pytest.approx(math.log10(g.norm() / full.norm()), abs=1e-12)
        tr = E.truncated(s, N)
        assert tr["cos"] == pytest.approx(cos, abs=1e-12)
        assert tr["ratio"] == pytest.approx(float(g.norm() / full.norm()), rel=1e-12)
    assert sweep["cos"][s.T - 1] == pytest.approx(1.0, abs=1e-12)


def test_bptt_charts_are_finite_and_skip_overflow():
    rep = E.bptt_report(SMALL)
    assert_finite(CB.per_step_chart(CB.per_step_frame(rep), SMALL.T, 5))
    for chart in CB.sweep_charts(CB.sweep_frame(rep), 5):
        assert_finite(chart)
    huge = E.bptt_report(HUGE)
    assert not huge["finite"], "expected 3^600 to overflow float64"
    assert huge["sweep"] is None and huge["sgd"] is None
    frame = CB.per_step_frame(huge)
    assert np.isfinite(frame["log10_norm"]).all()
    assert_finite(CB.per_step_chart(frame, HUGE.T, 10))
    rows = CB.equation_rows(huge, {"log10_norm": np.array([280.0]), "slope": 0.47}, "linear")
    assert rows and all(isinstance(eq, str) and isinstance(num, str) for eq, num in rows)


# ---------------------------------------------------------------------------------------------------------
# gated cells

def test_cells_chart_drops_non_finite_values():
    cells = {"rnn": {"lag": np.arange(1, 5), "log10_norm": np.array([-1.0, -np.inf, np.nan, -3.0])},
             "lstm": {"lag": np.arange(1, 5), "log10_norm": np.array([-0.5, -1.0, -1.5, np.inf])},
             "gru": {"lag": np.arange(1, 5), "log10_norm": np.array([0.0, -1.0, -2.0, -3.0])}}
    df = GC.cells_frame(cells)
    assert len(df) == 9 and np.isfinite(df["log10_norm"]).all()
    assert set(df["cell"]) == {"vanilla RNN", "LSTM", "GRU"}
    assert_finite(GC.cells_chart(df))


# ---------------------------------------------------------------------------------------------------------
# phase diagram

def fake_grid() -> pd.DataFrame:
    rows = []
    for T in (10, 100):
        for sc, slope, lt in ((0.5, -0.3, -30.0), (1.0, 0.004, 0.4), (2.0, 0.2, 20.0), (4.0, -np.inf, -np.inf),
                              (8.0, np.nan, np.nan)):
            rows.append({"activation": "relu", "T": T, "scale": sc, "slope": slope, "log10_norm_T": lt})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("measure", ["slope", "norm"])
def test_phase_frame_is_finite_with_regimes(measure):
    df = CP.phase_frame(fake_grid(), measure)
    assert len(df) == 8  # the NaN cells are dropped
    assert np.isfinite(df["value"]).all() and np.isfinite(df["scale_lo"]).all()
    assert (df["scale_lo"] < df["scale"]).all() and (df["scale"] < df["scale_hi"]).all()
    assert list(df.loc[df["scale"] == 1.0, "regime"]) == ["edge", "edge"]
    assert set(df.loc[df["scale"] == 4.0, "slope_text"]) == {"−∞"}
    lines = CP.critical_lines({"bound": {a: 1.5 for a in rnn.ACTIVATIONS}}, "g", ["relu"], 0.3, 10)
    chart = CP.phase_chart(df, "T", lines, {"scale": 1.0, "T": 100}, measure)
    assert_finite(chart)
    by_act = CP.phase_chart(df.assign(activation="relu"), "activation", lines, None, measure)
    assert_finite(by_act)
    assert chart.to_dict()["params"][0]["name"] == "cell"


def test_picked_reads_a_click_back_as_settings():
    assert CP.picked({"selection": {"cell": [{"scale": 1.4, "T": 200}]}}, "T") == {"scale": 1.4, "T": 200}
    assert CP.picked({"selection": {"cell": [{"scale": 2, "activation": "relu"}]}}, "activation") == {
        "scale": 2.0, "activation": "relu"}
    for empty in (None, {}, {"selection": {}}, {"selection": {"cell": []}}, {"selection": {"cell": [{}]}}):
        assert CP.picked(empty, "T") is None


def test_critical_lines_where_theory_puts_them():
    base = PH.phase_base(Settings(scale_kind="sigma_max", hidden=16))
    crit = PH.critical_scales(base)
    assert crit["bound"]["sigmoid"] == pytest.approx(4.0)  # σ_max = 1/γ = 4
    assert crit["bound"]["tanh"] == pytest.approx(1.0)
    lines = CP.critical_lines(crit, "σₘₐₓ", ["sigmoid", "tanh"], 0.15, 9.0)
    assert set(lines["line"]) == {"σₘₐₓ = 1", "σₘₐₓ = 1/γ"}
    gauss = PH.critical_scales(PH.phase_base(Settings(hidden=16)))  # gain g: σ_max(W) = g·σ_max(W₁)
    m, _, _ = E.build(replace(Settings(hidden=16), scale=1.0))
    assert gauss["bound"]["tanh"] == pytest.approx(1.0 / rnn.sigma_max(m.W))


def test_phase_row_is_the_engines_slope():
    base = PH.phase_base(Settings(hidden=8))
    row = PH.phase_row(base, "tanh", 20, (0.5, 2.0))
    for cell in row:
        m, x, _ = E.build(replace(base, activation="tanh", T=20, scale=cell["scale"]))
        logn = rnn.jacobian_log10_norms(m, x)
        assert cell["slope"] == pytest.approx(rnn.slope_per_step(logn), abs=1e-12)
        assert cell["log10_norm_T"] == pytest.approx(float(logn[0]), abs=1e-12)


def test_bptt_page_norms_past_float64_read_inf_not_an_exception():
    """The norms the BPTT page prints: exact for ordinary tensors, inf (not OverflowError) for a finite tensor
    whose norm lies past float64's range, inf for a non-finite one, 0 for 0."""
    assert E._norm(torch.tensor([3.0, 4.0], dtype=torch.float64)) == pytest.approx(5.0, rel=1e-14)
    assert E._norm(torch.full((4,), 1e308, dtype=torch.float64)) == math.inf  # 2e308
    assert E._norm(torch.tensor([1.0, math.nan])) == math.inf
    assert E._norm(torch.zeros(3)) == 0.0
    rows = E._log10_norms(torch.tensor([[3.0, 4.0], [0.0, 0.0], [1.0, math.inf]], dtype=torch.float64))
    assert rows[0] == pytest.approx(math.log10(5.0), abs=1e-15) and rows[1] == -math.inf and math.isnan(rows[2])


# what the phase diagram's legends promise, and where its layers sit (issue #15)

def _units(spec: dict) -> list[dict]:
    """The unit specs of a (nested) layer chart, in drawing order."""
    if "layer" in spec:
        return [u for child in spec["layer"] for u in _units(child)]
    return [spec]


def _legends(spec: dict) -> list[tuple[str, dict]]:
    """(channel, encoding) for every encoding of the chart that makes a legend."""
    return [(ch, enc) for u in _units(spec) for ch, enc in u.get("encoding", {}).items()
            if isinstance(enc, dict) and "field" in enc and ch in ("color", "stroke", "strokeDash")
            and enc.get("legend", {}) is not None]


def _outline_domain(spec: dict) -> list[str] | None:
    doms = [enc["scale"]["domain"] for ch, enc in _legends(spec) if enc["field"] == "outline"]
    assert all(d == doms[0] for d in doms)
    return doms[0] if doms else None


def _lines() -> pd.DataFrame:
    return CP.critical_lines({"bound": {a: 0.5 for a in rnn.ACTIVATIONS}}, "g", list(rnn.ACTIVATIONS), 0.1, 10)


def test_phase_legend_lists_only_the_outlines_drawn():
    """The legend promised a green 'edge' outline that no cell of the default grid has. Now it lists the edge
    only where a cell is at the edge; the current settings' outline sits on their cell, or on the nearest cell
    (named so in the legend) when the scale or T is not on the grid (issue 20: before, no outline at all)."""
    grid = fake_grid()
    no_edge = CP.phase_frame(grid[grid["scale"] != 1.0], "slope")
    assert (no_edge["regime"] != "edge").all()
    spec = CP.phase_chart(no_edge, "T", _lines(), {"scale": 2.0, "T": 100}).to_dict()
    assert _outline_domain(spec) == ["current settings"]
    assert not any(u.get("transform") for u in _units(spec))  # no edge layer at all
    with_edge = CP.phase_frame(grid, "slope")
    spec = CP.phase_chart(with_edge, "T", _lines(), {"scale": 2.0, "T": 100}).to_dict()
    assert _outline_domain(spec) == [f"edge (|slope| ≤ {EDGE_TOL:g})", "current settings"]
    spec = CP.phase_chart(no_edge, "T", _lines(), {"scale": 3.0, "T": 100}).to_dict()  # not a cell
    assert _outline_domain(spec) == [CP.NEAREST]


@pytest.mark.parametrize("y, current", [("T", {"scale": 1.0, "T": 100}),
                                        ("activation", {"scale": 1.0, "activation": "relu"})])
def test_phase_current_settings_drawn_above_the_critical_lines(y, current):
    """The 'g = 1' line crossed the current-settings box and hid it: the box (on its white halo) is drawn
    last, dashed as the caption says."""
    df = CP.phase_frame(fake_grid(), "slope")
    if y == "activation":
        df = df[df["T"] == 100].assign(activation=["tanh", "relu", "linear", "sigmoid"])
    units = _units(CP.phase_chart(df, y, _lines(), current).to_dict())
    lines = [i for i, u in enumerate(units) if u["mark"]["type"] in ("rule", "tick")]  # and their halos
    box = [i for i, u in enumerate(units) if u.get("encoding", {}).get("stroke", {}).get("field") == "outline"
           and "transform" not in u]
    assert lines and len(box) == 1
    assert box[0] == len(units) - 1 and box[0] > max(lines) and units[box[0] - 1]["mark"]["stroke"] == "#ffffff"
    assert units[-1]["mark"]["type"] != "rect"  # Vega-Lite drops strokeDash on rect marks: a bar keeps the dash
    dash = units[-1]["encoding"]["strokeDash"]["scale"]
    assert dash["range"][dash["domain"].index("current settings")] == [5, 3]


@pytest.mark.parametrize("y", ["T", "activation"])
def test_phase_critical_lines_are_lines_in_their_legend(y):
    """The legend drew squares for the critical lines; they are strokes now, with the dash they are drawn
    with (grey dashed g = 1, purple dotted σ_max = 1/γ), in one legend."""
    df = CP.phase_frame(fake_grid(), "slope")
    if y == "activation":
        df = df[df["T"] == 100].assign(activation=["tanh", "relu", "linear", "sigmoid"])
    spec = CP.phase_chart(df, y, _lines(), None).to_dict()
    legends = [(ch, enc) for ch, enc in _legends(spec) if enc["field"] == "line"]
    assert {ch for ch, _ in legends} == {"color", "strokeDash"}
    for ch, enc in legends:
        assert enc["legend"]["symbolType"] == "stroke" and enc["title"] == "critical line"
    marks = {u["mark"]["type"] for u in _units(spec) if u["encoding"].get("color", {}).get("field") == "line"}
    assert marks == {"rule"}  # rules, which take a dash and a stroke-drawn legend (ticks are filled)


def test_phase_norm_colours_keep_short_rows_readable():
    """log10‖∂h_T/∂h_0‖ grows with T: on a linear ±400 scale the T = 10 row (±8) was within 2 % of white.
    A symmetric log scale puts it at a third of the way to full colour or more."""
    rows = []
    for T in (10, 500):
        for sc, slope in ((0.5, -0.8), (2.0, 0.8)):
            rows.append({"activation": "tanh", "T": T, "scale": sc, "slope": slope, "log10_norm_T": slope * T})
    df = CP.phase_frame(pd.DataFrame(rows), "norm")
    c = CP.colour_limit(df)
    assert c == 400
    spec = CP.phase_chart(df, "T", _lines(), None, "norm").to_dict()
    heat = _units(spec)[0]
    scale = heat["encoding"]["color"]["scale"]
    assert scale["type"] == "symlog" and scale["constant"] == CP.NORM_LINEAR
    assert scale["domain"] == [-c, 0, c]
    assert CP.colour_position(8, c, "norm") > 0.33 > 8 / 400 * 10
    assert CP.colour_position(400, c, "norm") == 1.0 and CP.colour_position(0, c, "norm") == 0.0
    values = heat["encoding"]["color"]["legend"]["values"]
    assert values == [-100, -10, 0, 10, 100] and all(abs(v) <= c for v in values)
    slope = _units(CP.phase_chart(CP.phase_frame(pd.DataFrame(rows), "slope"), "T", _lines(), None).to_dict())[0]
    assert "type" not in slope["encoding"]["color"]["scale"]  # the slope stays linear


def test_phase_colour_legend_does_not_move_the_chart_between_measures():
    """The colour legend sat at the right, as wide as its title and labels ('−0.4' or '−400'), so the
    heatmap jumped sideways when the measure changed. It sits above the chart at a fixed length in both, and
    no legend is left at the side."""
    got = []
    for measure in CP.MEASURES:
        spec = CP.phase_chart(CP.phase_frame(fake_grid(), measure), "T", _lines(), {"scale": 1.0, "T": 100},
                              measure).to_dict()
        legends = _legends(spec)
        assert legends and all(enc["legend"].get("orient") in ("top", "bottom") for _, enc in legends)
        assert "orient" not in spec.get("config", {}).get("legend", {})
        heat = _units(spec)[0]["encoding"]["color"]["legend"]
        got.append((heat["orient"], heat["direction"], heat["gradientLength"]))
    assert got[0] == got[1] == ("top", "horizontal", CP.COLOUR_LEGEND_PX)


@pytest.mark.parametrize("current, want", [
    ({"scale": 2.0, "T": 100}, {"scale": 2.0, "T": 100, "exact": True}),
    ({"scale": 2.0, "T": 30}, {"scale": 2.0, "T": 10, "exact": False}),  # log₁₀ 30 is nearer 10 (ratio 3) than 100
    ({"scale": 2.0, "T": 40}, {"scale": 2.0, "T": 100, "exact": False}),  # ratio 2.5 to 100, 4 to 10
    ({"scale": 1.2, "T": 100}, {"scale": 1.0, "T": 100, "exact": False}),
    ({"scale": 0.0, "T": 2000}, {"scale": 0.5, "T": 100, "exact": False}),  # W = 0 and a long T: the corner
])
def test_phase_outline_sits_on_the_nearest_cell_on_the_log_axes(current, want):
    """Issue 20: with T or the scale off the grid the diagram drew no 'you are here' outline. It now marks the
    nearest cell by ratio (distance on the log axes), computed here with math.log on the grid's values."""
    df = CP.phase_frame(fake_grid(), "slope")
    assert CP.nearest_cell(df, current, "T") == want
    note = CP.here_note(df, current, "T")
    if want["exact"]:
        assert note == "Dashed grey outline: the current settings."
    else:
        assert "nearest" in note and (f"T = {current['T']} is not a row" in note) == (want["T"] != current["T"])
    spec = CP.phase_chart(df, "T", _lines(), current).to_dict()
    assert _outline_domain(spec)[-1] == ("current settings" if want["exact"] else CP.NEAREST)


def test_phase_activation_rows_read_as_words():
    """Issue 20.8: the activation diagram's rows read 'leaky ReLU', not leaky_relu; the data keeps the identifier
    that a click loads into the sidebar."""
    df = CP.phase_frame(fake_grid(), "slope")
    df = df[df["T"] == 100].assign(activation=["tanh", "relu", "leaky_relu", "sigmoid"])
    spec = CP.phase_chart(df, "activation", _lines(), None).to_dict()
    exprs = [d["axis"]["labelExpr"] for d in spec_dicts(spec) if isinstance(d.get("axis"), dict)
             and "labelExpr" in d["axis"] and d.get("field") == "activation"]
    assert exprs and all("'leaky_relu' ? 'leaky ReLU'" in e for e in exprs)
    assert set(df["activation"]) >= {"leaky_relu"}
