"""rnn.model (and rnn.device) against references nobody here wrote: torch.nn.RNN, torch.nn.LSTM and
torch.nn.GRU with weights copied by the tests themselves, plus the contract's shapes and errors.
A CUDA class repeats forward / BPTT / Jacobian checks on the GPU against the CPU when one is present."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import rnn
from rnn import GatedRNN, VanillaRNN

F64 = torch.float64


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def randomise(m: nn.Module, seed: int = 0, scale: float = 0.5) -> nn.Module:
    """Give every parameter (biases too, which start at zero) random values."""
    g = gen(seed)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=F64).to(p) * scale)
    return m


def torch_rnn_copy(m: VanillaRNN, seed: int = 123) -> nn.RNN:
    """torch.nn.RNN holding m's numbers, copied here: weight_ih = Uᵀ, weight_hh = Wᵀ, and b_h split into
    two random halves bias_ih + bias_hh = b_h."""
    r = nn.RNN(m.input_size, m.hidden_size, nonlinearity=m.activation, dtype=m.U.dtype, device=m.U.device)
    half = torch.randn(m.hidden_size, generator=gen(seed), dtype=F64).to(m.U)
    with torch.no_grad():
        r.weight_ih_l0.copy_(m.U.detach().T)
        r.weight_hh_l0.copy_(m.W.detach().T)
        r.bias_ih_l0.copy_(half)
        r.bias_hh_l0.copy_(m.b_h.detach() - half)
    return r


# ---------------------------------------------------------------------------------------------------------
# the contract: shapes, Table 1, h_0 = 0

@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear", "leaky_relu"])
def test_shapes_single_and_batched(act):
    m = VanillaRNN(3, 5, 2, activation=act, seed=1, dtype=F64)
    T, B = 7, 4
    x = torch.randn(T, 3, generator=gen(0), dtype=F64)
    y_hat, h = m(x)
    assert y_hat.shape == (T, 2) and h.shape == (T + 1, 5)
    assert torch.equal(h[0], torch.zeros(5, dtype=F64))
    xb = torch.randn(T, B, 3, generator=gen(1), dtype=F64)
    y_hat, h = m(xb)
    assert y_hat.shape == (T, B, 2) and h.shape == (T + 1, B, 5)
    assert torch.equal(h[0], torch.zeros(B, 5, dtype=F64))
    assert y_hat.dtype == F64 and h.dtype == F64


def test_batched_equals_each_sequence_alone():
    m = randomise(VanillaRNN(3, 6, 2, seed=2, dtype=F64), seed=2)
    xb = torch.randn(5, 3, 3, generator=gen(3), dtype=F64)
    y_b, h_b = m(xb)
    for b in range(3):
        y, h = m(xb[:, b])
        torch.testing.assert_close(y, y_b[:, b], rtol=1e-13, atol=1e-13)
        torch.testing.assert_close(h, h_b[:, b], rtol=1e-13, atol=1e-13)


def test_parameters_follow_table_1():
    m = VanillaRNN(3, 5, 2, seed=0, dtype=F64)
    shapes = {name: tuple(p.shape) for name, p in m.named_parameters()}
    assert shapes == {"U": (3, 5), "W": (5, 5), "V": (5, 2), "b_h": (5,), "b_y": (2,)}
    assert isinstance(m, nn.Module)
    assert all(isinstance(p, nn.Parameter) for p in (m.U, m.W, m.V, m.b_h, m.b_y))


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear", "leaky_relu"])
def test_forward_follows_seed_equations_written_here(act):
    """h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h), ŷ_t = g(Vᵀh_t + b_y), with g = f by default (report eqs. 1–2)."""
    f = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "linear": lambda a: a,
         "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, 0.01)}[act]
    m = randomise(VanillaRNN(4, 6, 3, activation=act, seed=3, dtype=F64), seed=5)
    x = torch.randn(9, 4, generator=gen(6), dtype=F64)
    U, W, V, bh, by = (p.detach() for p in (m.U, m.W, m.V, m.b_h, m.b_y))
    h = torch.zeros(6, dtype=F64)
    hs, ys = [h], []
    for t in range(9):
        h = f(U.T @ x[t] + W.T @ h + bh)
        hs.append(h)
        ys.append(f(V.T @ h + by))
    y_hat, H = m(x)
    torch.testing.assert_close(H, torch.stack(hs), rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y_hat, torch.stack(ys), rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------------------
# torch.nn.RNN with copied weights

@pytest.mark.parametrize("act", ["tanh", "relu"])
@pytest.mark.parametrize("batched", [False, True])
def test_forward_equals_torch_nn_rnn(act, batched):
    m = randomise(VanillaRNN(4, 7, 3, activation=act, seed=4, dtype=F64), seed=8)
    r = torch_rnn_copy(m)
    T = 11
    x = torch.randn(*((T, 5, 4) if batched else (T, 4)), generator=gen(9), dtype=F64)
    y_hat, h = m(x)
    with torch.no_grad():
        out, h_n = r(x)
    torch.testing.assert_close(h[1:], out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h[-1], h_n[0], rtol=1e-12, atol=1e-12)
    f = torch.tanh if act == "tanh" else torch.relu
    torch.testing.assert_close(y_hat, f(out @ m.V.detach() + m.b_y.detach()), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_forward_with_h0_equals_torch_nn_rnn(act):
    m = randomise(VanillaRNN(3, 5, 2, activation=act, seed=1, dtype=F64), seed=1)
    r = torch_rnn_copy(m, seed=7)
    x = torch.randn(6, 4, 3, generator=gen(2), dtype=F64)
    h0 = torch.randn(5, generator=gen(3), dtype=F64)
    _, h = m(x, h0)
    with torch.no_grad():
        out, _ = r(x, h0.expand(1, 4, 5).contiguous())
    torch.testing.assert_close(h[0], h0.expand(4, 5), rtol=0, atol=0)
    torch.testing.assert_close(h[1:], out, rtol=1e-12, atol=1e-12)


def test_forward_equals_torch_nn_rnn_float32():
    m = randomise(VanillaRNN(4, 16, 3, seed=4, dtype=torch.float32), seed=8)
    r = torch_rnn_copy(m)
    x = torch.randn(20, 4, generator=gen(9))
    _, h = m(x)
    with torch.no_grad():
        out, _ = r(x)
    torch.testing.assert_close(h[1:], out, rtol=1e-5, atol=1e-5)


def test_to_torch_rnn_agrees_with_forward():
    m = randomise(VanillaRNN(3, 5, 2, seed=0, dtype=F64), seed=4)
    r = m.to_torch_rnn()
    x = torch.randn(8, 3, generator=gen(1), dtype=F64)
    with torch.no_grad():
        out, _ = r(x)
    torch.testing.assert_close(m(x)[1][1:], out, rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError):
        VanillaRNN(3, 5, 2, activation="sigmoid").to_torch_rnn()


# ---------------------------------------------------------------------------------------------------------
# output activation, init options, seeding

def test_output_activation_defaults_to_f_and_is_selectable():
    x = torch.randn(5, 3, generator=gen(0), dtype=F64)
    for act, f in (("tanh", torch.tanh), ("sigmoid", torch.sigmoid), ("relu", torch.relu)):
        m = randomise(VanillaRNN(3, 4, 2, activation=act, seed=0, dtype=F64), seed=3)
        assert m.out_act.name == act
        y_hat, h = m(x)
        o = h[1:] @ m.V.detach() + m.b_y.detach()
        torch.testing.assert_close(y_hat, f(o), rtol=1e-13, atol=1e-13)
        ml = randomise(VanillaRNN(3, 4, 2, activation=act, output_activation="linear", seed=0, dtype=F64),
                       seed=3)
        assert ml.out_act.name == "linear" and ml.act.name == act
        y_lin, h_lin = ml(x)
        torch.testing.assert_close(h_lin, h, rtol=0, atol=0)
        torch.testing.assert_close(y_lin, o, rtol=1e-13, atol=1e-13)


def test_w_init_and_scale_options_reach_the_model():
    m = VanillaRNN(2, 12, 1, init="orthogonal", scale=1.3, scale_kind="rho", seed=5, dtype=F64)
    ev = np.abs(np.linalg.eigvals(m.W.detach().numpy()))
    np.testing.assert_allclose(ev, np.full(12, 1.3), rtol=1e-10)
    m = VanillaRNN(2, 12, 1, init="gaussian", scale=0.7, scale_kind="sigma_max", seed=5, dtype=F64)
    assert np.linalg.svd(m.W.detach().numpy(), compute_uv=False).max() == pytest.approx(0.7, rel=1e-10)
    m = VanillaRNN(2, 4, 1, init="identity", scale=0.9, dtype=F64)
    torch.testing.assert_close(m.W.detach(), 0.9 * torch.eye(4, dtype=F64), rtol=0, atol=0)


def test_seeded_and_leaves_global_rng_alone():
    state = torch.random.get_rng_state()
    a = VanillaRNN(3, 5, 2, seed=42, dtype=F64)
    assert torch.equal(torch.random.get_rng_state(), state)
    torch.manual_seed(999)
    b = VanillaRNN(3, 5, 2, seed=42, dtype=F64)
    c = VanillaRNN(3, 5, 2, seed=43, dtype=F64)
    for (na, pa), (_, pb), (_, pc) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        assert torch.equal(pa, pb), na
        if na in ("U", "W", "V"):
            assert not torch.equal(pa, pc), na


def test_default_dtype_and_explicit_dtype():
    assert VanillaRNN(2, 3, 1).U.dtype == torch.get_default_dtype()
    assert VanillaRNN(2, 3, 1, dtype=torch.float32).W.dtype == torch.float32
    assert VanillaRNN(2, 3, 1, dtype=F64).W.dtype == F64


# ---------------------------------------------------------------------------------------------------------
# GatedRNN against torch.nn.LSTM / torch.nn.GRU built here

def torch_gated_copy(m: GatedRNN) -> nn.RNNBase:
    ref = (nn.LSTM if m.kind == "lstm" else nn.GRU)(m.input_size, m.hidden_size, dtype=F64)
    with torch.no_grad():
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(ref, name).copy_(getattr(m.core, name).detach())
    return ref


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("batched", [False, True])
def test_gated_forward_equals_torch(kind, batched):
    m = GatedRNN(kind, 3, 6, 2, seed=3, scale=1.4, dtype=F64)
    with torch.no_grad():
        m.b_y.copy_(torch.randn(2, generator=gen(1), dtype=F64))
    ref = torch_gated_copy(m)
    x = torch.randn(*((9, 4, 3) if batched else (9, 3)), generator=gen(2), dtype=F64)
    y_hat, h = m(x)
    with torch.no_grad():
        out, _ = ref(x)
    assert h.shape == ((10, 4, 6) if batched else (10, 6))
    assert y_hat.shape == ((9, 4, 2) if batched else (9, 2))
    assert torch.equal(h[0], torch.zeros_like(h[0]))
    torch.testing.assert_close(h[1:], out, rtol=1e-12, atol=1e-12)
    # readout ŷ_t = g(Vᵀh_t + b_y), g linear by default for the gated cells
    torch.testing.assert_close(y_hat, out @ m.V.detach() + m.b_y.detach(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gated_unroll_equals_forward_and_torch_steps(kind):
    m = GatedRNN(kind, 3, 5, 2, seed=8, scale=0.8, dtype=F64)
    ref = torch_gated_copy(m)
    x = torch.randn(7, 2, 3, generator=gen(4), dtype=F64)
    u = m.unroll(x)
    _, h = m(x)
    torch.testing.assert_close(u["h"], h, rtol=1e-12, atol=1e-12)
    if kind == "lstm":  # the cell state too, one torch.nn.LSTM step at a time
        hc = (torch.zeros(1, 2, 5, dtype=F64), torch.zeros(1, 2, 5, dtype=F64))
        cs = [hc[1][0]]
        with torch.no_grad():
            for t in range(7):
                _, hc = ref(x[t:t + 1], hc)
                cs.append(hc[1][0])
        torch.testing.assert_close(u["c"], torch.stack(cs), rtol=1e-12, atol=1e-12)


def test_lstm_forget_bias():
    m = GatedRNN("lstm", 2, 4, 1, forget_bias=1.0, dtype=F64)
    b = m.core.bias_ih_l0 + m.core.bias_hh_l0
    torch.testing.assert_close(b[4:8].detach(), torch.ones(4, dtype=F64), rtol=0, atol=0)


@pytest.mark.parametrize("b", [-2.0, 3.0])
def test_memory_gate_biases_reach_torchs_gates(b):
    """With W_hh = 0 and x = 0, torch's own cells compute the gate from the bias alone: the LSTM's forget
    gate gives c_1 = σ(b)·c_0, the GRU's update gate h_1 = (1 − σ(b))·n + σ(b)·h_0."""
    lstm = GatedRNN("lstm", 2, 3, 1, forget_bias=b, seed=4, dtype=F64)
    gru = GatedRNN("gru", 2, 3, 1, update_bias=b, seed=4, dtype=F64)
    for m in (lstm, gru):
        with torch.no_grad():
            m.core.weight_hh_l0.zero_()
            m.core.weight_ih_l0.zero_()
            keep = slice(3, 6)  # f (i, f, g, o) and z (r, z, n) are both the second gate
            others = torch.ones(m.core.bias_ih_l0.shape, dtype=torch.bool)
            others[keep] = False
            m.core.bias_ih_l0[others] = 0.0
            m.core.bias_hh_l0[others] = 0.0
    x = torch.zeros(1, 1, 2, dtype=F64)
    h0, c0 = torch.full((1, 1, 3), 0.5, dtype=F64), torch.full((1, 1, 3), 2.0, dtype=F64)
    sig = torch.sigmoid(torch.tensor(b, dtype=F64))
    with torch.no_grad():
        _, (_, c1) = lstm.core(x, (h0, c0))
        _, h1 = gru.core(x, h0)
    # LSTM: i = σ(0) = ½, g = tanh(0) = 0, so c_1 = f·c_0.  GRU: n = tanh(0) = 0, so h_1 = z·h_0.
    torch.testing.assert_close(c1, sig * c0, rtol=1e-14, atol=0)
    torch.testing.assert_close(h1, sig * h0, rtol=1e-14, atol=0)


