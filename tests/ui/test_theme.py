"""Colours that read in both themes: the app follows the visitor's light or dark system theme, so every
colour drawn on the page background needs 3:1 contrast (WCAG 2.1, non-text graphics) against white and
against Streamlit's dark background; the regime colours mean a regime and nothing else."""
import pytest

from ui import theme
from ui.charts.bptt_by_hand import TERM_COLORS
from ui.charts.phase_diagram import LINE_COLORS
from wcag import contrast

BACKGROUNDS = {"light": "#ffffff", "dark (Streamlit 1.67)": "#171614", "dark (Streamlit ≤ 1.46)": "#0e1117"}


ON_BACKGROUND = {**{f"series {k}": v for k, v in theme.SERIES_COLORS.items()},
                 **{f"cell {k}": v for k, v in theme.CELL_COLORS.items()},
                 **{f"regime {k}": v for k, v in theme.REGIME_COLORS.items()},
                 **{f"term {k}": v for k, v in TERM_COLORS.items()},
                 "ink": theme.INK, "loss": theme.LOSS_COLOR, "phase line scale = 1": LINE_COLORS[0], "phase line bound": LINE_COLORS[1]}


@pytest.mark.parametrize("name", sorted(ON_BACKGROUND))
@pytest.mark.parametrize("bg", sorted(BACKGROUNDS))
def test_colour_reads_on_light_and_dark(name, bg):
    c = contrast(ON_BACKGROUND[name], BACKGROUNDS[bg])
    assert c >= 3.0, f"{name} {ON_BACKGROUND[name]} has {c:.2f}:1 on {bg} {BACKGROUNDS[bg]}"


def test_regime_colours_mean_only_a_regime():
    regime = {c.lower() for c in theme.REGIME_COLORS.values()}
    others = {**theme.SERIES_COLORS, **{f"cell {k}": v for k, v in theme.CELL_COLORS.items()}}
    assert not {k: v for k, v in others.items() if v.lower() in regime}
    assert set(theme.REGIME_COLORS) == set(theme.REGIME_BADGE) == set(theme.REGIME_ICONS)
    # the badge colour names the same hue as the chart colour
    assert theme.REGIME_BADGE == {"vanishing": "blue", "edge": "green", "exploding": "orange"}


def test_halo_stands_out_from_the_heatmap_ends():
    for regime in ("vanishing", "exploding"):
        assert contrast(theme.HALO, theme.REGIME_COLORS[regime]) >= 4.5
    assert contrast(theme.INK, theme.HALO) >= 4.0  # the grey line on its halo
