"""The figures behind ui/limits.py's budgets and caps, measured: what one request, one training step or one
cell of a diagram costs at the sizes the limits name, in wall-clock seconds and in memory above the process's
baseline (its resident size once the model and inputs are built). Each case runs in a fresh Python process, so
one case's memory never counts against another's.

    python -m benchmarks.limits           # the cases at and under the budgets (about a minute on 2 busy cores)
    python -m benchmarks.limits --full    # also the worst cases a request may be (about two minutes more)

Writes benchmarks/RESULTS_LIMITS.md with the machine and its load: the figures move with whatever else the
machine is doing (the project's two cores are shared), which is why they live here and not in comments.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "RESULTS_LIMITS.md"

# name: (what ui/limits.py says it bounds, the size, in --full only)
CASES = {
    "jacobian_budget": ("one Jacobian-products request at JACOBIAN_WORK: rnn.analyze, vanilla tanh RNN",
                        "T = 1000, n = 256, float64", True),
    "jacobian_lstm_budget": ("one Gated-cells LSTM request at JACOBIAN_WORK: rnn.analyze, state (h, c) of 2n",
                             "T = 125, n = 256, float64", True),
    "bptt_budget": ("hand BPTT with its per-step terms and autograd's reference, at BPTT_NUMBERS",
                    "T = 1220, n = 64, float64", False),
    "theory_cell": ("one cell of the Theory page's diagram at the defaults: rnn.jacobian_log10_norms and its slope",
                    "T = 100, n = 64, float64", False),
    "live_step": ("one live-training step at LIVE_MAX_T: Trainer.train(1), adding task, Adam",
                  "T = 200, n = 64, batch 32, float32", False),
    "text_step": ("one round of the Text page: a step of the vanilla RNN and of the LSTM, TEXT_BATCH windows",
                  "T = 64, n = 64, batch 32, float32", False),
}


def _rss_mb(field: str) -> float:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _case(name: str) -> dict:
    """Build the case, then time `repeat` runs of it; memory: the peak resident size above the baseline."""
    import torch

    import rnn
    from rnn.bptt import autograd_grads
    from rnn.training import TrainConfig, Trainer

    torch.set_num_threads(1)  # as the app computes (ui/cached: one torch thread per computation)
    g = torch.Generator().manual_seed(0)
    repeat = 3
    if name in ("jacobian_budget", "jacobian_lstm_budget", "theory_cell", "bptt_budget"):
        T, n = {"jacobian_budget": (1000, 256), "jacobian_lstm_budget": (125, 256), "theory_cell": (100, 64),
                "bptt_budget": (1220, 64)}[name]
        m = (rnn.GatedRNN("lstm", 4, n, 2, seed=0, dtype=torch.float64) if name == "jacobian_lstm_budget"
             else rnn.VanillaRNN(4, n, 2, activation="tanh", seed=0, dtype=torch.float64))
        x = torch.randn(T, 4, generator=g, dtype=torch.float64) * 0.5
        y = torch.zeros(2, dtype=torch.float64)
        if name == "bptt_budget":
            def run():
                rnn.bptt(m, x, y)
                autograd_grads(m, x, y)
        elif name == "theory_cell":
            def run():
                rnn.slope_per_step(rnn.jacobian_log10_norms(m, x))
        else:
            repeat = 1

            def run():
                rnn.analyze(m, x, y)
    else:
        if name == "live_step":
            trainers = [Trainer(TrainConfig(T=200, hidden_size=64, batch_size=32, dtype="float32"))]
        else:
            from rnn.text import DEFAULT_SAMPLE, SAMPLES, prepare_text

            from ui.limits import TEXT_MAX_CHARS, TEXT_MAX_VOCAB
            text = prepare_text(SAMPLES[DEFAULT_SAMPLE], TEXT_MAX_CHARS, max_vocab=TEXT_MAX_VOCAB).text
            trainers = [Trainer(TrainConfig(task="text", text=text, T=64, hidden_size=64, batch_size=32,
                                            model=k, dtype="float32", matrix_stats=False)) for k in ("rnn", "lstm")]
        for tr in trainers:
            tr.train(1)  # warm up
        repeat = 9

        def run():
            for tr in trainers:
                tr.train(1)
    base = _rss_mb("VmRSS")
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return {"seconds_min": min(times), "seconds_median": statistics.median(times), "runs": repeat,
            "mb_above_baseline": max(0.0, _rss_mb("VmHWM") - base)}


def _fmt_s(s: float) -> str:
    return f"{s * 1e3:.0f} ms" if s < 1 else f"{s:.1f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="also the worst cases a request may be")
    ap.add_argument("--case", help=argparse.SUPPRESS)  # one case, in this process (the runner's child)
    a = ap.parse_args(argv)
    if a.case:
        print(json.dumps(_case(a.case)))
        return 0
    load0 = os.getloadavg()
    rows = []
    for name, (what, size, full) in CASES.items():
        if full and not a.full:
            continue
        out = subprocess.run([sys.executable, "-m", "benchmarks.limits", "--case", name], cwd=ROOT,
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append((name, what, size, r))
        print(f"{name}: {_fmt_s(r['seconds_min'])} (median {_fmt_s(r['seconds_median'])}, {r['runs']} run(s)), "
              f"{r['mb_above_baseline']:.0f} MB above baseline", flush=True)
    load1 = os.getloadavg()
    lines = ["# What the limits cost", "",
             "The budgets and caps themselves are in `ui/limits.py`; these are the figures its comments used to "
             "carry. `python -m benchmarks.run` copies the table into benchmarks/RESULTS.md.", "",
             f"Measured {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC by `python -m benchmarks.limits"
             f"{' --full' if a.full else ''}`, {os.cpu_count()} CPU cores, one torch thread per computation (as the "
             f"app computes), load average (1, 5, 15 min) {' '.join(f'{v:.2f}' for v in load0)} at start and "
             f"{' '.join(f'{v:.2f}' for v in load1)} at end.", "",
             "| case | what | size | time (min / median) | memory above baseline |",
             "| --- | --- | --- | --- | --- |"]
    for name, what, size, r in rows:
        lines.append(f"| {name} | {what} | {size} | {_fmt_s(r['seconds_min'])} / {_fmt_s(r['seconds_median'])} "
                     f"({r['runs']} run{'s' if r['runs'] != 1 else ''}) | {r['mb_above_baseline']:.0f} MB |")
    if not a.full:
        lines += ["", "The worst cases (`jacobian_budget`, `jacobian_lstm_budget`) run with `--full`."]
    OUT.write_text("\n".join(lines) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
