"""The Theory page's chart builders and cached calls alone (no Streamlit runtime), and mean-field theory's line
on the Jacobian-products chart: every number handed to Altair is finite, the predicted line is rnn's slope,
the critical curve is where rnn.mean_field gives χ₁ = 1, and the colours read on light and dark."""
from __future__ import annotations

import importlib.util
import math
import pathlib
from dataclasses import asdict, replace

import numpy as np
import pandas as pd
import pytest
import torch

from apptest_helpers import chart_numbers
import rnn
from ui import theme
from ui.cached import model
from ui.cached import theory as E
from ui.charts import jacobian_products as jp
from ui.charts import style
from ui.charts import theory as C
from ui.settings import Settings

SMALL = Settings(T=30, hidden=16)



def _all_finite(chart) -> bool:
    nums = chart_numbers(chart)
    return len(nums) > 0 and all(math.isfinite(v) for v in nums)


def _jacobian_frame(s: Settings) -> pd.DataFrame:
    m, x, y = model.build(s)
    return jp.jacobian_frame(asdict(rnn.analyze(m, x, y)))


# ---------------------------------------------------------------------------------------------------------
# the predicted line on "Jacobian products"

@pytest.mark.parametrize("kw", [dict(), dict(activation="relu", scale=1.2), dict(activation="sigmoid", scale=4.0),
                                dict(scale=2.5, input_scale=0.1)])
def test_predicted_line_is_mean_fields_slope(kw):
    s = replace(SMALL, **kw)
    m, _, _ = model.build(s)
    want = rnn.mean_field_for(m, s.input_scale).slope
    mf = E.mean_field(s)
    assert mf["slope"] == want and mf["gap"] is None
    df = jp.with_prediction(_jacobian_frame(s), mf["slope"])
    line = df[df.series == jp.PREDICTED]
    assert len(line) >= 2 and line["lag"].iloc[0] == 0
    np.testing.assert_allclose(line["log10"], want * line["lag"], rtol=0, atol=1e-12)
    # clipped to the measured lines' range: it never stretches the chart
    measured = df[df.series.isin([jp.NORM, jp.GRAD]) & (df.note == "")]
    lo, hi = min(measured["log10"].min(), 0.0), max(measured["log10"].max(), 0.0)
    assert line["log10"].between(lo - 1e-9, hi + 1e-9).all()
    assert line["lag"].max() <= df["lag"].max()
    chart = jp.jacobian_chart(df)
    assert _all_finite(chart)
    enc = chart.to_dict()["encoding"]["color"]["scale"]
    colors = dict(zip(enc["domain"], enc["range"]))
    assert colors[jp.PREDICTED] == theme.THEORY_COLOR
    for name in (jp.NORM, jp.BOUND, jp.RHO, jp.GRAD):  # the existing series keep their colours
        assert colors[name] == theme.SERIES_COLORS[name]


def test_no_line_without_a_finite_slope():
    df = _jacobian_frame(SMALL)
    assert jp.with_prediction(df, None) is df
    assert jp.with_prediction(df, -math.inf) is df
    assert jp.with_prediction(df, math.nan) is df


def test_the_line_ends_where_it_leaves_the_range():
    lag = np.arange(1, 11)
    a = {"lag": lag, "log10_norm": -0.1 * lag, "log10_grad": -0.1 * lag - 0.5, "log10_bound": 0.0 * lag,
         "log10_rho": 0.0 * lag, "log10_grad_T": -0.5}
    df = jp.with_prediction(jp.jacobian_frame(a), -0.3)  # reaches the bottom (−1.5) at k = 5
    line = df[df.series == jp.PREDICTED]
    assert line["lag"].max() == pytest.approx(5.0) and line["log10"].min() == pytest.approx(-1.5)
    up = jp.with_prediction(jp.jacobian_frame(a), 0.05)  # the top is 0 (lag 0): only k = 0 fits
    assert up[up.series == jp.PREDICTED]["lag"].tolist() == [0.0]


