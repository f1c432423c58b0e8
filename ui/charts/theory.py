"""Charts of the page "Theory": the measured slope over gain × input scale with mean-field theory's critical
curve on top, the Lyapunov spectra of the three cells, and the singular values of a product of Jacobians for
Gaussian and orthogonal W.

Pure functions: arrays and dicts in, a frame and an alt.Chart out; every value handed to Altair is finite.
References: Poole et al. 2016 and Chen, Pennington & Schoenholz 2018 (the critical curve); Engelken, Wolf &
Abbott 2020 (Lyapunov spectra); Pennington, Schoenholz & Ganguli 2017 (singular values, dynamical isometry).
"""
from __future__ import annotations

from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from rnn.jacobians import classify

from .. import theme
from ..settings import CELL_NAMES, INIT_NAMES  # one table each (ui.settings)
from .phase_diagram import NEUTRAL, _edges, phase_frame
from .style import TEXT, ZERO_NOTE, axis_pow10, finite_log, fmt_num, style

CURVE = "mean-field edge (χ₁ = 1)"
W_NAMES = {k: f"{INIT_NAMES[k]} W" for k in ("gaussian", "orthogonal")}  # the two products compared: "Gaussian W"


# ---------------------------------------------------------------------------------------------------------
# gain × input scale

def diagram_frame(grid: pd.DataFrame) -> pd.DataFrame:
    """The grid (columns scale = gain, input_scale, slope, log10_norm_T, predicted) with what the heatmap
    needs: ui.charts.phase_diagram.phase_frame's cell edges on the gain axis, regime, colour value and texts,
    plus cell edges on the input-scale axis and the predicted slope as text."""
    df = phase_frame(grid, "slope")
    ys = np.sort(df["input_scale"].unique())
    lo, hi = _edges(ys)
    df["input_lo"] = df["input_scale"].map(dict(zip(ys, lo)))
    df["input_hi"] = df["input_scale"].map(dict(zip(ys, hi)))
    df["predicted_text"] = [fmt_num(v, 4, fixed=True) for v in df.pop("predicted")]
    return df


