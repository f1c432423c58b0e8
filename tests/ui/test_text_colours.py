"""Text colours that read on both themes without a browser (issue #15; tests/browser/test_contrast.py measures the
rendered pages): the page's text colour of the light theme, Streamlit's 60 % fade of it (captions, the
navigation's icons), and the colour of every chart's text, also of text that only shows once a run has trained."""
import re
import tomllib
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from apptest_helpers import spec_dicts
from ui import theme
from ui.cached import activations as cached_activations
from ui.charts import activations, live_training, style, text
from wcag import contrast, luminance

ROOT = Path(__file__).resolve().parents[2]

NEED = 4.5
WHITE, SIDEBAR = "#ffffff", "#f8f8f7"  # Streamlit 1.67's light background and its light sidebar
DARK = {"dark (Streamlit 1.67)": "#171614", "dark sidebar": "#21201d", "dark (Streamlit ≤ 1.46)": "#0e1117"}


def rgb(hex_color: str) -> tuple[float, ...]:
    h = hex_color.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def faded(fg: str, bg: str, alpha: float) -> tuple[float, ...]:
    return tuple(alpha * f + (1 - alpha) * b for f, b in zip(rgb(fg), rgb(bg)))


def test_light_theme_text_and_its_faded_grey_read():
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    ink = cfg["theme"]["light"]["textColor"]
    for bg in (WHITE, SIDEBAR):
        assert contrast(ink, bg) >= 7  # body text: AAA
        # captions are the text colour at opacity 0.6, the navigation's icons and help at alpha 0.6
        assert contrast(faded(ink, bg, 0.6), bg) >= NEED, f"faded text on {bg}"


def test_chart_text_colour_follows_the_background():
    light, dark = theme.CHART_TEXT["light"], theme.CHART_TEXT["dark"]
    assert contrast(light, WHITE) >= NEED
    for name, bg in DARK.items():
        assert contrast(dark, bg) >= NEED, name
    # Vega's expression: the light colour where the background is light (luminance > 0.5), else the dark one
    m = re.fullmatch(r"luminance\(background\) > 0\.5 \? '(#\w+)' : '(#\w+)'", style.TEXT["expr"])
    assert m and m.groups() == (light, dark)
    assert luminance(rgb(WHITE)) > 0.5 > max(luminance(rgb(bg)) for bg in DARK.values())


def _text_colours(spec) -> list:
    """The colour of every text mark in a Vega-Lite spec (None where it sets none)."""
    out = []
    for d in spec_dicts(spec):
        mark = d.get("mark")
        if mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text"):
            colour = d.get("encoding", {}).get("color", {}).get("value")
            out.append(colour or (mark.get("color") if isinstance(mark, dict) else None))
    return out


def _charts() -> dict:
    hist = pd.DataFrame({"step": [1, 2, 3], "loss": [1.0, 0.5, 0.25], "accuracy": [0.5, 0.6, 0.7]})
    bits = pd.DataFrame({"step": [1, 2], "bits": [4.0, 3.5], "model": ["vanilla RNN", "vanilla RNN"]})
    curves = activations.activation_frame(cached_activations.activation_curves.__wrapped__())
    line = alt.Chart(pd.DataFrame({"x": [1.0, 2.0]})).mark_line().encode(x="x:Q", y="x:Q")
    return {"plain": line, "styled": style.style(line),
            "activations (its own config)": activations.activation_chart(curves),
            "live training loss (chance label)": live_training.loss_chart(hist, chance=0.69),
            "text bits (baseline labels)": text.bits_chart(bits, 3.9, 4.3)}


@pytest.mark.parametrize("name", ["plain", "styled", "activations (its own config)",
                                  "live training loss (chance label)", "text bits (baseline labels)"])
def test_every_chart_writes_its_text_in_the_app_colour(name):
    spec = _charts()[name].to_dict()
    for part in ("axis", "legend", "header"):
        assert spec["config"][part]["labelColor"] == style.TEXT and spec["config"][part]["titleColor"] == style.TEXT
    marks = _text_colours(spec)
    assert bool(marks) == ("label" in name)  # the two charts that write text on the plot
    assert all(c == style.TEXT for c in marks), marks