@pytest.mark.parametrize("kw", [{"forget_bias": float("nan")}, {"update_bias": float("inf")}, {"update_bias": "1"}])
def test_memory_gate_bias_must_be_finite(kw):
    with pytest.raises(ValueError, match="finite number"):
        GatedRNN("gru", 2, 3, 1, **kw)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_gated_output_activation_selectable(kind):
    m = GatedRNN(kind, 2, 4, 3, output_activation="sigmoid", seed=1, dtype=F64)
    x = torch.randn(5, 2, generator=gen(0), dtype=F64)
    y_hat, h = m(x)
    torch.testing.assert_close(y_hat, torch.sigmoid(h[1:] @ m.V.detach() + m.b_y.detach()),
                               rtol=1e-13, atol=1e-13)


def test_make_model():
    assert isinstance(rnn.make_model("rnn", 2, 3, 1, activation="relu"), VanillaRNN)
    g = rnn.make_model("lstm", 2, 3, 1, activation="tanh", init="orthogonal")
    assert isinstance(g, GatedRNN) and g.kind == "lstm"
    assert rnn.make_model("gru", 2, 3, 1).kind == "gru"
    # one name a kind: "vanilla" is no alias of "rnn", and the message lists the three kinds
    with pytest.raises(ValueError, match="expected one of rnn, lstm, gru"):
        rnn.make_model("vanilla", 2, 3, 1)