def curve_frame(curve: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """The critical curve (columns input_scale, gain) kept where it lies inside the heatmap, finite only."""
    c = curve[np.isfinite(curve["gain"]) & np.isfinite(curve["input_scale"])]
    keep = ((c["gain"] >= df["scale_lo"].min()) & (c["gain"] <= df["scale_hi"].max())
            & (c["input_scale"] >= df["input_lo"].min()) & (c["input_scale"] <= df["input_hi"].max()))
    return c[keep].assign(line=CURVE).reset_index(drop=True)


def diagram_chart(df: pd.DataFrame, curve: pd.DataFrame, current: Mapping | None = None) -> alt.TopLevelMixin:
    """Heatmap of the measured slope over gain (log axis) × input scale (log axis), blue vanishing, orange
    exploding, green outline the edge; the mean-field critical curve on a white halo; `current` (gain,
    input_scale) outlined."""
    c = float(np.abs(df["value"]).max()) or 1.0
    xs = alt.Scale(type="log", domain=[float(df["scale_lo"].min()), float(df["scale_hi"].max())], nice=False)
    ys = alt.Scale(type="log", domain=[float(df["input_lo"].min()), float(df["input_hi"].max())], nice=False)
    x = alt.X("scale_lo:Q", title="gain g of W (entries N(0, g²/n); log axis)", scale=xs,
              axis=alt.Axis(values=sorted(df["scale"].unique().tolist()), format=".2~f"))
    y = alt.Y("input_lo:Q", title="input scale (log axis)", scale=ys,
              axis=alt.Axis(values=sorted(df["input_scale"].unique().tolist()), format=".2~f"))
    tips = [alt.Tooltip("scale:Q", title="gain g"), alt.Tooltip("input_scale:Q", title="input scale"),
            alt.Tooltip("slope_text:N", title="measured slope per step"),
            alt.Tooltip("predicted_text:N", title="mean-field slope per step"), alt.Tooltip("regime:N")]
    base = alt.Chart(df).encode(x=x, x2="scale_hi:Q", y=y, y2="input_hi:Q")
    heat = base.mark_rect(stroke="white", strokeWidth=0.5).encode(
        color=alt.Color("value:Q", title="slope / step",
                        scale=alt.Scale(domain=[-c, 0, c], range=[theme.REGIME_COLORS["vanishing"], NEUTRAL,
                                                                  theme.REGIME_COLORS["exploding"]]),
                        legend=alt.Legend(orient="right", gradientLength=200)),
        tooltip=tips)
    edge = base.transform_filter(alt.datum.regime == "edge").mark_rect(
        fill=None, strokeWidth=3, stroke=theme.REGIME_COLORS["edge"]).encode(tooltip=tips)
    layers = [heat, edge]
    if current is not None:
        cur = df[np.isclose(df["scale"], current["scale"]) & np.isclose(df["input_scale"], current["input_scale"])]
        if len(cur):
            layers.append(alt.Chart(cur).mark_rect(fill=None, stroke=theme.INK, strokeWidth=3,
                                                   strokeDash=[5, 3]).encode(x=x, x2="scale_hi:Q", y=y,
                                                                             y2="input_hi:Q", tooltip=tips))
    if len(curve):
        cx, cy = alt.X("gain:Q", scale=xs), alt.Y("input_scale:Q", scale=ys)
        ctips = [alt.Tooltip("input_scale:Q", title="input scale", format=".3f"),
                 alt.Tooltip("gain:Q", title="critical gain", format=".3f")]
        layers.append(alt.Chart(curve).mark_line(strokeWidth=8, color=theme.HALO, opacity=0.85).encode(
            x=cx, y=cy, order="input_scale:Q"))
        layers.append(alt.Chart(curve).mark_line(strokeWidth=3, strokeDash=[8, 4]).encode(
            x=cx, y=cy, order="input_scale:Q", tooltip=ctips,
            color=alt.Color("line:N", title=None, scale=alt.Scale(domain=[CURVE], range=[theme.THEORY_COLOR]),
                            legend=alt.Legend(orient="bottom", symbolStrokeWidth=4, symbolDash=[8, 4]))))
    chart = alt.layer(*layers).properties(height=420).resolve_scale(color="independent")
    return style(chart, legend=None)


# ---------------------------------------------------------------------------------------------------------
# Lyapunov spectra

DEAD_EXPONENT = "dead direction (λ = −∞: a unit off, or W = 0, killed it), drawn at the floor"
DEAD_SV = "dead direction (σ = 0 exactly: beyond the product's rank), drawn at the floor"


def spectrum_frame(lyap: Mapping) -> pd.DataFrame:
    """One row per (cell, exponent): its index i (1 = largest) and λ_i in log10 per step. A −∞ exponent (a
    direction killed exactly: a unit off, W = 0) is drawn at a floor one decade below the rest, `dead` and
    flagged in `note`, its text "−∞ (dead)"."""
    parts = [pd.DataFrame({"cell": CELL_NAMES[k], "index": np.arange(1, len(v["spectrum"]) + 1),
                           "exponent": np.asarray(v["spectrum"], dtype=np.float64)}) for k, v in lyap.items()]
    df = pd.concat(parts, ignore_index=True)
    df["dead"] = np.isneginf(df["exponent"].to_numpy())
    df["text"] = [fmt_num(v, 4, fixed=True) + (" (dead)" if np.isneginf(v) else "") for v in df["exponent"]]
    df = finite_log(df, "exponent")  # NaN dropped, −∞ at the floor (the shared rule of every log chart)
    df["note"] = df["note"].replace(ZERO_NOTE, DEAD_EXPONENT)
    return df


def _floor(df: pd.DataFrame, col: str) -> float | None:
    """The floor where finite_log drew the dead values, None when there are none."""
    return float(df.loc[df["dead"], col].min()) if df["dead"].any() else None


def _floor_layers(floor: float | None, label: str) -> list:
    """A dotted line at the floor with its label above it at the right (where the dead values lie, clear of the
    lines falling to them): what a value drawn there means."""
    if floor is None:
        return []
    rule = pd.DataFrame({"y": [floor], "label": [label]})
    base = alt.Chart(rule).encode(y="y:Q")
    return [base.mark_rule(color=theme.INK, strokeWidth=1.5, strokeDash=[2, 3]),
            base.mark_text(align="right", baseline="bottom", dy=-3, x="width", dx=-4, color=TEXT, fontSize=14).encode(
                text="label:N")]


def spectrum_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    """λ_i against i for each cell, the zero line grey: above it a direction that grows per step."""
    names = [CELL_NAMES[k] for k in CELL_NAMES if CELL_NAMES[k] in set(df["cell"])]
    colors = [theme.CELL_COLORS[k] for k in CELL_NAMES if CELL_NAMES[k] in set(df["cell"])]
    color = alt.Color("cell:N", title=None, sort=names, scale=alt.Scale(domain=names, range=colors))
    floor = _floor(df, "exponent")
    # the floor's tick, if any, reads −∞: the dead directions drawn there
    floor_label = {} if floor is None else {"labelExpr": f"datum.value == {floor:g} ? '−∞' : datum.label"}
    lines = alt.Chart(df).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("index:Q", title="exponent number i (1 = the largest)"),
        y=alt.Y("exponent:Q", axis=alt.Axis(title="Lyapunov exponent λᵢ (decades per step)", **floor_label)),
        color=color,
        tooltip=[alt.Tooltip("cell:N"), alt.Tooltip("index:Q", title="i"),
                 alt.Tooltip("text:N", title="λᵢ (decades per step)"), alt.Tooltip("note:N")])
    zero = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=theme.INK, strokeWidth=2,
                                                           strokeDash=[4, 4]).encode(y="y:Q")
    return style(alt.layer(zero, *_floor_layers(floor, "−∞: dead directions"), lines), height=380)


