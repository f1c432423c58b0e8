"""Side-by-side timings of the engine against references, as ratios measured in the same run.

    python -m benchmarks.run            # everything, about a minute on 2 cores; writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick    # fewer repeats; P2's reference on fewer lags, extrapolated
    python -m benchmarks.run --only P1 P3 --no-write   # some rows; RESULTS.md is only written by a whole run
    python -m benchmarks.run --strict   # exit status 1 when a measured target is missed

Targets (ratios, both sides timed in this one process, interleaved run by run):

  P1  rnn.jacobian_log10_norms, all T log-norms at T = 1000, hidden 128, float32, over 8 input sequences
      ≤ 2.5 × (median) and ≤ 3 × (worst input) the bare chain of T matrix products of that size
      (1000 × `M = M @ J`, 128 × 128 float32)
  P2  rnn.jacobian_log10_norms at T = 200, hidden 64, float64
      ≥ 100 × faster than per-lag autograd Jacobians (what a notebook does: for each lag i,
      torch.autograd.functional.jacobian of h_T with respect to h_i, then its spectral norm)
  P3  hand BPTT (rnn.bptt) ≤ 2 × autograd's forward + loss.backward() on the same model and forward code
  P4  a training step of rnn.VanillaRNN (forward, autograd backward, SGD step)
      ≤ 2 × the same step with torch.nn.RNN and the same linear readout
  P7  a training step of the Text page (rnn.training.Trainer, next-character task, 200 characters, hidden 128)
      ≤ 2 × the same step with torch.nn.RNN / nn.LSTM and the same readout
  P9  rnn.lyapunov_spectrum (all exponents) at T = 1000, hidden 128, float64 ≤ 3 × rnn.jacobian_log10_norms
      on the same model; rnn.mean_field under 10 ms a call
  P5  in Chromium, slider → chart redrawn ≤ 0.5 s median at default settings, first page load ≤ 5 s
  P6  server memory (RSS) ≤ 650 MB with 10 sessions at default settings
      P5 and P6 need a server and a browser: `python -m benchmarks.browser` measures them and writes
      benchmarks/RESULTS_BROWSER.md; the many-visitors figures are in benchmarks/RESULTS_LOAD.md. This
      command copies both tables into RESULTS.md, so that every figure is in one file.

No row rests on one lucky input: each times INPUTS (8) input sequences of different seeds, both sides
side by side for each (a, b, a, b, …, `--repeat` rounds), and takes that input's ratio from the two
sides' minima (the rounds least disturbed by other processes). A row shows the median and the worst of
those per-input ratios; a target is met when both are (P1 has its own, stricter target for the median:
≤ 2.5× median, ≤ 3× worst). Each row also records the load average when it finished, and checks that
both sides computed the same numbers. Nothing here changes torch's thread count, except the row
"P1 (1 thread)": P1 again with both sides on one torch thread, as the app computes (ui.cached sets one
thread per computation, so that visitors share the cores), the thread count put back after it.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import math
import os
import pathlib
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python benchmarks/run.py` as well as `python -m benchmarks.run`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import rnn  # noqa: E402
from rnn.init import orthogonal  # noqa: E402
from rnn.jacobians import reference_log10_norms  # noqa: E402
from rnn.theory import reference_lyapunov_spectrum  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"


# ---------------------------------------------------------------------------------------------------------
# timing

INPUTS = 8  # input sequences (seeds) per row: no row rests on one lucky input
SEEDS = tuple(range(100, 100 + INPUTS))  # the inputs' seeds (x, and y where a row has one)


def per_input(make: Callable[[int], dict[str, Callable[[], object]]], repeat: int, warmup: int = 1,
              seeds: tuple[int, ...] = SEEDS) -> dict[str, list[list[float]]]:
    """Wall-clock seconds of the callables that make(seed) gives for each seed's input, `repeat` rounds after
    `warmup` untimed ones. A round visits every input in turn and, on each, runs the callables in turn (a, b,
    a, b, …), so that a burst of load from elsewhere hits both sides of an input alike, and an input's runs
    are spread over the whole row instead of falling in one burst together. Returns, per callable, one list
    of timed runs per input (in the order of `seeds`)."""
    fns = [make(seed) for seed in seeds]
    for _ in range(warmup):
        for fs in fns:
            for f in fs.values():
                f()
    out: dict[str, list[list[float]]] = {k: [[] for _ in seeds] for k in fns[0]}
    for _ in range(repeat):
        for i, fs in enumerate(fns):
            for k, f in fs.items():
                t0 = time.perf_counter()
                f()
                out[k][i].append(time.perf_counter() - t0)
    return out


@dataclass
class Row:
    """One target: our side against the reference side, over several inputs. `ours` and `ref` hold one
    list of timed runs per input. `kind` says how a ratio reads: "le" means ours / reference must be ≤ the
    target; "ge" means reference / ours (a speed-up) must be ≥ it. Each input's ratio is taken from the two
    sides' minima on that input; the target holds for the median of those ratios, `worst_target` (the
    target itself unless given) for the worst one."""

    id: str
    what: str
    size: str
    ours_name: str
    ref_name: str
    ours: list[list[float]] = field(default_factory=list)
    ref: list[list[float]] = field(default_factory=list)
    kind: str = "le"
    target: float | None = None
    worst_target: float | None = None
    check: str = ""
    note: str = ""
    load: str = field(default_factory=lambda: load())  # the load average when the row was measured

    @property
    def ratios(self) -> list[float]:
        """One ratio per input, from the two sides' minima on that input."""
        return [(min(a) / min(b) if self.kind == "le" else min(b) / min(a)) for a, b in zip(self.ours, self.ref)]

    @property
    def ratio_median(self) -> float | None:
        return statistics.median(self.ratios) if self.ratios else None

    @property
    def ratio_worst(self) -> float | None:
        if not self.ratios:
            return None
        return max(self.ratios) if self.kind == "le" else min(self.ratios)

    def _meets(self, r: float, t: float) -> bool:
        return r <= t if self.kind == "le" else r >= t

    @property
    def met(self) -> bool | None:
        if self.ratio_median is None or self.target is None:
            return None
        worst = self.target if self.worst_target is None else self.worst_target
        return self._meets(self.ratio_median, self.target) and self._meets(self.ratio_worst, worst)

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        op = "≤" if self.kind == "le" else "≥"
        side = "ours/ref" if self.kind == "le" else "ref/ours"
        if self.worst_target is None or self.worst_target == self.target:
            return f"{side} {op} {self.target:g}× (median and worst)"
        return f"{side} {op} {self.target:g}× median, {op} {self.worst_target:g}× worst"


