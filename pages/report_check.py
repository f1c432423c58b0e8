"""The report, checked: each claim of the report this app follows, beside what the computation says about it
(with the number) and a verdict; the BPTT rows are computed for the sidebar's model."""
import streamlit as st

from ui import registry, report, sidebar
from ui.cached.report_check import claims
from ui.charts.report_check import claims_frame
from ui.limits import stop_if_over

s = sidebar.current()
st.title("The report, checked", anchor=False)
st.markdown(f"The report: {report.CITATION}.")
st.caption("Every row quotes a number this app computes: hand BPTT against autograd for the model in the sidebar, "
           "the activations on a dense grid, the sigmoid preset's product of Jacobians. Change the sidebar and "
           "the BPTT rows are recomputed.")
stop_if_over(s, "bptt")  # the BPTT rows run hand BPTT and autograd: refused with a message above the budget
df = claims_frame(claims(s))
st.table(df.set_index("claim"))
st.download_button("Download the table (CSV)", df.to_csv(index=False), "report_checked.csv", "text/csv",
                   icon=":material/download:", on_click="ignore")
with st.expander("The report's equations and sections this app cites", icon=":material/format_list_numbered:"):
    st.markdown("In this app's words, with where the app uses each:\n\n" + report.markdown_list())
left, mid, right = st.columns(3)
with left:
    registry.link("bptt_by_hand", label="The equations, with numbers")
with mid:
    registry.link("activations", label="sigmoid′ and tanh measured")
with right:
    registry.link("jacobian_products", label="The vanishing product")
