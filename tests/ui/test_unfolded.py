"""The unfolded-RNN diagram (ui.charts.unfolded, ui.cached.unfolded): its colours are the engine's numbers,
recomputed here with rnn directly (the BPTT gradient at every state, each single step's Jacobian by
torch.linalg on rnn.state_jacobians); long sequences are elided; truncation marks the dropped steps; the play
logic; and projector mode's chart restyling (ui.charts.projector)."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

import rnn
from apptest_helpers import spec_dicts
from ui.cached import model
from ui.cached import unfolded as cached
from ui.charts import unfolded as U
from ui.settings import Settings

S = Settings(T=30, hidden=8, seed=3)


def _engine(s: Settings):
    """log10‖∂L/∂h_t‖ (t = 0 … T), log10‖∂h_t/∂h_{t−1}‖ (t = 1 … T) and log10‖∂h_T/∂h_i‖ from rnn directly."""
    m, x, y = model.build(s)
    grad = rnn.gradient_log10_norms(m, x, y)
    J = rnn.state_jacobians(m, x).to(torch.float64)
    step = np.log10(torch.linalg.matrix_norm(J, ord=2).numpy())
    return grad, step, rnn.jacobian_log10_norms(m, x)


def _fill(dot: str, t: int) -> str:
    return re.search(rf'^h{t} \[.*fillcolor="(#[0-9a-f]{{6}})"', dot, re.M).group(1)


def test_node_and_arrow_colours_are_the_engines_norms():
    grad, step, _ = _engine(S)
    g = cached.gradients(S)
    np.testing.assert_allclose(g["grad"], grad, rtol=0, atol=1e-9)
    T = g["T"]
    steps = U.shown_steps(T)
    jac = cached.step_norms(S, T, tuple(t for t in steps if t >= 1))
    for t, v in jac.items():
        assert v == pytest.approx(step[t - 1], abs=1e-9)
    d = U.build(g["grad"], jac, T)
    lo, hi = U.scale(grad, {t: step[t - 1] for t in steps if t >= 1})
    assert (d.lo, d.hi) == pytest.approx((lo, hi))
    for t in d.steps:
        assert d.node_fill[t] == U.color(grad[t], lo, hi) == _fill(d.dot, t)
        if t >= 1 and t - 1 in d.steps:
            assert d.edge_color[t] == U.color(step[t - 1], lo, hi)
            assert re.search(rf'^h{t - 1} -> h{t} \[.*color="{d.edge_color[t]}"', d.dot, re.M)
    # the labels print the same numbers
    assert f'label="h{U.sub(T)}\\n{U.short(grad[T])}"' in d.dot


def test_vanishing_fades_to_the_left():
    s = Settings(T=60, hidden=16, scale=0.5, scale_kind="rho", activation="tanh")
    g = cached.gradients(s)
    d = U.build(g["grad"], {}, g["T"])
    order = {c: i for i, c in enumerate(U.PALETTE)}
    assert order[d.node_fill[0]] < order[d.node_fill[g["T"]]]
    assert d.node_fill[0] == U.PALETTE[0]


def test_long_sequences_are_elided():
    T = 2000
    grad = np.linspace(-50, 0, T + 1)
    d = U.build(grad, {t: 0.0 for t in range(1, T + 1)}, T)
    nodes = re.findall(r"^h(\d+) \[", d.dot, re.M)
    assert len(nodes) == len(d.steps) <= U.FIRST + U.LAST + 1
    assert d.elided == [(U.FIRST + 1, T - U.LAST)]
    assert f"⋯ {T - U.LAST - U.FIRST} steps ⋯" in d.dot
    # while playing, the reached state is drawn too, outlined, and the states beyond it are left white
    d = U.build(grad, {t: 0.0 for t in range(1, T + 1)}, T, reached=1000)
    assert 1000 in d.steps and len(d.steps) <= U.FIRST + U.LAST + 1 + 2 * U.AROUND + 1
    assert re.search(rf'^h1000 \[.*color="{U.FOCUS}"', d.dot, re.M)
    assert d.node_fill[999] == U.NONE_FILL and d.node_fill[1000] != U.NONE_FILL
    assert d.edge_color[1001] != U.DROPPED and d.edge_color[1000] == U.DROPPED  # crossed / not yet crossed
    assert len(d.elided) == 2
    # short sequences show every step
    n = U.FIRST + U.LAST + 2
    assert U.build(grad[:n + 1], {}, n).steps == list(range(n + 1))
    assert U.build(grad[:n + 2], {}, n + 1).elided


def test_truncation_marks_the_dropped_steps():
    T, N = 30, 5
    grad = np.linspace(-5, 0, T + 1)
    d = U.build(grad, {t: 0.0 for t in range(1, T + 1)}, T, N=N)
    assert d.dropped == [t for t in d.steps if t < T - N]
    for t in d.steps:
        line = re.search(rf"^h{t} \[.*$", d.dot, re.M).group(0)
        assert ("dashed" in line) == (t < T - N), line
    assert U.build(grad, {}, T, N=None).dropped == []
    assert U.build(grad, {}, T, N=T - 1).dropped == [0]


def test_labels_are_numbers_and_symbols_only():
    d = U.build(np.array([np.nan, -np.inf, -3.2, 0.0]), {1: np.nan, 2: -np.inf, 3: 0.5}, 3, N=1)
    assert "nan" not in d.dot.lower() and "inf" not in d.dot.lower()
    assert U.short(-np.inf) == "0" and U.short(np.nan) == "—" and U.short(-7.3) == "5·10⁻⁸"
    assert U.short(math.log10(0.42)) == "0.42"


def test_play_advances_to_the_end_and_stops():
    k, going, ticks = 0, True, 0
    while going:
        k, going = U.advance(k, 10)
        ticks += 1
    assert (k, ticks) == (10, 10)
    assert U.advance(0, 600) == (10, True)  # long sequences play in at most MAX_TICKS ticks
    assert U.advance(595, 600) == (600, False)


def test_the_running_product_prints_the_engines_norm():
    _, _, logn = _engine(S)
    g = cached.gradients(S)
    T = g["T"]
    for k in (1, 7, T):
        line = U.product_line(g["prod"], g["grad"], k, T)
        assert f"‖∂h{U.sub(T)}/∂h{U.sub(T - k)}‖ = **{U.short(logn[T - k])}**" in line
        assert "_" not in line  # markdown would read underscores as italics
    assert "Play" in U.product_line(g["prod"], g["grad"], 0, T)


# ---------------------------------------------------------------------------------------------------------
# projector mode

def _configs(spec: dict) -> dict:
    return spec.get("config", {})


def _stroke_widths(spec) -> list[float]:
    return [d["mark"].get("strokeWidth", 0) for d in spec_dicts(spec)
            if isinstance(d.get("mark"), dict) and d["mark"].get("type") in ("line", "rule")]


def test_projector_mode_raises_fonts_and_lines_of_the_apps_charts():
    from ui.charts import bptt_by_hand as B
    from ui.charts import jacobian_products as J
    from ui.charts.projector import FS, LINE, for_projector
    from ui.cached.bptt_by_hand import bptt_report

    a = model.analysis(S)
    rep = bptt_report(S)
    charts = [J.jacobian_chart(J.jacobian_frame(a)), B.per_step_chart(B.per_step_frame(rep), S.T, 5),
              *B.sweep_charts(B.sweep_frame(rep), 5)]
    for ch in charts:
        before = ch.to_dict()
        after = for_projector(ch).to_dict()
        assert ch.to_dict() == before  # the chart itself is untouched
        cfg = _configs(after)
        for part in ("axis", "legend", "header"):
            assert cfg[part]["labelFontSize"] >= FS and cfg[part]["titleFontSize"] >= FS
        assert cfg["title"]["fontSize"] >= FS
        assert _configs(before)["axis"]["labelFontSize"] < FS  # the normal mode is smaller
        assert all(w >= LINE for w in _stroke_widths(after))
        assert cfg["line"]["strokeWidth"] >= LINE and cfg["rule"]["strokeWidth"] >= LINE
    # a legend an encoding sets (the Jacobian chart's two columns, cut at 320 px) becomes one uncut column
    legend = for_projector(charts[0]).to_dict()["encoding"]["color"]["legend"]
    assert legend["columns"] == 1 and legend["labelLimit"] == 0
