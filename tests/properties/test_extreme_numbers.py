"""Extreme numbers: every activation × weight scale {0, 10⁻³, 0.5, 1, 2, 10, 100} × T {1, 2, 1000, 10 000}.
No NaN or ±inf reaches any chart's data; a value beyond float64's range is written as a power of ten
("7.6 × 10^21626"), never as inf; when the forward pass itself overflows (relu, leaky relu, linear with a
large W) the app says so and shows only numbers that are exact.

The sidebar caps T at 2000, so T = 10 000 goes through ui.engine and the chart builders directly; the pages
are checked through the app (AppTest) at T ≤ 2000 on a representative subset. Hidden size 4 keeps it fast."""
from __future__ import annotations

import math
import re

import altair as alt
import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from apptest_helpers import chart_numbers, chart_tables, open_app
import rnn
from rnn.jacobians import TOO_SHORT
from ui.cached import activations as cached_acts
from ui.cached import model
from ui.charts import activations as acts
from ui.charts import jacobian_products as jp
from ui.charts import style
from ui.settings import ACTIVATION_NAMES, Settings, to_query
SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")  # how powers of ten are printed on screen

SCALES = (0.0, 1e-3, 0.5, 1.0, 2.0, 10.0, 100.0)
LENGTHS = (1, 2, 1000, 10_000)
N = 4
NOT_A_NUMBER = re.compile(r"\binf\b|infinity|\bnan\b|∞", re.IGNORECASE)
# a number shown as ±inf or NaN (but "log = −∞" of an exact zero is right)
SHOWN_AS_INF = re.compile(r"(?:(?<!log )=|≈|×|\*\*)\s*[-−+]?(?:inf\b|nan\b|∞)|10\^\{?(?:∞|\\infty)",
                          re.IGNORECASE)


def _analysis(s: Settings) -> dict:
    return model._analysis.__wrapped__(s)  # uncached: the grid would only churn the cache


def _frame_numbers(df) -> np.ndarray:
    return df.select_dtypes("number").to_numpy(dtype=np.float64).ravel()


@pytest.mark.parametrize("T", LENGTHS)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_grid_engine_and_chart_builders(activation, T):
    for scale in SCALES:
        s = Settings(T=T, activation=activation, scale=scale, hidden=N)
        a = _analysis(s)
        where = f"{activation}, scale {scale}, T {T}"
        # the arrays: finite, or −inf where a product is exactly 0 (never +inf, never NaN in the products)
        norm = np.asarray(a["log10_norm"])
        assert norm.size == a["T_used"] and 1 <= a["T_used"] <= T, where
        assert not np.isnan(norm).any() and not np.isposinf(norm).any(), where
        assert not np.isposinf(np.asarray(a["log10_grad"])).any(), where
        assert a["regime"] in ("vanishing", "edge", "exploding", TOO_SHORT)
        assert math.isfinite(a["slope"]) or (a["slope"] == -math.inf and np.isneginf(norm).any()), where
        for k in ("rho", "sigma_max", "gamma", "mean_abs_fprime"):
            assert math.isfinite(a[k]), (where, k)
        if scale == 0.0:  # W = 0: every product of Jacobians is exactly 0, drawn at the floor, labelled 0
            assert np.isneginf(norm).all() and a["slope"] == -math.inf
        # the chart's data: every number finite; every printed value a number or a power of ten
        df = jp.jacobian_frame(a)
        assert np.isfinite(_frame_numbers(df)).all(), where
        assert not any(NOT_A_NUMBER.search(v) for v in df["value"]), where
        if T <= 1000:
            with alt.data_transformers.disable_max_rows():
                nums = chart_numbers(jp.jacobian_chart(df))
            assert nums and all(math.isfinite(v) for v in nums), where
        # the metrics' text
        for k in ("rho", "sigma_max", "gamma", "mean_abs_fprime"):
            assert not NOT_A_NUMBER.search(style.fmt_num(a[k])), (where, k)


@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_trajectory_histogram_is_finite(activation):
    for scale in (0.0, 1e-3, 1.0, 100.0):
        for T in (1, 1000):
            fp = cached_acts.fprime_along_trajectory(Settings(T=T, activation=activation, scale=scale, hidden=N))
            assert np.isfinite(fp["values"]).all() and math.isfinite(fp["mean_abs"])
            df = acts.fprime_frame(fp["values"], fp["gamma"])
            assert np.isfinite(_frame_numbers(df)).all()
            nums = chart_numbers(acts.fprime_chart(df, fp["gamma"], fp["mean_abs"]))
            assert all(math.isfinite(v) for v in nums)


