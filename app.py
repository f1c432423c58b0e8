"""Gradient flow through time: the app's router (pages come with the app issue)."""
import streamlit as st

st.set_page_config(page_title="Gradients through time", page_icon=":material/timeline:", layout="wide")
st.title("Gradients through time")
st.write("Backpropagation through time in a vanilla RNN: watch the product of Jacobians vanish or explode.")
