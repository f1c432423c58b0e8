"""Random sequences of what a student does, under Streamlit's AppTest, seeded and replayable.

One sequence opens the app on one page and then, `actions` times, picks with a seeded random.Random one of:
set any enabled widget of the page (the sidebar's included) to a random allowed value, click any enabled
button, visit another page of the registry (ui/registry.py) and come back, or rerun. After every run it
checks the invariants:

- no exception on the page (AppTest's `at.exception` is empty) and none raised by the run itself;
- every label of a run agrees with that run's own config, whatever the controls now say: on *Live training*
  the task's chance levels, the status, the step count, the run's name and the heatmap's T; on *Text* the
  models named beside the bits per character, the samples and the heatmaps, the unigram baseline (of the
  run's text), and the characters of the look-back strips (the run's text, at a position inside it).

A failing sequence raises `InteractionFailure`, whose message holds the seed, the page, the actions that led
to it (JSON) and the command that replays them.

Values are every allowed one (a selectbox's, select_slider's or segmented control's options; a slider's or
number input's whole range, its edges chosen one time in three), with two caps that keep one action within a
few seconds on a busy 2-core CPU: the sidebar's sequence length T ≤ 200 and hidden size n ≤ 64 (`CAPS`;
larger values are tested elsewhere: tests/ui/test_limits.py, tests/properties/). A choice is sent as the
browser sends it, by its label, so a replayed action reads as the page shows it.

AppTest runs a fragment once per run and never ticks it (`run_every`), so live training moves one tick per
action here; its ticking is the browser tests' business. A tick trains for a time budget (ui.limits), so how
many steps a run has made, and so a later choice among the buttons then enabled, can differ on a faster or
slower machine; a replay repeats the listed actions whatever the machine.

Commands (from the repository root):

    python -m pytest -q tests/app/test_interactions.py               # CI: 2 seeds × 25 actions × every page
    INTERACTIONS_SEEDS=20 INTERACTIONS_ACTIONS=100 python -m pytest -q tests/app/test_interactions.py
    python -m tests.app.interactions --seeds 20 --actions 100          # the long run, every failure listed
    python -m tests.app.interactions --pages text live_training --seeds 5 --first-seed 100 --avoid glossary
    python -m tests.app.interactions --replay '{"page": "pages/text.py", "actions": [...]}'
"""
from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from apptest_helpers import APP, chart_tables, spec_dicts  # noqa: E402

TIMEOUT = 60  # seconds AppTest waits for one run
CAPS = {"w_T": 200, "w_hidden": 64}  # largest option a sequence picks for these keys (see the docstring)
CHOICE_TYPES = ("selectbox", "select_slider", "button_group", "radio")
VALUE_TYPES = ("slider", "number_input", "toggle", "checkbox", "text_area", "text_input")
TEXTS = ("", "a", "the cat sat on the mat. " * 6, "<script>alert(1)</script> **bold** [x](javascript:x) $x$ " * 4,
         "abc def " * 370, "שלום עולם, e\u0301te\u0301 \u202egnp.exe\u202c ρ σₘₐₓ ∂h/∂h " * 5)
QUERIES = ("", "lstm", "gradient", "edge of chaos", "zzz", "<b>", "ρ")


def pages() -> list[str]:
    """Every registered page, as AppTest's switch_page takes it."""
    from ui.registry import PAGES
    return [p.path for p in PAGES]


class InteractionFailure(AssertionError):
    """An invariant broke: the seed, the page, the actions so far and what broke, with a replay command."""

    def __init__(self, seed, page: str, actions: list, what: str):
        self.seed, self.page, self.actions, self.what = seed, page, list(actions), what
        replay = json.dumps({"page": page, "actions": self.actions}, ensure_ascii=False)
        super().__init__(f"seed {seed}, page {page}, after {len(self.actions)} actions:\n{what}\n"
                         f"actions: {json.dumps(self.actions, ensure_ascii=False)}\n"
                         f"replay: python -m tests.app.interactions --replay '{replay}'")


# --- the widgets of a page ------------------------------------------------------------------------------

def wid(w) -> str:
    """A widget's name in an action: its key, else its type and label."""
    return w.key if w.key else f"{w.type}:{w.label}"


