"""Home: what the app shows, one-click classroom presets, and a guide to the pages."""
import streamlit as st

from ui import sidebar
from ui.presets import PRESETS

GOTO = "_preset_goto"  # session_state flag: a preset asked for a page (switch_page is not allowed in callbacks)


def _apply(name: str) -> None:
    """Button callback: set every sidebar control, remember the target page."""
    p = PRESETS[name]
    sidebar.apply(**p.values)
    if p.page:
        st.session_state[GOTO] = p.page


now = sidebar.current()
target = st.session_state.pop(GOTO, None)
if target:
    st.switch_page(target)

st.title("Gradients through time", anchor=False)
st.markdown(
    r"Backpropagation through time multiplies the gradient by one Jacobian $\partial h_j/\partial h_{j-1}$ "
    r"for every step it travels back, so a signal from $k$ steps back is scaled by a product of $k$ matrices. "
    r"This app computes that product for the network in the sidebar and shows it shrinking to nothing "
    r"(**vanishing**), blowing up (**exploding**) or holding steady (**edge of chaos**), with the theory's "
    r"bounds $(\gamma\,\sigma_{\max})^k$ and $\rho^k$ beside it. "
    r"Change the sequence length, the activation and the weight scale in the sidebar and every page follows; "
    r"the address bar keeps the settings, so a link reproduces the view.")

st.subheader("Classroom presets", anchor=False)
st.caption("One click sets every sidebar control; open *Jacobian products* to see the regime.")
applied = next((name for name, p in PRESETS.items() if p.settings == now), None)  # the preset in the sidebar
for name, p in PRESETS.items():
    b, why = st.columns([2, 5], vertical_alignment="center")
    b.button(p.label, key=f"preset_{name}", icon=p.icon, on_click=_apply, args=(name,), width="stretch",
             type="primary" if name == applied else "secondary", wrap=True)
    why.markdown(p.why + (" Opens *Gated cells*." if p.page else ""))
if applied in PRESETS:
    st.success(f"The sidebar holds the preset **{PRESETS[applied].label}**.",
               icon=":material/check_circle:")
    st.page_link("pages/jacobian_products.py", label="See it in Jacobian products", icon=":material/timeline:")

st.subheader("The pages", anchor=False)
GUIDE = [
    ("pages/activations.py", "Activations", ":material/show_chart:",
     "f and f′ for tanh, sigmoid, relu, leaky relu and linear, the bound γ = sup|f′|, and how large f′ "
     "really is along your network's trajectory."),
    ("pages/jacobian_products.py", "Jacobian products", ":material/timeline:",
     "The heart: ‖∏ ∂h_j/∂h_{j−1}‖ against the lag, with the bounds, the BPTT gradient and the regime."),
    ("pages/bptt_by_hand.py", "BPTT by hand", ":material/functions:",
     "Backpropagation through time written out with the chain rule, step by step, and truncated BPTT."),
    ("pages/gated_cells.py", "Gated cells", ":material/memory:",
     "The vanilla RNN beside an LSTM and a GRU on the same input; raise the memory gates' bias and watch "
     "the gated cells keep the gradient alive."),
    ("pages/phase_diagram.py", "Phase diagram", ":material/grid_on:",
     "The regime over a grid of two settings: where vanishing turns into exploding; a cell loads its values."),
    ("pages/live_training.py", "Live training", ":material/play_circle:",
     "Train on a task with a long dependency and watch the loss and the gradient norms as it learns."),
]
left, right = st.columns(2)
for i, (path, title, icon, what) in enumerate(GUIDE):
    with (left if i % 2 == 0 else right):
        st.page_link(path, label=title, icon=icon)
        st.caption(what)