@pytest.mark.parametrize("kw, word", [(dict(init="orthogonal"), "orthogonal"), (dict(init="identity"), "identity"),
                                      (dict(hidden=8), "n = 8")])
def test_theory_says_when_it_does_not_apply(kw, word):
    s = replace(SMALL, **kw)
    mf = E.mean_field(s)
    assert mf["gap"] and word in mf["gap"]
    head, note = C.prediction_text(mf, -0.1)
    assert head is None and word in note and "No line" in note


def test_prediction_text_has_both_numbers():
    mf = E.mean_field(Settings())
    head, note = C.prediction_text(mf, -0.116)
    assert head == f"**Mean-field theory predicts slope {style.fmt_num(mf['slope'], 3)} per step; measured -0.116.**"
    assert style.fmt_num(mf["chi1"]) in note and "Poole" in note
    assert mf["slope"] == pytest.approx(-0.127, abs=1e-3)  # the app's defaults


# ---------------------------------------------------------------------------------------------------------
# the diagram gain × input scale

def test_diagram_frame_and_chart_are_finite():
    base = E.diagram_base(SMALL)
    grid = pd.DataFrame(E.diagram_row(base, 0.5, (0.5, 1.0, 2.0)) + E.diagram_row(base, 1.0, (0.5, 1.0, 2.0)))
    df = C.diagram_frame(grid)
    assert len(df) == 6 and np.isfinite(df.select_dtypes("number")).all().all()
    assert (df["input_lo"] < df["input_scale"]).all() and (df["input_scale"] < df["input_hi"]).all()
    curve = C.curve_frame(E.critical_curve(base, float(df["input_lo"].min()), float(df["input_hi"].max())), df)
    assert len(curve) > 0
    chart = C.diagram_chart(df, curve, {"scale": 1.0, "input_scale": 0.5})
    assert _all_finite(chart)
    # each cell's predicted slope is rnn's for that very model
    m, _, _ = model.build(replace(base, scale=2.0, input_scale=1.0))
    row = grid[(grid.scale == 2.0) & (grid.input_scale == 1.0)]
    assert row["predicted"].item() == rnn.mean_field_for(m, 1.0).slope
    assert df.loc[(df.scale == 2.0) & (df.input_scale == 1.0), "predicted_text"].item() == \
        style.fmt_num(row["predicted"].item(), 4, fixed=True)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_critical_curve_is_where_chi1_is_one(activation):
    base = replace(E.diagram_base(SMALL), activation=activation)
    curve = E.critical_curve(base, 0.1, 2.0, points=5)
    for sc, g in zip(curve["input_scale"], curve["gain"]):
        m, _, _ = model.build(replace(base, scale=float(g), input_scale=float(sc)))
        assert rnn.mean_field_for(m, float(sc)).chi1 == pytest.approx(1.0, abs=1e-9)
    if activation == "tanh":  # inputs push tanh off its linear part: the edge moves to larger gains
        assert curve["gain"].is_monotonic_increasing and curve["gain"].iloc[0] > 1.0
    assert C.curve_frame(curve.assign(gain=[np.inf, *curve["gain"][1:]]),
                         pd.DataFrame({"scale_lo": [0.0], "scale_hi": [1e9], "input_lo": [0.0],
                                       "input_hi": [1e9]}))["gain"].map(math.isfinite).all()


def test_defaults_edge_near_the_stated_gain():
    base = E.diagram_base(Settings())
    curve = E.critical_curve(base, 0.5, 0.5, points=1)
    assert curve["gain"].item() == pytest.approx(1.58, abs=0.01)


# ---------------------------------------------------------------------------------------------------------
# Lyapunov spectra and singular values

