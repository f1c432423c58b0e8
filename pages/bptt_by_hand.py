"""BPTT by hand: the report's equations beside this model's numbers, a gradient check against autograd, each
step's term of the gradient, and truncated BPTT against full BPTT (report eqs. 1–18, pseudocode lines 19–21)."""
import streamlit as st

from ui import sidebar
from ui.session import unfolded
from ui.blocks import chart_block, page_control, page_setting, table_block
from ui.cached import bptt_by_hand as E
from ui.cached.charts import spec  # each chart made once per inputs, for every visitor
from ui.cached.model import analysis
from ui.charts import bptt_by_hand as C
from ui.charts.style import fmt_num
from ui.limits import stop_if_over

s = sidebar.current()
st.title("BPTT by hand", anchor=False)
st.caption("Backpropagation through time written out with the chain rule of the report this app follows, "
           "by hand, not by autograd, for the model in the sidebar. The loss reads the last output only: "
           "L = ½‖ŷ_T − y‖², with the target y = f(z) for a random z drawn from the seed: a value the output "
           "can reach.")
stop_if_over(s, "bptt")  # hand BPTT keeps T·n² numbers: refused with a message above ui.limits' budget
rep, an = E.bptt_report(s), analysis(s)
if not rep["finite"]:
    st.warning(C.overflow_text(an), icon=":material/warning:")

st.subheader("The network unfolded: where the gradient goes", anchor=False)
unfolded.diagram(s, key="bptt", N=min(page_setting("trunc"), max(s.T - 1, 0)))  # N: the control further down

st.subheader("The report's equations, with this model's numbers", anchor=False)
for eq, numbers in C.equation_rows(rep, an, s.activation):  # stacked, so nothing is cut on a narrow screen
    with st.container(border=True):
        st.latex(eq)
        st.latex(numbers)

st.subheader("A correction to the report: ∂L/∂V and ∂L/∂b_y have one term", anchor=False)
st.markdown("The report writes the gradients of V and b_y with a sum over the time steps, like ∂L/∂W:")
st.latex(C.REPORT_V_TEX)
st.markdown("But V and b_y act only at the output ŷ_T = f(Vᵀh_T + b_y), and L reads only ŷ_T, so each "
            "gradient has a single term, at step T. The sum over steps belongs to W, U and b_h, which act at "
            "every step. This page computes the single term:")
st.latex(C.ERRATUM_TEX)
st.latex(C.erratum_numbers(rep))

st.subheader("Gradient check: hand BPTT against autograd", anchor=False)
check, fmt = C.check_frame(rep), st.column_config.NumberColumn(format="%.2e")
table_block(check, "For each parameter: the largest absolute difference between the hand-written gradient and "
            "torch.autograd's, and that difference divided by the largest |entry| of autograd's gradient. "
            "Rounding alone gives about 10⁻¹⁶ in float64 and 10⁻⁷ in float32.", "gradient_check.csv",
            column_config={c: fmt for c in check.columns[2:]})

st.subheader("Each step's term, and truncated BPTT", anchor=False)
if rep["finite"] and rep["norms"]["b_y"] == 0:
    st.info("Here ŷ_T − y or f′(Vᵀh_T + b_y) is exactly 0 (a relu output below 0, say), so the loss sends nothing "
            "back: every gradient is exactly 0 and there is nothing to chart. Try another seed or activation.",
            icon=":material/info:")
    st.stop()
n_max = max(s.T - 1, 1)
N = page_control("trunc", st.slider, "Truncation N: keep the steps T − N … T", args=(0, n_max),
                 default=min(10, n_max), hi=n_max,
                 too_high=f"N = {{value}} is more than T − 1 = {s.T - 1} steps back; showing N = {{hi}} (full BPTT).",
                 help="N = T − 1 is full BPTT; N = 0 keeps only the last step (pseudocode lines 19–21).")
if rep["finite"]:
    tr = E.truncated(s, N)
    c1, c2, c3 = st.columns(3)
    c1.metric("steps kept", f"{min(N, s.T - 1) + 1} of {s.T}")
    c2.metric("cos(∂L/∂W truncated, full)", fmt_num(tr["cos"], 4, fixed=True))
    c3.metric("‖truncated‖ / ‖full‖", fmt_num(tr["ratio"]), help=C.RATIO_HELP)

steps = C.per_step_frame(rep)
chart_block(spec(C.per_step_chart, steps, s.T, N), steps,
              "Horizontal: the step t at which W, U and b_h act. Vertical: the norm of step t's term in the "
              "report's sum Σ_i, on a log scale (Frobenius norm; the W-term of step 1 is 0 because h_0 = 0, and "
              "zeros and non-finite values are left out). Falling to the left means far steps add almost "
              "nothing (vanishing); rising means they dominate (exploding). Shaded: the steps truncation N keeps.",
              "bptt_per_step.csv")
sweep = C.sweep_frame(rep) if rep["sweep"] is not None else None
if sweep is not None and len(sweep):
    chart_block(spec(C.sweep_charts, sweep, N), sweep,
                  "Horizontal: truncation N (symmetric-log axis: linear near 0, logarithmic beyond). Upper chart: cosine similarity between the truncated "
                  "∂L/∂W (∇_N) and full BPTT's (∇); 1 means the same direction. Lower chart: log10 of their norm "
                  "ratio; 0 means the same size. When gradients vanish both settle after a few steps, so "
                  "truncation costs little; when they explode they settle only near N = T. Dashed: the "
                  "current N.", "bptt_truncation.csv")
else:
    st.info("No truncation sweep here: it needs a finite ∂L/∂W" + (" (this one overflowed)." if not rep["finite"]
            else " that is not 0 (with T = 1, ∂L/∂W = h_0 δa_1ᵀ = 0)."), icon=":material/info:")