def fmt_s(runs: list[list[float]]) -> str:
    """min / median over every timed run of every input."""
    ts = [t for r in runs for t in r]
    if not ts:
        return "—"
    lo, med = min(ts), statistics.median(ts)

    def one(t):
        return f"{t * 1e3:.1f} ms" if t < 1 else f"{t:.2f} s"

    return one(lo) if len(ts) == 1 else f"{one(lo)} / {one(med)}"


def fmt_ratio(r: float | None) -> str:
    return "—" if r is None else (f"{r:.2f}×" if r < 100 else f"{r:.0f}×")


# ---------------------------------------------------------------------------------------------------------
# references

def per_lag_autograd_log10(m: rnn.VanillaRNN, x: torch.Tensor, lags: list[int] | None = None,
                           times: dict[int, float] | None = None) -> np.ndarray:
    """What a notebook does: for each i, h_T as a function of h_i (re-running steps i+1 … T), its full
    Jacobian by torch.autograd.functional.jacobian, then the spectral norm. Entry i = log10‖∂h_T/∂h_i‖₂.
    With `lags`, only those entries (i = T − lag) are computed; `times` receives each entry's seconds."""
    T = x.shape[0]
    U, W, b = (p.detach() for p in (m.U, m.W, m.b_h))
    f = m.act.f
    with torch.no_grad():
        h = [torch.zeros(m.hidden_size, dtype=U.dtype)]
        for t in range(T):
            h.append(f(x[t] @ U + h[-1] @ W + b))
    out = np.full(T, np.nan)
    for i in (range(T) if lags is None else [T - k for k in lags]):
        t0 = time.perf_counter()

        def h_T(h_i, i=i):
            for t in range(i, T):  # step t+1 uses x_{t+1} = x[t]
                h_i = f(x[t] @ U + h_i @ W + b)
            return h_i

        jac = torch.autograd.functional.jacobian(h_T, h[i])  # ∂h_T/∂h_i, (H, H)
        out[i] = math.log10(float(torch.linalg.matrix_norm(jac, ord=2)))
        if times is not None:
            times[i] = time.perf_counter() - t0
    return out


# ---------------------------------------------------------------------------------------------------------
# the benchmarks

def bench_p1(repeat: int, quick: bool = False, threads: int | None = None) -> Row:
    """The engine's log-norms against the bare chain on each input; the check against the plain loop (about
    2 s an input) on every input, or on the first only with --quick. With `threads`, both sides run on that
    many torch threads (set for this row, then put back): one is how the app computes (ui.cached)."""
    if threads is None:
        return _bench_p1(repeat, quick, "P1")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return _bench_p1(repeat, quick, f"P1 ({threads} thread{'s' if threads > 1 else ''})")
    finally:
        torch.set_num_threads(before)