def test_lyapunov_numbers_are_rnns():
    lyap = E.lyapunov(SMALL)
    assert set(lyap) == {"rnn", "lstm", "gru"}
    for kind, v in lyap.items():
        m, x, _ = model.build(SMALL, kind)
        spec = rnn.lyapunov_spectrum(m, x)
        np.testing.assert_array_equal(v["spectrum"], spec)
        assert len(spec) == (2 if kind == "lstm" else 1) * SMALL.hidden
        assert v["top"] == spec[0] and v["n_positive"] == int((spec > 0).sum())
        # the check: Σλ = mean log10|det J_t|, the determinant taken here by numpy on the explicit factors
        J = rnn.state_jacobians(m, x).detach().to(torch.float64).numpy()
        want = float(np.mean(np.linalg.slogdet(J)[1])) / math.log(10)
        assert v["mean_log10_det"] == pytest.approx(want, abs=1e-9)
        assert v["sum"] == pytest.approx(want, abs=1e-8)
    df = C.spectrum_frame(lyap)
    assert len(df) == 4 * SMALL.hidden
    assert _all_finite(C.spectrum_chart(df))


def test_spectrum_and_svals_frames_floor_minus_inf():
    lyap = {"rnn": {"spectrum": np.array([-0.1, -0.5, -np.inf])}}
    df = C.spectrum_frame(lyap)
    assert np.isfinite(df["exponent"]).all() and df["exponent"].iloc[2] == -2.0
    assert df["note"].iloc[2] and not df["note"].iloc[0]
    assert _all_finite(C.spectrum_chart(df))
    sv = {"gaussian": {"log10_sv": np.array([1.0, -3.2, -np.inf, np.nan])}, "orthogonal": {"log10_sv": np.zeros(4)}}
    df = C.svals_frame(sv)
    assert len(df) == 7 and np.isfinite(df["log10"]).all()
    assert _all_finite(C.svals_chart(df))


def test_dead_values_are_flagged_floored_and_counted():
    """−∞ (an exact zero) is drawn at the floor a decade below the live values, flagged `dead`, its tooltip
    text "−∞ … dead", the floor labelled on the chart; the page's sentences count the dead ones."""
    sv = {"gaussian": {"log10_sv": np.array([-7.2, -10.4, -np.inf, -np.inf]), "n_dead": 2},
          "orthogonal": {"log10_sv": np.array([-4.6, -6.0, -9.5, -np.inf]), "n_dead": 1}}
    df = C.svals_frame(sv)
    assert df["dead"].tolist() == [False, False, True, True, False, False, False, True]
    assert (df.loc[df["dead"], "log10"] == -12.0).all() and np.isfinite(df["log10"]).all()
    assert all("dead" in t for t in df.loc[df["dead"], "text"])
    assert not any("dead" in t for t in df.loc[~df["dead"], "text"])
    chart = C.svals_chart(df)
    assert _all_finite(chart) and "0: dead directions" in str(chart.to_dict())
    assert "**2 of 4** (Gaussian) and **1 of 4** (orthogonal)" in C.dead_svals_text(sv)
    assert C.dead_svals_text({k: {**v, "n_dead": 0} for k, v in sv.items()}) == ""
    lyap = {"rnn": {"spectrum": np.array([-0.27, -0.36, -np.inf, -np.inf])},
            "gru": {"spectrum": np.array([-0.1, -0.2, -0.3, -0.4])}}
    df = C.spectrum_frame(lyap)
    assert df["dead"].sum() == 2 and (df.loc[df["dead"], "text"] == "−∞ (dead)").all()
    chart = C.spectrum_chart(df)
    assert _all_finite(chart) and "−∞: dead directions" in str(chart.to_dict())
    assert "**2 of 4** dead" in C.dead_exponents_text(2, 4) and C.dead_exponents_text(0, 4) == ""


