"""Initialisations of the recurrent matrix W and its scaling to a target ρ, σ_max or gain g.

- Gaussian: entries N(0, g²/n), the classic random-matrix scaling (Sompolinsky et al. 1988): for large n its
  spectral radius is ≈ g (circular law) and its largest singular value ≈ 2g.
- Orthogonal: W = g·Q with Q Haar-orthogonal (Saxe et al. 2014), so ρ = σ_max = g exactly.
- Identity: W = g·I, the IRNN of Le, Jaitly & Hinton (2015).

`scale_recurrent` then rescales W so that the chosen quantity hits its target: the spectral radius ρ(W)
(Jaeger's echo-state rule), the largest singular value σ_max(W) (the quantity of Pascanu et al.'s bound),
or the gain g (a plain multiplier of the unit-gain init).
"""
from __future__ import annotations

import math

import torch

from . import checks

INITS = ("gaussian", "orthogonal", "identity")
SCALE_KINDS = ("gain", "rho", "sigma_max")  # in this order on the app's sidebar (ui.settings reads it)


def gaussian(n_rows: int, n_cols: int, std: float, generator: torch.Generator,
             dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Entries i.i.d. N(0, std²)."""
    return torch.randn(n_rows, n_cols, generator=generator, dtype=dtype) * std


def orthogonal(n: int, generator: torch.Generator, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A Haar-distributed orthogonal matrix: QR of a Gaussian matrix with the signs of diag(R) fixed
    (Mezzadri 2007), as torch.nn.init.orthogonal_ does."""
    z = torch.randn(n, n, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(z)
    q = q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones(n, dtype=q.dtype))
    return q.to(dtype)


def unit_recurrent(n: int, init: str, generator: torch.Generator,
                   dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """W at gain 1: Gaussian N(0, 1/n), orthogonal Q, or the identity."""
    n = checks.size(n, "hidden_size")
    kind = checks.choice(init, "init", INITS, key=str(init).lower())
    if kind == "gaussian":
        return gaussian(n, n, 1.0 / math.sqrt(n), generator, dtype)
    if kind == "orthogonal":
        return orthogonal(n, generator, dtype)
    return torch.eye(n, dtype=dtype)  # identity


def spectral_radius(W: torch.Tensor) -> float:
    """ρ(W) = max |λ_i(W)|."""
    return float(torch.linalg.eigvals(W.detach().to("cpu", torch.float64)).abs().max())


def sigma_max(W: torch.Tensor) -> float:
    """σ_max(W) = ‖W‖₂, the largest singular value."""
    return float(torch.linalg.matrix_norm(W.detach().to("cpu", torch.float64), ord=2))


def recurrent_stats(W: torch.Tensor) -> dict[str, float]:
    """The achieved ρ(W) and σ_max(W)."""
    return {"rho": spectral_radius(W), "sigma_max": sigma_max(W)}


def scale_recurrent(W: torch.Tensor, kind: str, value: float) -> torch.Tensor:
    """W rescaled so that ρ(W) = value ("rho"), σ_max(W) = value ("sigma_max"), or multiplied by
    value ("gain": applied to a unit-gain init this gives entries N(0, g²/n), g·Q or g·I)."""
    v = checks.number(value, "scale")
    kind = checks.choice(kind, "scale kind", SCALE_KINDS, key=str(kind).lower())
    if kind == "gain":
        return W * v
    now = spectral_radius(W) if kind == "rho" else sigma_max(W)
    if now == 0.0:
        if v == 0.0:
            return W.clone()
        raise ValueError(f"W has {kind} = 0 and cannot be rescaled to {v}")
    return W * (v / now)


def make_recurrent(n: int, init: str = "gaussian", scale: float = 1.0, scale_kind: str = "gain",
                   generator: torch.Generator | None = None, seed: int = 0,
                   dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A recurrent matrix W (n × n): the unit-gain `init`, then scaled to `scale` in `scale_kind`."""
    g = generator if generator is not None else torch.Generator().manual_seed(int(seed))
    W = unit_recurrent(n, init, g, torch.float64)
    return scale_recurrent(W, scale_kind, scale).to(dtype)
