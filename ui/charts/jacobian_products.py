"""Charts of the page "Jacobian products": log10‖∂h_T/∂h_{T−k}‖ against the lag k with the bound
(γ·σ_max)^k, ρ^k and the BPTT gradient norm. Pure functions: ui.cached.model.analysis's dict in, a frame and
an alt.Chart out."""
from __future__ import annotations

from typing import Mapping

import altair as alt
import numpy as np
import pandas as pd

from rnn.jacobians import SATURATED_FPRIME, line_fit

from .. import theme
from .style import ZERO_NOTE, axis_pow10, decades, finite_log, fmt_num, fmt_pow10, style

NORM, BOUND, RHO, GRAD = theme.SERIES_COLORS  # the four series, in order
PREDICTED = "mean-field prediction"  # the slope theory predicts, drawn from lag 0 (rnn.mean_field_for)
SERIES = {**theme.SERIES_COLORS, PREDICTED: theme.THEORY_COLOR}


def jacobian_frame(a: Mapping) -> pd.DataFrame:
    """The chart's data from an Analysis dict (ui.cached.model.analysis): one row per (lag k, series), with
    log10 of the value, its printed form and a note. Lag 0 is the start: ‖∂h_T/∂h_T‖ = ‖I‖ = 1 and
    ‖∂L/∂h_T‖. The overlays are skipped where they do not exist (gated cells)."""
    lag = np.asarray(a["lag"], dtype=np.int64)
    k = np.concatenate([[0], lag])
    series = [(NORM, 0.0, a.get("log10_norm")), (BOUND, 0.0, a.get("log10_bound")),
              (RHO, 0.0, a.get("log10_rho")), (GRAD, a.get("log10_grad_T"), a.get("log10_grad"))]
    parts = []
    for name, at0, vals in series:
        if vals is None:
            continue
        v = np.concatenate([[np.nan if at0 is None else float(at0)], np.asarray(vals, dtype=np.float64)])
        parts.append(pd.DataFrame({"lag": k, "series": name, "log10": v}))
    df = pd.concat(parts, ignore_index=True)
    df["value"] = [fmt_pow10(x) for x in df["log10"]]  # printed before ±∞ are moved to floor / ceiling
    return finite_log(df)



def with_prediction(df: pd.DataFrame, slope: float | None) -> pd.DataFrame:
    """The frame with mean-field theory's line log10 = slope·k added as the series PREDICTED, from lag 0 to
    where it leaves the range of the measured lines (‖∂h_T/∂h_{T−k}‖ and the gradient, their finite values),
    so it never stretches the chart; the frame unchanged when there is no finite slope to draw."""
    if slope is None or not np.isfinite(slope):
        return df
    measured = df[df["series"].isin([NORM, GRAD]) & (df["note"] == "")]
    if measured.empty:
        return df
    lo, hi = float(min(measured["log10"].min(), 0.0)), float(max(measured["log10"].max(), 0.0))
    k_max = float(df["lag"].max())
    # the line log10 = P·k meets the edge of the range at k = lo/P (falling) or hi/P (rising)
    k_end = k_max if slope == 0 else min(k_max, (lo if slope < 0 else hi) / slope)
    k = np.unique(np.concatenate([np.arange(0, np.floor(k_end) + 1), [k_end]]))
    line = pd.DataFrame({"lag": k, "series": PREDICTED, "log10": slope * k})
    line["value"] = [fmt_pow10(v) for v in line["log10"]]
    line["note"] = f"mean-field theory: {slope:+.4f} decades per step"
    return pd.concat([df, line], ignore_index=True)


def jacobian_chart(df: pd.DataFrame, title: str | None = None) -> alt.Chart:
    """log10‖∂h_T/∂h_{T−k}‖ against k with the bound (γ·σ_max)^k, ρ^k and the BPTT gradient norm; the y
    range is the measured lines' (whole decades), the reference lines are clipped at its edges."""
    names = [n for n in SERIES if n in set(df["series"])]
    zero = df["note"] == ZERO_NOTE
    floor = float(df.loc[zero, "log10"].min()) if zero.any() else None
    # the y range follows what was measured (the product and the gradient), so a bound at 10³⁰ does not
    # squash them to the floor: the reference lines leave the chart where they run past it (clip=True)
    measured = df[df["series"].isin([NORM, GRAD])]
    color = alt.Color("series:N", title=None, sort=names, legend=alt.Legend(columns=2, labelLimit=320),
                      scale=alt.Scale(domain=names, range=[SERIES[n] for n in names]))
    width = alt.StrokeWidth("series:N", sort=names, legend=None,  # the measured line drawn thickest
                            scale=alt.Scale(domain=names, range=[5 if n == NORM else 3 for n in names]))
    dash = alt.StrokeDash("series:N", sort=names, title=None,  # same field as color: one merged legend
                          scale=alt.Scale(domain=names, range=[[1, 0] if n in (NORM, GRAD) else [8, 5]
                                                               for n in names]))
    chart = alt.Chart(df, title=title or "").mark_line(clip=True).encode(
        x=alt.X("lag:Q", title="lag k = T − i (steps back from the last step T)",
                axis=alt.Axis(format="d", tickMinStep=1)),  # lags are whole steps
        y=alt.Y("log10:Q", axis=axis_pow10("norm (log scale)", floor),
                scale=alt.Scale(domain=decades(measured if len(measured) else df), nice=False)),
        color=color, strokeDash=dash, strokeWidth=width,
        tooltip=[alt.Tooltip("series:N"), alt.Tooltip("lag:Q", title="lag k"),
                 alt.Tooltip("value:N", title="value"), alt.Tooltip("log10:Q", title="log10", format=".3f"),
                 alt.Tooltip("note:N")],
    )
    return style(chart, height=420)


