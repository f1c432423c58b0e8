"""What every chart and every printed number share: the projector style, the 10^k axis, the one number
formatter (with one way to print a missing value) and the rule that Altair never sees a non-finite number.
No streamlit here. Each page's own charts live beside this module, in ui/charts/<page>.py.

Two rules hold for every chart:
- norms are handed over as log10 values and plotted on a linear axis labelled 10^k, so 10^528 and 10^-903
  fit on the same axis (a log-scale axis would break on 0, inf and NaN);
- Altair never receives a non-finite number: −∞ (a product that is exactly zero) is drawn at a floor below
  the smallest finite value and flagged in the column `note`; NaN rows are dropped.
"""
from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from .. import theme

FS = max(theme.FONT_SIZE, 14)  # projector: no text below 14 px
MISSING = "—"  # how every number that does not exist (NaN, 0/0, a quantity a cell lacks) is printed
SUPERSCRIPT = str.maketrans("0123456789-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")  # 10^-6 is written 10⁻⁶ on screen


def pow10_text(e: int | str) -> str:
    """10 to the power e in real typography: 10⁻⁶, 10⁵²⁸ (a chart label, a caption, a metric)."""
    return "10" + str(e).translate(SUPERSCRIPT)
ZERO_NOTE = "exactly 0 (log = −∞), drawn at the floor"
BIG_NOTE = "too large for float64 (log = +∞), drawn at the ceiling"


# ---------------------------------------------------------------------------------------------------------
# numbers for people

def fmt_pow10(x: float, digits: int = 2, latex: bool = False) -> str:
    """10**x written from its log10 x, never 'inf': 0.42, 3.16, '2.3 × 10⁻¹²', '10³', '2 × 10⁵²⁸'.
    −∞ reads '0', +∞ '10^∞' (not expected: the engine's logs are finite), NaN MISSING.
    With latex=True the power is written for st.markdown's $…$ (e.g. '2.3 \\times 10^{-12}')."""
    if x is None or math.isnan(float(x)):
        return MISSING
    x = float(x)
    if x == -math.inf:
        return "0"
    if x == math.inf:
        return r"10^{\infty}" if latex else "10^∞"
    if -3 < x < 3:  # plain: 0.00126 … 999
        return np.format_float_positional(10.0 ** x, precision=digits + 1, fractional=False, trim="-")
    e = math.floor(x)
    mant = 10.0 ** (x - e)
    if round(mant, digits - 1) >= 10:  # 9.99… rounds up to 10
        mant, e = 1.0, e + 1
    m = f"{mant:.{digits}g}"
    if latex:
        return "{" + (f"{m} \\times " if m != "1" else "") + f"10^{{{e}}}" + "}"  # a group: KaTeX won't break it
    return (f"{m} × " if m != "1" else "") + pow10_text(e)


def fmt_num(x: float | None, digits: int = 4, fixed: bool = False, sign: bool = False) -> str:
    """A number for a metric, a table or a tooltip: `digits` significant digits (or decimals with fixed=True),
    a leading + with sign=True, '∞' / '−∞' for infinities and MISSING where the quantity does not exist."""
    if x is None or math.isnan(float(x)):
        return MISSING
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return format(x, f"{'+' if sign else ''}.{digits}{'f' if fixed else 'g'}")


def tex_num(x: float, digits: int = 4) -> str:
    """fmt_num for LaTeX: plain for 10⁻³ ≤ |x| < 10⁵, else m × 10^e. A float64 overflow is said as such
    (beyond ±10^308), and the NaN it leads to (∞ − ∞, 0·∞) as undefined: never "inf" or "NaN"."""
    x = float(x)
    if math.isnan(x):
        return r"\text{undefined (float64 overflow)}"
    if math.isinf(x):
        return r"\text{overflow}\ (" + ("> " if x > 0 else "< -") + r"10^{308})"
    if x == 0 or 1e-3 <= abs(x) < 1e5:
        return f"{x:.{digits}g}"
    m, e = f"{x:.{digits - 1}e}".split("e")
    return rf"{float(m):.{digits}g} \times 10^{{{int(e)}}}"


