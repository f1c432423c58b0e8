"""Charts and text of the page "BPTT by hand": the report's equations beside this model's numbers,
the gradient check, the per-step terms of ∂L/∂W, ∂L/∂U, ∂L/∂b_h, and truncated BPTT against full BPTT.

Pure functions: plain dicts and arrays in (from ui.cached.bptt_by_hand.bptt_report), pandas frames, LaTeX strings
and alt.Chart out. Nothing non-finite reaches Altair: log scales are log10 values, filtered to finite ones.
References: Werbos (1990) for BPTT; Williams & Peng (1990) for truncation; Pascanu, Mikolov & Bengio (2013).
"""
from __future__ import annotations


import altair as alt
import numpy as np
import pandas as pd

from ..theme import INK, REGIME_COLORS
from .style import axis_pow10, style, tex_num

TERM_COLORS = {"∂L/∂W": "#7c3aed", "∂L/∂U": "#0891b2", "∂L/∂b_h": "#d97706"}
TERM_KEYS = {"W": "∂L/∂W", "U": "∂L/∂U", "b_h": "∂L/∂b_h"}
KEPT_COLOR = "#9ca3af"  # a light band on white, a dim one on the dark theme (opacity 0.3)


def _vec(v) -> str:
    return r"\left(" + r",\ ".join(tex_num(a, 3) for a in v) + r"\right)"


def aligned(items) -> str:
    """LaTeX lines `lhs = rhs`, aligned at the equals signs."""
    return r"\begin{aligned}" + r" \\ ".join(f"{l} &= {r}" for l, r in items) + r"\end{aligned}"


def equation_rows(rep: dict, an: dict, activation: str) -> list[tuple[str, str]]:
    """(the report's equation, this model's numbers) as LaTeX pairs, in the order of the derivation."""
    n, sgd = rep["norms"], rep["sgd"]
    name = activation.replace("_", r"\_")
    rows = [
        (r"h_t = f\!\left(U^\top x_t + W^\top h_{t-1} + b_h\right),\quad h_0 = 0",
         [("f", rf"\text{{{name}}}"), ("T", str(rep["T"])), (r"\lVert h_T \rVert", tex_num(rep["h_T_norm"]))]),
        (r"\hat y_t = f\!\left(V^\top h_t + b_y\right)",
         [(r"\hat y_T", _vec(rep["y_hat_T"])), ("y", _vec(rep["y"]))]),
        (r"L = \tfrac12 \lVert \hat y_T - y \rVert^2", [("L", tex_num(rep["loss"]))]),
        (r"\frac{\partial L}{\partial W} = \frac{\partial L}{\partial \hat y_T}\,"
         r"\frac{\partial \hat y_T}{\partial h_T} \sum_{i=1}^{T} \frac{\partial h_T}{\partial h_i}\,"
         r"\frac{\partial h_i}{\partial W}",
         [(r"\lVert \partial L/\partial W \rVert_F", tex_num(n["W"])),
          (r"\lVert \partial L/\partial U \rVert_F", tex_num(n["U"])),
          (r"\lVert \partial L/\partial b_h \rVert", tex_num(n["b_h"]))]),
        (r"\frac{\partial h_T}{\partial h_i} = \prod_{j=i+1}^{T} \frac{\partial h_j}{\partial h_{j-1}}"
         r" = \prod_{j=i+1}^{T} \operatorname{diag}\!\big(f'(a_j)\big)\, W^\top",
         [(r"\log_{10} \lVert \partial h_T/\partial h_0 \rVert_2", tex_num(an["log10_norm"][-1])),
          (r"\text{slope per step}", tex_num(an["slope"], 3))]),
    ]
    if sgd is not None:
        rows.append((r"\theta \leftarrow \theta - \alpha\, \frac{\partial L}{\partial \theta}",
                     [(r"\alpha", f"{sgd['lr']:g}"), (r"L \text{ after one step}", tex_num(sgd["loss_after"])),
                      (r"\lVert \alpha\, \partial L/\partial W \rVert / \lVert W \rVert",
                       tex_num(sgd["rel_step_W"], 3))]))
    return [(eq, aligned(items)) for eq, items in rows]


# the report's form of ∂L/∂V (its ∂L/∂b_y is written the same way): a sum over the steps, as for W
REPORT_V_TEX = (r"\frac{\partial L}{\partial V} \overset{\text{report}}{=} \sum_{t=1}^{T} "
                r"\frac{\partial L}{\partial \hat y_t}\,\frac{\partial \hat y_t}{\partial V}")
RATIO_HELP = ("The truncated gradient keeps the last N + 1 terms of the sum and drops the older ones. The dropped "
              "terms are vectors too: where they point against the kept ones they cancel part of them, so "
              "leaving them out can make the sum longer, a ratio above 1.")
ERRATUM_TEX = aligned([(r"\frac{\partial L}{\partial V}", r"h_T\, \delta o_T^\top"),
                       (r"\frac{\partial L}{\partial b_y}", r"\delta o_T"),
                       (r"\delta o_T", r"(\hat y_T - y) \odot f'(V^\top h_T + b_y)")])


def erratum_numbers(rep: dict) -> str:
    n = rep["norms"]
    return aligned([(r"\lVert \partial L/\partial V \rVert_F", tex_num(n["V"])),
                    (r"\lVert \partial L/\partial b_y \rVert", tex_num(n["b_y"]))])


