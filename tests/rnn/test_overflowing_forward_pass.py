"""An exploding net is never reported as vanished: where the forward pass itself leaves float64's range
(relu or leaky relu with W = 10·Q, Q orthogonal, T = 1000), rnn.jacobian_log10_norms raises a ValueError
naming the first step whose state is not finite (found here independently from the model's unroll), the
steps before it are exact and explode, and the linear RNN, whose Jacobians never read the state, keeps its
closed form (W = 10·Q gives ‖∂h_T/∂h_i‖ = 10^{T−i} exactly)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import rnn

F64 = torch.float64


def _net(activation: str, scale: float = 10.0, n: int = 16):
    m = rnn.VanillaRNN(4, n, 2, activation=activation, seed=0, init="orthogonal", scale=scale, dtype=F64)
    x = torch.randn(1000, 4, generator=torch.Generator().manual_seed(1), dtype=F64) * 0.5
    return m, x


def _first_bad_step(m, x) -> int | None:
    """The first t (1-based) with a_t or h_t not finite, from a plain loop over the model's own equations."""
    h = torch.zeros(m.hidden_size, dtype=F64)
    with torch.no_grad():
        for t in range(x.shape[0]):
            # h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h)
            a = m.U.T @ x[t] + m.W.T @ h + m.b_h
            h = m.act.f(a)
            if not (torch.isfinite(a).all() and torch.isfinite(h).all()):
                return t + 1
    return None


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_overflow_raises_naming_the_step(activation):
    m, x = _net(activation)
    t0 = _first_bad_step(m, x)
    assert t0 is not None and 1 < t0 < 1000
    for f in (rnn.jacobian_log10_norms, rnn.jacobians.reference_log10_norms):
        with pytest.raises(ValueError, match=rf"overflows at step {t0} of 1000") as e:
            f(m, x)
        assert f"x[:{t0 - 1}]" in str(e.value)
    with pytest.raises(ValueError, match=rf"step {t0}\b"):
        rnn.analyze(m, x, torch.zeros(2, dtype=F64))
    # the steps before the overflow: exact, finite, and the net explodes
    logn = rnn.jacobian_log10_norms(m, x[:t0 - 1])
    assert np.isfinite(logn).all() and not np.isneginf(logn).any()
    assert rnn.slope_per_step(logn) > 0.5
    np.testing.assert_allclose(logn, rnn.jacobians.reference_log10_norms(m, x[:t0 - 1]), rtol=0, atol=1e-6)


def test_a_finite_exploding_net_is_not_affected():
    m, x = _net("relu", scale=2.0)
    assert _first_bad_step(m, x) is None
    logn = rnn.jacobian_log10_norms(m, x)
    assert np.isfinite(logn).all() and rnn.slope_per_step(logn) > 0


def test_linear_rnn_keeps_its_closed_form_past_the_overflow():
    m, x = _net("linear")
    assert _first_bad_step(m, x) is not None  # the state itself overflows …
    logn = rnn.jacobian_log10_norms(m, x)  # … but f′ ≡ 1: ∂h_T/∂h_i = (10·Qᵀ)^{T−i}, norm 10^{T−i}
    np.testing.assert_allclose(logn, np.arange(1000, 0, -1, dtype=np.float64), rtol=0, atol=1e-9)
