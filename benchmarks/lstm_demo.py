"""The LSTM demo (issue 20), measured: a tanh RNN, an LSTM and a GRU trained side by side on the same batches
(rnn.training.SideBySide at rnn.training.DEMO, DEMO_STEPS steps each) for several seeds, each model's accuracy
on 1024 fresh sequences every CHECK steps, and the seconds it took, wall and CPU, with one torch thread as in
the app (ui/cached/__init__.py). The models train as on the Live training page: one chunk of CHECK steps of
each model in turn (sequentially per tick). A sweep beside it records the nearby settings that do not show the
rescue (the old task, the default gate bias, a longer T).

    python -m benchmarks.lstm_demo            # seeds 0–4 and the sweep; writes benchmarks/RESULTS_LSTM_DEMO.md
    python -m benchmarks.lstm_demo --quick    # seeds 0–2, no sweep
"""
from __future__ import annotations

import argparse
import os
import pathlib
import platform
import time
from dataclasses import replace

import torch

from rnn.tasks import NOISE_D, NOISE_K, NOISE_SIGMA, get_task
from rnn.training import DEMO, DEMO_STEPS, SideBySide

SWEEP_SEED = 2  # the sweep's seed (at T = 30 it is the one where the RNN rose above chance in a trial run)
CHECK = 50  # steps between two evaluations (and the chunk each model trains in turn)
EVAL_N = 1024  # fresh sequences per evaluation
OUT = pathlib.Path(__file__).with_name("RESULTS_LSTM_DEMO.md")


