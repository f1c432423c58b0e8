"""Placeholder until this page lands."""
import streamlit as st

st.title("bptt_by_hand")
st.info("This page is being built.", icon=":material/construction:")
