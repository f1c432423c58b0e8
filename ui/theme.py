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

# Text is held to 4.5:1 (WCAG 2.1 AA) on both themes (tests/browser/test_contrast.py measures every page). No one
# colour reaches it on white and on the dark theme's near-black (the best grey gets 4.3:1 on both), so text
# colours come in pairs, one per theme: .streamlit/config.toml sets the page's, app.py keeps two of Streamlit's
# labels off its primary red.
# Chart text (axis, legend and facet labels and titles): Streamlit's chart theme writes it in its grey #808495,
# 3.7:1 on white; its next darker grey reads 7.1:1 there. On dark, Streamlit's own #e6eaf1 (15:1) stays.
CHART_TEXT = {"light": "#555867", "dark": "#e6eaf1"}
