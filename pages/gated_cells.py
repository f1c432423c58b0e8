"""Gated cells: the vanilla RNN, the LSTM and the GRU on the same inputs and seed, their Jacobian-product
norms overlaid, each with its slope and regime (Hochreiter & Schmidhuber 1997; Cho et al. 2014)."""
import math

import streamlit as st

from ui import sidebar
from rnn.jacobians import EDGE_TOL, GATED_EDGE_TOL
from ui.blocks import chart_block, page_control, regime_badge
from ui.cached.gated_cells import cells as analyse_cells
from ui.cached.charts import spec  # each chart made once per inputs, for every visitor
from ui.charts import gated_cells as C
from ui.charts.style import fmt_num
from ui.limits import stop_if_over
from ui.settings import GATE_BIAS_CHOICES, GATE_BIAS_HELP, INIT_NAMES, display_name, scale_label

s = sidebar.current()
st.title("Gated cells: vanilla RNN, LSTM and GRU", anchor=False)
stop_if_over(s, "jacobian", ("rnn", "lstm", "gru"))  # all three cells' cost, before anything is built
b = page_control("gate_bias", st.select_slider, "Memory-gate bias b (LSTM forget gate F, GRU update gate z)",
                 args=(GATE_BIAS_CHOICES,), help=GATE_BIAS_HELP)  # a float: 3.0 for the choice "3"
keep = 1.0 / (1.0 + math.exp(-b))  # σ(b)
inputs = "input" if s.T == 1 else "inputs"
st.caption(f"The same {s.T} random {inputs} and seed {s.seed} drive three recurrent cells with n = {s.hidden} "
           f"hidden units. The vanilla RNN uses the sidebar's activation ({display_name(s.activation)}) and W "
           f"({INIT_NAMES[s.init]}, {scale_label(s)}); the LSTM and GRU use torch's own initialisation from the "
           f"same seed, with their memory gates' bias at b = {b:g} (F and z near σ(b) = {keep:.3g}).")
with st.spinner("Computing the three Jacobian products…"):
    cells = analyse_cells(s, b)

cols = st.columns(3)
for col, (kind, a) in zip(cols, cells.items()):
    with col.container(border=True):
        st.markdown(f"#### {C.CELL_NAMES[kind]}")
        st.metric("slope per step (decades)", fmt_num(a["slope"], 4, fixed=True, sign=True)
                  if a["slope"] > -float("inf") else "product = 0")
        regime_badge(a["regime"], big=False)  # rnn.analyze's: rnn.classify with the cell's own tolerance
st.caption(f"The regime: within ±{EDGE_TOL:g} decades per step the vanilla RNN is at the edge of chaos; a gated "
           f"cell within ±{GATED_EDGE_TOL:g} holds its gradient (its gate keeps the cell near 1, and 100 steps "
           "change the norm by less than 10³), so it is read as the edge too.")

frame = C.cells_frame(cells, keep)
chart_block(spec(C.cells_chart, frame), frame,
              "Horizontal: the lag k, how many steps back from the last step T. Vertical: log10 of the spectral "
              r"norm of the product of state Jacobians $\partial s_T/\partial s_{T-k}$, with $s = h$ for the vanilla "
              "RNN and the GRU and $s = (h, c)$ for the LSTM. A straight falling line is a gradient that vanishes "
              "exponentially; "
              "its slope is the rate in decades per step. Compare the three slopes: the flatter the line, the "
              "longer the cell remembers. Dashed: the LSTM's cell path alone, σ(b)ᵏ, the number the text below "
              "quotes; the whole LSTM state (h, c) also carries paths through its gates.",
              "gated_cells.csv")

st.subheader("Why gates help", anchor=False)
st.markdown(r"In the vanilla RNN every step back multiplies the gradient by $\operatorname{diag}(f'(a_t))\,W^\top$: "
            r"the same $W$ at every step, so the product shrinks or grows exponentially with the lag. The LSTM "
            r"adds a second, additive path through its cell state, $c_t = F_t \odot c_{t-1} + i_t \odot \tilde c_t$ "
            r"(forget gate $F_t$, input gate $i_t$, candidate $\tilde c_t$; many texts write the forget gate "
            r"$f_t$, but here $f$ is the activation), and along it the Jacobian is diagonal:")
st.latex(r"\frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(F_t)")
st.latex(r"\text{along the cell path alone, } k \text{ steps back: } \prod_{j=T-k+1}^{T} \operatorname{diag}(F_j)")
st.markdown(r"No weight matrix sits on this path: a forget gate $F_t$ near 1 passes the gradient through almost "
            r"unchanged, and the network learns, unit by unit and input by input, when to keep and when to "
            r"forget. The GRU's update gate plays the same role: $h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$ "
            r"gives $\partial h_t/\partial h_{t-1} = \operatorname{diag}(z_t) + {}$(terms through the gates).")
st.markdown(rf"These cells are untrained: their memory gates sit near $\sigma(b) = {keep:.3g}$, so along the "
            rf"cell path alone a signal from 50 steps back keeps about "
            rf"$\sigma(b)^{{50}} = 10^{{{50 * math.log10(keep):.1f}}}$ of its size. Move $b$ down to 1 with "
            r"the slider at the top and they forget exponentially, sometimes faster than the vanilla RNN; at "
            r"$b = 3$, where the page opens, and above, the LSTM's and GRU's lines flatten (the LSTM's may "
            r"even tilt upwards: with $F \approx 1$ its cell "
            r"forgets nothing that its gates write into it), while the vanilla RNN, which has no such gate, stays "
            r"where its $W$ puts it. Training does the same where a long memory pays: learnt gates, not the "
            r"spectrum of $W$, set the rate.")