def widgets(at) -> dict[str, object]:
    """The enabled widgets a student can change now, by name, on the page (an AppTest) or in one part of it
    (`at.main`, `at.sidebar`); download buttons left out: they only hand a file over."""
    out = {}
    for t in (*CHOICE_TYPES, *VALUE_TYPES, "button"):
        for w in at.get(t):
            if not getattr(w, "disabled", False):
                out.setdefault(wid(w), w)
    return out


def allowed(w, rng: random.Random):
    """A random allowed value of widget w: one of its option labels, or a number in its range (an edge one
    time in three), a bool, a text."""
    if w.type in CHOICE_TYPES:
        opts = list(w.options)
        if w.key in CAPS:
            opts = [o for o in opts if float(o) <= CAPS[w.key]]
        return opts[0] if rng.random() < 1 / 6 else opts[-1] if rng.random() < 1 / 5 else rng.choice(opts)
    if w.type in ("slider", "number_input"):
        lo, hi = w.min, w.max
        step = w.step or 1
        is_int = w.format in ("%d", "%i") or (float(lo).is_integer() and float(step).is_integer())
        r = rng.random()
        if r < 1 / 6:
            v = lo
        elif r < 1 / 3:
            v = hi
        elif is_int and hi - lo > 1000 and r < 2 / 3:
            v = lo + rng.randrange(0, 1000)  # a seed: most students type small ones
        else:
            v = lo + round(rng.uniform(0, hi - lo) / step) * step
            v = min(max(v, lo), hi)
        return int(v) if is_int else float(v)
    if w.type in ("toggle", "checkbox"):
        return not w.value
    if w.type == "text_area":
        return rng.choice(TEXTS)
    if w.type == "text_input":
        return rng.choice(QUERIES)
    raise ValueError(f"no values for a {w.type}")


def _send_label(w, label: str) -> None:
    """Set a choice widget by the label the page shows, as the browser sends it (AppTest's set_value wants
    the option itself, which the element tree does not hold)."""
    ws = WidgetState()
    ws.id = w.id
    if w.type in ("selectbox", "radio"):
        ws.string_value = label
    else:  # select_slider, button_group: a list of labels
        ws.string_array_value.data[:] = [label]
    cls = type(w)
    w.__class__ = type(f"Sent{cls.__name__}", (cls,), {"_widget_state": property(lambda self: ws)})


def apply(at: AppTest, action: list) -> None:
    """Do one action (see `random_action`) and run the app."""
    kind = action[0]
    if kind == "rerun":
        at.run()
    elif kind == "visit":
        at.switch_page(action[1]).run()
    elif kind == "back":
        at.switch_page(action[1]).run()
    else:
        ws = widgets(at)
        if action[1] not in ws:
            raise LookupError(f"no enabled widget {action[1]!r} on the page (it has {sorted(ws)})")
        w = ws[action[1]]
        if kind == "click":
            w.click()
        elif w.type in CHOICE_TYPES:
            if action[2] not in w.options:
                raise LookupError(f"{action[1]!r} has no option {action[2]!r} (options {w.options})")
            _send_label(w, action[2])
        else:
            w.set_value(action[2])
        at.run()


def random_action(at: AppTest, rng: random.Random, here: str, avoid: tuple = ()) -> list:
    """One thing a student does: ["set", widget, value], ["click", button], ["visit", page] (then
    ["back", here]) or ["rerun"]. Widgets weigh most, the page's own as much as the sidebar's (which has
    more); a page visit and a rerun one time in ten each."""
    r = rng.random()
    if r < 0.1:
        return ["rerun"]
    if r < 0.2:
        return ["visit", rng.choice([p for p in pages() if p != here and Path(p).stem not in avoid])]
    ws = widgets(at)
    own = sorted(widgets(at.main))
    name = rng.choice(own if own and rng.random() < 0.5 else sorted(ws))
    w = ws[name]
    return ["click", name] if w.type == "button" else ["set", name, allowed(w, rng)]


# --- the invariants ---------------------------------------------------------------------------------------

