"""What the app tests share: the app's path, an AppTest opened with a link's query on one page, the data
a page's charts hold (decoded from the Arrow streams the browser would receive), and every number an Altair
chart would send (`chart_numbers`)."""
from __future__ import annotations

import pathlib
from typing import Mapping

import altair as alt
import pyarrow as pa
from streamlit.testing.v1 import AppTest

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")


def open_app(query: Mapping | None = None, page: str | None = None, timeout: float = 60) -> AppTest:
    """app.py run with `query` in the URL (values as text), then switched to `page` (None or Home: stay)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    if query:
        at.query_params.update({k: str(v) for k, v in query.items()})
    at.run()
    return at.switch_page(page).run() if page and page != "pages/home.py" else at


def open_on(page: str, query: Mapping | None = None) -> AppTest:
    """open_app with the page first: app.py with `query` in the URL, switched to `page`."""
    return open_app(query, page)


def assert_ok(at: AppTest) -> None:
    """No exception on the page the last run drew (their messages shown where there are some)."""
    assert not at.exception, [e.message for e in at.exception]


def finished_page(at: AppTest) -> str:
    """The file name of the page the last run finished on (pages/…py → "….py")."""
    info = at._registered_pages.get(at._finished_page_script_hash, {})
    return pathlib.Path(str(info.get("script_path", ""))).name


def chart_tables(at: AppTest) -> list[pa.Table]:
    """Every dataset of every chart on the page: the named ones (st.altair_chart) and a chart's own data
    (st.vega_lite_chart with a frame, ui.charts.spec.vega_spec)."""
    out = []
    for c in at.get("vega_lite_chart"):
        streams = [d.data.data for d in c.proto.datasets] + ([c.proto.data.data] if c.proto.data.data else [])
        out += [pa.ipc.open_stream(b).read_all() for b in streams]
    return out


def spec_dicts(spec):
    """Every dict in a nested Vega-Lite spec (the spec itself first, then its layers, encodings, …), depth first:
    the one walk for tests that look for a kind of mark wherever a chart nests it."""
    if isinstance(spec, dict):
        yield spec
        for v in spec.values():
            yield from spec_dicts(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from spec_dicts(v)


def chart_numbers(chart: alt.TopLevelMixin) -> list[float]:
    """All numeric values in the datasets of chart.to_dict() (used to check that none is non-finite)."""
    spec = chart.to_dict()
    out: list[float] = []
    datasets = list(spec.get("datasets", {}).values())
    if isinstance(spec.get("data"), dict) and "values" in spec["data"]:
        datasets.append(spec["data"]["values"])
    for rows in datasets:
        for row in rows:
            out.extend(float(v) for v in row.values() if isinstance(v, (int, float)) and not isinstance(v, bool))
    return out
