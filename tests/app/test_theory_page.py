"""The Theory page and mean-field theory's sentence on Jacobian products under streamlit.testing (AppTest):
the page loads with its charts at the defaults, every number on screen is rnn's (recomputed here from the
same model, the determinant by numpy), the predicted line on the Jacobian chart is rnn's slope, the theory
says when it does not apply, and a hostile link falls back to the defaults."""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

import rnn
from apptest_helpers import assert_ok as _ok, chart_tables, open_app
from ui.cached import model
from ui.charts import style
from ui.charts.jacobian_products import PREDICTED
from ui.cached.theory import CELLS
from ui.limits import THEORY_GAINS, THEORY_INPUT_SCALES, refusal
from ui.settings import DEFAULTS, Settings, to_query

PAGE = "pages/theory.py"



def _text(at) -> str:
    return " ".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def _frames(at) -> list:
    return [t.to_pandas() for t in chart_tables(at)]


def test_theory_page_at_defaults_shows_rnns_numbers():
    at = open_app(None, PAGE, timeout=300)
    _ok(at)
    assert len(at.get("vega_lite_chart")) == 3
    assert len(at.get("download_button")) == 3
    assert all(c.value for c in at.caption)
    text = _text(at)
    s = DEFAULTS
    m, x, y = model.build(s)
    mf = rnn.mean_field_for(m, s.input_scale)
    assert f"predicted slope **{style.fmt_num(mf.slope, 3)}** per step" in text
    assert style.fmt_num(mf.chi1) in text
    metrics = {mt.label: mt for mt in at.metric}
    names = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}
    for kind, name in names.items():
        mk, xk, yk = model.build(s, kind)
        spec = rnn.lyapunov_spectrum(mk, xk)
        assert metrics[f"{name}: λ₁"].value == style.fmt_num(spec[0], 4)
        assert f"**{int((spec > 0).sum())} of {len(spec)}** exponents above 0" in text
        # the check on the sum: numpy's determinant of the explicit state Jacobians
        J = rnn.state_jacobians(mk, xk).detach().to(torch.float64).numpy()
        logdet = float(np.mean(np.linalg.slogdet(J)[1])) / math.log(10)
        assert f"the mean of log10|det J_t| = {style.fmt_num(logdet, 6)}" in text
        assert f"Σλ_i = {style.fmt_num(spec.sum(), 6)}" in text
        assert f"Measured slope {style.fmt_num(rnn.analyze(mk, xk, yk).slope, 4)} per step" in text
    for init in ("gaussian", "orthogonal"):
        mi, xi, _ = model.build(Settings(init=init))
        sv = rnn.product_singular_values(mi, xi, min(s.T, 50))
        assert style.fmt_num(sv.max() - sv.min(), 3) in text
    # the diagram: every cell of the grid, and the critical curve through the defaults' input scale near 1.58
    frames = _frames(at)
    cells = next(f for f in frames if "slope_text" in f.columns)
    assert len(cells) == len(THEORY_GAINS) * len(THEORY_INPUT_SCALES)
    curve = next(f for f in frames if "gain" in f.columns)
    g = np.interp(0.5, curve["input_scale"], curve["gain"])
    assert g == pytest.approx(1.58, abs=0.01)
    assert all(np.isfinite(f.select_dtypes("number")).all().all() for f in frames)


def test_jacobian_products_shows_the_prediction_and_its_line():
    at = open_app(None, "pages/jacobian_products.py")
    _ok(at)
    m, x, y = model.build(DEFAULTS)
    p, measured = rnn.mean_field_for(m, DEFAULTS.input_scale).slope, rnn.analyze(m, x, y).slope
    want = (f"**Mean-field theory predicts slope {style.fmt_num(p, 3)} per step; measured "
            f"{style.fmt_num(measured, 3)}.**")
    assert want in [md.value for md in at.markdown]
    assert style.fmt_num(p, 3) == "-0.127" and style.fmt_num(measured, 3) == "-0.116"  # the defaults
    df = next(f for f in _frames(at) if "series" in f.columns)
    line = df[df["series"] == PREDICTED]
    assert len(line) > 1
    np.testing.assert_allclose(line["log10"], p * line["lag"], atol=1e-12)


@pytest.mark.parametrize("kw, word", [(dict(init="orthogonal"), "orthogonal"), (dict(hidden=6), "n = 6")])
def test_jacobian_products_says_when_theory_does_not_apply(kw, word):
    s = Settings(T=40, **kw)
    at = open_app(to_query(s), "pages/jacobian_products.py")
    _ok(at)
    assert not any("Mean-field theory predicts" in md.value for md in at.markdown)
    assert any(word in c.value and "No line" in c.value for c in at.caption)
    df = next(f for f in _frames(at) if "series" in f.columns)
    assert PREDICTED not in set(df["series"])


