"""Home: what the app shows, one-click classroom presets, and a guide to the pages (from ui.registry)."""
import streamlit as st

from ui import registry, report, sidebar, url, widget_state
from ui.session import unfolded
from ui.presets import PRESETS


def _apply(name: str) -> None:
    """Button callback: set every sidebar control, remember the target page."""
    p = PRESETS[name]
    sidebar.apply(**p.values)
    for key, value in p.page_values:  # the target page's own controls, e.g. the memory gates' bias
        widget_state.set_page(key, value)
    if p.page:
        sidebar.go_to(registry.page(p.page).file)


now = sidebar.current()

st.title("Gradients through time", anchor=False)
unfolded.diagram(now, key="home")  # the report's Figure 1, computed from the sidebar's model
st.markdown(
    r"Backpropagation through time multiplies the gradient by one Jacobian $\partial h_j/\partial h_{j-1}$ "
    r"for every step it travels back, so a signal from $k$ steps back is scaled by a product of $k$ matrices. "
    r"This app computes that product for the network in the sidebar and shows it shrinking to nothing "
    r"(**vanishing**), blowing up (**exploding**) or holding steady (**edge of chaos**), with the theory's "
    r"bounds $(\gamma\,\sigma_{\max})^k$ and $\rho^k$ beside it. "
    r"Change the sequence length, the activation and the weight scale in the sidebar and every page follows; "
    r"the address bar keeps the settings, so a link reproduces the view.")
st.caption(f"The app follows the report {report.CITATION}: its unfolded network (Figure 1), BPTT written out "
           "by the chain rule (eqs. 1–18), truncated BPTT, sigmoid against tanh (§2.2.2). *The report, checked* "
           "lists every equation the app cites and sets the report's claims beside the app's numbers.")

st.subheader("Classroom presets", anchor=False)
st.caption("One click sets every sidebar control; open *Jacobian products* to see the regime.")
applied = next((name for name, p in PRESETS.items() if p.settings == now), None)  # the preset in the sidebar
for name, p in PRESETS.items():
    # the button a third of the row: at a projector's 1024 px a narrower one took four lines for a label
    b, why = st.columns([3, 5], vertical_alignment="center")
    b.button(p.label, key=f"preset_{name}", icon=p.icon, on_click=_apply, args=(name,), width="stretch",
             type="primary" if name == applied else "secondary", wrap=True)
    why.markdown(p.why + (f" Opens *{registry.page(p.page).title}*." if p.page else ""))
if applied in PRESETS:
    st.success(f"The sidebar holds the preset **{PRESETS[applied].label}**.",
               icon=":material/check_circle:")
    registry.link("jacobian_products", label="See it in Jacobian products")

st.subheader("The pages", anchor=False)
left, right = st.columns(2)
base = url.sidebar_query()  # read once for all the guide's links
for i, p in enumerate(q for q in registry.PAGES if q is not registry.HOME):
    with (left if i % 2 == 0 else right):
        registry.link(p.name, sidebar=base)
        st.caption(p.summary)