def why_this_rate(a: Mapping, regime: str) -> str:
    """One paragraph that says why the product shrinks or grows at the measured rate, with the numbers: the
    rate per step beside ρ·mean|f′|, and what the bound γ·σ_max does and does not promise."""
    slope, rho, mean, bound = a["slope"], a["rho"], a["mean_abs_fprime"], a["gamma"] * a["sigma_max"]
    if not all(np.isfinite([slope, rho, mean, bound])):
        return ""
    rate = 10.0 ** slope
    text = (f"**Why this rate?** Each step back multiplies by diag(f′(aₜ)) Wᵀ. W alone would scale by about "
            f"ρ(W) = {fmt_num(rho)} per step; along this trajectory the units' slopes |f′| average "
            f"{fmt_num(mean)}, so together about ρ·mean|f′| = {fmt_num(rho * mean)} per step. Measured: "
            f"×{fmt_num(rate)} per step.")
    if regime == "vanishing" and bound >= 1:
        text += (f" The bound γ·σₘₐₓ = {fmt_num(bound)} is above 1, yet the gradient vanishes: a bound above 1 "
                 "guarantees nothing, it only allows growth. Here saturated units (|f′| well below γ) shrink "
                 "every step.")
    elif regime == "vanishing":
        text += f" The bound γ·σₘₐₓ = {fmt_num(bound)} is below 1, so the product must vanish."
    return text


def saturated_fraction(fprime: np.ndarray) -> float:
    """The share of the values f′(a_t) (every step and unit) below rnn.jacobians.SATURATED_FPRIME."""
    v = np.abs(np.asarray(fprime, dtype=np.float64))
    return float((v < SATURATED_FPRIME).mean()) if v.size else 0.0


def rate_sentence(a: Mapping, k: int, saturated: float | None = None) -> str:
    """The sentence under a lesson step's chart, read off the plotted line ‖∂h_T/∂h_{T−k}‖: its regime
    (rnn's classify, already in `a`) and its rate per step 10^slope when the line is straight
    (rnn.jacobians.line_fit), the value at lag k written as that rate to the power k times the rest; when
    the line strays from its fit by more than the fit changes, no regime, and why (`saturated`: the share
    of f′(a_t) below 10⁻⁶)."""
    logn = np.asarray(a["log10_norm"], dtype=np.float64)  # entry k − 1 is lag k
    at_k = float(logn[k - 1])
    back = f"a signal from {k} step{'s' if k != 1 else ''} back arrives scaled by **{fmt_pow10(at_k)}**"
    fit = line_fit(logn[::-1])  # the engine's order: entry i has lag T − i
    if not np.isfinite(fit.slope):
        return f"Here the product is **exactly 0** from some lag on (W = 0, or every unit dark); {back}."
    if fit.steady:
        # ‖∂h_T/∂h_{T−k}‖ = rest · rateᵏ with rate = 10^slope, the measured rate per step
        rate, rest = 10.0 ** fit.slope, 10.0 ** (at_k - fit.slope * k)
        return (f"Here: slope **{fmt_num(fit.slope, 3)}** decades per step (**{a['regime']}**), a factor "
                f"×{fmt_num(rate, 3)} per step; {back}, that is ${fmt_num(rest, 2)} \\times "
                f"{fmt_num(rate, 3)}^{{{k}}}$: the measured rate to the power {k}, times what the first steps "
                "add (a non-normal W makes ‖Wᵏ‖ larger than ρᵏ by such a factor).")
    sat = (f" {saturated:.0%} of the values f′(aₜ) are below 10⁻⁶ (saturated units): each step's factor is set "
           "by the few units that are not, and swings by decades from step to step." if saturated else "")
    return (f"Here the grey line is **not straight**: its points stray {fmt_num(fit.rms, 2)} decades (RMS) from "
            f"their best straight line (slope {fmt_num(fit.slope, 3)} decades per step), more than the "
            f"{fmt_num(fit.span, 2)} decades that line changes over the lags it fits, so these "
            f"{logn.size} steps show **no steady rate**, and no regime can be read from them.{sat} Try a longer "
            f"T to see which way it trends; {back}.")