def test_hostile_link_falls_back_to_the_defaults():
    q = {"T": "abc", "hidden": "1e9", "init": "<script>alert(1)</script>", "input_scale": "nan",
         "activation": "tanh'; drop"}
    at = open_app(q, timeout=300)  # the link's warnings show on its first page
    _ok(at)
    warned = " ".join(w.value for w in at.warning)
    assert "Sequence length T" in warned and "Hidden" in warned and "Input scale" in warned
    assert "<script>" not in warned
    for k in ("T", "hidden", "init", "input_scale", "activation"):
        assert at.session_state["w_" + k] == getattr(DEFAULTS, k)
    at.switch_page(PAGE).run()
    _ok(at)
    assert len(at.get("vega_lite_chart")) == 3
    assert f"predicted slope **{style.fmt_num(-0.1271, 3)}** per step" in _text(at)  # the defaults' model


def test_over_budget_stops_before_the_spectrum():
    """The three chains of the Lyapunov section cost T·(n³ + (2n)³ + n³): over the budget the page says so there,
    after the diagram (capped on its own) and the singular values (k ≤ 50 steps)."""
    s = Settings(T=200, hidden=256)
    assert refusal(s, "jacobian", CELLS)
    at = open_app(to_query(s), PAGE, timeout=300)
    _ok(at)
    assert len(at.get("vega_lite_chart")) == 2 and not at.metric
    assert "budget" in " ".join(w.value for w in at.warning)


def _relu_by_hand(m, x):
    """The relu RNN's factors J_t = diag(1[a_t > 0]) Wᵀ from a plain numpy forward loop (a_t = Uᵀx_t + Wᵀh_{t−1}
    + b_h), and the number of units on at each step."""
    U, W, b = (p.detach().double().numpy() for p in (m.U, m.W, m.b_h))
    h, J, on = np.zeros(W.shape[0]), [], []
    for x_t in x.double().numpy().reshape(len(x), -1):
        a = U.T @ x_t + W.T @ h + b
        J.append(np.diag((a > 0).astype(float)) @ W.T)
        on.append(int((a > 0).sum()))
        h = np.maximum(a, 0.0)
    return J, on


def test_dead_directions_are_counted_and_left_out_of_the_spread():
    """Issue 19, item 10, at its URL: a relu net where some step has only 2 of 16 units on. ∂h_T/∂h_{T−30} then has
    rank 2: the page says 14 of 16 singular values are exactly 0 and takes the spread over the 2 live ones, from
    numpy's SVD of the product built here by hand (whose rank numpy confirms); the vanilla RNN's Lyapunov
    caption counts its dead directions likewise (16 − the fewest units on over all T steps). Before the fix the
    page showed σ₃ = 10^−26.87, σ₄ = 10^−76.17 and a Gaussian spread of 68.9 decades."""
    q = {"activation": "relu", "scale": "1.2", "T": "30", "hidden": "16", "seed": "2"}
    at = open_app(q, PAGE, timeout=300)
    _ok(at)
    text = _text(at)
    s = Settings(activation="relu", scale=1.2, T=30, hidden=16, seed=2)
    names, dead = {"gaussian": "Gaussian", "orthogonal": "orthogonal"}, 0
    for init, name in names.items():
        m, x, _ = model.build(replace(s, init=init))
        J, on = _relu_by_hand(m, x)
        P = np.linalg.multi_dot(J[::-1])  # ∂h_30/∂h_0 = J_30 ⋯ J_1 (k = T = 30)
        sv = np.linalg.svd(P, compute_uv=False)
        rank = min(on)
        assert rank < 16 and np.linalg.matrix_rank(P) == rank
        spread = np.log10(sv[0]) - np.log10(sv[rank - 1])
        assert style.fmt_num(spread, 3) in text
        assert f"**{16 - rank} of 16** ({name})" in text
        dead += 16 - rank
        if init == "gaussian":
            assert rank == 2 and style.fmt_num(spread, 3) == "3.19"  # the numbers
    m, x, _ = model.build(s)
    _, on = _relu_by_hand(m, x)
    assert f"**{16 - min(on)} of 16** dead: λ = −∞" in text
    assert text.count("dead: λ = −∞") == 1  # the LSTM and the GRU have none
    frames = _frames(at)
    assert all(np.isfinite(f.select_dtypes("number")).all().all() for f in frames)
    svf = next(f for f in frames if "rank" in f.columns)
    assert int(svf["dead"].sum()) == dead  # drawn at the floor, flagged
