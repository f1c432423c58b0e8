"""Phase diagram: the slope per step of log10‖∂h_T/∂h_{T−k}‖ (or log10‖∂h_T/∂h_0‖) over weight scale ×
sequence length and weight scale × activation, with the critical lines; a click loads a cell's settings."""
from functools import partial

import streamlit as st

from ui import sidebar
from ui.blocks import chart_block
from ui.cached import phase_diagram as E
from ui.cached.charts import spec  # each chart made once per inputs, for every visitor
from ui.charts import phase_diagram as C
from ui.limits import PHASE_LENGTHS, PHASE_MAX_HIDDEN, PHASE_MAX_T, PHASE_SCALES
from ui.settings import ACTIVATION_NAMES, INIT_NAMES, SCALE_NAMES, SCALE_SYMBOL, display_name
from rnn.jacobians import EDGE_TOL  # after ui, which imports the app once (ui/__init__.py)

s = sidebar.current()
base = E.phase_base(s)
T2 = min(s.T, PHASE_MAX_T)
sym, axis = SCALE_SYMBOL[s.scale_kind], f"weight scale, {SCALE_NAMES[s.scale_kind]} (log axis)"


def load(key: str, y: str) -> None:
    """A click on a cell: put its scale and T (or activation) into the sidebar before it is drawn."""
    pick = C.picked(st.session_state.get(key), y)
    if pick:
        sidebar.apply(hidden=base.hidden, **pick)


st.title("Phase diagram: where gradients vanish or explode", anchor=False)
st.caption(f"Every cell is one vanilla RNN: W {INIT_NAMES[s.init]} at that scale, seed {s.seed}, input scale "
           f"{s.input_scale:g}, n = {base.hidden} hidden units. Budget: n ≤ {PHASE_MAX_HIDDEN} and "
           f"T ≤ {PHASE_MAX_T} in the diagram, {len(PHASE_SCALES)} scales × {len(PHASE_LENGTHS)} lengths "
           f"and {len(PHASE_SCALES)} scales × {len(ACTIVATION_NAMES)} activations, so it renders in seconds; "
           "results are cached. Click a cell to load its settings into the sidebar.")
measure = st.segmented_control("Colour shows", list(C.MEASURES), format_func=C.MEASURES.get, default="slope",
                               key="phase_measure") or "slope"
crit = E.critical_scales(base)


def what(df) -> str:
    """The caption's words for the colour: the measure and its scale (the norm's range is the chart's own)."""
    if measure == "slope":
        return (r"Colour: the slope of $\log_{10} \lVert \partial h_T/\partial h_{T-k} \rVert$ against the lag k, in "
                "decades per step "
                f"(saturating at ±{C.SLOPE_CLIP}; hover for the value)")
    return (r"Colour: $\log_{10} \lVert \partial h_T/\partial h_0 \rVert$, the whole product over T steps "
            "(a symmetric log scale up to "
            f"±{C.colour_limit(df):.0f} decades, linear within ±{C.NORM_LINEAR:g} and logarithmic beyond, so a "
            "short row of a few decades keeps its colour beside a long one of hundreds; hover for the value)")


lines_note = (f"Grey: {sym} = 1. Purple: σₘₐₓ(W) = 1/γ; left of it every product of Jacobians must vanish "
              "(Pascanu et al. 2013), so the blue region reaches at least that far.")

st.subheader(f"Weight scale × sequence length, f = {display_name(s.activation)}", anchor=False)
grid1 = E.phase_grid(base, (s.activation,), PHASE_LENGTHS)
df1 = C.phase_frame(grid1, measure)
lo, hi = float(df1["scale_lo"].min()), float(df1["scale_hi"].max())
lines1 = C.critical_lines(crit, sym, [s.activation], lo, hi)
chart_block(spec(C.phase_chart, df1, "T", lines1, {"scale": s.scale, "T": s.T}, measure, axis, sym), grid1,
              f"Horizontal: the weight scale. Vertical: the sequence length T. {what(df1)}: blue vanishes, orange "
              f"explodes, near-white is the edge (a cell with |slope| ≤ {EDGE_TOL:g} gets a green outline, "
              f"listed in the legend only when one does). {lines_note} Look for where blue turns orange, "
              "and whether it moves with T. " + C.here_note(df1, {"scale": s.scale, "T": s.T}, "T", sym),
              "phase_scale_T.csv", key="phase_T", on_select=partial(load, "phase_T", "T"),
              selection_mode="cell")

st.subheader(f"Weight scale × activation, T = {T2}", anchor=False)
if s.T > PHASE_MAX_T:
    st.caption(f"The sidebar's T = {s.T} is above this diagram's budget; shown at T = {T2}.")
grid2 = E.phase_grid(base, tuple(ACTIVATION_NAMES), (T2,))
df2 = C.phase_frame(grid2, measure)
lines2 = C.critical_lines(crit, sym, ACTIVATION_NAMES, lo, hi)
chart_block(spec(C.phase_chart, df2, "activation", lines2, {"scale": s.scale, "activation": s.activation}, measure,
                            axis, sym), grid2,
              f"Horizontal: the weight scale. Vertical: the activation f. {what(df2)}. {lines_note} Each activation "
              "has its own purple tick, since γ = sup|f′| differs: 1/4 for the sigmoid, 1 for the others. Look "
              "for how far right the sigmoid stays blue. "
              + C.here_note(df2, {"scale": s.scale, "activation": s.activation}, "activation", sym),
              "phase_scale_activation.csv", key="phase_act", on_select=partial(load, "phase_act", "activation"),
              selection_mode="cell")
