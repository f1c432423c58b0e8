"""A chunked trainer for the live page: the caller holds one `Trainer` per session and calls
`trainer.train(k)` once per tick; each call runs k optimisation steps and returns their metrics.

Loss at the last step only, as in the report's eq. 3:
    regression      L = (1/B) Σ_b ½‖ŷ_T⁽ᵇ⁾ − y⁽ᵇ⁾‖²,   ŷ_T = Vᵀh_T + b_y (linear readout)
    classification  L = (1/B) Σ_b −log softmax(Vᵀh_T⁽ᵇ⁾ + b_y)[y⁽ᵇ⁾]   (cross-entropy on the logits)
    text (rnn.text) L = (1/(T·B)) Σ_b Σ_t −log softmax(Vᵀh_t⁽ᵇ⁾ + b_y)[y_t⁽ᵇ⁾]: a loss at every step, averaged

Gradients come from autograd (for speed; the hand-written BPTT is rnn.bptt). Updates:
    SGD   θ ← θ − α ∂L/∂θ   (report eqs. 19–23), written out below, no momentum, no weight decay
    Adam  torch.optim.Adam(lr=α) with torch's defaults (Kingma & Ba 2015)
Clipping before the update (Pascanu, Mikolov & Bengio 2013): by norm with torch.nn.utils.clip_grad_norm_
(g ← g·c/‖g‖ when ‖g‖ > c, ‖g‖ the 2-norm over all parameters), by value with clip_grad_value_ (each
entry clamped to [−c, c]).

Truncation N, as in rnn.bptt: the loss at step T keeps the steps T−N … T; the state h_{T−N−1} that feeds
step T−N is detached (a fresh leaf), so it still receives ∂L/∂h_{T−N−1} but nothing earlier does.

Nothing global is touched: the model is initialised from `seed` (rnn.model), and the batches come from
the trainer's own torch.Generator seeded from `seed` too, so one config gives one curve, bit for bit.
No torch.manual_seed, no torch.set_num_threads (both are process-wide and every session shares the process).
"""
from __future__ import annotations

import functools
import math
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch

from . import cells, checks
from . import init as _init
from .activations import get_activation
from .device import dtype_note, pick_device
from .model import VanillaRNN, make_model
from .tasks import Task, get_task

Tensor = torch.Tensor
MODELS = ("rnn", "lstm", "gru")
OPTIMIZERS = ("sgd", "adam")
CLIPS = ("none", "norm", "value")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
MAX_CHUNK = 10_000  # most steps one train(k) call may run (the chunk returns k × (T+1) norms)

# per-step scalar metrics, in the order of `Trainer.train`'s dict
SCALARS = ("step", "loss", "accuracy", "grad_norm", "grad_norm_clipped", "clipped", "updated",
           "rho", "sigma_max")


def _dtype(v) -> torch.dtype:
    if isinstance(v, torch.dtype) and v in DTYPES.values():
        return v
    return DTYPES[checks.choice(v, "dtype", tuple(DTYPES), key=str(v).strip().lower().replace("torch.", ""))]