# ---------------------------------------------------------------------------------------------------------
# singular values of ∂h_T/∂h_{T−k}

def svals_frame(sv: Mapping) -> pd.DataFrame:
    """One row per (initialisation, singular value) from ui.cached.theory.product_svals: the rank i (1 =
    largest) and log10 σ_i; −∞ (σ_i exactly 0, beyond the product's rank) drawn one decade below the rest,
    `dead` and flagged in `note`, its text (log₁₀ σᵢ) "−∞ (σᵢ = 0: dead)"."""
    parts = [pd.DataFrame({"W": W_NAMES[k], "rank": np.arange(1, len(v["log10_sv"]) + 1),
                           "log10": np.asarray(v["log10_sv"], dtype=np.float64)}) for k, v in sv.items()]
    df = pd.concat(parts, ignore_index=True)
    df["dead"] = np.isneginf(df["log10"].to_numpy())
    df = finite_log(df)  # NaN dropped, −∞ at the floor, noted
    df["note"] = df["note"].replace(ZERO_NOTE, DEAD_SV)
    df["text"] = ["−∞ (σᵢ = 0: dead)" if d else fmt_num(x, 4, fixed=True)
                  for x, d in zip(df["log10"], df["dead"])]
    return df


def svals_chart(df: pd.DataFrame) -> alt.TopLevelMixin:
    """log10 σ_i against the rank i, Gaussian beside orthogonal W; the grey line is σ = 1."""
    names = [W_NAMES[k] for k in W_NAMES if W_NAMES[k] in set(df["W"])]
    colors = [theme.INIT_COLORS[k] for k in W_NAMES if W_NAMES[k] in set(df["W"])]
    lines = alt.Chart(df).mark_line(strokeWidth=3, point=alt.OverlayMarkDef(size=30)).encode(
        x=alt.X("rank:Q", title="rank i of the singular value (1 = the largest)"),
        y=alt.Y("log10:Q", axis=axis_pow10("singular value σᵢ (log scale)", _floor(df, "log10"))),
        color=alt.Color("W:N", title=None, sort=names, scale=alt.Scale(domain=names, range=colors)),
        tooltip=[alt.Tooltip("W:N"), alt.Tooltip("rank:Q", title="i"),
                 alt.Tooltip("text:N", title="log₁₀ σᵢ"), alt.Tooltip("note:N")])
    one = alt.Chart(pd.DataFrame({"y": [0.0]})).mark_rule(color=theme.INK, strokeWidth=2,
                                                          strokeDash=[4, 4]).encode(y="y:Q")
    floor = _floor_layers(_floor(df, "log10"), "0: dead directions")
    return style(alt.layer(one, *floor, lines), height=380)


