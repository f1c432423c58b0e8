"""Colours and words used everywhere, so the same regime has the same colour on every page.

The app follows the visitor's light or dark theme, so every colour drawn on the page background must read on
white and on Streamlit's near-black: mid-tone colours, at least 3:1 against both (tests/ui/test_theme.py checks).
Blue, green and orange mean vanishing, edge and exploding, and nothing else.
"""

REGIME_COLORS = {"vanishing": "#2166ac", "edge": "#1b7837", "exploding": "#c2410c"}
REGIME_ICONS = {"vanishing": ":material/trending_down:", "edge": ":material/trending_flat:",
                "exploding": ":material/trending_up:"}
REGIME_BADGE = {"vanishing": "blue", "edge": "green", "exploding": "orange"}  # st.badge colours
INK = "#787878"  # neutral grey for the main quantity and reference lines: about 4.3:1 on white and on dark
LOSS_COLOR = "#d97706"  # the loss and what it sends back (‖∂L/∂h‖): amber on every page
BOUND_COLOR = "#9333ea"  # the bound (γ·σ_max)^k and γ itself: purple on every page
HALO = "#ffffff"  # drawn under a line that crosses a heatmap, so it shows on blue, white and orange cells
SERIES_COLORS = {  # the lines of the Jacobian-product chart
    "product of k Jacobians": INK,  # the measured line, drawn thickest
    "bound (γ·σₘₐₓ)ᵏ": BOUND_COLOR,
    "ρᵏ": "#0891b2",
    "BPTT gradient ‖∂L/∂h‖": LOSS_COLOR,
}
THEORY_COLOR = "#c026d3"  # a prediction of mean-field theory, drawn beside what is measured: fuchsia everywhere
INIT_COLORS = {"gaussian": INK, "orthogonal": "#0891b2"}  # W's initialisation, where two are compared
CELL_COLORS = {"rnn": INK, "lstm": "#db2777", "gru": "#0d9488"}  # not the regime colours: a cell is not a regime
FONT_SIZE = 16  # axis labels readable on a projector
