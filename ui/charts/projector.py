"""Projector mode for charts: the same chart with every axis label, title and legend at least FS px and every
line at least LINE px, so it reads from the back of a lecture hall. A pure function on an Altair chart (no
streamlit): ui.blocks.chart_block applies it when the visitor's projector toggle is on, so no chart builder needs
to know the mode, and the setting never enters Settings (the cache key).

It merges into the chart's own config (Altair's configure_* replaces rather than merges) and raises the
explicit sizes the builders set on marks, in layers, concatenations and facets alike.
"""
from __future__ import annotations

import altair as alt

FS = 22  # px: axis labels and titles, legends
TITLE_FS = 26  # px: chart titles and facet headers (the panels' titles)
LINE = 3  # px: the thinnest line
LINE_MARKS = {"line", "rule", "trail"}
FONT_KEYS = {"axis": ("labelFontSize", "titleFontSize"), "legend": ("labelFontSize", "titleFontSize"),
             "header": ("labelFontSize", "titleFontSize"), "title": ("fontSize", "subtitleFontSize")}


def _at_least(d: dict, keys, v: float) -> None:
    for k in keys:
        d[k] = max(float(d.get(k, 0) or 0), v)


def _marks(ch, symbols: list) -> None:
    """Raise explicit stroke widths of line-like marks (and font sizes of text marks) in place, recursively."""
    for attr in ("layer", "hconcat", "vconcat", "concat"):
        sub = getattr(ch, attr, alt.Undefined)
        if isinstance(sub, list):
            for c in sub:
                _marks(c, symbols)
    spec = getattr(ch, "spec", alt.Undefined)
    if spec is not alt.Undefined and not isinstance(spec, (dict, str)):
        _marks(spec, symbols)
    _legends(ch, symbols)
    mark = getattr(ch, "mark", alt.Undefined)
    if mark is alt.Undefined:
        return
    if isinstance(mark, str):
        mark = alt.MarkDef(type=mark)
        ch.mark = mark
    kind = mark.type if isinstance(mark.type, str) else ""
    sw = mark.strokeWidth
    if kind in LINE_MARKS or (isinstance(sw, (int, float)) and 0 < sw < LINE and kind != "rect"):
        mark.strokeWidth = max(float(sw) if isinstance(sw, (int, float)) else 0.0, LINE)
    if kind == "text" and isinstance(mark.fontSize, (int, float)):
        mark.fontSize = max(float(mark.fontSize), FS)


# A long legend label on two lines, broken at the first " · " after WRAP_AT characters (a live run's label,
# "LSTM · adding problem · T=20 · adam α=0.01 · seed 0 (run 2)", ran ~600 px wide, out of the chart at 22 px).
WRAP_AT = 20
WRAP = f"split(replace(datum.label, regexp('^(.{{{WRAP_AT},}}?) · '), '$1\\n'), '\\n')"


def _legends(ch, symbols: list) -> None:
    """A legend set on an encoding overrides the config, so each is made to fit a narrow chart at the larger
    font here: under or over the plot rather than beside it (a legend on the right took the plot's width and ran
    out of the chart at 1024 px), one entry per row (a row of entries ran past the chart's edge), its title above
    a colour bar rather than beside it, and no label or title cut."""
    enc = getattr(ch, "encoding", alt.Undefined)
    if enc is alt.Undefined or enc is None:
        return
    for name in ("color", "strokeDash", "stroke", "fill", "shape", "size", "opacity", "strokeWidth"):
        channel = getattr(enc, name, alt.Undefined)
        # channel.legend is Altair's setter method; the value itself sits in the schema's keywords
        legend = channel._kwds.get("legend", alt.Undefined) if isinstance(channel, alt.SchemaBase) else alt.Undefined
        field = isinstance(channel, alt.SchemaBase) and any(
            channel._kwds.get(k, alt.Undefined) is not alt.Undefined for k in ("shorthand", "field"))
        if legend is alt.Undefined and field:
            channel._kwds["legend"] = legend = alt.Legend()  # the default legend, to be made to fit too
        if not isinstance(legend, alt.Legend):
            continue
        gradient = channel._kwds.get("type") == "quantitative" or str(
            channel._kwds.get("shorthand", "")).endswith(":Q")
        if not gradient and legend.labelExpr is alt.Undefined:
            legend.labelExpr = WRAP
        if not gradient:
            symbols.append(name)
        if legend.orient in ("left", "right"):
            legend.orient = "bottom"
        if gradient:
            legend.direction = "horizontal"
            if legend.titleOrient in ("left", "right"):
                legend.titleOrient = "top"
        else:
            legend.direction = "vertical"
            if legend.columns is not alt.Undefined:
                legend.columns = 1
        if legend.labelLimit is not alt.Undefined:
            legend.labelLimit = 0  # no limit
        legend.titleLimit = 0


def for_projector(chart):
    """A copy of `chart` restyled for a projector: fonts ≥ FS px (titles TITLE_FS), lines ≥ LINE px, legend
    symbols larger. The input chart is not changed."""
    c = chart.copy(deep=True)
    cfg = c.config.to_dict() if c.config is not alt.Undefined else {}
    for part, keys in FONT_KEYS.items():
        cfg.setdefault(part, {})
        # a facet's panel titles (header) name what each panel shows: as large as a chart's title, above its axes
        _at_least(cfg[part], keys, TITLE_FS if part in ("title", "header") else FS)
    cfg["legend"]["symbolStrokeWidth"] = max(float(cfg["legend"].get("symbolStrokeWidth", 0) or 0), LINE + 1)
    cfg["legend"]["symbolSize"] = max(float(cfg["legend"].get("symbolSize", 0) or 0), 300)
    cfg["legend"]["labelLimit"] = max(float(cfg["legend"].get("labelLimit", 0) or 0), 600)
    cfg["legend"]["titleLimit"] = 0  # no limit: "slope per step (d…" was cut at 22 px
    _at_least(cfg["axis"], ("labelLimit",), 400)  # Streamlit's theme cut "leaky ReLU" to "leaky Re…" at 22 px
    # under the plot, one entry a row (a legend beside the plot or a row of entries ran out of a 1024 px chart)
    if cfg["legend"].get("orient", "right") in ("left", "right"):
        cfg["legend"]["orient"] = "bottom"
    # (Vega-Lite lays a top or bottom legend out in one row unless `direction` says otherwise; its
    # symbolDirection is not read there: Compare runs' row of run labels ran out of both sides of the chart)
    cfg["legend"]["direction"] = "vertical"
    cfg["legend"].pop("columns", None)
    for m in LINE_MARKS:
        cfg.setdefault(m, {})
        _at_least(cfg[m], ("strokeWidth",), LINE)
    _at_least(cfg.setdefault("text", {}), ("fontSize",), FS)
    c.config = alt.Config.from_dict(cfg)
    symbols: list = []  # the encodings drawn with a legend of symbols
    _marks(c, symbols)
    # the height a chart asks for is its plot's, with its axes and legends beyond it: Streamlit's default "fit"
    # squeezed a 300 px plot under a two-row legend and 22 px axis titles to ~20 px (Compare runs). Width still
    # fits the page. (A facet keeps Streamlit's own sizing; so does a chart with no legend of symbols, a heatmap.)
    if symbols and getattr(c, "autosize", alt.Undefined) is alt.Undefined and not isinstance(c, alt.FacetChart):
        c.autosize = alt.AutoSizeParams(type="fit-x", contains="padding")
    return c
