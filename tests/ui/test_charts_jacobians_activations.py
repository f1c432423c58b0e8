"""Chart builders alone (no Streamlit runtime): the data handed to Altair is always finite, the log10
formatting never prints 'inf', and the frames carry what the pages say they carry."""
from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pytest

from apptest_helpers import chart_numbers
import rnn
from ui import theme
from ui.cached import activations as cached_acts
from ui.cached import model
from ui.charts import activations as acts
from ui.charts import jacobian_products as jp
from ui.charts import style
from ui.settings import Settings


def _analysis(**kw) -> dict:
    """What ui.model.analysis returns, without its cache."""
    m, x, y = model.build(Settings(**kw))
    return asdict(rnn.analyze(m, x, y))


def _all_finite(chart) -> bool:
    nums = chart_numbers(chart)
    return len(nums) > 0 and all(math.isfinite(v) for v in nums)


# ---------------------------------------------------------------------------------------------------------
# formatting

@pytest.mark.parametrize("x, want", [
    (528.3, "10⁵²⁸"), (-903.1, "10⁻⁹⁰⁴"), (-12.2, "10⁻¹³"), (4.0, "10⁴"), (3.0, "10³"),
])
def test_fmt_pow10_writes_powers_of_ten(x, want):
    text = style.fmt_pow10(x)
    assert text.endswith(want)
    assert "inf" not in text and "e+" not in text and "e-" not in text


def test_fmt_pow10_plain_range_and_specials():
    assert style.fmt_pow10(0.0) == "1"
    assert style.fmt_pow10(math.log10(0.5)) == "0.5"
    assert style.fmt_pow10(2.99999) == "1000"  # no '1e+03'
    assert style.fmt_pow10(-math.inf) == "0"
    assert "inf" not in style.fmt_pow10(math.inf)
    assert style.fmt_pow10(float("nan")) == style.MISSING == style.fmt_num(float("nan"))
    assert style.fmt_pow10(math.log10(9.999e20)) == "10²¹"  # mantissa 9.999 rounds up to the next decade
    assert style.fmt_pow10(-12.2, latex=True) == r"{6.3 \times 10^{-13}}"


def test_fmt_num():
    assert style.fmt_num(None) == "—"
    assert style.fmt_num(1.0789) == "1.079"
    assert style.fmt_num(-math.inf) == "−∞"


# ---------------------------------------------------------------------------------------------------------
# Jacobian products

def _synthetic(T=6, **over):
    lag = np.arange(1, T + 1)
    a = {"lag": lag, "log10_norm": -0.5 * lag.astype(float), "log10_grad": -0.5 * lag - 1.0,
         "log10_bound": 0.3 * lag.astype(float), "log10_rho": 0.1 * lag.astype(float), "log10_grad_T": -1.0}
    a.update(over)
    return a


def test_jacobian_frame_shape_and_series():
    df = jp.jacobian_frame(_synthetic())
    assert list(df.columns) == ["lag", "series", "log10", "value", "note"]
    assert set(df["series"]) == {jp.NORM, jp.BOUND, jp.RHO, jp.GRAD}
    assert len(df) == 4 * 7  # lags 0 … 6 for four series
    norm = df[df.series == jp.NORM]
    assert norm["log10"].iloc[0] == 0.0  # ‖∂h_T/∂h_T‖ = ‖I‖ = 1
    assert df[(df.series == jp.GRAD) & (df.lag == 0)]["log10"].item() == -1.0


def test_jacobian_frame_floors_non_finite_values():
    norm = np.array([-1.0, -2.0, -np.inf, -np.inf, np.nan, -5.0])
    df = jp.jacobian_frame(_synthetic(log10_norm=norm, log10_bound=np.full(6, np.inf)))
    assert np.isfinite(df["log10"]).all()
    zeros = df[df.note == style.ZERO_NOTE]
    assert len(zeros) == 2 and (zeros["value"] == "0").all()
    assert (zeros["log10"] < df[df.note == ""]["log10"].min()).all()  # below every finite value
    assert len(df[df.note == style.BIG_NOTE]) == 6
    assert not ((df.series == jp.NORM) & (df.lag == 5)).any()  # the NaN row is dropped
    assert not df["value"].str.contains("inf").any()
    assert _all_finite(jp.jacobian_chart(df))


