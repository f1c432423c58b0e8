"""Gradients through time — the router: page config, the shared sidebar (one Settings object), navigation
over the one page registry (ui.registry)."""
import streamlit as st

from ui import projector, registry, sidebar

st.set_page_config(page_title="Gradients through time", page_icon=registry.ICON, layout="wide")
pg = st.navigation(registry.navigation())
sidebar.draw()
projector.draw()
sidebar.show_url_warnings()
sidebar.show_changes()
pg.run()
