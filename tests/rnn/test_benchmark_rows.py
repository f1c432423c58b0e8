"""benchmarks.run's rows over several inputs (issue 23: no lucky input): each input's ratio comes from the two
sides' minima on that input, a row shows their median and worst, and a target holds for both."""
from __future__ import annotations

from benchmarks.run import Row, per_input


def test_per_input_ratios_median_and_worst():
    # three inputs: ours/ref minima 2/1, 3/1, 2.2/1 (the other runs slower, as a busy machine makes them)
    r = Row("P1", "w", "s", "o", "r", [[2.0, 5.0], [3.0, 9.0], [2.2, 2.4]], [[1.0, 4.0], [1.0, 1.5], [1.0, 1.1]],
            "le", 2.5, 3.0)
    assert [round(x, 6) for x in r.ratios] == [2.0, 3.0, 2.2]
    assert abs(r.ratio_median - 2.2) < 1e-12 and r.ratio_worst == 3.0
    assert r.met  # median 2.2 <= 2.5, worst 3.0 <= 3
    r.worst_target = 2.9
    assert not r.met
    # a speed-up row: ref/ours, the worst is the smallest; the target applies to both unless told
    g = Row("P2", "w", "s", "o", "r", [[1.0], [2.0]], [[300.0], [150.0]], "ge", 100.0)
    assert g.ratios == [300.0, 75.0] and g.ratio_worst == 75.0 and not g.met


def test_per_input_runs_each_input_side_by_side():
    calls = []
    out = per_input(lambda s: {"a": lambda: calls.append(("a", s)), "b": lambda: calls.append(("b", s))},
                    repeat=2, warmup=0, seeds=(1, 2))
    # on each input the two sides side by side (a, b); each round visits every input, so that one burst of load
    # cannot take all of an input's runs
    assert calls == [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert [len(x) for x in out["a"]] == [2, 2] and len(out["b"]) == 2


def test_per_input_warms_every_input_before_timing():
    calls = []
    out = per_input(lambda s: {"a": lambda: calls.append(s)}, repeat=1, warmup=1, seeds=(1, 2, 3))
    assert calls == [1, 2, 3, 1, 2, 3] and [len(x) for x in out["a"]] == [1, 1, 1]


def test_a_whole_run_keeps_the_sections_other_commands_measured(tmp_path):
    """benchmarks.run writes RESULTS.md anew; the deployment drill's figures (python -m deploy.drill) are not its
    own and come through as they were, up to the next section."""
    from benchmarks.run import DEPLOY_HEADING, kept_by_heading

    f = tmp_path / "RESULTS.md"
    f.write_text("# R\n\n## Engine\n\nrows\n\n" + DEPLOY_HEADING + ": a class of 90\n\n| a | b |\n\ntext\n\n## Later\n\nx\n")
    assert kept_by_heading(DEPLOY_HEADING, f) == ["", DEPLOY_HEADING + ": a class of 90", "", "| a | b |", "",
                                                  "text"]
    f.write_text("# R\n\n## Engine\n")
    assert kept_by_heading(DEPLOY_HEADING, f) == []