@dataclass(frozen=True)
class TrainConfig:
    """Everything that fixes a training run; frozen, so it can key the session's trainer."""

    task: str = "adding"  # rnn.tasks name: "adding" or "remember_first"
    T: int = 20  # sequence length (≥ 2): the distance the gradient must travel
    batch_size: int = 32  # sequences per step, fresh ones every step
    model: str = "rnn"  # "rnn" (the report's vanilla RNN), "lstm" or "gru"
    hidden_size: int = 32  # units in h_t
    activation: str = "tanh"  # f of the vanilla RNN (ignored by LSTM / GRU)
    init: str = "orthogonal"  # W's init for the vanilla RNN: gaussian, orthogonal, identity
    scale: float = 1.0  # W's target scale (for LSTM / GRU: a multiplier of weight_hh)
    scale_kind: str = "gain"  # what `scale` sets: "rho", "sigma_max" or "gain" (vanilla RNN only)
    optimizer: str = "adam"  # "sgd" (θ ← θ − α∇L, report eqs. 19–23) or "adam"
    lr: float = 1e-2  # the learning rate α
    clip: str = "none"  # gradient clipping: "none", "norm" or "value" (Pascanu et al. 2013)
    clip_threshold: float = 1.0  # c: max total norm, or max |entry|
    truncation: int | None = None  # N: keep steps T−N … T; None is full BPTT
    seed: int = 0  # seeds the model's init and the trainer's batch generator
    device: str = "cpu"  # "auto", "cpu", "cuda", "mps" (rnn.device.pick_device)
    dtype: str = "float64"  # "float64" or "float32" (MPS falls back to float32)
    history_size: int = 2000  # scalar metrics kept for `history()` (the most recent steps)
    lag_every: int = 10  # keep the per-step ‖∂L/∂h_t‖ in `history()` every this many steps
    lag_history: int = 200  # and at most this many of them
    text: str = ""  # the corpus of task "text" (rnn.text, prepared by rnn.text.prepare_text); else unused
    matrix_stats: bool = True  # record ρ and σ_max of W every step (an eigenvalue solve and SVDs); NaN if off
    # the memory gate's starting bias: the LSTM's forget gate f (None: 1, Jozefowicz et al. 2015), the GRU's update
    # gate z (None: torch's init); a large b starts the cell remembering (σ(5) ≈ 0.993). Unused by the vanilla RNN
    gate_bias: float | None = None

    def validated(self) -> "TrainConfig":
        """The same config with names normalised; a ValueError saying expected vs got otherwise."""
        task = _get_task(self.task, self.text)
        model = checks.choice(self.model, "model", MODELS)
        if model == "rnn":
            get_activation(self.activation)
        init = checks.choice(self.init, "init", _init.INITS)
        scale_kind = checks.choice(self.scale_kind, "scale kind", _init.SCALE_KINDS)
        scale = checks.number(self.scale, "scale")
        seed = checks.integer(self.seed, "seed")
        pick_device(self.device)
        return TrainConfig(
            task=task.name, T=checks.integer(self.T, "T", 2),
            batch_size=checks.integer(self.batch_size, "batch_size", 1),
            model=model, hidden_size=checks.integer(self.hidden_size, "hidden_size", 1),
            activation=get_activation(self.activation).name if model == "rnn" else str(self.activation),
            init=init, scale=scale, scale_kind=scale_kind,
            optimizer=checks.choice(self.optimizer, "optimizer", OPTIMIZERS),
            lr=checks.number(self.lr, "lr", positive=True), clip=checks.choice(self.clip, "clip", CLIPS),
            clip_threshold=checks.number(self.clip_threshold, "clip_threshold", positive=True),
            truncation=checks.truncation(self.truncation), seed=seed,
            device=str(self.device).strip().lower(), dtype=str(_dtype(self.dtype)).replace("torch.", ""),
            history_size=checks.integer(self.history_size, "history_size", 1),
            lag_every=checks.integer(self.lag_every, "lag_every", 1),
            lag_history=checks.integer(self.lag_history, "lag_history", 1),
            text=self.text if task.name == "text" else "", matrix_stats=bool(self.matrix_stats),
            gate_bias=None if self.gate_bias is None else checks.finite(self.gate_bias, "gate_bias"))


# The LSTM demo (issue 20; benchmarks/lstm_demo.py, RESULTS_LSTM_DEMO.md): remember the first of K = 8 symbols
# through T − 1 = 39 steps of Gaussian noise. The gated cells start remembering (memory-gate bias 5: σ(5) ≈ 0.993,
# 0.993³⁹ ≈ 0.77 of the cell kept) and learn it in a few hundred steps of Adam; the tanh RNN stays at chance.
# (At T = 50 the LSTM missed 90 % in 500 steps for two seeds of five; at T = 30 the RNN rose above chance.)
# No ρ/σ_max tracking: the demo draws accuracies and losses only.
DEMO = TrainConfig(task="remember_noise", T=40, batch_size=32, model="rnn", hidden_size=32, activation="tanh",
                   init="orthogonal", scale=1.0, scale_kind="gain", optimizer="adam", lr=1e-2, gate_bias=5.0,
                   seed=0, matrix_stats=False)
