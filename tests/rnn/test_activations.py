"""rnn.activations against references nobody here wrote: torch.autograd for every f′ (including torch's
own convention at the kinks of relu and leaky relu), and a dense grid for γ = sup|f′|."""
from __future__ import annotations

import pytest
import torch

import rnn
from rnn.activations import ACTIVATIONS, get_activation

from reference_activations import ACTS as NAMES
from reference_activations import GAMMA, REF_F


def autograd_derivative(f, a: torch.Tensor) -> torch.Tensor:
    """f′(a) elementwise by torch.autograd (f acts elementwise, so the VJP with ones is the derivative)."""
    a = a.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(f(a).sum(), a)
    return g


def grid(dtype=torch.float64) -> torch.Tensor:
    g = torch.linspace(-20.0, 20.0, 400_001, dtype=dtype)  # step 1e-4, contains 0 exactly
    return torch.cat([g, torch.tensor([0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8], dtype=dtype)])


def test_all_required_activations_are_present():
    assert set(NAMES) <= set(ACTIVATIONS)
    assert rnn.ACTIVATIONS is ACTIVATIONS


@pytest.mark.parametrize("name", NAMES)
def test_f_matches_torch(name):
    act = get_activation(name)
    a = grid()
    torch.testing.assert_close(act.f(a), REF_F[name](a), rtol=0, atol=0)
    torch.testing.assert_close(act(a), REF_F[name](a), rtol=0, atol=0)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_equals_autograd(name):
    act = get_activation(name)
    a = grid()
    want = autograd_derivative(REF_F[name], a)
    got = act.df(a)
    assert got.dtype == a.dtype and got.shape == a.shape
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_equals_autograd_float32(name):
    act = get_activation(name)
    a = grid(torch.float32)
    want = autograd_derivative(REF_F[name], a)
    torch.testing.assert_close(act.df(a), want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_kink_follows_torch_convention(name):
    """At a = 0 (and −0) the derivative is whatever torch.autograd says: relu′(0) = 0, leaky′(0) = slope."""
    act = get_activation(name)
    a = torch.tensor([0.0, -0.0], dtype=torch.float64)
    want = autograd_derivative(REF_F[name], a)
    torch.testing.assert_close(act.df(a), want, rtol=0, atol=0)
    expected_at_zero = {"relu": 0.0, "leaky_relu": 0.01}[name]
    assert want.tolist() == [expected_at_zero, expected_at_zero]


@pytest.mark.parametrize("name", NAMES)
def test_derivative_on_random_batches_and_shapes(name):
    act = get_activation(name)
    a = torch.randn(7, 3, 5, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 4
    torch.testing.assert_close(act.df(a), autograd_derivative(REF_F[name], a), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
def test_gamma_is_sup_of_derivative(name):
    act = get_activation(name)
    assert act.gamma == pytest.approx(GAMMA[name], abs=0)
    a = grid()
    d = autograd_derivative(REF_F[name], a).abs()
    # never above γ anywhere on the grid …
    assert float(d.max()) <= act.gamma + 1e-15
    # … and γ is attained (up to the grid spacing): it is the supremum, not a loose bound
    assert float(d.max()) == pytest.approx(act.gamma, abs=1e-9)
    # the engine's own f′ respects the same bound
    assert float(act.df(a).abs().max()) <= act.gamma + 1e-15


def test_sigmoid_gamma_attained_at_zero_and_tanh_at_zero():
    a = torch.zeros(1, dtype=torch.float64)
    assert float(get_activation("sigmoid").df(a)) == 0.25
    assert float(get_activation("tanh").df(a)) == 1.0


@pytest.mark.parametrize("bad", ["softmax", "", "tanhh", "gelu", "identity"])  # one name an activation: linear
def test_unknown_name_raises_value_error_naming_choices(bad):
    with pytest.raises(ValueError) as ei:
        get_activation(bad)
    msg = str(ei.value)
    assert repr(bad) in msg or bad in msg
    for name in NAMES:
        assert name in msg


def test_get_activation_passes_through_instances_and_aliases():
    act = get_activation("tanh")
    assert get_activation(act) is act
    assert get_activation("TANH") is act
    assert get_activation("leaky-relu") is get_activation("leaky_relu")
