"""Colours and words used everywhere, so the same regime has the same colour on every page."""

REGIME_COLORS = {"vanishing": "#2166ac", "edge": "#1b7837", "exploding": "#c2410c"}
REGIME_ICONS = {"vanishing": ":material/trending_down:", "edge": ":material/trending_flat:",
                "exploding": ":material/trending_up:"}
REGIME_BADGE = {"vanishing": "blue", "edge": "green", "exploding": "orange"}  # st.badge colours
SERIES_COLORS = {  # the lines of the Jacobian-product chart
    "‖∂h_T/∂h_{T−k}‖": "#111827",
    "bound (γ·σ_max)^k": "#9333ea",
    "ρ^k": "#0891b2",
    "‖∂L/∂h_{T−k}‖": "#d97706",
}
CELL_COLORS = {"rnn": "#c2410c", "lstm": "#2166ac", "gru": "#1b7837"}
FONT_SIZE = 16  # axis labels readable on a projector