def _exceptions(at: AppTest) -> str | None:
    if not at.exception:
        return None
    out = []
    for e in at.exception:
        stack = [ln.strip() for ln in e.stack_trace if ln.strip()]
        out.append(f"exception on the page: {e.message}\n    " + "\n    ".join(stack[-6:]))
    return "\n".join(out)


def _state(at: AppTest, key: str):
    return at.session_state[key] if key in at.session_state else None


def run_config(run):
    """The config a run was started with: the run's own (`run.config`) where it keeps one, else its
    trainer's (the trainer is built from it and never changes it)."""
    return getattr(run, "config", None) or run.trainer.config


def _texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in at.get(kind)]


def _live_labels(at: AppTest) -> list[str]:
    """On Live training, what the page says about the run in progress, against the run's own config."""
    from rnn.tasks import get_task
    from ui.session import live_demo
    from ui.session import live_training as live

    st_ = _state(at, "live")
    run = st_.run if st_ is not None else None
    if run is None or not at.get("button") or not any(b.key == "live_start" for b in at.button):
        return []
    cfg = run_config(run)
    task = get_task(cfg.task)
    if live_demo.is_demo(run):
        return _demo_labels(at, run, cfg, task)
    bad = []
    if not run.label.startswith(live.label(cfg)):  # the label may add the run's number: "… (run 2)"
        bad.append(f"the run is called {run.label!r} but its config reads {live.label(cfg)!r}")
    metrics = {m.label: m for m in at.metric}
    loss = f"Loss (chance {task.chance_loss:.3g})"
    acc = f"Accuracy (chance {task.chance_accuracy:.1%})"
    for want in ("Step", "Status", loss, acc):
        if want not in metrics:
            bad.append(f"metric {want!r} missing (the run's task is {cfg.task}); metrics: {sorted(metrics)}")
    if "Status" in metrics and metrics["Status"].value != run.status:
        bad.append(f"Status shows {metrics['Status'].value!r}, the run is {run.status!r}")
    if "Step" in metrics and metrics["Step"].value != f"{run.steps:,}":
        bad.append(f"Step shows {metrics['Step'].value!r}, the run is at step {run.steps}")
    progress = [p.proto.text for p in at.get("progress")]
    if not any(t.startswith(run.label) and f"of {run.max_steps} steps" in t for t in progress):
        bad.append(f"no progress bar names the run {run.label!r} and its {run.max_steps} steps: {progress}")
    accuracy = [c for c in _texts(at, "caption") if c.startswith("Accuracy: ")]
    want_acc = "|ŷ − y| < 0.04." if task.kind == "regression" else "the first symbol named."
    if accuracy != ["Accuracy: " + want_acc]:
        bad.append(f"the accuracy caption reads {accuracy}, the run's task {cfg.task} wants {want_acc!r}")
    chance = [t.column("chance").to_pylist() for t in chart_tables(at) if "chance" in t.column_names]
    if chance and any(abs(c - task.chance_loss) > 1e-12 * task.chance_loss for v in chance for c in v):
        bad.append(f"the loss chart's chance line is at {chance}, the run's task {cfg.task} has "
                   f"{task.chance_loss:.6g}")
    titles = [d["title"] for c in at.get("vega_lite_chart") for d in spec_dicts(json.loads(c.proto.spec))
              if isinstance(d.get("title"), str)]
    heat_T = [m.group(1) for t in titles for m in re.finditer(r"time step t \(0 … (\d+)\)", t)]
    if any(int(T) != cfg.T for T in heat_T):
        bad.append(f"the heatmap's axis says T = {heat_T}, the run has T = {cfg.T}")
    return bad


