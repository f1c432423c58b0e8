"""Theory beside measurement: mean-field theory's edge of chaos over gain × input scale, the singular values of
a product of Jacobians for Gaussian and orthogonal W, and the Lyapunov spectrum of the three cells (last: it
is the one part with the full T, so an over-budget request stops there)."""
import streamlit as st

from ui import sidebar
from ui.blocks import chart_block
from ui.cached import theory as E
from ui.cached.charts import spec  # each chart made once per inputs, for every visitor
from ui.charts import theory as C
from ui.charts.style import fmt_num
from ui.limits import PHASE_MAX_HIDDEN, PHASE_MAX_T, stop_if_over
from ui.settings import INIT_NAMES, display_name, scale_label

s = sidebar.current()
st.title("Theory beside measurement", anchor=False)
mf = E.mean_field(s)
st.markdown(r"A wide network with Gaussian W (entries $\mathcal N(0, \sigma_w^2/n)$) has a theory: its "
            r"pre-activations settle at a variance $q^*$, and each step back multiplies a small change "
            r"$\lVert \delta h \rVert^2$ by $\chi_1 = \sigma_w^2\, \mathbb E[f'(\sqrt{q^*} z)^2]$. So the product "
            r"of Jacobians falls or grows by $\tfrac12 \log_{10} \chi_1$ decades per step: $\chi_1 = 1$ is the "
            "**edge of chaos** (Poole et al. 2016; for RNNs Chen, Pennington & Schoenholz 2018). For the sidebar's "
            f"model: $\\sigma_w^2$ = {fmt_num(mf['sigma_w2'])}, $\\sigma_b^2$ = {fmt_num(mf['sigma_b2'])}, "
            f"χ₁ = {fmt_num(mf['chi1'])}, "
            f"predicted slope **{fmt_num(mf['slope'], 3)}** per step." + (f" {mf['gap']}" if mf["gap"] else ""))

st.subheader("Where theory puts the edge: gain × input scale", anchor=False)
base = E.diagram_base(s)
df = C.diagram_frame(E.diagram(base))
curve = C.curve_frame(E.critical_curve(base, float(df["input_lo"].min()), float(df["input_hi"].max())), df)
here = {"scale": s.scale, "input_scale": s.input_scale} if s.init == "gaussian" and s.scale_kind == "gain" else None
chart_block(spec(C.diagram_chart, df, curve, here), df,
            f"Each cell is one vanilla RNN ({display_name(s.activation)}, Gaussian W, n = {base.hidden}, T = {base.T}, seed "
            f"{s.seed}; capped at n ≤ {PHASE_MAX_HIDDEN}, T ≤ {PHASE_MAX_T}). Horizontal: the gain g of W. "
            "Vertical: the input scale. Colour: the measured slope per step, blue vanishing, orange exploding, "
            "green outline the edge. Fuchsia dashes: the gain where theory puts χ₁ = 1 for each input scale, "
            "from the model's own U and b_h. Look for the curve running along the white band: larger inputs push "
            "tanh off its linear part, so it takes a larger gain to reach the edge. Hover for both slopes."
            + ("" if len(curve) else " (The curve lies outside these gains for this activation.)"),
            "theory_gain_input.csv")

st.subheader("Why orthogonal W helps: the singular values of the product", anchor=False)
k = E.svals_lag(s)
sv = E.product_svals(s)
st.markdown(rf"All singular values of $\partial h_T/\partial h_{{T-{k}}}$ for the sidebar's model with Gaussian W and with orthogonal W "
            f"at the same {scale_label(s)}: a Gaussian product keeps a few strong directions while the rest "
            "vanish, an orthogonal one keeps them closer together (dynamical isometry: Pennington, Schoenholz & "
            f"Ganguli 2017). Spread: {fmt_num(sv['gaussian']['spread'], 3)} decades (Gaussian) against "
            f"{fmt_num(sv['orthogonal']['spread'], 3)} (orthogonal)." + C.dead_svals_text(sv))
vf = C.svals_frame(sv)
chart_block(spec(C.svals_chart, vf), vf,
            f"Horizontal: the rank i of the singular value, largest first. Vertical: σᵢ of the product of {k} "
            "Jacobians, on a log scale (powers of ten); the dashed line is σ = 1, a direction kept intact. Look for the "
            "height of each curve (how much of the gradient survives) and its fall from left to right (how "
            "unequally the directions are treated).", "product_singular_values.csv")
st.caption(f"W initialised {INIT_NAMES[s.init]} in the sidebar; this section compares both at the same scale.")

st.subheader("All directions at once: the Lyapunov spectrum", anchor=False)
st.markdown("The slope is only the fastest direction. Push n directions through the chain, re-orthonormalise "
            "them every step (QR), and average how much each one stretches: the **Lyapunov exponents** "
            "λ₁ ≥ λ₂ ≥ … (Engelken, Wolf & Abbott 2020). λ₁ is the slope in the long run (close to the measured "
            "one, closer as T grows); exponents above 0 are directions that explode. The vanilla RNN, the LSTM (state (h, c): 2n exponents) and the GRU on the same input.")
stop_if_over(s, "jacobian", E.CELLS)  # three chains of T steps: the budget of Gated cells
lyap, slopes = E.lyapunov(s), E.measured_slopes(s)
for col, (kind, v) in zip(st.columns(3), lyap.items()):
    col.metric(f"{C.CELL_NAMES[kind]}: λ₁", fmt_num(v["top"], 4), border=True,
               help="The largest exponent, in decades per step.")
    col.caption(f"**{v['n_positive']} of {len(v['spectrum'])}** exponents above 0 (exploding directions)."
                + C.dead_exponents_text(v["n_dead"], len(v["spectrum"])) + " "
                f"Measured slope {fmt_num(slopes[kind], 4)} per step (Jacobian products). Σλ_i = "
                f"{fmt_num(v['sum'], 6)} and the mean of log10|det J_t| = {fmt_num(v['mean_log10_det'], 6)}: "
                "equal, since the volume a step scales is |det J_t| — a check on the QR chain.")
sf = C.spectrum_frame(lyap)
chart_block(spec(C.spectrum_chart, sf), sf,
            "Horizontal: the exponent's number i, largest first. Vertical: λ_i in decades per step; the dashed "
            "line is 0. Look for how far below 0 the whole spectrum of the vanilla RNN sits, and how much closer "
            "to 0 the gated cells keep their top exponents: directions the gates carry without loss.",
            "lyapunov_spectrum.csv")
