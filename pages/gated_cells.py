"""Placeholder until this page lands."""
import streamlit as st

st.title("gated_cells")
st.info("This page is being built.", icon=":material/construction:")
