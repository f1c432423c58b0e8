"""The Lesson's nine questions, one per step of ui.session.lesson.STEPS, asked before the step's chart (predict, then
reveal), as data: the prompt, the answer's kind (a choice among keys, or a number with its range and the
tolerance that counts as close), and where its truth comes from.

Every truth is read from the cached computation the step's chart draws (ui/cached, at the step's own settings
and options), never typed in: a change in the engine or in a step's settings moves the truth with the chart.
The prompts may name the step's settings as {T}, {scale}, … (ui.settings.Settings' fields) and its options
({N}, {gate_bias}); `prompt_for` fills them in.

Choice keys are what the class poll stores ([a-z0-9_], poll/store.py); labels are what a student reads.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Callable, NamedTuple

import numpy as np

from .cached import activations as cached_act
from .cached import bptt_by_hand as cached_bptt
from .cached import model as cached_model
from .cached import unfolded as cached_unfolded
from .charts.gated_cells import CELL_NAMES
from .charts.style import fmt_num, fmt_pow10
from .settings import Settings


class Truth(NamedTuple):
    """What the chart says: the value (a choice key or a number) and a short phrase with the numbers behind it."""

    value: str | float
    detail: str


@dataclass(frozen=True)
class Question:
    prompt: str  # markdown, one or two lines; {field} names a step setting or option
    truth: Callable[[Settings, dict], Truth]  # reads ui/cached at the step's settings and options
    choices: tuple[tuple[str, str], ...] = ()  # (key, label) for a choice; empty for a number
    lo: float = 0.0  # a number's bounds and step on the input
    hi: float = 1.0
    step: float = 0.05
    tol: float = 0.0  # |answer − truth| ≤ tol counts as close
    unit: str = ""  # after a number: "decades"
    digits: int = 2  # decimals a number is written with

    @property
    def kind(self) -> str:
        return "choice" if self.choices else "number"

    def label(self, value) -> str:
        """An answer or a truth as a student reads it: a choice's label, a number with its unit."""
        if self.choices:
            return dict(self.choices).get(value, str(value))
        v = float(value)
        text = f"{v:.{self.digits}f}".replace("-", "−")
        return f"{text} {self.unit}".strip()

    def close(self, answer, truth) -> bool:
        """Whether an answer is the truth: the same choice, or a number within `tol`."""
        if answer is None:
            return False
        if self.choices:
            return answer == truth
        a, t = float(answer), float(truth)
        return math.isfinite(a) and math.isfinite(t) and abs(a - t) <= self.tol + 1e-12

    @property
    def tolerance_text(self) -> str:
        if self.choices:
            return ""
        t = fmt_num(self.tol, 3)
        unit = self.unit if self.tol != 1 else self.unit.rstrip("s")
        return f"within {t} {unit}".strip()


def prompt_for(q: Question, s: Settings, options: dict) -> str:
    """The prompt with the step's settings and options filled in."""
    return q.prompt.format(**asdict(s), **options)


# ---------------------------------------------------------------------------------------------------------
# the truths, each from the cached call its step's chart draws

HALF = math.log10(2.0)  # "about the same": within a factor of 2 either way


def _h1_against_hT(s: Settings, options: dict) -> Truth:
    """Step 1 (the unfolded diagram colours each state by ‖∂L/∂h_t‖): ‖∂L/∂h_1‖ against ‖∂L/∂h_T‖, same
    within a factor of 2."""
    g = cached_unfolded.gradients(s)
    T = int(g["T"])
    # log10(‖∂L/∂h_1‖ / ‖∂L/∂h_T‖)
    r = float(g["grad"][1] - g["grad"][T])
    if not math.isfinite(r):
        raise ValueError("the gradient at h_1 or h_T is not finite at these settings")
    key = "smaller" if r < -HALF else "larger" if r > HALF else "same"
    return Truth(key, f"‖∂L/∂h₁‖ is {fmt_pow10(r)} × ‖∂L/∂h_T‖")


def _mean_fprime(s: Settings, options: dict) -> Truth:
    """Step 2 (the histogram of f′(a_t) along the trajectory): their mean."""
    fp = cached_act.fprime_along_trajectory(s)
    m = float(fp["mean_abs"])
    return Truth(m, f"mean f′(aₜ) = {fmt_num(m, 3)} over {fp['values'].size:,} values")


REGIME_KEYS = {"vanishing": "vanish", "edge": "stay", "exploding": "explode"}


def _regime(s: Settings, options: dict) -> Truth:
    """Steps 3 and 7 (the product's norm against the lag): the regime the engine reads off the line."""
    a = cached_model.analysis(s)
    last = float(np.asarray(a["log10_norm"])[-1])
    return Truth(REGIME_KEYS[a["regime"]], f"slope {fmt_num(a['slope'], 3)} decades per step; "
                                           f"{fmt_pow10(last)} at lag {int(a['lag'][-1])}")


