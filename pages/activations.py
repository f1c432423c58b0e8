"""Placeholder until this page lands."""
import streamlit as st

st.title("activations")
st.info("This page is being built.", icon=":material/construction:")
