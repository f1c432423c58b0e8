"""Every page cuts a forward pass that overflows at the same step (issue 19): Jacobian products and Gated cells
(ui.cached.model), Activations (f′ along the trajectory), Theory (the Lyapunov spectrum, the singular values)
and the Phase diagram all read rnn.jacobians.cut_before_overflow. Before, four copies of the cut lived in
ui/cached, and Theory's and Activations' also cut the linear RNN, whose products Jacobian products kept over
all T: at the linear settings below Theory's Lyapunov spectrum and Activations' f′ used 150 steps (155 with
orthogonal W) where Jacobian products used 300.

The overflow step is taken from torch.nn.RNN with the model's weights copied in (weight_ih = Uᵀ,
weight_hh = Wᵀ, bias_ih = b_h), a forward pass nobody here wrote."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from ui.cached import activations, model, theory
from ui.settings import Settings

S = Settings(T=300, activation="relu", scale=100.0, hidden=8)  # passes float64's range near step 170


def _torch_overflow_step(s: Settings) -> int | None:
    """The first step t whose hidden state torch.nn.RNN (relu) computes as not finite, or None."""
    m, x, _ = model.build(s)
    ref = torch.nn.RNN(m.input_size, m.hidden_size, nonlinearity="relu", dtype=torch.float64)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(m.U.T)
        ref.weight_hh_l0.copy_(m.W.T)
        ref.bias_ih_l0.copy_(m.b_h)
        ref.bias_hh_l0.zero_()
        h, _ = ref(x.to(torch.float64))  # (T, H)
    bad = torch.nonzero(~torch.isfinite(h).all(1))
    return int(bad[0, 0]) + 1 if bad.numel() else None


def _steps_used(s: Settings) -> dict[str, int]:
    """The steps each page analyses for the settings s (uncached calls: no cache is filled here)."""
    return {"jacobian products": model._analysis.__wrapped__(s)["T_used"],
            "activations": activations.fprime_along_trajectory.__wrapped__(s)["values"].size // s.hidden,
            "theory (Lyapunov)": theory.lyapunov.__wrapped__(s)["rnn"]["T_used"]}


def test_relu_is_cut_at_the_same_step_on_every_page():
    t0 = _torch_overflow_step(S)
    assert t0 is not None and t0 < S.T
    used = _steps_used(S)
    assert used == dict.fromkeys(used, t0 - 1), used
    assert model._analysis.__wrapped__(S)["overflow_step"] == t0


@pytest.mark.parametrize("init", ["gaussian", "orthogonal"])
def test_the_linear_rnn_keeps_every_step_on_every_page(init):
    """f′ ≡ 1: the products do not read the overflowed state, so every page keeps all T steps."""
    s = replace(S, activation="linear", init=init)
    used = _steps_used(s)
    assert used == dict.fromkeys(used, s.T), used
    assert model._analysis.__wrapped__(s)["overflow_step"] is not None  # the state did overflow