DEMO_STEPS = 500  # steps of each model in the demo


_WARM_LOCK = threading.Lock()
_warm_thread: threading.Thread | None = None


def _import_optimizers() -> None:
    # torch.optim.Optimizer.__init__ is wrapped by torch._disable_dynamo, which imports torch._dynamo on the first
    # optimiser a process makes
    import torch._dynamo  # noqa: F401


def warm_optimizers() -> threading.Thread:
    """Import what the first optimiser of a process imports (torch._dynamo: 2–8 s and about 70 MB here, so not
    with the app), in a daemon thread of its own, once per process; returns that thread. A page that trains calls
    it when drawn, so a visitor's first Start, whose callback makes the optimiser, finds it imported: otherwise
    that callback holds the session's state for those seconds, and a Stop clicked meanwhile waits for it."""
    global _warm_thread
    with _WARM_LOCK:
        if _warm_thread is None:
            _warm_thread = threading.Thread(target=_import_optimizers, name="warm-optimizers", daemon=True)
            _warm_thread.start()
        return _warm_thread


def _get_task(name, text: str) -> Task:
    """The registered task `name`, or for "text" the next-character task on `text` (rnn.text)."""
    if str(name).strip().lower() == "text":
        from .text import text_task

        return text_task(text)
    return get_task(name)


def _data_seed(seed: int) -> int:
    # a seed for the batches distinct from the model's init seed (which draws from Generator(seed))
    return (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % (2 ** 63)


def _norm(tensors) -> Tensor:
    """‖g‖₂ over all tensors together (the norm clip_grad_norm_ uses)."""
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t) for t in tensors]))