def unsteady_note(a: Mapping, saturated: float | None = None) -> str | None:
    """None when the plotted line is straight enough for its slope to name a regime (rnn.jacobians.line_fit);
    else a warning for the page that shows the regime anyway: how far the points stray, and why."""
    logn = np.asarray(a["log10_norm"], dtype=np.float64)
    fit = line_fit(logn[::-1])
    if fit.steady:
        return None
    sat = (f" {saturated:.0%} of the values f′(aₜ) are below 10⁻⁶ (saturated units): each step's factor is set "
           "by the few units that are not." if saturated else "")
    return (f"The grey line below is not straight: its points stray {fmt_num(fit.rms, 2)} decades (RMS) from the "
            f"fitted slope, more than the {fmt_num(fit.span, 2)} decades that slope changes over the lags it fits. "
            f"The regime above rests on a trend these {logn.size} steps barely show.{sat} A longer T shows which "
            "way it goes.")


def gradient_start_text(a: Mapping) -> str:
    """Where the orange line (the BPTT gradient ‖∂L/∂h_{T−k}‖) starts, and why it starts there."""
    g0 = a.get("log10_grad_T")
    if g0 is None or not np.isfinite(g0):
        return r"$\lVert \partial L/\partial h_{T-k} \rVert$ (left out here: the forward pass overflowed)."
    text = (r"$\lVert \partial L/\partial h_{T-k} \rVert$, which starts at lag 0 from the loss's own gradient "
            r"$\partial L/\partial h_T = V\,[(\hat y_T - y) \odot f'(V^\top h_T + b_y)]$, here "
            f"{fmt_pow10(float(g0))}, and is then multiplied by the product of k Jacobians.")
    if g0 > 2:
        text += (r" It starts high because the last output $\hat y_T$ is far from its target: the forward pass "
                 r"has grown the state $h_T$ as well.")
    return text


def overflow_note(a: Mapping, T: int, activation: str) -> tuple[str, str] | None:
    """("warning" or "info", text) when the forward pass or the gradient's norm left float64's range, else
    None: what was cut, why, and what the chart shows instead."""
    t0, T_used = a.get("overflow_step"), a.get("T_used", T)
    if t0 and T_used < T:
        return ("warning", f"The hidden state itself leaves float64's range (about 10³⁰⁸) at step {t0}: with "
                f"{activation} and this weight scale the forward pass blows up, not only the gradient. Past that "
                "step f′(aₜ) would be read from overflowed values, so the chart and the numbers follow the chain "
                f"over the first {T_used} steps, where every number is exact (lag k counts back from step "
                f"{T_used}).")
    if t0:
        return ("info", f"The hidden state leaves float64's range (about 10³⁰⁸) at step {t0}. A linear RNN's "
                "Jacobians do not depend on the state (f′ = 1), so the products below are exact over all T; the "
                "BPTT gradient needs ŷ_T, which is beyond float64, so its orange line is left out.")
    if a.get("grad_lost"):
        return ("info", "The BPTT gradient ‖∂L/∂h‖ is too large for the engine's float64 norm here, so its orange "
                "line is left out; the Jacobian products are exact.")
    return None


def metric_rows(a: Mapping, activation: str) -> list[tuple[str, float, str]]:
    """The page's six numbers of the analysis `a` (ui.cached.model.analysis), each (label, value, help): ρ(W),
    σₘₐₓ(W) and γ, then γ·σₘₐₓ (Pascanu's bound per step), mean |f′| and ρ·mean |f′|. `activation` as the screen
    writes it."""
    return [("ρ(W)", a["rho"], "Spectral radius of W (its largest |eigenvalue|): the growth rate of ‖Wᵏ‖."),
            ("σₘₐₓ(W)", a["sigma_max"], "Largest singular value of W: the most W can stretch a vector."),
            ("γ = sup|f′|", a["gamma"], f"The largest slope of {activation}: the bound on f′."),
            ("γ·σₘₐₓ", a["gamma"] * a["sigma_max"], "Below 1 the product must vanish (Pascanu et al. 2013); "
             "above 1 it only may grow."),
            ("mean |f′|", a["mean_abs_fprime"], "|f′(aₜ)| averaged over every step and unit of this trajectory."),
            ("ρ·mean |f′|", a["rho"] * a["mean_abs_fprime"], "A rough rate per step: each step scales by f′ and W.")]