def _bench_p1(repeat: int, quick: bool, rid: str) -> Row:
    T, H = 1000, 128
    m = rnn.VanillaRNN(4, H, 2, activation="tanh", seed=0, dtype=torch.float32)
    # the bare chain: an orthogonal J keeps M at norm 1 (no overflow, no denormals slowing it down)
    J = orthogonal(H, torch.Generator().manual_seed(2)).to(torch.float32)
    W = m.W.detach()

    def chain():
        M = torch.eye(H)
        for _ in range(T):
            M = M @ J
        return M

    xs = {s: torch.randn(T, 4, generator=torch.Generator().manual_seed(s)) for s in SEEDS}

    def make(seed: int) -> dict[str, Callable[[], object]]:
        x = xs[seed]
        # two parts of what any exact method has to do, timed alongside for the record: the forward pass that
        # gives f′(a_t), and the chain of the T distinct factors J_tᵀ = W diag(f′(a_t)), each formed and its
        # product kept (rescaled now and then), with no norm taken at all
        with torch.no_grad():
            d = m.act.df(m.unroll(x).a[:, 0])

        def forward():
            with torch.no_grad():
                return m.unroll(x)

        def distinct_chain(S=64):
            Q = torch.eye(H)
            keep = torch.empty(S, H, H)
            jt = torch.empty(S, H, H)
            for hi in range(T, 0, -S):
                lo = max(0, hi - S)
                Jt = torch.mul(W, d[lo:hi, None, :], out=jt[:hi - lo]).unbind(0)
                kv = keep[:hi - lo].unbind(0)
                for i in range(hi - lo - 1, -1, -1):
                    Q = torch.mm(Jt[i], Q, out=kv[i])
                Q = Q / torch.linalg.vector_norm(Q)
            return Q

        return {"ours": lambda: rnn.jacobian_log10_norms(m, x), "ref": chain, "forward": forward,
                "distinct": distinct_chain}

    ts = per_input(make, repeat)
    checked = list(xs.values())[:1 if quick else None]
    err = max(float(np.max(np.abs(rnn.jacobian_log10_norms(m, x) - reference_log10_norms(m, x))))
              for x in checked)

    def parts(k: str) -> str:
        # each input's part against that input's bare chain (minima), the median over inputs
        return f"{statistics.median(min(a) / min(b) for a, b in zip(ts[k], ts['ref'])):.2f}×"

    note = (f"parts, for the record (medians over the inputs of each input's minima, as multiples of the bare "
            f"chain): the forward pass {parts('forward')}; the chain of the {T} distinct factors, formed and "
            f"kept, no norms, {parts('distinct')}")
    return Row(rid, "Jacobian log-norms vs bare matrix chain",
               f"T={T}, H={H}, float32, tanh, {torch.get_num_threads()} torch thread(s)",
               "rnn.jacobian_log10_norms", f"{T} × (M = M @ J)", ts["ours"], ts["ref"], "le", 2.5, 3.0,
               f"max |Δ log10| vs rnn.jacobians.reference_log10_norms (float64 products, an SVD each), over "
               f"{len(checked)} of the {len(xs)} inputs: {err:.1e}", note)