def _demo_labels(at: AppTest, run, cfg, task) -> list[str]:
    """On Live training, what the page says about the LSTM demo (three models on the same batches), against the
    run's own config: its label, step, status, progress, each model's accuracy, and the chance lines."""
    from ui.session import live_demo

    bad = []
    if not run.label.startswith(live_demo.label(cfg)):
        bad.append(f"the demo is called {run.label!r} but its config reads {live_demo.label(cfg)!r}")
    metrics = {m.label: m for m in at.metric}
    for want in ("Step", "Status", "tanh RNN accuracy", "LSTM accuracy", "GRU accuracy"):
        if want not in metrics:
            bad.append(f"metric {want!r} missing on the demo; metrics: {sorted(metrics)}")
    if "Status" in metrics and metrics["Status"].value != run.status:
        bad.append(f"Status shows {metrics['Status'].value!r}, the demo is {run.status!r}")
    if "Step" in metrics and metrics["Step"].value != f"{run.steps:,}":
        bad.append(f"Step shows {metrics['Step'].value!r}, the demo is at step {run.steps}")
    progress = [p.proto.text for p in at.get("progress")]
    if not any(t.startswith(run.label) and f"of {run.max_steps} steps" in t for t in progress):
        bad.append(f"no progress bar names the demo {run.label!r} and its {run.max_steps} steps: {progress}")
    want = {task.chance_accuracy, task.chance_loss}
    chance = {c for t in chart_tables(at) if "chance" in t.column_names for c in t.column("chance").to_pylist()}
    if chance and not all(any(abs(c - w) <= 1e-12 * w for w in want) for c in chance):
        bad.append(f"the demo's chance lines are at {sorted(chance)}, its task {cfg.task} has {sorted(want)}")
    return bad


def _text_labels(at: AppTest) -> list[str]:
    """On Text, what the page says about the runs in progress, against each run's own config."""
    from ui.charts.text import NAMES

    st_ = _state(at, "text_live")
    runs = dict(st_.runs) if st_ is not None else {}
    if not runs or not any(b.key == "text_start" for b in at.button):
        return []
    bad = []
    cfgs = {k: run_config(r) for k, r in runs.items()}
    for k, c in cfgs.items():
        if c.model != k:
            bad.append(f"the run kept under {k!r} trains a {c.model}")
    names = {NAMES[k] for k in runs}
    shown = {m.label.removesuffix(", bits/char") for m in at.metric if m.label.endswith(", bits/char")}
    if shown != names:
        bad.append(f"bits per character shown for {sorted(shown)}, the runs are {sorted(names)}")
    for cap in _texts(at, "caption"):
        m = re.match(r"(.+?)(?: at step \d+ \(temperature| at step \d+: each earlier|: every \d+th training "
                     r"step)", cap)
        if m and m.group(1) not in names:
            bad.append(f"caption {cap!r} names a model that is not running ({sorted(names)})")
    step = [m for m in at.metric if m.label == "Step"]
    want = f"{min(r.steps for r in runs.values()):,}"
    if step and step[0].value != want:
        bad.append(f"Step shows {step[0].value!r}, the runs are at {want}")
    strips = [t for t in chart_tables(at) if {"q", "char"} <= set(t.column_names)]
    text = {c.text for c in cfgs.values()}
    if len(text) != 1:
        bad.append(f"the runs trained on {len(text)} different texts")
    run_text = next(iter(text))
    base = [m.value for m in at.metric if m.label == "Unigram baseline"]
    if base and len(run_text) >= 2 and len(set(run_text)) >= 2:
        from rnn.text import corpus
        want = f"{corpus(run_text).unigram_bits:.2f} bits"
        if base[0] != want:
            bad.append(f"the unigram baseline reads {base[0]!r}, the run's text gives {want!r}")
    for t in strips:
        q, ch = t.column("q").to_pylist(), t.column("char").to_pylist()
        if q and q[-1] >= len(run_text):
            bad.append(f"a look-back strip reaches character {q[-1]}, the run's text has {len(run_text)}")
        elif any(run_text[i] != c for i, c in zip(q, ch)):
            shown_ = "".join(ch)
            bad.append(f"a look-back strip shows {shown_[:40]!r}…, not the run's text at those positions "
                       f"({''.join(run_text[i] for i in q)[:40]!r}…)")
    return bad


def check(at: AppTest) -> str | None:
    """What broke on the page after the last run, or None."""
    exc = _exceptions(at)
    if exc:
        return exc
    bad = _live_labels(at) + _text_labels(at)
    return "labels of a run disagree with its config:\n  " + "\n  ".join(bad) if bad else None


# --- sequences ----------------------------------------------------------------------------------------------