def test_beyond_float_range_is_written_as_a_power_of_ten():
    """A linear RNN with a large W: ‖∂h_T/∂h_0‖ near 10^21626 at T = 10 000 (float64 ends near 10^308)."""
    a = _analysis(Settings(T=10_000, activation="linear", scale=100.0, hidden=N))
    assert a["T_used"] == 10_000  # f′ ≡ 1: the products are exact over all T though the state overflows
    assert a["overflow_step"] is not None and a["grad_lost"]
    df = jp.jacobian_frame(a)
    last = df[(df.series == jp.NORM) & (df.lag == 10_000)]
    lg = float(last["log10"].item())
    assert lg > 10_000
    text = last["value"].item()
    assert text.endswith("10" + str(math.floor(lg)).translate(SUPERSCRIPT)) and not NOT_A_NUMBER.search(text)
    # the slope is the same per-step rate as on a short chain, where nothing overflows
    short = _analysis(Settings(T=100, activation="linear", scale=100.0, hidden=N))
    assert a["slope"] == pytest.approx(short["slope"], abs=0.05)
    # and tiny: 10^-900 and below, printed, never 0 or −inf
    b = _analysis(Settings(T=10_000, activation="linear", scale=1e-3, scale_kind="rho", init="orthogonal",
                           hidden=N))
    v = float(b["log10_norm"][-1])
    assert v == pytest.approx(10_000 * -3, rel=1e-6)
    assert style.fmt_pow10(v).endswith("10⁻³⁰⁰⁰⁰")


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_an_overflowing_forward_pass_is_analysed_where_it_is_exact(activation):
    """relu with W at scale 100: the state passes 10^308 after a few hundred steps, and f′(a_t) read from ∞
    would be garbage (earlier: a product 'exactly 0', regime 'vanishing'). The analysis keeps the steps
    before the overflow, where the chain is exact and explodes."""
    s = Settings(T=1000, activation=activation, scale=100.0, hidden=N)
    a = _analysis(s)
    t0 = a["overflow_step"]
    assert t0 is not None and a["T_used"] == t0 - 1 < s.T
    assert np.isfinite(a["log10_norm"]).all() and a["regime"] == "exploding"
    m, x, y = model.build(s)
    ref = rnn.analyze(m, x[:t0 - 1], y)
    np.testing.assert_allclose(a["log10_norm"], ref.log10_norm)
    assert np.isnan(a["log10_grad"]).all() and math.isnan(a["log10_grad_T"])  # ŷ_T is beyond float64


@pytest.mark.parametrize("x", [0.0, -3.2, 2.9, 3.0, 307.9, 308.3, 528.3, -903.1, 1e5, -1e5, 21626.8, -1e300])
def test_fmt_pow10_never_prints_inf(x):
    text = style.fmt_pow10(x)
    assert not NOT_A_NUMBER.search(text) and "e+" not in text
    assert not NOT_A_NUMBER.search(style.fmt_pow10(x, latex=True))


# ---------------------------------------------------------------------------------------------------------
# through the app: the pages at T ≤ 2000

def _numbers_and_strings(at: AppTest) -> tuple[np.ndarray, list[str]]:
    nums, strs = [], []
    for table in chart_tables(at):
        for col in table.columns:
            if pa.types.is_floating(col.type) or pa.types.is_integer(col.type):
                nums.extend(v for v in col.to_pylist() if v is not None)
            elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                strs.extend(v for v in col.to_pylist() if v is not None)
    return np.asarray(nums, dtype=np.float64), strs


def _check_page(at: AppTest, where: str) -> None:
    assert not at.exception, (where, [e.message for e in at.exception])
    nums, strs = _numbers_and_strings(at)
    assert np.isfinite(nums).all(), where
    for v in strs:  # printed values in tooltips; codomains like (−∞, ∞) are not values
        if "×" in v or "10^" in v or "10⁻" in v:
            assert not NOT_A_NUMBER.search(v), (where, v)
    for m in at.metric:
        assert not NOT_A_NUMBER.search(str(m.value)), (where, m.label, m.value)
    for el in at.latex:  # numbers typeset beside the equations (\\infty may appear in a formula)
        assert not re.search(r"\binf\b|\bnan\b", el.value, re.IGNORECASE), (where, el.value)
    for el in list(at.markdown) + list(at.warning) + list(at.info) + list(at.caption):
        # prose may say "these numbers overflow to ∞ or NaN"; a number shown as inf may not appear
        assert not SHOWN_AS_INF.search(el.value), (where, el.value)
    for df in at.dataframe:
        vals = df.value.select_dtypes("number").to_numpy(dtype=np.float64)
        assert not np.isinf(vals).any(), where


GRID_APP = [(act, scale, T) for act in ACTIVATION_NAMES for scale, T in
            ((0.0, 2), (1e-3, 1000), (1.0, 1), (2.0, 2000), (100.0, 1000))]


@pytest.mark.parametrize("activation, scale, T", GRID_APP)
def test_grid_through_the_app(activation, scale, T):
    at = open_app(to_query(Settings(T=T, activation=activation, scale=scale, hidden=N)), timeout=90)
    for page in ("pages/jacobian_products.py", "pages/activations.py"):
        at.switch_page(page).run()
        _check_page(at, f"{page} {activation} {scale} {T}")


EXTREMES = [("linear", 100.0, 1000), ("relu", 100.0, 2000), ("tanh", 0.0, 2), ("sigmoid", 1e-3, 1)]


@pytest.mark.parametrize("page, activation, scale, T", [
    *[("pages/bptt_by_hand.py", *e) for e in EXTREMES],
    *[("pages/gated_cells.py", *e) for e in EXTREMES]])
def test_other_pages_at_extremes(page, activation, scale, T):
    at = open_app(to_query(Settings(T=T, activation=activation, scale=scale, hidden=N)), page, timeout=120)
    _check_page(at, f"{page} {activation} {scale} {T}")