class Trainer:
    """Trains one model on one task, k steps per `train(k)` call. Attributes:

    config (validated TrainConfig), task (rnn.tasks.Task), model (VanillaRNN or GatedRNN with a linear
    readout), generator (the batches' torch.Generator), device, dtype, note (a sentence for the screen or
    None), steps_done, diverged (True once a loss or gradient was not finite; training then stops),
    diverged_at (that step or None), diverged_what ("loss" or "gradient": which one was not finite; a finite loss
    can have a gradient that overflows), lock (held by train, evaluate and history: hold it to read the model
    between two steps, as rnn.text does).

    Reading the model with its own step (rnn.cells), the one training uses: `run(x)` gives the last state
    after x; `input_side(x)` and `stepper()` take the steps one at a time (a sampler's loop).
    """

    def __init__(self, config: TrainConfig | None = None, **overrides):
        cfg = config or TrainConfig()
        if overrides:
            cfg = TrainConfig(**{**asdict(cfg), **overrides})
        cfg = cfg.validated()
        self.config = cfg
        self.task: Task = _get_task(cfg.task, cfg.text)
        self.device = pick_device(cfg.device)
        want = _dtype(cfg.dtype)
        self.note = dtype_note(self.device, want == torch.float64)
        self.dtype = torch.float32 if self.note else want
        kw = dict(output_activation="linear", seed=cfg.seed, scale=cfg.scale, dtype=self.dtype, device=self.device)
        if cfg.model == "rnn":
            kw.update(activation=cfg.activation, init=cfg.init, scale_kind=cfg.scale_kind)
        elif cfg.gate_bias is not None:  # the gate that keeps the old state: f (LSTM) or z (GRU)
            kw["forget_bias" if cfg.model == "lstm" else "update_bias"] = cfg.gate_bias
        self.model = make_model(cfg.model, self.task.input_size, cfg.hidden_size, self.task.output_size, **kw)
        if self.task.per_step:
            # a language model starts as a near-uniform guess (loss ≈ ln V): the readout V starts 10× smaller
            # (min-char-rnn scales all its weights by 0.01)
            with torch.no_grad():
                self.model.V.mul_(0.1)
        self.params = [p for p in self.model.parameters()]
        self.optimizer = torch.optim.Adam(self.params, lr=cfg.lr) if cfg.optimizer == "adam" else None
        self.generator = torch.Generator().manual_seed(_data_seed(cfg.seed))
        self.steps_done = 0
        self.diverged = False
        self.diverged_at: int | None = None
        self.diverged_what: str | None = None
        self._hist = {k: deque(maxlen=cfg.history_size) for k in SCALARS}
        self._lag_steps: deque = deque(maxlen=cfg.lag_history)
        self._lag_norms: deque = deque(maxlen=cfg.lag_history)
        self.lock = threading.Lock()

    # ----------------------------------------------------------------------------------------------------
    # the recurrent matrix whose ρ and σ_max are tracked

    def recurrent_matrix(self) -> Tensor:
        """The vanilla RNN's W (H × H). For the LSTM the cell-candidate block W_hg of weight_hh (rows 2H…3H,
        torch's gate order i, f, g, o); for the GRU the candidate block W_hn (rows 2H…3H, order r, z, n):
        the block that plays W's part in the new content."""
        m = self.model
        if isinstance(m, VanillaRNN):
            return m.W
        H = m.hidden_size
        return m.core.weight_hh_l0[2 * H:3 * H]

    def _matrix_stats(self) -> tuple[float, float]:
        W = self.recurrent_matrix().detach()
        if not self.config.matrix_stats or not bool(torch.isfinite(W).all()):
            return math.nan, math.nan
        return _init.spectral_radius(W), _init.sigma_max(W)

    # ----------------------------------------------------------------------------------------------------
    # forward with the states kept for ∂L/∂s_t

    def _step(self, x_t: Tensor, state: tuple[Tensor, ...], W_hhT: Tensor | None = None) -> tuple[Tensor, ...]:
        """One step s_{t-1} → s_t (rnn.cells). x_t arrives as the input side of the step (see `input_side`);
        W_hhT: the LSTM's `_lstm_W_hhT()`, made once by a loop over steps."""
        m = self.model
        if isinstance(m, VanillaRNN):
            # h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h)                                        (report eq. 1)
            return (cells.rnn_step(x_t, state[0], m.W, m.act.f)[1],)
        if m.kind == "lstm":
            # c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
            return cells.lstm_step(x_t, state[0], state[1], m.core.weight_hh_l0, W_hhT)[:2]
        # h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
        return (cells.gru_step(x_t, state[0], m.core.weight_hh_l0, m.core.bias_hh_l0)[0],)

    def _lstm_W_hhT(self) -> Tensor | None:
        """The LSTM's W_hhᵀ laid out for `_step` (cells.lstm_step), to make once before a loop over steps; None
        for the other cells."""
        m = self.model
        return m.core.weight_hh_l0.T.contiguous() if getattr(m, "kind", "rnn") == "lstm" else None

    def input_side(self, x: Tensor) -> Tensor:
        """The input side of every step in one product, x (T, B, in) → (T, B, ·): Uᵀx_t + b_h (vanilla, as
        VanillaRNN.unroll), or GatedRNN.input_side (W_ih x_t + b_ih, + b_hh for the LSTM)."""
        m = self.model
        if isinstance(m, VanillaRNN):
            # Uᵀx_t + b_h, the input side of h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h)             (report eq. 1)
            return x @ m.U + m.b_h  # (T, B, H)
        return m.input_side(x)  # (T, B, gates·H)

    def zero_state(self, B: int) -> tuple[Tensor, ...]:
        """s_0 = 0 for B sequences: (h,), or (h, c) for the LSTM, each (B, H)."""
        m, p = self.model, self.model.V
        n_state = 2 if getattr(m, "kind", "rnn") == "lstm" else 1
        return tuple(p.new_zeros(B, m.hidden_size) for _ in range(n_state))

    def stepper(self) -> Callable[[Tensor, tuple[Tensor, ...]], tuple[Tensor, ...]]:
        """The step s_{t-1} → s_t as a function of (one row of `input_side`, state), the LSTM's W_hhᵀ laid out
        once for all the steps it takes: make it again after the weights change."""
        return functools.partial(self._step, W_hhT=self._lstm_W_hhT())

    def run(self, x: Tensor, state: tuple[Tensor, ...] | None = None) -> tuple[Tensor, ...]:
        """The last state after reading x (T, B, in) from `state` (zeros when None), with the step training
        uses. Autograd follows it where grad is enabled (rnn.text.influence differentiates through it)."""
        state = self.zero_state(x.shape[1]) if state is None else state
        step = self.stepper()
        for xt in self.input_side(x).unbind(0):
            state = step(xt, state)
        return state

    def _cuts(self, T: int) -> tuple[int, list[int]]:
        """(cut, restarts) of the truncation: the state s_cut that starts the kept graph (0 unless a last-step
        loss is truncated), and the steps whose carried-out state is a fresh leaf (a loss at every step)."""
        N = self.config.truncation
        if N is None:
            return 0, []
        if not self.task.per_step:
            return max(T - N - 1, 0), []
        # a loss at every step: the state carried out of step T−N−1, T−2N−2, … is a fresh leaf, so L_T keeps
        # T−N … T as above and every L_t at least the steps since the last cut (Williams & Peng's BPTT(N+1))
        return 0, sorted(range(T - N - 1, 0, -(N + 1)))

    def _forward(self, x: Tensor):
        """The output (at step T (B, out), or at every step (T, B, out) for a per-step task) and a function
        that, called after loss.backward(), gives Σ over the state's parts of ‖∂L/∂s_t⁽ᵇ⁾‖² for t = 0 … T
        (T+1, B): zero before the truncation cut, s = (h,) or (h, c) for the LSTM.

        ∂L/∂s_t counts only what flows back from later steps and the readout — ∂L/∂c_t excludes the same
        step's h_t = o ⊙ tanh(c_t), as in the state Jacobians of rnn.jacobians."""
        if getattr(self.model, "kind", "rnn") == "lstm":
            return self._forward_lstm(x)
        return self._forward_steps(x)

    def _forward_steps(self, x: Tensor):
        """`_forward` one `_step` at a time, autograd keeping every step (any model; the LSTM's own path,
        `_forward_lstm`, is tested against this one)."""
        T, B, _ = x.shape  # (T, B, in)
        H = self.model.hidden_size
        n_state = 2 if getattr(self.model, "kind", "rnn") == "lstm" else 1
        cut, restarts = self._cuts(T)
        restarts = set(restarts)
        carried = []
        state = tuple(x.new_zeros(B, H) for _ in range(n_state))
        xs = self.input_side(x).unbind(0)  # one backward for all steps (indexing x[t] would add a (T, B, ·) zero tensor per step)
        W_hhT = self._lstm_W_hhT()
        if cut > 0:
            with torch.no_grad():
                for t in range(1, cut + 1):
                    state = self._step(xs[t - 1], state, W_hhT)
        # s_cut is a fresh leaf: detached from the past, but it receives ∂L/∂s_cut
        state = tuple(s.detach().requires_grad_(True) for s in state)
        states: list = [None] * cut + [state]
        for t in range(cut + 1, T + 1):
            # each state handed on is a view of the step's output, whose .grad will be ∂L/∂s_t
            new = tuple(s.view_as(s) for s in self._step(xs[t - 1], state, W_hhT))
            for s in new:
                s.retain_grad()
            states.append(new)
            state = new
            if t in restarts:
                state = tuple(s.detach().requires_grad_(True) for s in new)
                carried.append((new, state))

        def state_sq() -> Tensor:
            for kept, leaf in carried:  # a truncation cut: ∂L/∂s_t = the part of L_t + the part after t
                for s, s_leaf in zip(kept, leaf):
                    s.grad = s_leaf.grad if s.grad is None else s.grad + s_leaf.grad
            zero = x.new_zeros(B)
            return torch.stack([sum((s.grad ** 2).sum(-1) if s.grad is not None else zero for s in st)
                                if st is not None else zero for st in states])

        hs = [st[0] for st in states[1:]] if self.task.per_step else None  # (cut = 0 for a per-step task)
        return self._readout(hs, state[0]), state_sq

    def _forward_lstm(self, x: Tensor):
        """`_forward` for the LSTM: each stretch between truncation cuts is one rnn.cells.LSTMSequence (the
        same steps as `_step`, with its backward written out), which hands back ∂L/∂h_t and ∂L/∂c_t."""
        T, B, _ = x.shape
        m = self.model
        H, W_hh = m.hidden_size, m.core.weight_hh_l0
        cut, restarts = self._cuts(T)
        bounds = [cut, *restarts, T]
        spans = list(zip(bounds, bounds[1:]))
        if len(spans) == 1 and cut == 0:
            # one stretch: the sequence makes GatedRNN.input_side's product (W_ih x_t + b_ih + b_hh) itself,
            # straight into its own buffer
            parts = [(x, *m.input_terms())]
        else:  # the steps before the cut, then the stretches (one backward node), from one input-side product
            first, *parts = self.input_side(x).split([cut] + [b - a for a, b in spans])  # (·, B, 4H) each
            parts = [(gx, None, None) for gx in parts]
        h, c = x.new_zeros(B, H), x.new_zeros(B, H)
        if cut > 0:
            with torch.no_grad():
                W_hhT = self._lstm_W_hhT()
                for gx_t in first.unbind(0):
                    h, c = self._step(gx_t, (h, c), W_hhT)
        sinks, hs = [], []
        for part in parts:
            # s_a enters detached from the past (a truncation cut); the sequence hands back ∂L/∂s_a in its sink
            sink: dict = {}
            h_seq, c = cells.LSTMSequence.apply(*part, h.detach(), c, W_hh, sink)
            h = h_seq[-1]
            hs.append(h_seq)
            sinks.append(sink)

        def state_sq() -> Tensor:
            sq, prev = x.new_zeros(T + 1, B), None
            for (a, b), sink in zip(spans, sinks):
                if sink:  # (empty if no gradient reached this stretch)
                    dh, dc = sink["dh0"], sink["dc0"]
                    if prev:  # a cut: ∂L/∂s_a = the part of L_a (the stretch before) + the part after a
                        dh, dc = prev["dh"][-1] + dh, prev["dc"][-1] + dc
                    sq[a] = (dh ** 2).sum(-1) + (dc ** 2).sum(-1)
                    sq[a + 1:b + 1] = (sink["dh"] ** 2).sum(-1) + (sink["dc"] ** 2).sum(-1)
                prev = sink
            return sq

        return self._readout(hs[0] if len(hs) == 1 else torch.cat(hs), h), state_sq

    def _readout(self, hs, h_T: Tensor) -> Tensor:
        """ŷ_t = g(Vᵀh_t + b_y) at every step (T, B, out) for a per-step task (hs: h_1 … h_T, a list or a
        (T, B, H) tensor), else at step T only (B, out)."""
        m = self.model
        if self.task.per_step:
            # ŷ_t = g(Vᵀh_t + b_y) at every step t = 1 … T: (T, B, out)
            hs = hs if isinstance(hs, Tensor) else torch.stack(hs)
            return m.out_act.f(hs @ m.V + m.b_y)
        # ŷ_T = g(Vᵀh_T + b_y) with g linear: the regression output or the logits              (report eq. 2)
        return m.out_act.f(h_T @ m.V + m.b_y)

    def loss_fn(self, out: Tensor, y: Tensor) -> Tensor:
        """The batch-mean loss of the output at step T: ½‖ŷ_T − y‖² or the cross-entropy."""
        if self.task.kind == "regression":
            # L = ½‖ŷ_T − y‖²                                                              (report eq. 3)
            return 0.5 * ((out - y) ** 2).sum(-1).mean()
        if self.task.per_step:
            # L = (1/T) Σ_t L_t, L_t the cross-entropy at step t, batch mean: the report's pseudocode line 14
            # (the loss summed over every step), as a mean                          (out (T, B, V), y (T, B))
            return torch.nn.functional.cross_entropy(out.flatten(0, 1), y.flatten())
        return torch.nn.functional.cross_entropy(out, y)

    # ----------------------------------------------------------------------------------------------------
    # one optimisation step

    def _one_step(self) -> tuple[dict, np.ndarray]:
        cfg = self.config
        rho, smax = self._matrix_stats()
        x, y = self.task.batch(cfg.T, cfg.batch_size, self.generator, self.dtype, self.device)
        B = x.shape[1]
        for p in self.params:
            p.grad = None
        out, state_sq = self._forward(x)
        loss = self.loss_fn(out, y)
        acc = float(self.task.correct(out.detach(), y).to(torch.float64).mean())
        loss_v = float(loss.detach())
        rec = dict(step=self.steps_done + 1, loss=loss_v, accuracy=acc, grad_norm=math.nan,
                   grad_norm_clipped=math.nan, clipped=False, updated=False, rho=rho, sigma_max=smax)
        lag = np.full(cfg.T + 1, math.nan)
        if math.isfinite(loss_v):
            loss.backward()
            grads = [p.grad for p in self.params]
            g_pre = float(_norm(grads))
            rec["grad_norm"] = g_pre
            # ‖∂L_b/∂s_t‖ per sequence (L = mean_b L_b, so ∂L_b/∂s_t⁽ᵇ⁾ = B·∂L/∂s_t⁽ᵇ⁾), mean over the batch;
            # zero before the truncation cut, and for c_T (the loss reads h_T only)
            with torch.no_grad():
                sq = state_sq()  # (T+1, B)
                lag = (B * sq.sqrt()).mean(1).to(torch.float64).cpu().numpy()
            if math.isfinite(g_pre):
                if cfg.clip == "norm":
                    torch.nn.utils.clip_grad_norm_(self.params, cfg.clip_threshold)
                elif cfg.clip == "value":
                    torch.nn.utils.clip_grad_value_(self.params, cfg.clip_threshold)
                g_post = float(_norm([p.grad for p in self.params])) if cfg.clip != "none" else g_pre
                rec["grad_norm_clipped"] = g_post
                rec["clipped"] = g_post != g_pre
                self._update()
                rec["updated"] = True
        if not rec["updated"]:
            self.diverged = True
            self.diverged_at = rec["step"]
            self.diverged_what = "loss" if not math.isfinite(loss_v) else "gradient"
        self.steps_done += 1
        return rec, lag

    @torch.no_grad()
    def _update(self):
        if self.optimizer is not None:
            self.optimizer.step()
            return
        alpha = self.config.lr
        for p in self.params:
            # θ ← θ − α ∂L/∂θ                                                       (report eqs. 19–23)
            p.sub_(alpha * p.grad)

    def train(self, k: int) -> dict[str, np.ndarray]:
        """Run up to k optimisation steps (fewer if the run diverges; none once it has). Returns one entry per
        step run: the scalars of SCALARS as arrays (n,) and "grad_h_norm" (n, T+1), where column t is
        mean_b ‖∂L_b/∂s_t‖₂ for t = 0 … T (lag T − t from the loss), s = h or (h, c) for the LSTM.
        Metrics are taken at the parameters before the step's update. A step whose loss or gradient is not
        finite is recorded (loss inf/nan, grad norms nan where not computed, updated False) and sets
        `diverged`."""
        k = checks.integer(k, "k", 0)
        if k > MAX_CHUNK:
            raise ValueError(f"expected k ≤ {MAX_CHUNK} steps per call, got {k}")
        with self.lock:  # a fragment tick and a rerun of the same session must not interleave steps
            return self._train(k)

    def _train(self, k: int) -> dict[str, np.ndarray]:
        recs, lags = [], []
        for _ in range(k):
            if self.diverged:
                break
            rec, lag = self._one_step()
            recs.append(rec)
            lags.append(lag)
            for key in SCALARS:
                self._hist[key].append(rec[key])
            if rec["step"] % self.config.lag_every == 0 or not rec["updated"]:
                self._lag_steps.append(rec["step"])
                self._lag_norms.append(lag)
        out = _arrays([[r[key] for r in recs] for key in SCALARS])
        out["grad_h_norm"] = (np.stack(lags) if lags else np.empty((0, self.config.T + 1)))
        return out

    @torch.no_grad()
    def evaluate(self, n: int = 1024, seed: int = 1) -> dict[str, float]:
        """Loss and accuracy at the current parameters on n fresh sequences, drawn from a generator of their own
        (seeded from `seed`, distinct from the training batches' stream and untouched by it): what the model
        has learnt, not what it memorised. The output at step T, as in training (a per-step task: every step), through
        the model's own forward (tests/rnn/test_lstm_demo.py holds it to the training path)."""
        n = checks.integer(n, "n", 1)
        gen = torch.Generator().manual_seed(_data_seed(_data_seed(checks.integer(seed, "seed"))))
        with self.lock:
            x, y = self.task.batch(self.config.T, n, gen, self.dtype, self.device)
            # the model's own forward (torch.nn.LSTM / GRU for the gated cells): ŷ_t for t = 1 … T, (T, n, out)
            y_hat, _ = self.model(x)
            out = y_hat if self.task.per_step else y_hat[-1]
            loss = float(self.loss_fn(out, y))
            acc = float(self.task.correct(out, y).to(torch.float64).mean())
        return {"loss": loss, "accuracy": acc}

    def history(self) -> dict[str, np.ndarray]:
        """The last `history_size` steps' scalars (arrays (n,), keys SCALARS), and "lag_step" (m,) with
        "grad_h_norm" (m, T+1): the per-state norms of every `lag_every`-th step (and of a diverging step),
        the last `lag_history` of them."""
        with self.lock:
            out = _arrays([list(self._hist[key]) for key in SCALARS])
            out["lag_step"] = np.asarray(self._lag_steps, dtype=np.int64)
            out["grad_h_norm"] = (np.stack(self._lag_norms) if self._lag_norms
                                  else np.empty((0, self.config.T + 1)))
        return out


