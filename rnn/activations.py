"""Activations, each with f, its derivative f′ and the bound γ = sup|f′| side by side.

The seed (§2.2.2) compares sigmoid and tanh: sigmoid′ ≤ 1/4 and tanh′ ≤ 1. The bound γ enters the
vanishing-gradient argument of Pascanu, Mikolov & Bengio (2013), "On the difficulty of training recurrent
neural networks": ‖∂h_j/∂h_{j-1}‖ ≤ γ·σ_max(W), so a product of k such Jacobians is at most (γ·σ_max)^k.

Derivatives are written by hand (not autograd) and, where f is not differentiable, follow torch's own
convention so that hand BPTT and autograd agree to the last digit: relu′(0) = 0, leaky_relu′(0) = slope.
tanh′ and σ′ are computed in forms that do not round to 0 in the tails (4e^{−2|a|}/(1 + e^{−2|a|})² and
σ(a)σ(−a)): a saturated unit passes on a tiny gradient, not none, and the app says how tiny.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from . import checks

Tensor = torch.Tensor

LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """f, f′ (as a function of the pre-activation a) and γ = sup_a |f′(a)|."""

    name: str
    f: Callable[[Tensor], Tensor]
    df: Callable[[Tensor], Tensor]
    gamma: float
    codomain: str  # the range of f, as printed in the app
    formula: str  # LaTeX of f
    dformula: str  # LaTeX of f′

    def __call__(self, a: Tensor) -> Tensor:
        return self.f(a)


# tanh(a) = (e^a − e^{−a}) / (e^a + e^{−a});  tanh′(a) = 1 − tanh²(a) ≤ 1
def _tanh(a: Tensor) -> Tensor:
    return torch.tanh(a)


def _dtanh(a: Tensor) -> Tensor:
    # tanh′(a) = 1 − tanh²(a) = 4e^{−2|a|} / (1 + e^{−2|a|})²: the same number, but 1 − tanh²(a) rounds to
    # exactly 0 once tanh(a) rounds to ±1 (|a| ≳ 19 in float64, ≳ 9 in float32), while this form stays
    # true (relatively to a few ulps) until e^{−2|a|} underflows (|a| ≈ 372 in float64, ≈ 52 in float32)
    e = torch.exp(-2.0 * a.abs())
    return 4.0 * e / (1.0 + e) ** 2


# σ(a) = 1 / (1 + e^{−a});  σ′(a) = σ(a)(1 − σ(a)) ≤ 1/4
def _sigmoid(a: Tensor) -> Tensor:
    return torch.sigmoid(a)


def _dsigmoid(a: Tensor) -> Tensor:
    # σ′(a) = σ(a)(1 − σ(a)) = σ(a)σ(−a): 1 − σ(a) rounds to exactly 0 for a ≳ 37 (float64), σ(−a) does not
    return torch.sigmoid(a) * torch.sigmoid(-a)


# relu(a) = max(0, a);  relu′(a) = 1[a > 0]
def _relu(a: Tensor) -> Tensor:
    return torch.relu(a)


def _drelu(a: Tensor) -> Tensor:
    return (a > 0).to(a.dtype)


# leaky(a) = a if a > 0 else s·a;  leaky′(a) = 1 if a > 0 else s
def _leaky(a: Tensor) -> Tensor:
    return torch.nn.functional.leaky_relu(a, LEAKY_SLOPE)


def _dleaky(a: Tensor) -> Tensor:
    return torch.where(a > 0, torch.ones_like(a), torch.full_like(a, LEAKY_SLOPE))


# linear(a) = a;  linear′(a) = 1
def _linear(a: Tensor) -> Tensor:
    return a


def _dlinear(a: Tensor) -> Tensor:
    return torch.ones_like(a)


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", _tanh, _dtanh, 1.0, "(−1, 1)",
                       r"\tanh a", r"1-\tanh^2 a"),
    "sigmoid": Activation("sigmoid", _sigmoid, _dsigmoid, 0.25, "(0, 1)",
                          r"\sigma(a)=\frac{1}{1+e^{-a}}", r"\sigma(a)\,(1-\sigma(a))"),
    "relu": Activation("relu", _relu, _drelu, 1.0, "[0, ∞)",
                       r"\max(0,a)", r"\mathbb{1}[a>0]"),
    "leaky_relu": Activation("leaky_relu", _leaky, _dleaky, 1.0, "(−∞, ∞)",
                             r"\max(a,\,0.01a)", r"1 \text{ if } a>0 \text{ else } 0.01"),
    "linear": Activation("linear", _linear, _dlinear, 1.0, "(−∞, ∞)", "a", "1"),
}

NAMES: tuple[str, ...] = tuple(ACTIVATIONS)


def get_activation(name: str | Activation) -> Activation:
    """The activation called `name`; a ValueError that lists the choices otherwise."""
    if isinstance(name, Activation):
        return name
    key = str(name).strip().lower().replace("-", "_")
    return ACTIVATIONS[checks.choice(name, "activation", NAMES, key=key)]
