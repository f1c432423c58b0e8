"""Activations (the report's §2.2.2): f beside f′ and the bound γ = sup|f′| for each activation, and how large f′
really is along the current model's trajectory."""
import streamlit as st

from ui import sidebar
from ui.blocks import chart_block
from ui.cached import activations as cached
from ui.cached.charts import spec  # each chart made once per inputs, for every visitor
from ui.charts import activations as charts
from ui.charts.style import fmt_num
from ui.settings import display_name

s = sidebar.current()
curves = cached.activation_curves()
cur = curves[s.activation]
codomain = cur["codomain"].replace("∞", r"\infty").replace("−", "-")

st.title("Activations", anchor=False)
st.markdown("Every step back, BPTT multiplies the gradient by diag(f′(aₜ)) Wᵀ. So the size of f′ matters as "
            "much as the size of W: its bound γ = sup|f′| caps every factor at γ·σₘₐₓ(W).")

st.subheader(f"In use: {display_name(s.activation)}", anchor=False)
st.latex(rf"f(a) = {cur['formula']},\qquad f'(a) = {cur['dformula']}")  # two lines: nothing cut at 1024 px
st.latex(rf"\gamma = \sup_a |f'(a)| = {cur['gamma']:g},\qquad f(a) \in {codomain}")
with st.expander("Every activation's formulas", icon=":material/function:"):
    for name, c in curves.items():
        st.latex(rf"\textsf{{{name.replace('_', ' ')}}}:\quad f(a) = {c['formula']},\qquad f'(a) = {c['dformula']}"
                 rf",\qquad \gamma = {c['gamma']:g}")

df = charts.activation_frame(curves, current=s.activation)
chart_block(spec(charts.activation_chart, df), df,
              "Each panel: x is the pre-activation a, y is f(a) (grey) and f′(a) (orange); the dashed purple "
              "rule is γ = sup|f′|, the most one step can multiply the gradient by (with σₘₐₓ = 1). Look at "
              "sigmoid: f′ never reaches more than 1/4. The y axis is clipped at ±1.5, so unbounded f "
              "(relu, leaky relu, linear) leave the panel; the panel title gives each codomain.",
              "activations.csv", label="Download f and f′ (CSV)", width=None)

st.subheader("f′ along this network's trajectory", anchor=False)
fp = cached.fprime_along_trajectory(s)
gamma, mean_abs = fp["gamma"], fp["mean_abs"]
c1, c2, c3 = st.columns(3)
c1.metric("mean |f′(aₜ)|", fmt_num(mean_abs), border=True,
          help="Averaged over every step t and hidden unit of the trajectory in the sidebar's settings.")
c2.metric("γ = sup|f′|", fmt_num(gamma), border=True, help="The bound the theory uses.")
c3.metric("mean |f′| / γ", fmt_num(mean_abs / gamma), border=True,
          help="How much of the bound the network really uses: well below 1 means saturated units.")
hist = charts.fprime_frame(fp["values"], gamma)
chart_block(spec(charts.fprime_chart, hist, gamma, mean_abs), hist,
              f"The {fp['values'].size:,} values f′(aₜ), one per step t = 1 … {s.T} and unit "
              f"(n = {s.hidden}), binned. x: the value of f′; y: the share of all values in each bin. The solid "
              "rule is γ, the dashed one the mean. Mass far left of γ means saturated units (large |a|), "
              "which shrink the gradient faster than the bound says; try a larger input scale.",
              "fprime_histogram.csv", label="Download the histogram (CSV)")
