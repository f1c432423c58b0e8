"""The unfolded diagram on Home and on BPTT by hand, through AppTest: the DOT the browser receives fills each
state and colours each W arrow by the engine's numbers (recomputed here with rnn directly), BPTT by hand's
truncation N dashes the dropped steps; and projector mode (?projector=1) raises the charts' font sizes
without touching Settings."""
from __future__ import annotations

import json
import re

import numpy as np
import torch

from apptest_helpers import open_app
import rnn
from ui.cached import model
from ui.charts import unfolded as U
from ui.settings import Settings

Q = {"T": 30, "hidden": 8, "seed": 2}
S = Settings(T=30, hidden=8, seed=2)


def dot_of(at) -> str:
    charts = at.get("graphviz_chart")
    assert len(charts) == 1
    return charts[0].proto.spec


def engine_colours(dot: str) -> None:
    m, x, y = model.build(S)
    grad = rnn.gradient_log10_norms(m, x, y)
    step = np.log10(torch.linalg.matrix_norm(rnn.state_jacobians(m, x).double(), ord=2).numpy())
    shown = [int(t) for t in re.findall(r"^h(\d+) \[", dot, re.M)]
    assert shown == U.shown_steps(S.T)
    lo, hi = U.scale(grad, {t: step[t - 1] for t in shown if t >= 1})
    for t in shown:
        fill = re.search(rf'^h{t} \[.*fillcolor="(#[0-9a-f]{{6}})"', dot, re.M).group(1)
        assert fill == U.color(grad[t], lo, hi), t
        if t >= 1 and t - 1 in shown:
            edge = re.search(rf'^h{t - 1} -> h{t} \[.*color="(#[0-9a-f]{{6}})"', dot, re.M).group(1)
            assert edge == U.color(step[t - 1], lo, hi), t


def test_home_shows_the_diagram_first_with_the_engines_colours():
    at = open_app(Q)
    assert not at.exception, [e.value for e in at.exception]
    engine_colours(dot_of(at))
    # the first picture on the page
    pictures = [t for t in _types(at.main) if t in ("graphviz_chart", "vega_lite_chart", "imgs")]
    assert pictures[0] == "graphviz_chart", pictures


def _types(node) -> list[str]:
    """The element types of an AppTest tree, in page order."""
    out = [getattr(node, "type", "")]
    for child in getattr(node, "children", {}).values():
        out += _types(child)
    return out


def test_bptt_by_hand_dashes_the_steps_truncation_drops():
    at = open_app({**Q, "trunc": 5}, "pages/bptt_by_hand.py")
    assert not at.exception, [e.value for e in at.exception]
    dot = dot_of(at)
    engine_colours(dot)
    for t in U.shown_steps(S.T):
        line = re.search(rf"^h{t} \[.*$", dot, re.M).group(0)
        assert ("dashed" in line) == (t < S.T - 5), line


def _axis_fonts(at) -> list[float]:
    return [json.loads(c.proto.spec)["config"]["axis"]["labelFontSize"] for c in at.get("vega_lite_chart")]


def test_projector_mode_raises_the_charts_fonts_and_stays_out_of_settings():
    plain = open_app(Q, "pages/jacobian_products.py")
    big = open_app({**Q, "projector": 1}, "pages/jacobian_products.py")
    assert not big.exception, [e.value for e in big.exception]
    assert max(_axis_fonts(plain)) < 22 <= min(_axis_fonts(big))
    assert big.toggle(key="p_projector").value is True and plain.toggle(key="p_projector").value is False
    assert "projector" not in {f for f in Settings.__dataclass_fields__}
    # the diagram on Home follows too: its projector palette
    home = open_app({**Q, "projector": "1"})
    assert any(c in dot_of(home) for c in U.PALETTE_PROJECTOR[-3:])