def bench_p2(repeat: int, quick: bool) -> Row:
    """Ours whole on each input; the reference (about 80 s for all 200 lags of one input) on a subset of
    lags of each input, its per-lag time fitted linearly in the lag (each lag re-runs lag steps) and summed
    over all 200 lags."""
    T, H = 200, 64
    m = rnn.VanillaRNN(4, H, 2, activation="tanh", seed=0, dtype=torch.float64)
    step = 40 if quick else 20
    lags = list(range(1, T + 1, step)) + [T]
    ours, ref, err = [], [], 0.0
    for seed in SEEDS:
        x = torch.randn(T, 4, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        ours += per_input(lambda s: {"ours": lambda: rnn.jacobian_log10_norms(m, x)}, repeat, seeds=(seed,))["ours"]
        got = rnn.jacobian_log10_norms(m, x)
        times: dict[int, float] = {}
        want = per_lag_autograd_log10(m, x, lags=lags, times=times)
        k = np.array([T - i for i in times], dtype=np.float64)
        slope, icpt = np.polyfit(k, np.array(list(times.values())), 1)  # seconds per lag ≈ a + b·lag
        ref.append([float(np.sum(icpt + slope * np.arange(1, T + 1)))])
        mask = ~np.isnan(want)
        err = max(err, float(np.max(np.abs(got[mask] - want[mask]))))
    note = (f"reference EXTRAPOLATED on each input: {len(lags)} of {T} lags measured, the per-lag time fitted "
            f"linearly in the lag and summed over all {T} lags")
    return Row("P2", "Jacobian log-norms vs per-lag autograd", f"T={T}, H={H}, float64, tanh",
               "rnn.jacobian_log10_norms", "autograd.functional.jacobian per lag + matrix_norm(ord=2)",
               ours, ref, "ge", 100.0, None, f"max |Δ log10| ours vs the autograd reference on the measured lags, "
               f"over the {len(SEEDS)} inputs: {err:.1e}", note)


def bench_p3(repeat: int, B: int) -> Row:
    T, H, n_in, n_out = 200, 64, 8, 4
    m = rnn.VanillaRNN(n_in, H, n_out, activation="tanh", seed=0, dtype=torch.float64)
    names = {"U": m.U, "W": m.W, "V": m.V, "b_h": m.b_h, "b_y": m.b_y}
    errs: list[float] = []

    def make(seed: int) -> dict[str, Callable[[], object]]:
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(T, B, n_in, generator=g, dtype=torch.float64)
        y = torch.randn(B, n_out, generator=g, dtype=torch.float64)

        def autograd_step():
            m.zero_grad(set_to_none=True)
            y_hat, _ = m(x)  # the same forward code (VanillaRNN.unroll) under autograd
            loss = 0.5 * ((y_hat[-1] - y) ** 2).sum()  # L = ½‖ŷ_T − y‖², summed over the batch
            loss.backward()
            return loss

        res = rnn.bptt(m, x, y)
        autograd_step()
        errs.append(max(float((res.grads[k] - p.grad).abs().max() / p.grad.abs().max().clamp_min(1e-300))
                        for k, p in names.items()))
        return {"ours": lambda: rnn.bptt(m, x, y), "ref": autograd_step}

    ts = per_input(make, repeat)
    return Row(f"P3 (B={B})", "hand BPTT vs autograd forward+backward", f"T={T}, H={H}, B={B}, float64, tanh",
               "rnn.bptt", "m(x); loss.backward()", ts["ours"], ts["ref"], "le", 2.0, None,
               f"max relative |Δ grad| hand vs autograd, over the {len(SEEDS)} inputs: {max(errs):.1e}")


def bench_p9(repeat: int) -> Row:
    """The Lyapunov spectrum (all n exponents; Benettin's method with a QR every k steps, k as large as keeps
    10 digits in each R_jj) against the Jacobian log-norms of the same model; the check also compares it with
    one QR a step (rnn.theory.reference_lyapunov_spectrum, the plain loop, timed once, on the first input);
    mean_field's time a call in the note (its target: under 10 ms, so a whole curve draws at once)."""
    T, H = 1000, 128
    m = rnn.VanillaRNN(4, H, 2, activation="tanh", seed=0, dtype=torch.float64)
    xs = {s: torch.randn(T, 4, generator=torch.Generator().manual_seed(s), dtype=torch.float64) * 0.5
          for s in SEEDS}
    ts = per_input(lambda s: {"ours": lambda: rnn.lyapunov_spectrum(m, xs[s]),
                              "ref": lambda: rnn.jacobian_log10_norms(m, xs[s])}, max(3, repeat // 2))
    gaps = []
    for x in xs.values():
        gaps.append(abs(rnn.lyapunov_spectrum(m, x)[0] - rnn.slope_per_step(rnn.jacobian_log10_norms(m, x))))
    x0 = xs[SEEDS[0]]
    lyap = rnn.lyapunov_spectrum(m, x0)
    t0 = time.perf_counter()
    plain = reference_lyapunov_spectrum(m, x0)
    t_plain = time.perf_counter() - t0
    calls = []
    for i in range(50):
        t = time.perf_counter()
        rnn.mean_field("tanh", 0.5 + i / 25, 0.3)
        calls.append(time.perf_counter() - t)
    return Row("P9", "Lyapunov spectrum vs Jacobian log-norms", f"T={T}, H={H}, float64, tanh",
               "rnn.lyapunov_spectrum", "rnn.jacobian_log10_norms", ts["ours"], ts["ref"], "le", 3.0, None,
               f"top exponent against the measured slope, largest gap over the {len(SEEDS)} inputs: "
               f"{max(gaps):.4f} decades per step; max |Δλ| against one QR a step (first input): "
               f"{float(np.max(np.abs(lyap - plain))):.1e}",
               f"one QR a step (rnn.theory.reference_lyapunov_spectrum), once: {t_plain:.2f} s; "
               f"rnn.mean_field: {1e3 * statistics.median(calls):.2f} ms a call (median of 50; target < 10 ms)")


def bench_p4(repeat: int, dtype: torch.dtype) -> Row:
    T, B, H, n_in, n_out = 100, 64, 64, 16, 8
    ours = rnn.VanillaRNN(n_in, H, n_out, activation="tanh", output_activation="linear", seed=0, dtype=dtype)
    core = ours.to_torch_rnn()
    V = torch.nn.Parameter(ours.V.detach().clone())
    b_y = torch.nn.Parameter(ours.b_y.detach().clone())
    ref_params = list(core.parameters()) + [V, b_y]
    opt_ours = torch.optim.SGD(ours.parameters(), lr=1e-3)
    opt_ref = torch.optim.SGD(ref_params, lr=1e-3)
    firsts: list[tuple[float, float]] = []

    def make(seed: int) -> dict[str, Callable[[], object]]:
        g = torch.Generator().manual_seed(seed)
        x = torch.randn(T, B, n_in, generator=g, dtype=dtype)
        y = torch.randn(T, B, n_out, generator=g, dtype=dtype)

        def step_ours():
            opt_ours.zero_grad(set_to_none=True)
            y_hat, _ = ours(x)
            loss = ((y_hat - y) ** 2).mean()
            loss.backward()
            opt_ours.step()
            return loss

        def step_ref():
            opt_ref.zero_grad(set_to_none=True)
            out, _ = core(x)
            loss = ((out @ V + b_y - y) ** 2).mean()  # the same linear readout ŷ_t = Vᵀh_t + b_y
            loss.backward()
            opt_ref.step()
            return loss

        if not firsts:  # the first step, from the same weights
            firsts.append((float(step_ours().detach()), float(step_ref().detach())))
        return {"ours": step_ours, "ref": step_ref}

    ts = per_input(make, repeat, warmup=2)
    l0, r0 = firsts[0]
    name = str(dtype).replace("torch.", "")
    return Row(f"P4 ({name})", "training step vs torch.nn.RNN", f"T={T}, B={B}, H={H}, {name}, tanh, SGD",
               "VanillaRNN fwd + backward + SGD", "nn.RNN + readout fwd + backward + SGD", ts["ours"], ts["ref"],
               "le", 2.0, None, f"first-step loss (first input) ours {l0:.6g} vs nn.RNN {r0:.6g} "
               f"(|Δ| {abs(l0 - r0):.1e})")


def bench_p7(repeat: int, model: str) -> Row:
    """The Text page's training step: rnn.training.Trainer on the next-character task (a loss at every step),
    against torch's own cell (nn.RNN / nn.LSTM with the same weights) and the same readout, loss and Adam step.
    Both sides draw their batch of windows from the text each step. The trainer also records what the page
    draws (‖∂L/∂s_t‖ for every state, the accuracy): that is part of its cost. Like the page, it does not
    record ρ and σ_max of W (TrainConfig.matrix_stats), which the Text page never shows. Each input is a
    seed of the run: its weights and the windows it draws."""
    from rnn import text as X
    from rnn.training import TrainConfig, Trainer, _data_seed

    text = X.SAMPLES["robot"][:200]
    T, B, H = 100, 32, 128
    firsts: list[tuple[float, float]] = []
    ref = "nn.RNN" if model == "rnn" else "nn.LSTM"
    V_size = [0]

    def make(seed: int) -> dict[str, Callable[[], object]]:
        cfg = TrainConfig(task="text", text=text, T=T, batch_size=B, model=model, hidden_size=H, lr=1e-3,
                          dtype="float32", seed=seed, matrix_stats=False)
        tr = Trainer(cfg)
        m = tr.model
        V_size[0] = tr.task.input_size
        core = m.to_torch_rnn() if model == "rnn" else __import__("copy").deepcopy(m.core)
        V = torch.nn.Parameter(m.V.detach().clone())
        b_y = torch.nn.Parameter(m.b_y.detach().clone())
        opt = torch.optim.Adam(list(core.parameters()) + [V, b_y], lr=1e-3)
        gen = torch.Generator().manual_seed(_data_seed(seed))  # the trainer's batches, drawn the same way

        def step_ref():
            x, y = tr.task.batch(T, B, gen, torch.float32)
            opt.zero_grad(set_to_none=True)
            out, _ = core(x)
            # L = (1/T) Σ_t L_t with ŷ_t = Vᵀh_t + b_y, as the trainer
            loss = torch.nn.functional.cross_entropy((out @ V + b_y).flatten(0, 1), y.flatten())
            loss.backward()
            opt.step()
            return loss

        r0 = float(step_ref().detach())
        l0 = float(tr.train(1)["loss"][0])  # the same first batch and weights
        firsts.append((l0, r0))
        return {"ours": lambda: tr.train(1), "ref": step_ref}

    ts = per_input(make, repeat, warmup=2)
    gap = max(abs(a - b) for a, b in firsts)
    return Row(f"P7 ({model})", f"text training step vs torch.{ref}", f"200 characters (V={V_size[0]}), "
               f"T={T}, B={B}, H={H}, float32, Adam", "Trainer.train(1) on the text task",
               f"{ref} + readout + per-step cross-entropy + Adam", ts["ours"], ts["ref"], "le", 2.0, None,
               f"first-step loss ours vs {ref}, largest |Δ| over the {len(SEEDS)} inputs: {gap:.1e} "
               f"(first input: {firsts[0][0]:.6g} vs {firsts[0][1]:.6g})")


def recorded_tables(path: pathlib.Path) -> list[str]:
    """The markdown tables of a results file written by another command (P5/P6 by benchmarks/browser.py, the
    many-visitors figures by benchmarks/load.py and, by hand, from tests/browser/test_load.py), each with the
    section heading (as ###) and the "Measured …"/"Results …" line above it, or a line saying it is missing."""
    if not path.exists():
        return [f"`{path.relative_to(ROOT)}` is not there yet: run the command named above to write it."]
    out: list[str] = []
    heading = when = ""
    in_table = False
    for ln in path.read_text().splitlines():
        if ln.startswith("|"):
            if not in_table:
                out += [""] if out else []
                out += [f"### {heading}", ""] if heading else []
                out += [when, ""] if when else []
                heading = when = ""
            out.append(ln)
            in_table = True
            continue
        in_table = False
        if ln.startswith("Measured") or ln.lstrip("# ").startswith("Results"):
            when = ln.lstrip("# ")
        elif ln.startswith("## "):
            heading = ln[3:].strip()
    return out


LOAD_HEADING = "## Many visitors at once"
DEPLOY_HEADING = "## More than one container"  # `python -m deploy.drill`'s figures: another command measures them


def kept_by_heading(prefix: str, path: pathlib.Path = RESULTS) -> list[str]:
    """The section of RESULTS.md whose heading starts with `prefix`, as it stands (up to the next section), for a
    whole run, which writes RESULTS.md anew and keeps what other commands measured; [] when there is none."""
    text = path.read_text() if path.exists() else ""
    i = text.find("\n" + prefix)
    if i < 0:
        return []
    j = text.find("\n## ", i + 1)
    return ["", *text[i + 1:len(text) if j < 0 else j].rstrip("\n").split("\n")]


def load_section() -> list[str]:
    """RESULTS.md's many-visitors section, copied from benchmarks/RESULTS_LOAD.md (benchmarks/load.py
    refreshes it in place after a run, through this same function)."""
    return [LOAD_HEADING, "",
            "A class opening one link, a lesson's memory: `python -m benchmarks.load` (websocket sessions, no "
            "browser; `--memory` adds the lesson). Live training: `LOAD_SESSIONS=30 python -m pytest -q -s "
            "tests/browser/test_load.py` (CI runs it with 6). Copied from `benchmarks/RESULTS_LOAD.md`, which "
            "says how each figure is taken:", "",
            *recorded_tables(ROOT / "benchmarks" / "RESULTS_LOAD.md")]


# ---------------------------------------------------------------------------------------------------------
# machine, table, RESULTS.md

def cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gb() -> str:
    try:
        for line in pathlib.Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.0f} GiB"
    except OSError:
        pass
    return "?"


def load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def machine() -> dict[str, str]:
    blas = "MKL" if torch.backends.mkl.is_available() else "?"
    return {
        "CPU": f"{cpu_model()}, {os.cpu_count()} logical cores, {memory_gb()} RAM",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "torch": f"{torch.__version__} (BLAS: {blas}; intra-op threads: {torch.get_num_threads()}, "
                 f"interop threads: {torch.get_num_interop_threads()})",
        "numpy": np.__version__,
        "GPU": "not used (every figure is on the CPU)",
    }


HEAD = ("id", "what", "size", "inputs", "ours min / median", "reference min / median", "ratio, median of inputs",
        "ratio, worst input", "target", "met", "load (1, 5, 15 min)")


def cells(r: Row) -> tuple[str, ...]:
    met = r.met
    return (r.id, r.what, r.size, str(len(r.ours)), fmt_s(r.ours), fmt_s(r.ref), fmt_ratio(r.ratio_median),
            fmt_ratio(r.ratio_worst), r.target_text, "—" if met is None else ("yes" if met else "NO"), r.load)


def print_table(rows: list[Row]) -> None:
    table = [HEAD] + [cells(r) for r in rows]
    w = [max(len(row[i]) for row in table) for i in range(len(HEAD))]
    for j, row in enumerate(table):
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(row)))
        if j == 0:
            print("  ".join("-" * w[i] for i in range(len(HEAD))))
    for r in rows:
        print(f"{r.id}: per input {', '.join(fmt_ratio(x) for x in r.ratios)}; {r.check}"
              + (f"; {r.note}" if r.note else ""))


