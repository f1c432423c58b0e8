"""Gradients through time — the router: page config, the shared sidebar (one Settings object), navigation."""
import streamlit as st

from ui import sidebar

st.set_page_config(page_title="Gradients through time", page_icon="static/icon.png", layout="wide")

PAGES = {
    "Learn": [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/activations.py", title="Activations", icon=":material/show_chart:"),
        st.Page("pages/jacobian_products.py", title="Jacobian products", icon=":material/timeline:"),
        st.Page("pages/bptt_by_hand.py", title="BPTT by hand", icon=":material/functions:"),
    ],
    "Compare": [
        st.Page("pages/gated_cells.py", title="Gated cells", icon=":material/memory:"),
        st.Page("pages/phase_diagram.py", title="Phase diagram", icon=":material/grid_on:"),
        st.Page("pages/live_training.py", title="Live training", icon=":material/play_circle:"),
    ],
}

pg = st.navigation(PAGES)
sidebar.draw()
sidebar.show_url_warnings()
pg.run()