def test_jacobian_frame_without_overlays_for_gated_cells():
    df = jp.jacobian_frame(_synthetic(log10_bound=None, log10_rho=None))
    assert set(df["series"]) == {jp.NORM, jp.GRAD}
    assert _all_finite(jp.jacobian_chart(df))


@pytest.mark.parametrize("kw", [
    dict(scale=0.0, T=20, hidden=8),  # W = 0: every product is exactly zero
    dict(T=1, hidden=8),  # one step
    dict(activation="relu", scale=0.0, T=10, hidden=4, input_scale=0.0),  # a dark relu layer
    dict(activation="linear", scale=100.0, scale_kind="rho", init="orthogonal", T=300, hidden=8),  # 10^600
    dict(activation="tanh", scale=0.001, scale_kind="rho", T=300, hidden=8),  # 10^-900
])
def test_jacobian_chart_data_is_finite_on_real_models(kw):
    a = _analysis(**kw)
    df = jp.jacobian_frame(a)
    assert np.isfinite(df["log10"]).all()
    assert _all_finite(jp.jacobian_chart(df))
    lo, hi = style.decades(df)
    assert lo <= df["log10"].min() and hi >= df["log10"].max() and hi - lo >= 2


def test_huge_values_are_written_as_powers():
    a = _analysis(activation="linear", scale=100.0, scale_kind="rho", init="orthogonal", T=300, hidden=8)
    df = jp.jacobian_frame(a)
    last = df[(df.series == jp.NORM) & (df.lag == 300)]
    assert last["log10"].item() == pytest.approx(600.0, abs=1e-6)  # 100^300
    assert last["value"].item().endswith("10⁶⁰⁰") or last["value"].item().endswith("10⁵⁹⁹")


def test_scale_zero_is_flagged_as_exact_zero():
    df = jp.jacobian_frame(_analysis(scale=0.0, T=20, hidden=8))
    norm = df[(df.series == jp.NORM) & (df.lag > 0)]
    assert (norm["note"] == style.ZERO_NOTE).all()
    floor = norm["log10"].min()
    assert jp.jacobian_chart(df).to_dict()["encoding"]["y"]["axis"]["labelExpr"].startswith(
        f"datum.value == {floor:g} ? '0'")  # the floor's tick reads 0, not 10^k


# ---------------------------------------------------------------------------------------------------------
# activations and f′ histogram

def _curves():
    return cached_acts.activation_curves.__wrapped__()


def test_activation_frame_has_every_activation_with_gamma():
    df = acts.activation_frame(_curves(), current="sigmoid")
    assert set(df["activation"]) == set(rnn.ACTIVATIONS)
    assert set(df["curve"]) == {"f(a)", "f′(a)"}
    for name, act in rnn.ACTIVATIONS.items():
        sub = df[df.activation == name]
        assert (sub["gamma"] == act.gamma).all()
        # γ = sup|f′| on the grid (relu's f′ jumps to 1 right after 0)
        assert sub[sub.curve == "f′(a)"]["value"].abs().max() == pytest.approx(act.gamma, rel=1e-3)
        assert act.codomain in sub["panel"].iloc[0]
    assert df[df.activation == "sigmoid"]["panel"].iloc[0].startswith("sigmoid (in use)|")
    assert _all_finite(acts.activation_chart(df))


@pytest.mark.parametrize("kw", [dict(), dict(scale=0.0), dict(T=1), dict(activation="relu"),
                                dict(activation="sigmoid", input_scale=10.0), dict(activation="linear")])
def test_fprime_histogram(kw):
    s = Settings(hidden=8, T=kw.pop("T", 30), **kw)
    fp = cached_acts.fprime_along_trajectory.__wrapped__(s)
    assert fp["values"].size == s.T * s.hidden
    a = rnn.analyze(*model.build(s))
    assert fp["mean_abs"] == a.mean_abs_fprime
    df = acts.fprime_frame(fp["values"], fp["gamma"])
    assert df["count"].sum() == fp["values"].size
    assert df["share"].sum() == pytest.approx(1.0)
    assert df["to"].max() >= fp["gamma"]
    assert _all_finite(acts.fprime_chart(df, fp["gamma"], fp["mean_abs"]))