# ---------------------------------------------------------------------------------------------------------
# errors say what was expected and what came

SIZE_ARGS = ["input_size", "hidden_size", "output_size"]


@pytest.mark.parametrize("which", SIZE_ARGS)
@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "3", None])
def test_bad_sizes_raise(which, bad):
    sizes = dict(input_size=3, hidden_size=4, output_size=2)
    sizes[which] = bad
    for make in (lambda: VanillaRNN(**sizes), lambda: GatedRNN("lstm", **sizes),
                 lambda: GatedRNN("gru", **sizes)):
        with pytest.raises(ValueError) as ei:
            make()
        msg = str(ei.value)
        assert which in msg and "expected" in msg and "got" in msg and str(bad) in msg


def test_unknown_activation_and_cell_raise():
    with pytest.raises(ValueError) as ei:
        VanillaRNN(3, 4, 2, activation="swish")
    assert "swish" in str(ei.value) and "tanh" in str(ei.value)
    with pytest.raises(ValueError, match="swish"):
        VanillaRNN(3, 4, 2, output_activation="swish")
    with pytest.raises(ValueError, match="transformer"):
        GatedRNN("transformer", 3, 4, 2)


@pytest.mark.parametrize("shape", [(5, 4), (5,), (5, 2, 3, 3), (0, 3), (5, 0, 3), (5, 2, 2), ()])
def test_wrong_x_shape_raises(shape):
    for m in (VanillaRNN(3, 4, 2, dtype=F64), GatedRNN("gru", 3, 4, 2, dtype=F64)):
        with pytest.raises(ValueError) as ei:
            m(torch.zeros(shape, dtype=F64))
        msg = str(ei.value)
        assert "expected" in msg and "(T, 3)" in msg and f"got {tuple(shape)}" in msg


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1.0])
def test_bad_scale_raises(bad):
    for make in (lambda: VanillaRNN(3, 4, 2, scale=bad), lambda: GatedRNN("lstm", 3, 4, 2, scale=bad)):
        with pytest.raises(ValueError) as ei:
            make()
        msg = str(ei.value)
        assert "expected" in msg and "got" in msg and repr(bad) in msg