def finite_log(df: pd.DataFrame, col: str = "log10") -> pd.DataFrame:
    """Replace ±∞ in `col` by a floor / ceiling one decade beyond the finite values (flagged in `note`),
    drop NaN rows. Afterwards every number in df is finite."""
    v = df[col].to_numpy(dtype=np.float64)
    df = df[~np.isnan(v)].copy()
    v = df[col].to_numpy(dtype=np.float64)
    fin = v[np.isfinite(v)]
    lo = math.floor(fin.min()) - 1.0 if fin.size else -1.0
    hi = math.ceil(fin.max()) + 1.0 if fin.size else 1.0
    if "note" not in df:
        df["note"] = ""
    df.loc[np.isneginf(v), "note"] = ZERO_NOTE
    df.loc[np.isposinf(v), "note"] = BIG_NOTE
    df[col] = np.where(np.isneginf(v), lo, np.where(np.isposinf(v), hi, v))
    return df.reset_index(drop=True)


def axis_pow10(title: str, floor: float | None = None) -> alt.Axis:
    """log10 values on a linear axis, labelled 10ᵏ at whole k; the floor (exact zeros), if any, reads '0'.
    Every chart of norms in the app uses it."""
    power = "toString(datum.value)"
    for digit, sup in zip("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"):  # Vega has no superscripts: one replace per digit
        power = f"replace({power}, regexp('{digit}', 'g'), '{sup}')"
    label = f"'10' + {power}"
    if floor is not None:
        label = f"datum.value == {floor:g} ? '0' : {label}"
    return alt.Axis(title=title, labelExpr=label, tickMinStep=1, format="d")


def decades(df: pd.DataFrame, col: str = "log10") -> list[float]:
    """A y domain of whole decades around the data, at least 10^-1 … 10^1, so the ticks read 10^k."""
    v = df[col].to_numpy(dtype=np.float64)
    v = v[np.isfinite(v)]
    lo = math.floor(v.min()) if v.size else 0
    hi = math.ceil(v.max()) if v.size else 0
    return [float(min(lo, -1)), float(max(hi, 1))]


# Chart text in the colour of ui.theme.CHART_TEXT for the background Streamlit draws the chart on (its theme
# sets the chart's background, which Vega keeps in the signal `background`), so it reads on light and on dark.
TEXT = {"expr": f"luminance(background) > 0.5 ? '{theme.CHART_TEXT['light']}' : '{theme.CHART_TEXT['dark']}'"}


@alt.theme.register("gradients", enable=True)
def _theme() -> alt.theme.ThemeConfig:
    """Every chart of the app, also those that configure themselves: its text in TEXT. (Altair merges a
    chart's own config over this; Streamlit keeps an enabled theme other than Altair's default.)"""
    return {"config": {part: {"labelColor": dict(TEXT), "titleColor": dict(TEXT)}  # fresh dicts: Altair merges
                       for part in ("axis", "legend", "header")}}  # into them


def style(chart, height: int | None = None, legend: str | None = "top", label_limit: int = 400):
    """Every chart of the app: fonts readable on a projector (≥ 14 px), thick legend symbols; `height` in
    pixels (None keeps the chart's own), `legend` its position (None: Vega-Lite's, on the right)."""
    if height is not None:
        chart = chart.properties(height=height)
    legend_kw = {"orient": legend} if legend else {}
    return (chart.configure_axis(labelFontSize=FS, titleFontSize=FS)
            .configure_legend(labelFontSize=FS, titleFontSize=FS, labelLimit=label_limit, symbolStrokeWidth=3,
                              **legend_kw)
            .configure_header(labelFontSize=FS, titleFontSize=FS)
            .configure_title(fontSize=FS + 2))
