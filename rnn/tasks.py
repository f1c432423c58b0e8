"""Synthetic sequence tasks whose answer depends on inputs far in the past.

- Adding problem (Hochreiter & Schmidhuber 1997, experiment 4; Le, Jaitly & Hinton 2015): x (T, B, 2).
  Channel 0 holds numbers uniform in [0, 1]; channel 1 is 1 at exactly two positions, one in the first half
  [0, ⌊T/2⌋) and one in the second half [⌊T/2⌋, T), and 0 elsewhere. The target (B, 1) is the sum of the two
  marked numbers. Always predicting 1 gives MSE = Var(u₁ + u₂) = 2/12 = 1/6 ≈ 0.167, the baseline quoted in
  the literature; a sequence counts as solved when |ŷ − y| < 0.04 (Hochreiter & Schmidhuber's criterion).
- Remember-first: x (T, B, K) one-hot symbols drawn uniformly from K classes; the target (B,) is the class of
  the first symbol, so the network must carry one symbol across T − 1 distractors. Chance: accuracy 1/K,
  cross-entropy ln K.
- Remember-first through noise (the demo where gates win): x (T, B, K + D). Step 1 shows one of K symbols,
  one-hot on channels 0 … K−1; steps 2 … T carry Gaussian noise N(0, σ²) on the D other channels and nothing
  on the symbol channels. The target (B,) is the first symbol's class. This is the latch problem of Bengio,
  Simard & Frasconi (1994) and Hochreiter & Schmidhuber's experiment 3 (noise after the information): a gate
  can shut the noise out and hold the symbol, while a vanilla RNN's state is stirred by the noise every step
  and the gradient that would teach it to ignore the noise has to travel the whole sequence. Chance as for
  remember-first: accuracy 1/K, cross-entropy ln K.

The copy task of Arjovsky, Shah & Bengio (2016) is left out: it scores an output at every step, while the
trainer here (like the report's eq. 3) scores the last step only.

Every batch is drawn from the torch.Generator passed in (never the global RNG), on the CPU in float64, then
moved to the asked device and dtype, so the same generator state gives the same batch on every device.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import torch

from . import checks

Tensor = torch.Tensor
KINDS = ("regression", "classification")
ADDING_TOL = 0.04  # |ŷ − y| below this counts as correct (Hochreiter & Schmidhuber 1997)
REMEMBER_K = 8  # symbols in the registered remember-first task
NOISE_K, NOISE_D, NOISE_SIGMA = 8, 8, 2.0  # the registered remember-first-through-noise task: symbols, noise channels, σ


@dataclass(frozen=True)
class Task:
    """A synthetic task. `batch(T, B, generator, dtype, device)` returns (x, y): x (T, B, input_size);
    y (B, output_size) of `dtype` for regression, (B,) int64 class indices for classification.

    chance_loss / chance_accuracy are the scores of the best input-blind guess, in the trainer's loss units
    (½‖ŷ − y‖² for regression, cross-entropy for classification); chance_note says what the guess is."""

    name: str
    title: str
    input_size: int
    output_size: int
    kind: str
    chance_loss: float
    chance_accuracy: float
    chance_note: str
    reference: str
    sampler: Callable[[int, int, torch.Generator], tuple[Tensor, Tensor]] = field(repr=False)
    scorer: Callable[[Tensor, Tensor], Tensor] = field(repr=False)
    # y as a function of x, recomputed after the cast so that it is exact in the chosen dtype (or None)
    target: Callable[[Tensor], Tensor] | None = field(default=None, repr=False)
    # True: y is (T, B), a target at every step, and the loss is the mean over steps (rnn.text)
    per_step: bool = False

    def batch(self, T: int, B: int, generator: torch.Generator, dtype: torch.dtype = torch.float64,
              device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
        T = checks.integer(T, "T", 2)
        B = checks.integer(B, "batch size B", 1)
        if not isinstance(generator, torch.Generator):
            raise ValueError(f"expected a torch.Generator, got {type(generator).__name__}")
        if not dtype.is_floating_point:
            raise ValueError(f"expected a floating dtype, got {dtype}")
        x, y = self.sampler(T, B, generator)  # float64 on the CPU
        x = x.to(device=device, dtype=dtype)
        if self.target is not None:
            y = self.target(x)
        elif self.kind == "regression":
            y = y.to(device=device, dtype=dtype)
        else:
            y = y.to(device=device)
        return x, y

    def correct(self, out: Tensor, y: Tensor) -> Tensor:
        """Per-sequence correctness (B,) bool of the output at the last step `out` (B, output_size)."""
        return self.scorer(out, y)


def _adding_target(x: Tensor) -> Tensor:
    # y = Σ_t x_t[0] · x_t[1]: the sum of the two marked numbers                 (B, 1)
    return (x[..., 0] * x[..., 1]).sum(0).unsqueeze(-1)


def _adding_sample(T: int, B: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
    half = T // 2  # first half [0, half), second half [half, T); both non-empty for T ≥ 2
    values = torch.rand(T, B, generator=gen, dtype=torch.float64)  # (T, B), uniform [0, 1)
    first = torch.randint(0, half, (B,), generator=gen)  # (B,)
    second = torch.randint(half, T, (B,), generator=gen)  # (B,)
    marks = torch.zeros(T, B, dtype=torch.float64)
    cols = torch.arange(B)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    x = torch.stack([values, marks], dim=-1)  # (T, B, 2)
    return x, _adding_target(x)


def _adding_correct(out: Tensor, y: Tensor) -> Tensor:
    return (out.reshape(y.shape) - y).abs().reshape(-1) < ADDING_TOL


def _remember_sampler(K: int):
    def sample(T: int, B: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        symbols = torch.randint(0, K, (T, B), generator=gen)  # (T, B)
        x = torch.nn.functional.one_hot(symbols, K).to(torch.float64)  # (T, B, K)
        return x, symbols[0].clone()  # the class of the first symbol, (B,) int64

    return sample


def _noise_sampler(K: int, D: int, sigma: float):
    def sample(T: int, B: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        first = torch.randint(0, K, (B,), generator=gen)  # (B,)
        x = torch.zeros(T, B, K + D, dtype=torch.float64)  # (T, B, K + D)
        # x_1 = one-hot(first symbol) on channels 0 … K−1
        x[0, torch.arange(B), first] = 1.0
        # x_t = (0, …, 0, ε_t), ε_t ~ N(0, σ² I_D) for t = 2 … T
        x[1:, :, K:] = sigma * torch.randn(T - 1, B, D, generator=gen, dtype=torch.float64)
        return x, first

    return sample


def _argmax_correct(out: Tensor, y: Tensor) -> Tensor:
    return out.argmax(-1) == y


def adding_task() -> Task:
    # constant guess ŷ = 1 = E[u₁ + u₂]: MSE = Var = 1/6, so ½·MSE = 1/12;
    # P(|u₁ + u₂ − 1| < ε) = 2ε − ε² for the triangular density of the sum
    eps = ADDING_TOL
    return Task(
        name="adding", title="Adding problem", input_size=2, output_size=1, kind="regression",
        chance_loss=1.0 / 12.0, chance_accuracy=2 * eps - eps * eps,
        chance_note="always predicting 1: MSE 1/6 ≈ 0.167 (the literature's baseline), so ½·MSE = 1/12",
        reference="Hochreiter & Schmidhuber 1997; Le, Jaitly & Hinton 2015",
        sampler=_adding_sample, scorer=_adding_correct, target=_adding_target)


def remember_first_task(K: int = REMEMBER_K) -> Task:
    K = checks.integer(K, "the number of symbols K", 2)
    return Task(
        name="remember_first", title=f"Remember the first symbol (K = {K})", input_size=K, output_size=K,
        kind="classification", chance_loss=math.log(K), chance_accuracy=1.0 / K,
        chance_note=f"uniform guess over K = {K} classes: cross-entropy ln K ≈ {math.log(K):.3f}, accuracy 1/K",
        reference="a one-symbol memory task in the spirit of Hochreiter & Schmidhuber 1997, experiment 2",
        sampler=_remember_sampler(K), scorer=_argmax_correct)


def remember_noise_task(K: int = NOISE_K, D: int = NOISE_D, sigma: float = NOISE_SIGMA) -> Task:
    K = checks.integer(K, "the number of symbols K", 2)
    D = checks.integer(D, "the number of noise channels D", 1)
    sigma = checks.number(sigma, "the noise's σ", positive=True)
    return Task(
        name="remember_noise", title=f"Remember the first symbol through noise (K = {K})", input_size=K + D,
        output_size=K, kind="classification", chance_loss=math.log(K), chance_accuracy=1.0 / K,
        chance_note=f"uniform guess over K = {K} classes: cross-entropy ln K ≈ {math.log(K):.3f}, accuracy 1/K",
        reference="the latch problem of Bengio, Simard & Frasconi 1994; Hochreiter & Schmidhuber 1997, "
                  "experiment 3",
        sampler=_noise_sampler(K, D, float(sigma)), scorer=_argmax_correct)


TASKS: dict[str, Task] = {t.name: t for t in (adding_task(), remember_first_task(), remember_noise_task())}
NAMES: tuple[str, ...] = tuple(TASKS)


def get_task(name: str | Task) -> Task:
    """The task called `name` ("adding", "remember_first", "remember_noise"); a ValueError listing the choices otherwise."""
    if isinstance(name, Task):
        return name
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    return TASKS[checks.choice(name, "task", NAMES, key=key)]
