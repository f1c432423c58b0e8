"""Chart builders, one module per page (ui/charts/<page>.py, for pages/<page>.py) and one for what they
all share (style: the projector style, the 10^k axis, the number formatter). Pure functions from numpy arrays
and plain dicts to a DataFrame and an alt.Chart; no streamlit, so each can be tested alone."""