# why a target is missed and the best next step, written out under the table when a run misses it
SHORTFALL = {
    "P1": "On torch's default threads (two on a two-core machine) P1 is the tightest row: the bare chain's one "
          "fixed J stays in both cores' caches and each core keeps its own rows of M, while ours forms T "
          "distinct factors and reads products that the other core just wrote. On one thread, as the app "
          "computes, it has the most room (the row \"P1 (1 thread)\"). Where two-thread time went on an AMD "
          "EPYC (2 cores, MKL; 2026-12-08), as multiples of the bare chain: the forward pass 0.24×, the chain's "
          "products 1.37×, measuring each group of 16 (‖Q‖_F and QZ) 0.22×, the blocks' bookkeeping 0.18×, "
          "the certificate 0.39× (0.29× of it the first chunk: the 128 shortest lags, whose spectrum is not "
          "yet dominated by one direction, and an exact float64 eigensolve for the 6–8 shortest). What took it "
          "from 2.94× to 2.29–2.34× (two whole runs) there: Q·Z and the refinement's products computed as "
          "(Zᵀ·Qᵀ)ᵀ (MKL runs a product with 8 columns on the right 4–5× slower than with 8 rows on the left); "
          "the factors of a group formed "
          "in one batched product that both cores share; a block's rescaling passed to BLAS as alpha instead "
          "of a pass over the product. Measured and no gain: the certificate of one chunk on a second Python "
          "thread (the interpreter lock between the walk's small calls), two halves of the lags as one bmm "
          "(500 more products to join them), the product grown on the right (P ← P·J_t, each core on its own "
          "rows: 22 % faster alone, no faster inside the walk), the rows of Q scaled instead of W's columns, "
          "a wider block Z (r = 12, 16), measuring every 8 or 32 products, longer blocks (a wider range "
          "before rescaling).",
    "P7": "The reference is one fused oneDNN kernel for all T steps of nn.LSTM in float32 (forward and "
          "backward); the trainer runs the report's cell step by step (rnn.cells.LSTMSequence: one autograd "
          "node for the T steps, its BPTT written out, the input product and the gate derivatives of all "
          "steps made at once, buffers reused) and also records ‖∂L/∂s_t‖ for every state, which the page's "
          "heatmap draws. What is left is the per-step recurrent product and four operations a step that the "
          "fused kernel runs without Python in between; the GRU is not on the one-node path yet.",
}


