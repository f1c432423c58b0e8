"""Side-by-side timings of the engine against references, as ratios measured in the same run.

    python -m benchmarks.run            # everything, about a minute on 2 cores; writes benchmarks/RESULTS.md
    python benchmarks/run.py --quick    # fewer repeats; P2's reference on a subset of lags, extrapolated
    python -m benchmarks.run --only P1 P3 --no-write   # some rows; RESULTS.md is only written by a whole run
    python -m benchmarks.run --strict   # exit status 1 when a measured target is missed

Targets (ratios, both sides timed in this one process, interleaved run by run):

  P1  rnn.jacobian_log10_norms, all T log-norms at T = 1000, hidden 128, float32
      ≤ 3 × the bare chain of T matrix products of that size (1000 × `M = M @ J`, 128 × 128 float32)
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

Every figure is the min and the median of several runs; the ratio that decides a target is the ratio of
the minima (the run least disturbed by other processes), the ratio of the medians is printed beside it.
Each row also checks that both sides computed the same numbers. Nothing here changes torch's thread count.
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

def interleaved(fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 1) -> dict[str, list[float]]:
    """Wall-clock seconds of each callable, `repeat` times, run in turn (a, b, a, b, …) so that a burst of
    load from elsewhere hits both sides alike; `warmup` untimed rounds first."""
    for _ in range(warmup):
        for f in fns.values():
            f()
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, f in fns.items():
            t0 = time.perf_counter()
            f()
            out[k].append(time.perf_counter() - t0)
    return out


@dataclass
class Row:
    """One target: our side against the reference side. `kind` says how the ratio reads: "le" means
    ours / reference must be ≤ target; "ge" means reference / ours (a speed-up) must be ≥ target."""

    id: str
    what: str
    size: str
    ours_name: str
    ref_name: str
    ours: list[float] = field(default_factory=list)
    ref: list[float] = field(default_factory=list)
    kind: str = "le"
    target: float | None = None
    check: str = ""
    note: str = ""

    def _ratio(self, stat) -> float | None:
        if not (self.ours and self.ref):
            return None
        a, b = stat(self.ours), stat(self.ref)
        return a / b if self.kind == "le" else b / a

    @property
    def ratio_min(self) -> float | None:
        return self._ratio(min)

    @property
    def ratio_median(self) -> float | None:
        return self._ratio(statistics.median)

    @property
    def met(self) -> bool | None:
        r = self.ratio_min
        if r is None or self.target is None:
            return None
        return r <= self.target if self.kind == "le" else r >= self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return (f"ours/ref ≤ {self.target:g}×" if self.kind == "le" else f"ref/ours ≥ {self.target:g}×")


def fmt_s(ts: list[float]) -> str:
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

def bench_p1(repeat: int) -> Row:
    T, H = 1000, 128
    m = rnn.VanillaRNN(4, H, 2, activation="tanh", seed=0, dtype=torch.float32)
    x = torch.randn(T, 4, generator=torch.Generator().manual_seed(1))
    # the bare chain: an orthogonal J keeps M at norm 1 (no overflow, no denormals slowing it down)
    J = orthogonal(H, torch.Generator().manual_seed(2)).to(torch.float32)

    def chain():
        M = torch.eye(H)
        for _ in range(T):
            M = M @ J
        return M

    # two parts of what any exact method has to do, timed alongside for the record: the forward pass that
    # gives f′(a_t), and the chain of the T distinct factors J_tᵀ = W diag(f′(a_t)), each formed and its
    # product kept (rescaled now and then), with no norm taken at all
    with torch.no_grad():
        d = m.act.df(m.unroll(x).a[:, 0])
        W = m.W.detach()

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

    ts = interleaved({"ours": lambda: rnn.jacobian_log10_norms(m, x), "ref": chain, "forward": forward,
                      "distinct": distinct_chain}, repeat)
    got = rnn.jacobian_log10_norms(m, x)
    want = reference_log10_norms(m, x)
    err = float(np.max(np.abs(got - want)))
    b = min(ts["ref"])
    note = (f"parts, for the record (min, as multiples of the bare chain): the forward pass "
            f"{min(ts['forward']) / b:.2f}×; the chain of the {T} distinct factors, formed and kept, no norms, "
            f"{min(ts['distinct']) / b:.2f}×")
    return Row("P1", "Jacobian log-norms vs bare matrix chain", f"T={T}, H={H}, float32, tanh",
               "rnn.jacobian_log10_norms", f"{T} × (M = M @ J)", ts["ours"], ts["ref"], "le", 3.0,
               f"max |Δ log10| vs rnn.jacobians.reference_log10_norms (float64 products, an SVD each): {err:.1e}",
               note)


def bench_p2(repeat: int, quick: bool) -> Row:
    T, H = 200, 64
    m = rnn.VanillaRNN(4, H, 2, activation="tanh", seed=0, dtype=torch.float64)
    x = torch.randn(T, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    ours = interleaved({"ours": lambda: rnn.jacobian_log10_norms(m, x)}, repeat)["ours"]
    got = rnn.jacobian_log10_norms(m, x)
    note = "reference measured whole, once (all 200 lags)"
    if quick:
        lags = list(range(1, T + 1, 20)) + [T]
        times: dict[int, float] = {}
        t0 = time.perf_counter()
        want = per_lag_autograd_log10(m, x, lags=lags, times=times)
        sub = time.perf_counter() - t0
        k = np.array([T - i for i in times], dtype=np.float64)
        s = np.array(list(times.values()))
        slope, icpt = np.polyfit(k, s, 1)  # seconds per lag ≈ a + b·lag
        total = float(np.sum(icpt + slope * np.arange(1, T + 1)))
        ref = [total]
        note = (f"reference EXTRAPOLATED: {len(lags)} of {T} lags measured ({sub:.1f} s), per-lag time fitted "
                f"linearly in the lag and summed over all {T} lags")
        mask = ~np.isnan(want)
        err = float(np.max(np.abs(got[mask] - want[mask])))
    else:
        t0 = time.perf_counter()
        want = per_lag_autograd_log10(m, x)
        ref = [time.perf_counter() - t0]
        err = float(np.max(np.abs(got - want)))
    return Row("P2", "Jacobian log-norms vs per-lag autograd", f"T={T}, H={H}, float64, tanh",
               "rnn.jacobian_log10_norms", "autograd.functional.jacobian per lag + matrix_norm(ord=2)",
               ours, ref, "ge", 100.0, f"max |Δ log10| ours vs the autograd reference: {err:.1e}", note)


def bench_p3(repeat: int, B: int) -> Row:
    T, H, n_in, n_out = 200, 64, 8, 4
    m = rnn.VanillaRNN(n_in, H, n_out, activation="tanh", seed=0, dtype=torch.float64)
    g = torch.Generator().manual_seed(4)
    x = torch.randn(T, B, n_in, generator=g, dtype=torch.float64)
    y = torch.randn(B, n_out, generator=g, dtype=torch.float64)

    def autograd_step():
        m.zero_grad(set_to_none=True)
        y_hat, _ = m(x)  # the same forward code (VanillaRNN.unroll) under autograd
        loss = 0.5 * ((y_hat[-1] - y) ** 2).sum()  # L = ½‖ŷ_T − y‖², summed over the batch
        loss.backward()
        return loss

    ts = interleaved({"ours": lambda: rnn.bptt(m, x, y), "ref": autograd_step}, repeat)
    res = rnn.bptt(m, x, y)
    autograd_step()
    names = {"U": m.U, "W": m.W, "V": m.V, "b_h": m.b_h, "b_y": m.b_y}
    err = max(float((res.grads[k] - p.grad).abs().max() / p.grad.abs().max().clamp_min(1e-300))
              for k, p in names.items())
    return Row(f"P3 (B={B})", "hand BPTT vs autograd forward+backward", f"T={T}, H={H}, B={B}, float64, tanh",
               "rnn.bptt", "m(x); loss.backward()", ts["ours"], ts["ref"], "le", 2.0,
               f"max relative |Δ grad| hand vs autograd: {err:.1e}")


def bench_p9(repeat: int) -> Row:
    """The Lyapunov spectrum (all n exponents; Benettin's method with a QR every k steps, k as large as keeps
    10 digits in each R_jj) against the Jacobian log-norms of the same model; the check also compares it with
    one QR a step (rnn.theory.reference_lyapunov_spectrum, the plain loop, timed once for the note); mean_field's
    time a call in the note (its target: under 10 ms, so a whole curve draws at once)."""
    T, H = 1000, 128
    m = rnn.VanillaRNN(4, H, 2, activation="tanh", seed=0, dtype=torch.float64)
    x = torch.randn(T, 4, generator=torch.Generator().manual_seed(9), dtype=torch.float64) * 0.5
    ts = interleaved({"ours": lambda: rnn.lyapunov_spectrum(m, x), "ref": lambda: rnn.jacobian_log10_norms(m, x)},
                     max(3, repeat // 3))
    lyap = rnn.lyapunov_spectrum(m, x)
    slope = rnn.slope_per_step(rnn.jacobian_log10_norms(m, x))
    t0 = time.perf_counter()
    plain = reference_lyapunov_spectrum(m, x)
    t_plain = time.perf_counter() - t0
    calls = []
    for i in range(50):
        t = time.perf_counter()
        rnn.mean_field("tanh", 0.5 + i / 25, 0.3)
        calls.append(time.perf_counter() - t)
    return Row("P9", "Lyapunov spectrum vs Jacobian log-norms", f"T={T}, H={H}, float64, tanh",
               "rnn.lyapunov_spectrum", "rnn.jacobian_log10_norms", ts["ours"], ts["ref"], "le", 3.0,
               f"top exponent {lyap[0]:.4f} vs measured slope {slope:.4f} decades per step; max |Δλ| against one "
               f"QR a step: {float(np.max(np.abs(lyap - plain))):.1e}",
               f"one QR a step (rnn.theory.reference_lyapunov_spectrum), once: {t_plain / min(ts['ref']):.2f}× the "
               f"reference's min; rnn.mean_field: {1e3 * statistics.median(calls):.2f} ms a call (median of 50; "
               "target < 10 ms)")


def bench_p4(repeat: int, dtype: torch.dtype) -> Row:
    T, B, H, n_in, n_out = 100, 64, 64, 16, 8
    g = torch.Generator().manual_seed(5)
    x = torch.randn(T, B, n_in, generator=g, dtype=dtype)
    y = torch.randn(T, B, n_out, generator=g, dtype=dtype)
    ours = rnn.VanillaRNN(n_in, H, n_out, activation="tanh", output_activation="linear", seed=0, dtype=dtype)
    core = ours.to_torch_rnn()
    V = torch.nn.Parameter(ours.V.detach().clone())
    b_y = torch.nn.Parameter(ours.b_y.detach().clone())
    ref_params = list(core.parameters()) + [V, b_y]
    opt_ours = torch.optim.SGD(ours.parameters(), lr=1e-3)
    opt_ref = torch.optim.SGD(ref_params, lr=1e-3)

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

    l0, r0 = float(step_ours().detach()), float(step_ref().detach())  # first step, same weights
    ts = interleaved({"ours": step_ours, "ref": step_ref}, repeat, warmup=2)
    name = str(dtype).replace("torch.", "")
    return Row(f"P4 ({name})", "training step vs torch.nn.RNN", f"T={T}, B={B}, H={H}, {name}, tanh, SGD",
               "VanillaRNN fwd + backward + SGD", "nn.RNN + readout fwd + backward + SGD", ts["ours"], ts["ref"],
               "le", 2.0, f"first-step loss ours {l0:.6g} vs nn.RNN {r0:.6g} (|Δ| {abs(l0 - r0):.1e})")


def bench_p7(repeat: int, model: str) -> Row:
    """The Text page's training step: rnn.training.Trainer on the next-character task (a loss at every step),
    against torch's own cell (nn.RNN / nn.LSTM with the same weights) and the same readout, loss and Adam step.
    Both sides draw their batch of windows from the text each step. The trainer also records what the page
    draws (‖∂L/∂s_t‖ for every state, the accuracy): that is part of its cost. Like the page, it does not
    record ρ and σ_max of W (TrainConfig.matrix_stats), which the Text page never shows."""
    from rnn import text as X
    from rnn.training import TrainConfig, Trainer, _data_seed

    text = X.SAMPLES["robot"][:200]
    T, B, H = 100, 32, 128
    cfg = TrainConfig(task="text", text=text, T=T, batch_size=B, model=model, hidden_size=H, lr=1e-3,
                      dtype="float32", seed=0, matrix_stats=False)
    tr = Trainer(cfg)
    m = tr.model
    core = m.to_torch_rnn() if model == "rnn" else __import__("copy").deepcopy(m.core)
    V = torch.nn.Parameter(m.V.detach().clone())
    b_y = torch.nn.Parameter(m.b_y.detach().clone())
    opt = torch.optim.Adam(list(core.parameters()) + [V, b_y], lr=1e-3)
    gen = torch.Generator().manual_seed(_data_seed(0))  # the trainer's batches, drawn the same way

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
    ts = interleaved({"ours": lambda: tr.train(1), "ref": step_ref}, repeat, warmup=2)
    ref = "nn.RNN" if model == "rnn" else "nn.LSTM"
    return Row(f"P7 ({model})", f"text training step vs torch.{ref}", f"200 characters (V={tr.task.input_size}), "
               f"T={T}, B={B}, H={H}, float32, Adam", "Trainer.train(1) on the text task",
               f"{ref} + readout + per-step cross-entropy + Adam", ts["ours"], ts["ref"], "le", 2.0,
               f"first-step loss ours {l0:.6g} vs {ref} {r0:.6g} (|Δ| {abs(l0 - r0):.1e})")


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


HEAD = ("id", "what", "size", "ours min / median", "reference min / median", "ratio (min)", "ratio (median)",
        "target", "met")


def cells(r: Row) -> tuple[str, ...]:
    met = r.met
    return (r.id, r.what, r.size, fmt_s(r.ours), fmt_s(r.ref), fmt_ratio(r.ratio_min), fmt_ratio(r.ratio_median),
            r.target_text, "—" if met is None else ("yes" if met else "NO"))


def print_table(rows: list[Row]) -> None:
    table = [HEAD] + [cells(r) for r in rows]
    w = [max(len(row[i]) for row in table) for i in range(len(HEAD))]
    for j, row in enumerate(table):
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(row)))
        if j == 0:
            print("  ".join("-" * w[i] for i in range(len(HEAD))))
    for r in rows:
        print(f"{r.id}: {r.check}" + (f"; {r.note}" if r.note else ""))


# why a target is missed and the best next step, written out under the table when a run misses it
SHORTFALL = {
    "P1": "The floor is in the row's note: the forward pass (a T-step loop that gives f′(a_t)) and the chain "
          "of T distinct factors J_tᵀ = W diag(f′(a_t)), each formed and kept, already cost about 2× the bare "
          "chain, which multiplies one matrix that stays in cache. The rest is certifying every one of the T "
          "spectral norms (‖Q‖_F and Q·U for a block U of 8 singular directions per product, Ritz values of "
          "the 8 × 8 matrices, a few exact eigenvalue solves for the shortest products, whose top singular "
          "values lie too close together for any bound; the 128 shortest lags take about a third of this "
          "part). Best next steps: a few Lanczos steps instead of the exact eigenvalue solve for the shortest "
          "products, and ‖Q‖_F with Q·U from one pass over each product. (The forward pass cannot be fused "
          "with the chain: one runs forward in t, the other backward from T.)",
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
            "Each figure is *min / median* over the repeats (the two sides run in turn, a, b, a, b, …). "
            "A target is judged on the ratio of the minima; the ratio of the medians is shown beside it "
            "(it moves with whatever else the machine is doing).", "",
            "| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    out += ["| " + " | ".join(cells(r)) + " |" for r in rows]
    out += ["", "## What each row compares, and the check that both sides agree", ""]
    for r in rows:
        out.append(f"- **{r.id}** — ours: `{r.ours_name}`; reference: `{r.ref_name}`; {r.size}; "
                   f"{len(r.ours)} / {len(r.ref)} timed runs. Check: {r.check}."
                   + (f" Note: {r.note}." if r.note else ""))
    missed = [r for r in rows if r.met is False]
    if missed:
        out += ["", "## Where a target is not met", ""]
        out += [f"- **{r.id}** ({fmt_ratio(r.ratio_min)}, target {r.target_text}). "
                + SHORTFALL.get(r.id.split()[0], "No explanation recorded yet.") for r in missed]
    out += ["", "## Notes", "",
            "- Wall-clock times on whatever machine ran this (see above); on a shared machine other processes "
            "slow either side at random, which is why the two sides alternate and the minima decide. The load "
            "averages at start and end say how busy the machine was.",
            "- P1's note times, alongside, two things any exact method must do: the forward pass that gives "
            "f′(a_t), and the chain of the T distinct factors J_tᵀ = W diag(f′(a_t)), each formed and its product "
            "kept, with no norm taken. Their sum is a floor; the rest of P1 is the certified spectral norms.",
            "", "## Targets", "",
            "- P1: all T log-norms of `rnn.jacobian_log10_norms` at T = 1000, hidden 128, float32 ≤ 3× the bare "
            "chain of T matrix products of that size (1000 × `M = M @ J`, 128 × 128 float32).",
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
    from benchmarks.poll_load import kept_section  # the class poll's figures (benchmarks/poll_load.py), kept
    out += kept_section()
    out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repeats; P2's reference on 11 of 200 lags, extrapolated (said so in the output)")
    ap.add_argument("--repeat", type=int, default=None, help="timed runs per side (default 15, quick 5)")
    ap.add_argument("--only", nargs="*", default=None, help="run only these ids, e.g. P1 P3")
    ap.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    ap.add_argument("--out", default=str(RESULTS), help="where to write the markdown (default %(default)s)")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 when a measured target is missed")
    args = ap.parse_args(argv)
    repeat = args.repeat or (5 if args.quick else 15)
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
    steps = [("P1", lambda: [bench_p1(repeat)]),
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