def dead_svals_text(sv: Mapping) -> str:
    """What the page says of the exact zeros among the singular values (ui.cached.theory.product_svals):
    how many of each product are dead, "" when none is."""
    if not any(v["n_dead"] for v in sv.values()):
        return ""
    counts = " and ".join(f"**{v['n_dead']} of {len(v['log10_sv'])}** ({INIT_NAMES[k]})"
                          for k, v in sv.items())
    return (f" Exactly 0, dead: {counts}. A unit that is off at some step (f′ = 0) passes nothing back, so the "
            "product's rank is at most the fewest units on at any of its steps; the other directions are not "
            "small but gone. The spreads are over the live ones; the chart draws the dead ones at the floor "
            "marked 0.")


def dead_exponents_text(n_dead: int, n: int) -> str:
    """The caption's count of dead Lyapunov directions, "" when none is."""
    if not n_dead:
        return ""
    return (f" **{n_dead} of {n}** dead: λ = −∞, directions a unit that is off (f′ = 0) kills exactly, drawn at "
            "the floor.")


# ---------------------------------------------------------------------------------------------------------
# the sentence on "Jacobian products"

SATURATED_MOST = 0.5  # mean-field theory is no prediction once this share of f′(a_t) is saturated (< 10⁻⁶)

def prediction_text(mf: Mapping, measured: float, saturated: float = 0.0, n: int | None = None
                    ) -> tuple[str | None, str]:
    """The headline "Mean-field theory predicts slope P per step; measured M" (None where the theory does
    not apply or predicts no finite slope) and a caption that says where P comes from, or why there is none.
    `mf` is ui.cached.theory.mean_field's dict; `saturated` the share of f′(a_t) below 10⁻⁶ along the
    trajectory (rnn.jacobians.SATURATED_FPRIME), `n` the hidden size. The theory does not apply where most
    units are saturated (at least SATURATED_MOST of them) or where prediction and measurement name opposite
    regimes (rnn's classify): there the average it takes over infinitely many units is carried by the rare
    unsaturated ones, which a finite network has too few of."""
    if mf["gap"] is not None:
        return None, mf["gap"] + " No line is drawn for it on the chart."
    if not np.isfinite(mf["slope"]):
        return None, ("Mean-field theory gives χ₁ = 0 here (W = 0, or no unit ever has f′ ≠ 0): no finite slope "
                      "to draw.")
    opposite = (np.isfinite(measured) and {classify(mf["slope"]), classify(measured)} == {"vanishing", "exploding"})
    if saturated >= SATURATED_MOST or opposite:
        text = (f"Mean-field theory does not apply here: it predicts slope {fmt_num(mf['slope'], 3)} per step "
                f"(χ₁ = {fmt_num(mf['chi1'])}), the model measures {fmt_num(measured, 3)}.")
        if saturated >= SATURATED_MOST:
            units = f"with n = {n} units" if n is not None else "in a finite network"
            text += (f" {saturated:.0%} of the values f′(aₜ) along this trajectory are below 10⁻⁶ (saturated "
                     "units). The theory averages f′² over infinitely many units (n → ∞), and here that average "
                     f"is carried by the rare units near a = 0; {units} there are too few of them at each step.")
        if opposite:
            text += " The two even disagree on the direction: one vanishes, the other explodes."
        return None, text + " No line is drawn for it on the chart."
    head = (f"**Mean-field theory predicts slope {fmt_num(mf['slope'], 3)} per step; measured "
            f"{fmt_num(measured, 3)}.**")
    note = (r"From this model's own weights and inputs: $\sigma_w^2 = \lVert W \rVert_F^2/n$ = "
            f"{fmt_num(mf['sigma_w2'])}, input variance $\\sigma_b^2$ = {fmt_num(mf['sigma_b2'])}, so the "
            f"pre-activations settle at variance $q^*$ = {fmt_num(mf['q_star'])} and each step multiplies "
            r"$\lVert \delta h \rVert^2$ by $\chi_1 = \sigma_w^2\, \mathbb E[f'(\sqrt{q^*} z)^2]$ = "
            f"{fmt_num(mf['chi1'])}: slope ½·log₁₀ χ₁ (Poole et al. 2016; Chen, Pennington & Schoenholz 2018). "
            "The fuchsia dashed line on the chart. χ₁ < 1 vanishes, χ₁ > 1 explodes; the theory is exact for "
            "a wide network with Gaussian W (n → ∞), so a finite n and T leave the measurement off the line by "
            f"{fmt_num(abs(measured - mf['slope']), 2)} decades per step here.")
    if not mf["converged"]:
        note += " (The solve for $q^*$ did not fully converge here: take the prediction as a guide.)"
    return head, note
