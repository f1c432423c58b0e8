"""Saturated units pass on a tiny gradient, not none: tanh′ and σ′ far in the tails against closed forms
computed independently in Python floats (tanh′ = 1/cosh², σ′(a) = 1/(4·cosh²(a/2))) and in log space, and a
saturated tanh RNN (W = 100·Q, Q orthogonal) whose products of Jacobians stay finite at T = 1000, with the
one-step product checked against its closed form ‖diag(f′)·100·Qᵀ‖ = 100·max f′."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import rnn
from rnn.activations import get_activation

F64 = torch.float64
TAILS = (20.0, 40.0, 300.0)


def _tanh_prime(a: float) -> float:
    return 1.0 / math.cosh(a) ** 2  # sech²(a); math.cosh is finite up to |a| ≈ 710


def _sigmoid_prime(a: float) -> float:
    return 1.0 / (4.0 * math.cosh(a / 2.0) ** 2)  # σ(a)σ(−a) = 1/(e^{a/2} + e^{−a/2})²


@pytest.mark.parametrize("a", [s * v for v in TAILS for s in (1.0, -1.0)])
@pytest.mark.parametrize("name, ref", [("tanh", _tanh_prime), ("sigmoid", _sigmoid_prime)])
def test_tail_derivative_is_finite_positive_and_true(name, ref, a):
    got = float(get_activation(name).df(torch.tensor([a], dtype=F64))[0])
    want = ref(a)
    assert math.isfinite(got) and got > 0.0
    assert got == pytest.approx(want, rel=1e-13)
    # and in log space, from the leading term: tanh′ ≈ 4e^{−2|a|}, σ′ ≈ e^{−|a|} (relative error ≈ e^{−|a|})
    log10_lead = (math.log10(4.0) - 2.0 * abs(a) / math.log(10.0) if name == "tanh"
                  else -abs(a) / math.log(10.0))
    assert math.log10(got) == pytest.approx(log10_lead, abs=10 * math.exp(-abs(a)) + 1e-12)


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_the_plain_forms_did_round_to_zero(name):
    """What the stable forms fix: 1 − tanh² and σ(1 − σ) are exactly 0 at a = 40 in float64."""
    a = torch.tensor([40.0], dtype=F64)
    plain = 1.0 - torch.tanh(a) ** 2 if name == "tanh" else torch.sigmoid(a) * (1.0 - torch.sigmoid(a))
    assert float(plain[0]) == 0.0
    assert float(get_activation(name).df(a)[0]) > 0.0


@pytest.mark.parametrize("name", ["tanh", "sigmoid"])
def test_derivative_agrees_with_autograd_where_autograd_is_right(name):
    """The stable forms equal autograd's 1 − tanh² and σ(1 − σ) to rounding: autograd's own error is a few ulps
    of 1 (the subtraction from 1), so the tolerance is absolute, 2 ulps of 1, with 1e-13 relative on top."""
    a = torch.linspace(-5.0, 5.0, 10_001, dtype=F64).requires_grad_(True)
    f = torch.tanh if name == "tanh" else torch.sigmoid
    (want,) = torch.autograd.grad(f(a).sum(), a)
    torch.testing.assert_close(get_activation(name).df(a.detach()), want, rtol=1e-13, atol=2 * 2.0 ** -52)


def test_saturated_tanh_rnn_products_stay_finite():
    """W = 100·Q (orthogonal), n = 16, tanh, T = 1000: every unit saturates, every product is tiny but not 0."""
    torch.manual_seed(0)
    m = rnn.VanillaRNN(4, 16, 2, activation="tanh", seed=0, init="orthogonal", scale=100.0, dtype=F64)
    Q = m.W.detach() / 100.0
    torch.testing.assert_close(Q.T @ Q, torch.eye(16, dtype=F64), rtol=0, atol=1e-12)  # W = 100·Q
    x = torch.randn(1000, 4, generator=torch.Generator().manual_seed(1), dtype=F64) * 0.5
    logn = rnn.jacobian_log10_norms(m, x)
    assert logn.shape == (1000,) and np.isfinite(logn).all()
    assert logn[0] < -1000  # far below anything float64 could hold as a number, yet a finite log
    # one step: ‖diag(f′(a_T))·Wᵀ‖ = 100·max_i f′(a_T,i) (Wᵀ = 100·Qᵀ keeps norms), f′ = sech² in Python
    a_T = m.unroll(x).a[-1, 0].detach().tolist()
    want = math.log10(100.0 * max(_tanh_prime(v) for v in a_T))
    assert logn[-1] == pytest.approx(want, abs=1e-9)
    np.testing.assert_allclose(logn, rnn.jacobians.reference_log10_norms(m, x), rtol=0, atol=1e-6)