# ---------------------------------------------------------------------------------------------------------
# rnn.device

def test_pick_device_auto_is_best_available():
    want = "cuda" if torch.cuda.is_available() else (
        "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    assert rnn.pick_device("auto") == torch.device(want)
    assert rnn.pick_device() == torch.device(want)
    assert rnn.pick_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the fallback on a machine without CUDA")
def test_pick_device_falls_back_to_cpu():
    assert rnn.pick_device("cuda") == torch.device("cpu")


def test_pick_dtype():
    assert rnn.pick_dtype("mps", True) == torch.float32
    assert rnn.pick_dtype(torch.device("mps"), True) == torch.float32
    assert rnn.pick_dtype("cpu", True) == torch.float64
    assert rnn.pick_dtype("cpu", False) == torch.float32
    assert rnn.pick_dtype("cuda", True) == torch.float64


def test_pick_device_unknown_raises():
    with pytest.raises(ValueError, match="cuda"):
        rnn.pick_device("tpu")


# ---------------------------------------------------------------------------------------------------------
# CUDA: the same engine on the GPU agrees with the CPU

@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
class TestCuda:
    def models(self, **kw):
        cpu = randomise(VanillaRNN(3, 8, 2, seed=1, dtype=F64, **kw), seed=2)
        gpu = VanillaRNN(3, 8, 2, seed=1, dtype=F64, device="cuda", **kw)
        gpu.load_state_dict(cpu.state_dict())
        assert gpu.W.device.type == "cuda"
        return cpu, gpu

    @pytest.mark.parametrize("act", ["tanh", "relu", "sigmoid", "linear"])
    def test_forward(self, act):
        cpu, gpu = self.models(activation=act)
        x = torch.randn(12, 4, 3, generator=gen(0), dtype=F64)
        y_c, h_c = cpu(x)
        y_g, h_g = gpu(x.cuda())
        assert y_g.device.type == "cuda"
        torch.testing.assert_close(y_g.cpu(), y_c, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(h_g.cpu(), h_c, rtol=1e-12, atol=1e-12)
        if act in ("tanh", "relu"):
            r = torch_rnn_copy(gpu)
            assert r.weight_hh_l0.device.type == "cuda"
            with torch.no_grad():
                out, _ = r(x.cuda())
            torch.testing.assert_close(out.cpu(), h_c[1:], rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("truncation", [None, 2])
    def test_bptt(self, truncation):
        cpu, gpu = self.models()
        x = torch.randn(10, 3, 3, generator=gen(1), dtype=F64)
        y = torch.randn(3, 2, generator=gen(2), dtype=F64)
        rc = rnn.bptt(cpu, x, y, truncation=truncation)
        rg = rnn.bptt(gpu, x.cuda(), y.cuda(), truncation=truncation)
        assert rg.loss == pytest.approx(rc.loss, rel=1e-12)
        for k in rc.grads:
            assert rg.grads[k].device.type == "cuda"
            torch.testing.assert_close(rg.grads[k].cpu(), rc.grads[k], rtol=1e-10, atol=1e-12)
            torch.testing.assert_close(rg.per_step[k].cpu(), rc.per_step[k], rtol=1e-10, atol=1e-12)
        torch.testing.assert_close(rg.dh.cpu(), rc.dh, rtol=1e-10, atol=1e-12)

    @pytest.mark.parametrize("act", ["tanh", "linear"])
    def test_jacobians(self, act):
        cpu, gpu = self.models(activation=act)
        x = torch.randn(300, 3, generator=gen(3), dtype=F64)
        y = torch.randn(2, generator=gen(4), dtype=F64)
        a = rnn.jacobian_log10_norms(cpu, x)
        b = rnn.jacobian_log10_norms(gpu, x.cuda())
        assert isinstance(b, np.ndarray) and b.dtype == np.float64
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-8)
        np.testing.assert_allclose(rnn.gradient_log10_norms(gpu, x.cuda(), y.cuda()),
                                   rnn.gradient_log10_norms(cpu, x, y), rtol=0, atol=1e-8)
        torch.testing.assert_close(rnn.state_jacobians(gpu, x[:20].cuda()).cpu(),
                                   rnn.state_jacobians(cpu, x[:20]), rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("kind", ["lstm", "gru"])
    def test_gated(self, kind):
        cpu = GatedRNN(kind, 3, 6, 2, seed=1, dtype=F64)
        gpu = GatedRNN(kind, 3, 6, 2, seed=1, dtype=F64, device="cuda")
        gpu.load_state_dict(cpu.state_dict())
        x = torch.randn(50, 3, generator=gen(5), dtype=F64)
        torch.testing.assert_close(gpu(x.cuda())[1].cpu(), cpu(x)[1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(rnn.jacobian_log10_norms(gpu, x.cuda()),
                                   rnn.jacobian_log10_norms(cpu, x), rtol=0, atol=1e-8)

    def test_float32_long_sequence_is_finite(self):
        m = VanillaRNN(4, 128, 2, seed=0, dtype=torch.float32, device="cuda")
        x = torch.randn(1000, 4, generator=gen(6))
        logn = rnn.jacobian_log10_norms(m, x.cuda())
        assert logn.shape == (1000,) and np.isfinite(logn).all()


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_building_a_gated_cell_leaves_the_global_rng_alone(kind):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = rnn.GatedRNN(kind, 3, 5, 2, seed=7)
    assert torch.equal(before, torch.get_rng_state())
    b = rnn.GatedRNN(kind, 3, 5, 2, seed=7)  # and the seed alone fixes the weights
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
