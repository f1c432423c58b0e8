"""Jacobian products: log10‖∏_{j=i+1}^{T} ∂h_j/∂h_{j-1}‖ against the lag k = T − i, with the bounds, the
BPTT gradient, the slope per step and the regime."""
import math

import streamlit as st

from ui import settings as S
from ui import projector, sidebar
from ui.blocks import chart_block, page_control, page_setting, regime_badge
from ui.cached.jacobian_products import chart as cached_chart
from ui.cached.model import analysis
from ui.cached.theory import mean_field
from ui.charts.theory import prediction_text
from ui.cached.activations import fprime_along_trajectory
from ui.charts.jacobian_products import (gradient_start_text, metric_rows, overflow_note, saturated_fraction,
                                         unsteady_note, why_this_rate)
from ui.charts.style import ZERO_NOTE, fmt_num, fmt_pow10
from ui.settings import display_name, scale_label
from rnn.jacobians import EDGE_TOL  # after ui, which imports the app once (ui/__init__.py)

s = sidebar.current()
with st.spinner(f"Multiplying {s.T} Jacobians of size {s.hidden} × {s.hidden}…"):
    a = analysis(s)
regime, slope = a["regime"], a["slope"]

st.title("Jacobian products", anchor=False)
st.latex(r"\frac{\partial h_T}{\partial h_i}=\prod_{j=i+1}^{T}\frac{\partial h_j}{\partial h_{j-1}}"
         r"=\prod_{j=i+1}^{T}\operatorname{diag}\!\big(f'(a_j)\big)\,W^{\top}")
st.latex(r"\Big\|\frac{\partial h_T}{\partial h_{T-k}}\Big\|\le(\gamma\,\sigma_{\max})^{k}")

# the regime, its slope and one sentence with a real number in it
T_used = a.get("T_used", s.T)  # fewer than T when the forward pass itself overflows (ui.cached.model._analysis)
# the lag's stops up to T_used, T_used the last (k is capped there); a link's own lag (say 37) is a stop too
k_stops = sorted({*(k for k in S.LAG_STOPS if k < T_used), T_used, min(page_setting("lag"), T_used)})
k = page_control("lag", st.select_slider, args=(k_stops,), help=S.PAGE_CONTROLS["lag"].field.help, cap=T_used,
                 too_high="The lag k = {value} is longer than this sequence: k = {hi}, the whole of it.")
at_k = float(a["log10_norm"][k - 1])
per_step = fmt_pow10(slope, digits=3) if math.isfinite(slope) else "0"
left, right = st.columns([4, 9], vertical_alignment="center")
with left:
    regime_badge(regime)  # rnn.analyze's, over the T_used steps analysed
    st.markdown(f"slope **{fmt_num(slope, 3)}** decades per step  \n(×{per_step} per step)"
                if math.isfinite(slope) else "the product is **exactly 0** from some lag on  \n"
                "(W = 0, or every unit dark)")
with right:
    st.markdown(f"#### A signal from {k} step{'s' if k != 1 else ''} back arrives scaled by "
                f"${fmt_pow10(at_k, latex=True)}$")
    st.caption(f"{display_name(s.activation)}, {scale_label(s)}, {display_name(s.init)} W, n = {s.hidden}, T = {s.T}: "
               rf"$\lVert \partial h_T/\partial h_{{T-{k}}} \rVert = {fmt_pow10(at_k, latex=True)}$. "
               "Regime from the slope of the line below (how many "
               f"powers of ten the norm loses or gains per step back): vanishing below −{EDGE_TOL:g}, exploding "
               f"above +{EDGE_TOL:g} decades per step, edge of chaos in between. Pick the lag above.")
st.markdown(why_this_rate(a, regime))
sat = saturated_fraction(fprime_along_trajectory(s)["values"])  # the share of f′(aₜ) below 10⁻⁶
unsteady = unsteady_note(a, sat)  # the line is no straight line: its slope's regime says little
if unsteady:
    st.warning(unsteady, icon=":material/ssid_chart:")

note = overflow_note(a, s.T, display_name(s.activation))  # when the forward pass or the gradient's norm overflowed
if note:
    (st.warning if note[0] == "warning" else st.info)(note[1], icon=f":material/{note[0]}:")

metrics = metric_rows(a, display_name(s.activation))  # (label, value, help): ρ, σₘₐₓ, γ and their products
for row in (metrics[:3], metrics[3:]):  # two rows of three: nothing cut at 1024 px
    for col, (label, value, helptext) in zip(st.columns(3), row):
        col.metric(label, fmt_num(value), help=helptext, border=True)

# mean-field theory beside the measurement: a sentence, and its line on the chart
mf = mean_field(s)
head, note = prediction_text(mf, slope, sat, s.hidden)
if head:
    st.markdown(head)
st.caption(note)

spec, df = cached_chart(a, mf["slope"] if head else None, projector.on())  # made once for a class
n_zero = int((df["note"] == ZERO_NOTE).sum())
floor = (f" {n_zero} value(s) are exactly 0 (log = −∞): they are drawn at the floor of the chart, "
         "labelled 0." if n_zero else "")
chart_block(
    spec, df,
    "x: the lag k, how many steps back from the last step T. y: the norm on a log scale (10ᵏ), so any size "
    "fits. Thick grey: the spectral norm of the product of k Jacobians, "
    "$\\lVert \\partial h_T/\\partial h_{T-k} \\rVert$. Dashed: the bound (γ·σₘₐₓ)ᵏ, which the grey line can "
    "never cross, and ρᵏ, the rate it follows for a linear RNN; the axis follows the measured lines, so a bound "
    "far above them leaves the chart at the top. Orange: the gradient BPTT actually sends back, "
    + gradient_start_text(a) + " A straight line falling means vanishing, rising means exploding; its slope is "
    "the number above." + floor,
    "jacobian_products.csv", label="Download the chart's data (CSV)")