def test_relu_defaults_show_no_more_live_values_than_the_rank():
    """Issue 19, item 10: at the defaults with relu, 58 of 64 singular values came out finite where the rank is
    at most the fewest units on at any step of the window (counted here by a plain numpy forward loop)."""
    s = Settings(activation="relu")
    sv, k = E.product_svals(s), E.svals_lag(s)
    for init in ("gaussian", "orthogonal"):
        m, x, _ = model.build(replace(s, init=init))
        U, W, b = (p.detach().double().numpy() for p in (m.U, m.W, m.b_h))
        h, on = np.zeros(W.shape[0]), []
        for x_t in x.double().numpy().reshape(len(x), -1):
            a = U.T @ x_t + W.T @ h + b  # a_t = Uᵀx_t + Wᵀh_{t−1} + b_h
            on.append(int((a > 0).sum()))
            h = np.maximum(a, 0.0)
        v = sv[init]
        assert np.isfinite(v["log10_sv"]).sum() <= min(on[len(on) - k:]) < s.hidden
        assert v["n_dead"] == np.isneginf(v["log10_sv"]).sum() >= s.hidden - min(on[len(on) - k:])
        live = v["log10_sv"][np.isfinite(v["log10_sv"])]
        assert v["spread"] == pytest.approx(live.max() - live.min())


def test_singular_values_are_rnns_and_orthogonal_spreads_less():
    s = Settings(T=60, hidden=32)
    sv = E.product_svals(s)
    k = E.svals_lag(s)
    assert k == 50
    for init in ("gaussian", "orthogonal"):
        m, x, _ = model.build(replace(s, init=init))
        want = rnn.product_singular_values(m, x, k)
        np.testing.assert_array_equal(sv[init]["log10_sv"], want)
        assert sv[init]["spread"] == pytest.approx(want.max() - want.min())
    assert sv["orthogonal"]["spread"] < sv["gaussian"]["spread"]
    assert _all_finite(C.svals_chart(C.svals_frame(sv)))


# ---------------------------------------------------------------------------------------------------------
# colours

def _contrast():
    path = pathlib.Path(__file__).with_name("test_theme.py")
    spec = importlib.util.spec_from_file_location("_theme_checks", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.contrast, mod.BACKGROUNDS


@pytest.mark.parametrize("color", [theme.THEORY_COLOR, *theme.INIT_COLORS.values()])
def test_new_colours_read_on_light_and_dark_and_are_no_regime(color):
    contrast, backgrounds = _contrast()
    for bg in backgrounds.values():
        assert contrast(color, bg) >= 3.0, (color, bg)
    assert color.lower() not in {c.lower() for c in theme.REGIME_COLORS.values()}
    assert theme.THEORY_COLOR.lower() not in {c.lower() for c in theme.SERIES_COLORS.values()}


# ---------------------------------------------------------------------------------------------------------
# a phase-diagram cell whose forward pass overflows

def test_phase_cell_beyond_float64_is_measured_before_the_overflow():
    """relu at scale 8 passes 10^308 near step 400 of 500: the cell is measured over the exact steps before
    (rnn.jacobian_log10_norms refuses the rest), and comes out exploding, not 'exactly 0'."""
    from ui.cached import phase_diagram as P

    base = replace(P.phase_base(Settings()), activation="relu")
    m, x, _ = model.build(replace(base, scale=8.0, T=500))
    t0 = rnn.jacobians.cut_before_overflow(m, x).overflow_step
    assert t0 is not None and t0 < 500
    with pytest.raises(ValueError, match=f"step {t0}"):
        rnn.jacobian_log10_norms(m, x)
    slope, at_0 = P._cell(base, 8.0, 500)
    assert math.isfinite(slope) and slope > 0.5 and math.isfinite(at_0)
    assert slope == rnn.slope_per_step(rnn.jacobian_log10_norms(m, x[:t0 - 1]))


def test_the_diagram_stays_within_the_phase_diagrams_budget():
    from ui import limits

    big = E.diagram_base(Settings(T=limits.MAX_T, hidden=limits.MAX_HIDDEN, init="orthogonal", scale_kind="rho"))
    assert big.hidden == limits.PHASE_MAX_HIDDEN and big.T == limits.PHASE_MAX_T
    assert big.init == "gaussian" and big.scale_kind == "gain"  # the theory's W, whatever the sidebar holds
    cells = len(limits.THEORY_GAINS) * len(limits.THEORY_INPUT_SCALES)
    assert limits.THEORY_CELLS_WORK == cells * big.T * big.hidden ** 3 <= limits.PHASE_CELLS_WORK