def _bound_per_step(s: Settings, options: dict) -> Truth:
    """Step 4 (the activations' f′ with γ = sup|f′|): the most one step back through this sigmoid RNN can
    scale a gradient by, γ·σ_max(W)."""
    gamma = float(cached_act.activation_curves()[s.activation]["gamma"])
    smax = float(cached_model.analysis(s)["sigma_max"])
    # ‖diag(f′(a_t)) Wᵀ‖ ≤ γ·σ_max(W)
    return Truth(gamma * smax, f"γ·σₘₐₓ = {fmt_num(gamma, 3)} × {fmt_num(smax, 3)}")


def _lag(a: dict, k: int) -> tuple[int, float]:
    """(lag used, log10‖∂h_T/∂h_{T−k}‖) at lag k, or at the longest lag analysed when fewer steps are."""
    logn = np.asarray(a["log10_norm"], dtype=np.float64)  # entry k − 1 is lag k
    k = min(int(k), logn.size)
    return k, float(logn[k - 1])


def _decades_down(s: Settings, options: dict) -> Truth:
    """Step 5: how many decades the product of 50 Jacobians is below 1 (the sentence above the chart at k = 50)."""
    k, v = _lag(cached_model.analysis(s), options.get("lag", 50))
    return Truth(-v, f"{fmt_pow10(v)} at lag {k}")


def _decades_up(s: Settings, options: dict) -> Truth:
    """Step 6: how many decades the product of T Jacobians is above 1."""
    k, v = _lag(cached_model.analysis(s), options.get("lag", s.T))
    return Truth(v, f"{fmt_pow10(v)} at lag {k}")


def _longest_cell(s: Settings, options: dict) -> Truth:
    """Step 8 (the three cells' norms against the lag, same inputs): the cell whose line is flattest, the
    smallest |slope| (the chart's caption: the flatter the line, the longer the cell remembers)."""
    b = float(options.get("gate_bias", 1.0))
    slopes = {kind: float(cached_model.analysis(s, kind, b)["slope"]) for kind in ("rnn", "lstm", "gru")}
    best = min(slopes, key=lambda kind: abs(slopes[kind]))
    return Truth(best, "slopes " + ", ".join(f"{CELL_NAMES[k]} {fmt_num(v, 2, sign=True)}"
                                             for k, v in slopes.items()) + " decades per step")


def _truncated_cosine(s: Settings, options: dict) -> Truth:
    """Step 9 (the per-step terms with the kept band; the sentence above gives the cosine): cos(truncated
    ∂L/∂W, full ∂L/∂W) at N."""
    N = min(int(options.get("N", 10)), max(s.T - 1, 0))
    c = float(cached_bptt.truncated(s, N)["cos"])
    if not math.isfinite(c):
        raise ValueError("the truncated or the full gradient is zero or not finite at these settings")
    return Truth(c, f"cos = {fmt_num(c, 4, fixed=True)} with N = {N}")


_REGIME_CHOICES = (("vanish", "vanish"), ("stay", "stay near 1"), ("explode", "explode"))

QUESTIONS: tuple[Question, ...] = (
    Question(r"Back from the loss at $h_T$ (T = {T}), the gradient reaching $h_1$ is, against $h_T$'s "
             r"(the same: within 2×)…", _h1_against_hT,
             (("smaller", "smaller"), ("same", "about the same"), ("larger", "larger"))),
    Question(r"On average, how large is $f'(a_t)$ along this run? ($\tanh' \le 1$)",
             _mean_fprime, lo=0.0, hi=1.0, step=0.05, tol=0.1),
    Question(r"Tanh, gain {scale:g}: {T} steps back, the product's norm will…", _regime, _REGIME_CHOICES),
    Question(r"With $\sigma_{{\max}}(W) = {scale:g}$, one step back scales the gradient by at most…?",
             _bound_per_step, lo=0.0, hi=10.0, step=0.05, tol=0.05),
    Question(r"$\rho(W) = {scale:g}$: how many decades smaller is the norm 50 steps back?",
             _decades_down, lo=0.0, hi=60.0, step=0.5, tol=1.0, unit="decades", digits=1),
    Question(r"Linear, $\rho(W) = {scale:g}$: how many decades larger is the norm {T} steps back?",
             _decades_up, lo=0.0, hi=60.0, step=0.5, tol=1.0, unit="decades", digits=1),
    Question(r"Orthogonal $W$, tiny inputs: {T} steps back, the norm will…", _regime, _REGIME_CHOICES),
    Question(r"Which cell keeps the gradient longest (its line flattest)?", _longest_cell,
             tuple((k, CELL_NAMES[k]) for k in ("rnn", "lstm", "gru"))),
    Question(r"Keeping N = {N} of {T} steps: the cosine between truncated and full $\partial L/\partial W$?",
             _truncated_cosine, lo=-1.0, hi=1.0, step=0.05, tol=0.05, digits=2),
)


def truth(k: int) -> Truth:
    """Step k's truth at the step's own settings and options (ui.session.lesson.STEPS)."""
    from .session.lesson import STEPS  # ui.session.lesson draws the steps; the questions only read their settings
    step = STEPS[k - 1]
    return QUESTIONS[k - 1].truth(step.settings, dict(step.options))