def load() -> str:
    return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def run(cfg, steps: int) -> dict:
    """One side-by-side run: {model: dict(acc=[...], first90=step or None, cpu=s, wall=s)} and the totals."""
    sbs = SideBySide(cfg)
    res = {m: dict(acc=[], first90=None, cpu=0.0, wall=0.0) for m in sbs.models}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(steps // CHECK):
        for m, tr in sbs.trainers.items():  # one chunk of each model in turn, as the page's tick does
            c, w = time.process_time(), time.perf_counter()
            tr.train(CHECK)
            res[m]["cpu"] += time.process_time() - c
            res[m]["wall"] += time.perf_counter() - w
        for m, tr in sbs.trainers.items():  # evaluation: not counted in the models' seconds
            a = tr.evaluate(EVAL_N)["accuracy"]
            res[m]["acc"].append(a)
            if a >= 0.9 and res[m]["first90"] is None:
                res[m]["first90"] = tr.steps_done
    total = dict(cpu=sum(r["cpu"] for r in res.values()), wall=sum(r["wall"] for r in res.values()),
                 cpu_all=time.process_time() - cpu0, wall_all=time.perf_counter() - wall0)
    return {"models": res, "total": total}


def describe(cfg) -> str:
    b = "default" if cfg.gate_bias is None else f"{cfg.gate_bias:g}"
    return (f"{cfg.task}, T = {cfg.T}, hidden {cfg.hidden_size}, batch {cfg.batch_size}, {cfg.optimizer} "
            f"α = {cfg.lr:g}, memory-gate bias {b}")


def table(rows: list[tuple[str, dict]], chance: float) -> list[str]:
    lines = ["| run | model | accuracy at the end | first step ≥ 90 % | CPU s | wall s |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, r in rows:
        for m, v in r["models"].items():
            lines.append(f"| {name} | {m} | {v['acc'][-1]:.1%} (chance {chance:.1%}) | "
                         f"{v['first90'] if v['first90'] is not None else '—'} | {v['cpu']:.1f} | {v['wall']:.1f} |")
        t = r["total"]
        lines.append(f"| {name} | all three (training) | | | **{t['cpu']:.1f}** | **{t['wall']:.1f}** |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="seeds 0–2 and no sweep")
    args = ap.parse_args()
    torch.set_num_threads(1)
    seeds = (0, 1, 2) if args.quick else (0, 1, 2, 3, 4)
    chance = get_task(DEMO.task).chance_accuracy
    started, load0 = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), load()

    demo_rows = []
    for s in seeds:
        r = run(replace(DEMO, seed=s), DEMO_STEPS)
        demo_rows.append((f"seed {s}", r))
        print(f"seed {s}: " + ", ".join(f"{m} {v['acc'][-1]:.1%} (≥90% at {v['first90']}, {v['cpu']:.1f} s CPU)"
                                        for m, v in r["models"].items())
              + f"; all three {r['total']['cpu']:.1f} s CPU, {r['total']['wall']:.1f} s wall; load {load()}",
              flush=True)
    load1 = load()

    sweep_rows = []
    if not args.quick:
        for name, cfg in (("old remember-first", replace(DEMO, task="remember_first", seed=SWEEP_SEED)),
                          ("default gate bias", replace(DEMO, gate_bias=None, seed=SWEEP_SEED)),
                          ("T = 30", replace(DEMO, T=30, seed=SWEEP_SEED)),
                          ("T = 50", replace(DEMO, T=50, seed=SWEEP_SEED))):
            r = run(cfg, DEMO_STEPS)
            sweep_rows.append((name, r))
            print(f"sweep, {name}: " + ", ".join(f"{m} {v['acc'][-1]:.1%}" for m, v in r["models"].items())
                  + f"; {r['total']['cpu']:.1f} s CPU; load {load()}", flush=True)
    load2 = load()

    ok = all(r["models"]["lstm"]["acc"][-1] >= 0.9 and abs(r["models"]["rnn"]["acc"][-1] - chance) <= 0.1
             and r["total"]["cpu"] <= 60 for _, r in demo_rows)
    worst_cpu = max(r["total"]["cpu"] for _, r in demo_rows)
    worst_wall = max(r["total"]["wall"] for _, r in demo_rows)
    md = [
        "# The LSTM demo: a tanh RNN, an LSTM and a GRU on the same batches",
        "",
        "Measured by `python -m benchmarks.lstm_demo` (seeds 0–4 and the sweep; `--quick`: seeds 0–2). "
        f"Run started {started} on {platform.machine()}, {os.cpu_count()} cores shared with other work, "
        f"torch {torch.__version__} with one thread (as the app). Load average (1, 5, 15 min): {load0} before, "
        f"{load1} after the demo runs, {load2} after the sweep. Wall seconds are inflated by that load; CPU "
        "seconds (time.process_time) are this process's own.",
        "",
        f"**Demo** (`rnn.training.DEMO`): {describe(DEMO)}, {DEMO_STEPS} steps of each model. The task "
        f"(`remember_noise`): step 1 shows one of K = {NOISE_K} symbols, steps 2 … T carry N(0, {NOISE_SIGMA:g}²) "
        f"noise on {NOISE_D} other channels; name the first symbol at step T. The three models start from the same "
        "seed and draw the same batches (`rnn.training.SideBySide`); each trains a chunk of "
        f"{CHECK} steps in turn, then each is scored on {EVAL_N} fresh sequences (not counted in the seconds).",
        "",
        f"Verdict: {'every' if ok else 'NOT every'} seed has the LSTM at ≥ 90 % and the RNN within 10 points of "
        f"chance ({chance:.1%}), in ≤ 60 s CPU for the three models together (worst seed: {worst_cpu:.1f} s CPU, "
        f"{worst_wall:.1f} s wall under the load above).",
        "",
        *table(demo_rows, chance),
        "",
        f"Accuracy every {CHECK} steps (fresh sequences):",
        "",
        "| seed | model | " + " | ".join(str(CHECK * (i + 1)) for i in range(DEMO_STEPS // CHECK)) + " |",
        "| --- | --- | " + " | ".join("---" for _ in range(DEMO_STEPS // CHECK)) + " |",
    ]
    for name, r in demo_rows:
        for m, v in r["models"].items():
            md.append(f"| {name} | {m} | " + " | ".join(f"{a:.0%}" for a in v["acc"]) + " |")
    if sweep_rows:
        md += ["", f"**Sweep** (seed {SWEEP_SEED}, otherwise the demo's settings): the nearby settings, and why the "
               "demo is not at them.", "",
               *table(sweep_rows, chance),
               "",
               "What the sweep says: the memory-gate bias is what makes the gated cells win. With the default bias "
               "(LSTM forget gate 1, GRU torch's init) every model stays at chance, as on the page before the demo "
               "(σ(1)³⁹ ≈ 10⁻⁵ of the LSTM's cell survives the sequence). With the bias at 5 the old remember-first "
               "(distractors drawn from the same 8 symbols, chance also 1/8) is learnt too at this seed; the noise "
               "task (the latch problem of the literature) stays the demo's: the issue saw the RNN reach 23 % on the old "
               "task at T = 40, and one seed here does not settle which task is safer. The length is a trade-off: at T = 30 the RNN creeps above chance, at "
               "T = 50 the LSTM is slower (trial runs before this benchmark: under 90 % after 500 steps for seeds 3 "
               "and 4)."]
    OUT.write_text("\n".join(md) + "\n")
    print("\n".join(md))
    print(f"\nwrote {OUT}")


if __name__ == "__main__":
    main()
