"""Placeholder until this page lands."""
import streamlit as st

st.title("phase_diagram")
st.info("This page is being built.", icon=":material/construction:")