def overflow_text(an: dict) -> str:
    """What the page says when hand BPTT overflowed float64: the log-space product of Jacobians (`an`, the page's
    analysis) stays finite, and its value."""
    return ("Hand BPTT in float64 overflowed for these settings: some numbers below went past 10³⁰⁸ (marked "
            "overflow), and the charts leave them out. The product of Jacobians, computed in log space, stays "
            rf"finite: $\log_{{10}} \lVert \partial h_T/\partial h_0 \rVert = {an['log10_norm'][-1]:.1f}$. Lower T "
            "or the weight scale to see every number.")


def check_frame(rep: dict) -> pd.DataFrame:
    """The gradient check as a table: hand BPTT against autograd, per parameter."""
    return pd.DataFrame(rep["check"]).rename(columns={
        "max_abs_error": "max |hand − autograd|", "max_rel_error": "relative to max |autograd|"})


def per_step_frame(rep: dict) -> pd.DataFrame:
    """Long frame: step t, term, log10 of the norm of step t's term; finite values only."""
    parts = []
    for k, name in TERM_KEYS.items():
        v = np.asarray(rep["per_step"][k], dtype=np.float64)
        t = np.arange(1, v.size + 1)
        ok = np.isfinite(v)
        parts.append(pd.DataFrame({"step": t[ok], "term": name, "log10_norm": v[ok]}))
    return pd.concat(parts, ignore_index=True)


def per_step_chart(df: pd.DataFrame, T: int, N: int | None = None) -> alt.TopLevelMixin:
    """log10‖term of step t‖ against t for the three terms; the steps kept by truncation N shaded."""
    x = alt.X("step:Q", title="step t (where W, U, b_h act)", scale=alt.Scale(domain=[1, max(T, 2)]))
    lines = alt.Chart(df).mark_line(point=T <= 60, strokeWidth=2.5).encode(
        x=x,
        y=alt.Y("log10_norm:Q", axis=axis_pow10("‖term of step t‖ (log scale)")),
        color=alt.Color("term:N", title=None, scale=alt.Scale(domain=list(TERM_COLORS),
                                                              range=list(TERM_COLORS.values())),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("term:N"), alt.Tooltip("step:Q", title="step t"),
                 alt.Tooltip("log10_norm:Q", title="log10 ‖term‖", format=".3f")],
    )
    if N is None:
        return style(lines.properties(height=360), legend=None)
    win = pd.DataFrame({"from": [max(T - N, 1) - 0.5], "to": [T + 0.5],
                        "label": [f"kept by truncation N = {N}: steps {max(T - N, 1)} … {T}"]})
    band = alt.Chart(win).mark_rect(color=KEPT_COLOR, opacity=0.3).encode(
        x="from:Q", x2="to:Q", tooltip=[alt.Tooltip("label:N", title="shaded")])
    return style(alt.layer(band, lines).properties(height=360), legend=None)


def sweep_frame(rep: dict) -> pd.DataFrame:
    """Long frame over N: cosine similarity and log10 norm ratio of truncated vs full ∂L/∂W; finite only."""
    sw = rep["sweep"]
    parts = []
    for key, name in (("cos", "cosine similarity"), ("log10_ratio", "log10 ‖∇_N‖ / ‖∇‖")):
        v = np.asarray(sw[key], dtype=np.float64)
        ok = np.isfinite(v)
        parts.append(pd.DataFrame({"N": np.asarray(sw["N"])[ok], "measure": name, "value": v[ok]}))
    return pd.concat(parts, ignore_index=True)


def sweep_charts(df: pd.DataFrame, N: int) -> list[alt.TopLevelMixin]:
    """Two charts over N (symlog axis), current N marked: cosine similarity of the truncated ∂L/∂W with the
    full one, and log10 of their norm ratio. Two charts, not one vconcat, so each can stretch to the page."""
    top = int(df["N"].max()) if len(df) else 1
    ticks = [v for v in (0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000) if v <= max(top, N)]
    x = alt.X("N:Q", title="truncation N (steps kept back from T)", scale=alt.Scale(type="symlog"),
              axis=alt.Axis(values=ticks, grid=True))
    mark = pd.DataFrame({"N": [N]})

    def panel(name: str, title: str, domain=None):
        d = df[df["measure"] == name]
        y = alt.Y("value:Q", title=title, scale=alt.Scale(domain=domain) if domain else alt.Scale(zero=False))
        line = alt.Chart(d).mark_line(strokeWidth=3, color=INK).encode(
            x=x, y=y, tooltip=[alt.Tooltip("N:Q", title="N"), alt.Tooltip("value:Q", title=name, format=".4f")])
        rule = alt.Chart(mark).mark_rule(color=REGIME_COLORS["exploding"], strokeWidth=3, strokeDash=[6, 4]).encode(
            x="N:Q", tooltip=[alt.Tooltip("N:Q", title="current N")])
        return style(alt.layer(line, rule).properties(height=220), legend=None)

    return [panel("cosine similarity", "cos(∇_N, ∇)", [-1, 1]), panel("log10 ‖∇_N‖ / ‖∇‖", "log10 ‖∇_N‖/‖∇‖")]