def test_fprime_chart_marks_gamma_and_mean():
    df = acts.fprime_frame(np.array([0.2, 0.2, 0.25]), 0.25)
    spec = acts.fprime_chart(df, 0.25, 0.2167).to_dict()
    rows = [r for rows in spec["datasets"].values() for r in rows if "what" in r]
    assert {r["x"] for r in rows} == {0.25, 0.2167}


def test_activation_panels_each_have_an_x_axis_and_none_hangs_under_the_empty_cell():
    """Five panels in two columns leave the sixth cell empty: with a shared x axis, Vega-Lite drew it only
    under the last row, one of them under the empty cell, and the panels above (relu's among them) had none.
    Each panel has its own axis now, on the one shared x scale."""
    df = acts.activation_frame(_curves(), current="tanh")
    spec = acts.activation_chart(df).to_dict()
    assert len(set(df["panel"])) == 5 and spec["columns"] == 2  # the empty sixth cell is still there
    assert spec["resolve"]["axis"]["x"] == "independent"
    assert "scale" not in spec.get("resolve", {})  # the panels still share one x and one y scale
    assert spec["spec"]["layer"][0]["encoding"]["x"]["title"] == "pre-activation a"


def test_activation_legend_names_every_mark_drawn_gamma_rule_included():
    """The legend held f(a) and f′(a) only; the purple dashed γ rule is named in it too, in its own colour
    and dash, and drawn from the same scales (so what the legend shows is what the panels draw)."""
    df = acts.activation_frame(_curves(), current="tanh")
    spec = acts.activation_chart(df).to_dict()
    lines, rule = spec["spec"]["layer"]
    assert rule["mark"]["type"] == "rule"
    for layer in (lines, rule):
        assert "color" not in layer["mark"] and "strokeDash" not in layer["mark"]  # colour from the legend's scale
        color, dash = layer["encoding"]["color"], layer["encoding"]["strokeDash"]
        assert color["field"] == dash["field"] == "curve"
        assert color["scale"]["domain"] == dash["scale"]["domain"] == ["f(a)", "f′(a)", acts.GAMMA_RULE]
    assert color["scale"]["range"][2] == theme.BOUND_COLOR and dash["scale"]["range"][2] != [1, 0]  # dashed
    assert {"calculate": f"'{acts.GAMMA_RULE}'", "as": "curve"} in rule["transform"]
    assert spec["config"]["legend"]["symbolType"] == "stroke"  # lines drawn as lines


# ---------------------------------------------------------------------------------------------------------
# a spec made once for many visitors (ui.charts.spec.vega_spec, ui.cached.jacobian_products)

def test_vega_spec_is_altairs_own_spec_less_the_data():
    """What st.vega_lite_chart draws beside the frame is Altair's conversion of the chart (schema, theme,
    encodings, projector styling) with only its data left out."""
    import altair as alt

    from ui.charts.spec import vega_spec
    from ui.charts.projector import for_projector

    df = jp.with_prediction(jp.jacobian_frame(_analysis(T=40, hidden=8)), -0.05)
    for chart in (jp.jacobian_chart(df), for_projector(jp.jacobian_chart(df))):
        ref = chart.to_dict()
        (rows,) = ref.pop("datasets").values()
        assert ref.pop("data") == {"name": next(iter(chart.to_dict()["datasets"]))}
        assert vega_spec(chart) == ref
        assert len(rows) == len(df)  # the data left out is the frame, row for row
    layered = alt.layer(alt.Chart(df).mark_line().encode(x="lag:Q"), alt.Chart(df.head(3)).mark_rule())
    with pytest.raises(ValueError):  # two data sets: no single frame to draw it with
        vega_spec(layered)


def test_vega_spec_ignores_a_data_transformer_another_thread_has_enabled():
    """Streamlit enables its own Altair data transformer process-wide while it converts a session's chart;
    a spec made at that moment in another session must not lose its data to it (seen: every shared spec
    failing for one visitor while a classmate's page drew an Altair chart)."""
    import altair as alt

    from ui.charts.spec import vega_spec

    df = jp.jacobian_frame(_analysis(T=20, hidden=8))
    chart = jp.jacobian_chart(df)
    plain = vega_spec(chart)
    taken = {}
    alt.data_transformers.register("elsewhere", lambda data, **kw: taken.setdefault("data", {"name": "x"}))
    with alt.data_transformers.enable("elsewhere"):
        assert vega_spec(chart) == plain
    assert not taken