def _arrays(columns: list[list]) -> dict[str, np.ndarray]:
    types = {"step": np.int64, "clipped": bool, "updated": bool}
    return {key: np.asarray(col, dtype=types.get(key, np.float64)) for key, col in zip(SCALARS, columns)}


class SideBySide:
    """Several models trained on the same batches: one Trainer per model from one config (the models differ in
    nothing else), each with its own generator seeded from the config's seed, so step k of every model draws the
    same sequences (tests/rnn/test_lstm_demo.py checks it). `train(k)` runs k steps of each model in turn
    (sequentially, one model's chunk after the other's); `steps_done`, `diverged` and `history()` answer for the
    group, so a live page can tick it like one Trainer. `config` is the first model's."""

    def __init__(self, config: TrainConfig | None = None, models: tuple[str, ...] = MODELS, **overrides):
        cfg = config or TrainConfig()
        if overrides:
            cfg = TrainConfig(**{**asdict(cfg), **overrides})
        if not models:
            raise ValueError("expected at least one model, got none")
        names = [checks.choice(m, "model", MODELS) for m in models]
        if len(set(names)) != len(names):
            raise ValueError(f"expected distinct models, got {tuple(models)}")
        self.trainers: dict[str, Trainer] = {m: Trainer(cfg, model=m) for m in names}
        first = next(iter(self.trainers.values()))
        self.config, self.task = first.config, first.task
        self.note = first.note
        self.lock = threading.Lock()

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(self.trainers)

    @property
    def steps_done(self) -> int:
        """The steps the group has taken (a model that diverged stopped at its step; the others go on)."""
        return max(t.steps_done for t in self.trainers.values())

    @property
    def diverged(self) -> bool:
        """True once every model has diverged (one that diverges stops; the others go on)."""
        return all(t.diverged for t in self.trainers.values())

    @property
    def diverged_at(self) -> int | None:
        steps = [t.diverged_at for t in self.trainers.values() if t.diverged_at is not None]
        return min(steps) if steps else None

    def train(self, k: int) -> dict[str, dict[str, np.ndarray]]:
        """k steps of each model, one model after the other; {model: its Trainer.train(k)}."""
        with self.lock:
            return {m: t.train(k) for m, t in self.trainers.items()}

    def history(self) -> dict[str, dict[str, np.ndarray]]:
        """{model: its Trainer.history()}."""
        with self.lock:
            return {m: t.history() for m, t in self.trainers.items()}

    def evaluate(self, n: int = 1024, seed: int = 1) -> dict[str, dict[str, float]]:
        """{model: its Trainer.evaluate(n, seed)}: every model on the same fresh sequences."""
        with self.lock:
            return {m: t.evaluate(n, seed) for m, t in self.trainers.items()}