def markdown(rows: list[Row], info: dict[str, str], args, started: str, wall: float, loads: tuple[str, str]) -> str:
    out = ["# Benchmark results", "",
           f"Written by `python -m benchmarks.run{' --quick' if args.quick else ''}` on {started} "
           f"({wall:.0f} s for the whole run). Re-run it to refresh this file.", "",
           "## Machine", ""]
    out += [f"- {k}: {v}" for k, v in info.items()]
    out += [f"- load average (1, 5, 15 min) at start: {loads[0]}; at end: {loads[1]}", "",
            "## Figures", "",
            f"Each row times {INPUTS} input sequences (seeds {SEEDS[0]}–{SEEDS[-1]}), both sides in turn (a, b, "
            "a, b, …) on each, in rounds that visit every input in turn (so that one burst of load from elsewhere "
            "does not take all of one input's runs). An input's ratio is the ratio of the two sides' minima on it "
            "(the runs least disturbed by other processes); the table gives the median and the worst of those "
            "per-input ratios, and a target holds for both (P1: the median ≤ 2.5×, the worst ≤ 3×). The times "
            "are *min / median* over all runs of all inputs. The load average is the machine's when the row finished: "
            "the machine is shared, and a busy one slows the two sides unequally.", "",
            "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    out += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    out += ["", "## What each row compares, and the check that both sides agree", ""]
    for r in rows:
        out.append(f"- **{r.id}** — ours: `{r.ours_name}`; reference: `{r.ref_name}`; {r.size}; "
                   f"{len(r.ours)} inputs, {sum(map(len, r.ours))} / {sum(map(len, r.ref))} timed runs; per-input "
                   f"ratios {', '.join(fmt_ratio(x) for x in r.ratios)}. Check: {r.check}."
                   + (f" Note: {r.note}." if r.note else ""))
    missed = [r for r in rows if r.met is False]
    if missed:
        out += ["", "## Where a target is not met", ""]
        out += [f"- **{r.id}** (median {fmt_ratio(r.ratio_median)}, worst {fmt_ratio(r.ratio_worst)}; target "
                f"{r.target_text}). "
                + SHORTFALL.get(r.id.split()[0], "No explanation recorded yet.") for r in missed]
    out += ["", "## Notes", "",
            "- Wall-clock times on whatever machine ran this (see above); on a shared machine other processes "
            "slow either side at random, which is why the two sides alternate and each input's minima decide. "
            "The load averages at start and end, and beside each row, say how busy the machine was.",
            "- CUDA: not measured (no GPU on this machine). When one is at hand, the engine's tests and P1 run on "
            "it in one short prepared script, and the figures go here.",
            "- P1's note times, alongside, two things any exact method must do: the forward pass that gives "
            "f′(a_t), and the chain of the T distinct factors J_tᵀ = W diag(f′(a_t)), each formed and its product "
            "kept, with no norm taken. Their sum is a floor; the rest of P1 is the certified spectral norms.",
            "- P1 is timed twice: on torch's default thread count (the row P1), and with both sides on one torch "
            "thread (P1 (1 thread)), which is how the app computes: ui.cached sets one thread per computation, so "
            "that the visitors of a class share the cores.",
            "", "## Targets", "",
            "- P1: all T log-norms of `rnn.jacobian_log10_norms` at T = 1000, hidden 128, float32, over 8 input "
            "sequences: median ≤ 2.5×, worst ≤ 3× the bare chain of T matrix products of that size "
            "(1000 × `M = M @ J`, 128 × 128 float32).",
            "- P2: ≥ 100× faster than per-lag autograd Jacobians (for each lag, "
            "`torch.autograd.functional.jacobian` of h_T with respect to h_i, then its spectral norm) at T = 200, "
            "hidden 64, float64.",
            "- P3: hand BPTT (`rnn.bptt`) ≤ 2× autograd's forward + `loss.backward()` on the same model "
            "(T = 200, hidden 64, float64, batch 1 and batch 32).",
            "- P4: a training step of `rnn.VanillaRNN` (tanh; forward + autograd backward + SGD step) ≤ 2× "
            "`torch.nn.RNN`'s with the same linear readout, at T = 100, batch 64, hidden 64.",
            "- P5: in Chromium, slider → chart redrawn ≤ 0.5 s median at default settings; first page load ≤ 5 s.",
            "- P6: server memory (RSS) ≤ 650 MB with 10 sessions at default settings.",
            "- P9: the Lyapunov spectrum (`rnn.lyapunov_spectrum`, all exponents) at T = 1000, hidden 128, "
            "float64 ≤ 3× `rnn.jacobian_log10_norms` on the same model; `rnn.mean_field` under 10 ms a call.",
            "- P8: in Chromium, a page switch on a warm server (a click in the sidebar until the new page's title "
            "is shown and its script has finished) ≤ 0.5 s median for every page.", ""]
    out += ["## P5, P6 and P8: browser and server", "",
            "Measured by `python -m benchmarks.browser` (a fresh Streamlit server, Debian's Chromium driven by "
            "playwright), copied here from `benchmarks/RESULTS_BROWSER.md`:", ""]
    out += recorded_tables(ROOT / "benchmarks" / "RESULTS_BROWSER.md")
    out += ["", *load_section()]
    out += ["", "## What the limits cost", "",
            "A request at each budget of `ui/limits.py`, a training step, a Theory cell: `python -m benchmarks.limits "
            "--full` (each case in a fresh process), copied here from `benchmarks/RESULTS_LIMITS.md`:", "",
            *recorded_tables(ROOT / "benchmarks" / "RESULTS_LIMITS.md")]
    from benchmarks.poll_load import HEADING as POLL_HEADING  # the class poll's figures (benchmarks/poll_load.py)

    out += kept_by_heading(POLL_HEADING)
    out += kept_by_heading(DEPLOY_HEADING)  # deploy.drill's figures, kept as they were
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats; P2's reference on fewer lags of each input (said so in the output)")
    ap.add_argument("--repeat", type=int, default=None,
                    help=f"timed runs per side and input, {INPUTS} inputs (default 7, quick 3)")
    ap.add_argument("--only", nargs="*", default=None, help="run only these ids, e.g. P1 P3")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    ap.add_argument("--out", default=str(RESULTS), help="where to write the markdown (default %(default)s)")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 when a measured target is missed")
    args = ap.parse_args(argv)
    repeat = args.repeat or (3 if args.quick else 7)
    want = None if args.only is None else {s.upper() for s in args.only}

    def on(i: str) -> bool:
        return want is None or i in want

    started = _dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    loads0 = load()
    t0 = time.perf_counter()
    info = machine()
    for k, v in info.items():
        print(f"{k}: {v}")
    print(f"load average at start: {loads0}\n")
    rows: list[Row] = []
    steps = [("P1", lambda: [bench_p1(repeat, args.quick), bench_p1(repeat, args.quick, threads=1)]),
             ("P2", lambda: [bench_p2(repeat, args.quick)]),
             ("P3", lambda: [bench_p3(repeat, 1), bench_p3(repeat, 32)]),
             ("P4", lambda: [bench_p4(repeat, torch.float32), bench_p4(repeat, torch.float64)]),
             ("P7", lambda: [bench_p7(repeat, "rnn"), bench_p7(repeat, "lstm")]),
             ("P9", lambda: [bench_p9(repeat)])]
    for i, fn in steps:
        if on(i):
            s = time.perf_counter()
            rows += fn()
            print(f"[{i} done in {time.perf_counter() - s:.1f} s]", flush=True)
    wall = time.perf_counter() - t0
    loads1 = load()
    print()
    print_table(rows)
    print(f"\nload average at end: {loads1}; total {wall:.0f} s")
    if want is not None and not args.no_write and pathlib.Path(args.out).resolve() == RESULTS.resolve():
        print(f"not written: --only would leave {RESULTS.name} with these rows alone (give --out FILE)")
    elif not args.no_write:
        pathlib.Path(args.out).write_text(markdown(rows, info, args, started, wall, (loads0, loads1)))
        print(f"wrote {args.out}")
    missed = [r.id for r in rows if r.met is False]
    if missed:
        print("targets missed: " + ", ".join(missed))
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
