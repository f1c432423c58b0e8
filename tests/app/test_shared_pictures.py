"""Pictures made once per inputs for every visitor (issue 23): a page's chart spec (ui.cached.charts) and Home's
unfolded diagram (ui.cached.unfolded.picture). What the browser receives is what Streamlit's st.altair_chart
makes of the builder's Altair chart (the reference: Streamlit's own path, drawn beside it in one script), and a
second visit at the same settings, in another session, builds neither again."""
from __future__ import annotations

import functools
import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from apptest_helpers import open_app
from ui.charts import phase_diagram as PC
from ui.charts import unfolded as U

Q = {"T": 30, "hidden": 8, "seed": 2}


def _same_chart_script():
    """The Phase diagram's chart for one small grid, drawn by st.altair_chart (Streamlit's path) and by
    chart_block from ui.cached.charts.spec."""
    import streamlit as st

    from ui.blocks import chart_block
    from ui.cached import phase_diagram as E
    from ui.cached.charts import spec
    from ui.charts import phase_diagram as C
    from ui.settings import Settings

    s = Settings(T=20, hidden=8, seed=3)
    base = E.phase_base(s)
    grid = E.phase_grid(base, ("tanh",), (10, 20))
    df = C.phase_frame(grid, "slope")
    lines = C.critical_lines(E.critical_scales(base), "g", ["tanh"], float(df["scale_lo"].min()),
                             float(df["scale_hi"].max()))
    args = (df, "T", lines, {"scale": 1.0, "T": 20}, "slope", "weight scale", "g")
    st.altair_chart(C.phase_chart(*args), width="stretch", key="ref")
    chart_block(spec(C.phase_chart, *args), grid, "caption", "x.csv", key="shared")


def _proto(c):
    return json.loads(c.proto.spec), sorted((d.name, d.data.data) for d in c.proto.datasets), c.proto.data.data


def test_a_shared_spec_is_what_st_altair_chart_sends():
    st.cache_data.clear()
    at = AppTest.from_function(_same_chart_script, default_timeout=120).run()
    assert not at.exception, at.exception
    ref, shared = at.get("vega_lite_chart")
    ref_spec, ref_data, ref_own = _proto(ref)
    spec, data, own = _proto(shared)
    assert spec == ref_spec
    assert data == ref_data and data, "the same Arrow tables under the same names"
    assert own == ref_own == b"", "no second copy of the frame beside the spec's own datasets"


@pytest.fixture
def counted(monkeypatch):
    """How often the Phase diagram's chart builder and the unfolded diagram's builder run."""
    calls = {"phase_chart": 0, "build": 0}
    phase_chart, build = PC.phase_chart, U.build

    @functools.wraps(phase_chart)  # the builder's own name: ui.cached.charts looks it up in ui.charts
    def count_phase(*a, **k):
        calls["phase_chart"] += 1
        return phase_chart(*a, **k)

    @functools.wraps(build)
    def count_build(*a, **k):
        calls["build"] += 1
        return build(*a, **k)

    monkeypatch.setattr(PC, "phase_chart", count_phase)
    monkeypatch.setattr(U, "build", count_build)
    st.cache_data.clear()
    return calls


def test_a_second_session_on_the_phase_diagram_builds_no_chart(counted):
    open_app(Q, "pages/phase_diagram.py", timeout=300)
    first = counted["phase_chart"]
    assert first == 2, "two diagrams on the page"
    at = open_app(Q, "pages/phase_diagram.py", timeout=300)  # another visitor, same link
    assert not at.exception
    assert counted["phase_chart"] == first, "the second session's charts come from the cache"
    assert len(at.get("vega_lite_chart")) == 2


def test_a_class_on_home_shares_one_unfolded_diagram(counted):
    a = open_app(Q)
    built = counted["build"]
    assert built == 1
    b = open_app(Q)  # a second session at the same settings
    assert counted["build"] == built, "the diagram is built once for both sessions"
    assert a.get("graphviz_chart")[0].proto.spec == b.get("graphviz_chart")[0].proto.spec
