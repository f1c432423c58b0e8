"""The page "The report, checked": each verdict rests on a number recomputed here with rnn and torch directly
(hand BPTT against autograd, the per-step terms of ∂L/∂V, sigmoid′ and tanh on a grid, the sigmoid preset's
product), and the page shows the table with those numbers."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from apptest_helpers import open_app
import rnn
from rnn.bptt import autograd_grads
from ui.cached import model
from ui.cached.report_check import claims
from ui.charts.report_check import claims_frame
from ui.presets import PRESETS
from ui.settings import Settings

S = Settings(T=20, hidden=8, seed=1)


def test_the_numbers_behind_the_verdicts_are_the_engines():
    c = claims(S)
    m, x, y = model.build(S)
    res, ref = rnn.bptt(m, x, y), autograd_grads(m, x, y)
    for k in ("W", "U", "b_h", "V", "b_y"):
        err = float((res.grads[k] - ref[k]).abs().max() / ref[k].abs().max())
        assert c["rel_err"][k] == pytest.approx(err, rel=1e-6, abs=1e-18)
        assert c["rel_err"][k] < 1e-12
    # only the last step's term of ∂L/∂V is not zero: one term, no sum
    assert c["nonzero"]["V"] == 1 and c["nonzero"]["b_y"] == 1 and c["nonzero"]["W"] == S.T - 1
    a = torch.linspace(-40, 40, 800_001, dtype=torch.float64)
    s = torch.sigmoid(a)
    assert c["sigmoid_max"] == pytest.approx(float((s * (1 - s)).max())) == pytest.approx(0.25)
    assert 0 < c["sigmoid_min"] < 1e-17
    assert 0 < c["tanh_gap_min"] == pytest.approx(2 / (1 + np.exp(80.0)), rel=1e-12)
    p = PRESETS["sigmoid"].settings
    pm, px, _ = model.build(p)
    logn = rnn.jacobian_log10_norms(pm, px)
    assert c["sig_preset"]["log10_at_lag"] == pytest.approx(logn[p.T - c["sig_preset"]["lag"]], abs=1e-9)
    assert c["sig_preset"]["regime"] == "vanishing"


def test_the_page_shows_each_claim_with_its_number_and_verdict():
    at = open_app({"T": S.T, "hidden": S.hidden, "seed": S.seed}, "pages/report_check.py")
    assert not at.exception, [e.value for e in at.exception]
    table = at.table[0].value
    want = claims_frame(claims(S)).set_index("claim")
    assert list(table.index) == list(want.index) and len(table) == 5
    assert list(table["verdict"]) == list(want["verdict"])
    text = " ".join(table["computed here"])
    assert "max σ′ = 0.25" in text and "1 is not zero" in text
    assert [v.split(":")[0] for v in table["verdict"]] == ["agrees", "erratum", "wrong", "imprecise", "misleading"]
