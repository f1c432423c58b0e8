"""rnn.init against numpy.linalg (eig, svd) and closed forms: orthogonality, ρ / σ_max targets, the
gain's entry scale g/√n, the identity, and ValueError for bad scales."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import rnn
from rnn import checks
from rnn import init as rinit


def np_rho(W: torch.Tensor) -> float:
    return float(np.abs(np.linalg.eigvals(W.detach().cpu().double().numpy())).max())


def np_sigma(W: torch.Tensor) -> float:
    return float(np.linalg.svd(W.detach().cpu().double().numpy(), compute_uv=False).max())


@pytest.mark.parametrize("n", [1, 2, 7, 64])
def test_orthogonal_is_orthogonal(n):
    Q = rinit.orthogonal(n, torch.Generator().manual_seed(n))
    assert Q.shape == (n, n) and Q.dtype == torch.float64
    eye = np.eye(n)
    q = Q.numpy()
    np.testing.assert_allclose(q.T @ q, eye, atol=1e-12)
    np.testing.assert_allclose(q @ q.T, eye, atol=1e-12)
    s = np.linalg.svd(q, compute_uv=False)
    np.testing.assert_allclose(s, np.ones(n), atol=1e-12)


@pytest.mark.parametrize("g", [0.5, 1.0, 1.7])
def test_make_recurrent_orthogonal_has_rho_and_sigma_equal_gain(g):
    W = rnn.make_recurrent(32, "orthogonal", scale=g, scale_kind="gain", seed=3)
    q = W.numpy() / g
    np.testing.assert_allclose(q.T @ q, np.eye(32), atol=1e-12)
    assert np_rho(W) == pytest.approx(g, rel=1e-12)
    assert np_sigma(W) == pytest.approx(g, rel=1e-12)


def test_orthogonal_is_seeded_and_varies_with_seed():
    a = rnn.make_recurrent(16, "orthogonal", seed=5)
    b = rnn.make_recurrent(16, "orthogonal", seed=5)
    c = rnn.make_recurrent(16, "orthogonal", seed=6)
    assert torch.equal(a, b)
    assert not torch.allclose(a, c)


@pytest.mark.parametrize("init", ["gaussian", "orthogonal", "identity"])
@pytest.mark.parametrize("target", [0.3, 1.0, 2.5])
@pytest.mark.parametrize("kind", ["rho", "sigma_max"])
def test_scale_hits_target_per_numpy(init, target, kind):
    """ρ by numpy's eig, σ_max by numpy's SVD."""
    ref, ours = {"rho": (np_rho, rnn.spectral_radius), "sigma_max": (np_sigma, rnn.sigma_max)}[kind]
    W = rnn.make_recurrent(24, init, scale=target, scale_kind=kind, seed=11 if kind == "rho" else 12)
    assert ref(W) == pytest.approx(target, rel=1e-10)
    assert ours(W) == pytest.approx(ref(W), rel=1e-12)


def test_scale_recurrent_on_an_arbitrary_matrix_keeps_direction():
    W = torch.randn(10, 10, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for kind, ref in (("rho", np_rho), ("sigma_max", np_sigma)):
        S = rnn.scale_recurrent(W, kind, 0.9)
        assert ref(S) == pytest.approx(0.9, rel=1e-10)
        ratio = (S / W).numpy()
        np.testing.assert_allclose(ratio, np.full_like(ratio, ratio[0, 0]), rtol=1e-12)
    torch.testing.assert_close(rnn.scale_recurrent(W, "gain", 2.0), 2.0 * W, rtol=0, atol=0)


def test_recurrent_stats_matches_numpy():
    W = torch.randn(13, 13, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    st = rnn.recurrent_stats(W)
    assert st["rho"] == pytest.approx(np_rho(W), rel=1e-12)
    assert st["sigma_max"] == pytest.approx(np_sigma(W), rel=1e-12)


@pytest.mark.parametrize("g", [0.5, 1.0, 3.0])
def test_gaussian_gain_gives_entry_std_g_over_sqrt_n(g):
    n = 400  # 160 000 entries: the sample std is within ~0.2 % of the true one
    W = rnn.make_recurrent(n, "gaussian", scale=g, scale_kind="gain", seed=7)
    w = W.numpy().ravel()
    assert abs(w.mean()) < 5 * g / math.sqrt(n) / math.sqrt(w.size)
    assert w.std() == pytest.approx(g / math.sqrt(n), rel=0.02)
    # circular law: ρ ≈ g for large n; σ_max ≈ 2g
    assert np_rho(W) == pytest.approx(g, rel=0.1)
    assert np_sigma(W) == pytest.approx(2 * g, rel=0.1)


@pytest.mark.parametrize("g", [0.0, 0.5, 1.0, 2.0])
def test_identity(g):
    W = rnn.make_recurrent(9, "identity", scale=g, scale_kind="gain")
    torch.testing.assert_close(W, g * torch.eye(9, dtype=torch.float64), rtol=0, atol=0)


def test_dtype_is_respected():
    W = rnn.make_recurrent(8, "orthogonal", dtype=torch.float32)
    assert W.dtype == torch.float32


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), -0.5, "abc", None])
def test_bad_scale_raises_value_error(bad):
    for call in (lambda: rnn.scale_recurrent(torch.eye(3, dtype=torch.float64), "gain", bad),
                 lambda: rnn.scale_recurrent(torch.eye(3, dtype=torch.float64), "rho", bad),
                 lambda: rnn.make_recurrent(4, "gaussian", scale=bad),
                 lambda: checks.number(bad, "scale")):
        with pytest.raises(ValueError) as ei:
            call()
        msg = str(ei.value)
        assert "expected" in msg and "got" in msg and repr(bad) in msg


def test_unknown_init_and_scale_kind_raise():
    with pytest.raises(ValueError, match="gaussian"):
        rnn.make_recurrent(4, "xavier")
    with pytest.raises(ValueError, match="sigma_max"):
        rnn.make_recurrent(4, "gaussian", scale_kind="frobenius")


@pytest.mark.parametrize("n", [0, -1, 2.5, True, "3"])
def test_bad_size_raises(n):
    with pytest.raises(ValueError, match="expected"):
        rnn.make_recurrent(n)


def test_zero_matrix_cannot_be_rescaled_to_nonzero():
    Z = torch.zeros(3, 3, dtype=torch.float64)
    with pytest.raises(ValueError):
        rnn.scale_recurrent(Z, "rho", 1.0)
    assert torch.equal(rnn.scale_recurrent(Z, "rho", 0.0), Z)
