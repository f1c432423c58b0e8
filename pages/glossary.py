"""Glossary: every term the app uses, in plain words before its symbol."""
import streamlit as st

from ui import glossary, registry

st.title("Glossary", anchor=False)
st.caption("The words and symbols of this app, each in plain words first. Type to filter.")
query = st.text_input("Find a term", max_chars=40, placeholder="e.g. saturation, ρ, edge", key="glossary_query")
terms = glossary.matching(query)
if not terms:
    st.info("No term matches; clear the box to see them all.", icon=":material/search_off:")
for term, meaning in terms.items():  # our own text only: the visitor's query is never displayed
    st.markdown(f"**{term}**  \n{meaning}")
st.divider()
registry.link("jacobian_products", label="See the product of Jacobians")