def open_page(page: str) -> AppTest:
    """The app at its defaults, opened on `page`."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    return at.switch_page(page).run() if page != "pages/home.py" else at


TIMES: list[tuple[float, str, list]] = []  # (seconds, page, action) of every action run in this process


def _step(at: AppTest, action: list, seed, page: str, done: list) -> None:
    done.append(action)
    t0 = time.perf_counter()
    try:
        apply(at, action)
    except Exception as e:  # the script run itself failed (a timeout, a widget gone): a failure, with its trace
        tb = traceback.format_exception(e)
        raise InteractionFailure(seed, page, done, f"the run raised {type(e).__name__}: {e}\n"
                                 + "".join(tb[-4:])) from e
    finally:
        TIMES.append((time.perf_counter() - t0, page, action))
    what = check(at)
    if what:
        raise InteractionFailure(seed, page, done, what)


def run_sequence(page: str, seed: int, actions: int, avoid: tuple = ()) -> list:
    """`actions` random actions on `page` from the app's defaults; returns them, or raises
    InteractionFailure at the first broken invariant. Pages named in `avoid` are never visited (to look past
    a known failure there; the rest of the sequence changes with it)."""
    rng = random.Random(f"{page}:{seed}")
    at = open_page(page)
    done: list = []
    what = check(at)
    if what:
        raise InteractionFailure(seed, page, done, what)
    for _ in range(actions):
        action = random_action(at, rng, page, avoid)
        _step(at, action, seed, page, done)
        if action[0] == "visit":
            _step(at, ["back", page], seed, page, done)
    return done


def replay(page: str, actions: list, seed="replay") -> AppTest:
    """The same actions again (from InteractionFailure's message); raises InteractionFailure where the
    sequence broke, else returns the AppTest at the end."""
    at = open_page(page)
    done: list = []
    what = check(at)
    if what:
        raise InteractionFailure(seed, page, done, what)
    for action in actions:
        _step(at, list(action), seed, page, done)
    return at


@dataclass
class Outcome:
    page: str
    seed: int
    seconds: float
    failure: InteractionFailure | None


def run_all(page_names: list[str] | None, seeds: int, actions: int, first_seed: int = 0, out=print,
            avoid: tuple = ()) -> list:
    """Every (page, seed): runs its sequence, prints each failure and a line per sequence."""
    chosen = [p for p in pages() if not page_names or Path(p).stem in page_names]
    results = []
    for page in chosen:
        for seed in range(first_seed, first_seed + seeds):
            t0 = time.perf_counter()
            try:
                run_sequence(page, seed, actions, avoid)
                fail = None
            except InteractionFailure as e:
                fail = e
            results.append(Outcome(page, seed, time.perf_counter() - t0, fail))
            out(f"{'FAIL' if fail else 'ok  '} {page} seed {seed}: {results[-1].seconds:.1f} s")
            if fail:
                out(str(fail) + "\n")
    return results


def main(argv=None) -> int:
    import torch

    torch.set_num_threads(1)  # as the app and tests/conftest.py
    ap = argparse.ArgumentParser(prog="python -m tests.app.interactions", description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--actions", type=int, default=25)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--pages", nargs="*", help="page names (file names without .py); default every page")
    ap.add_argument("--avoid", nargs="*", default=(), help="page names never visited from another page")
    ap.add_argument("--slowest", type=int, default=10, help="list this many of the slowest actions")
    ap.add_argument("--replay", help='JSON {"page": ..., "actions": [...]} from a failure\'s message')
    a = ap.parse_args(argv)
    if a.replay:
        r = json.loads(a.replay)
        try:
            replay(r["page"], r["actions"])
        except InteractionFailure as e:
            print(e)
            return 1
        print("the sequence ran without a broken invariant")
        return 0
    results = run_all(a.pages, a.seeds, a.actions, a.first_seed, avoid=tuple(a.avoid))
    failed = [r for r in results if r.failure]
    print(f"{len(results)} sequences, {len(failed)} failed, {sum(r.seconds for r in results):.0f} s; slowest actions:")
    for sec, page, action in sorted(TIMES, key=lambda x: -x[0])[:a.slowest]:
        print(f"  {sec:5.1f} s  {page}  {json.dumps(action, ensure_ascii=False)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
