"""The report's vanilla RNN in its own notation (Table 1), and LSTM / GRU cells beside it for comparison
(the report: see rnn/__init__.py and docs/report.md).

    h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h)        (report eq. 1)
    ŷ_t = g(Vᵀh_t + b_y)                     (report eq. 2; the report takes g = f)

Shapes as in Table 1: U (input × hidden), W (hidden × hidden), V (hidden × output), b_h (hidden),
b_y (output). Code keeps one row per time step, so Uᵀx_t is written `x_t @ U` and Wᵀh_{t-1} is `h @ W`.

Each cell's step and its state Jacobian sit side by side in rnn.cells; the models here run those steps.

Relation to torch.nn.RNN (tested in tests/rnn/test_model.py): weight_ih = Uᵀ, weight_hh = Wᵀ and
bias_ih + bias_hh = b_h. The LSTM and GRU follow torch.nn.LSTM / torch.nn.GRU exactly (Hochreiter &
Schmidhuber 1997; Cho et al. 2014), with the same readout V, b_y on top.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from . import cells, checks
from . import init as _init
from .activations import Activation, get_activation

Tensor = torch.Tensor

# activations whose torch function writes into a given tensor (the no-grad forward uses them)
_F_OUT = {"tanh": torch.tanh, "sigmoid": torch.sigmoid}


def as_sequence(x, n_in: int, dtype: torch.dtype, device: torch.device) -> tuple[Tensor, bool]:
    """x as a (T, B, n_in) tensor of the model's dtype and device, and whether it came batched."""
    x = torch.as_tensor(x)
    if x.dim() not in (2, 3) or x.shape[-1] != n_in or x.shape[0] < 1 or (x.dim() == 3 and x.shape[1] < 1):
        raise ValueError(f"expected x of shape (T, {n_in}) or (T, B, {n_in}) with T ≥ 1, got {tuple(x.shape)}")
    if not torch.is_floating_point(x):
        x = x.to(dtype)
    x = x.to(device=device, dtype=dtype)
    return (x, True) if x.dim() == 3 else (x.unsqueeze(1), False)


@dataclass
class Trace:
    """Everything the forward pass computed, batched: x (T, B, in), a (T, B, H) pre-activations,
    h (T+1, B, H) with h[0] = h_0, o (T, B, out) output pre-activations, y_hat (T, B, out)."""

    x: Tensor
    a: Tensor
    h: Tensor
    o: Tensor
    y_hat: Tensor


class VanillaRNN(nn.Module):
    """The report's RNN. Parameters U, W, V, b_h, b_y as in Table 1; h_0 = 0 unless given.

    `m(x)` with x of shape (T, input_size) or (T, B, input_size) returns (y_hat, h): y_hat has T rows
    (ŷ_1 … ŷ_T), h has T+1 rows (h_0 … h_T).

    Initialisation (seeded by `seed` through its own torch.Generator, never the global one):
    U ~ N(0, 1/input), V ~ N(0, 1/hidden), b_h = b_y = 0, W from `init` scaled to `scale` in `scale_kind`
    (see rnn.init). The output activation g defaults to f, as in the report.

    torch.nn.RNN with the same numbers: weight_ih = Uᵀ, weight_hh = Wᵀ, bias_ih + bias_hh = b_h
    (see `to_torch_rnn`).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, activation: str = "tanh",
                 output_activation: str | None = None, seed: int = 0, init: str = "gaussian",
                 scale: float = 1.0, scale_kind: str = "gain", dtype: torch.dtype | None = None,
                 device: torch.device | str | None = None):
        super().__init__()
        n_in = checks.size(input_size, "input_size")
        n_h = checks.size(hidden_size, "hidden_size")
        n_out = checks.size(output_size, "output_size")
        self.act: Activation = get_activation(activation)
        self.out_act: Activation = get_activation(self.act.name if output_activation in (None, "same")
                                                  else output_activation)
        dtype = dtype or torch.get_default_dtype()
        gen = torch.Generator().manual_seed(int(seed))
        W = _init.make_recurrent(n_h, init, scale, scale_kind, generator=gen, dtype=torch.float64)
        U = _init.gaussian(n_in, n_h, 1.0 / math.sqrt(n_in), gen)
        V = _init.gaussian(n_h, n_out, 1.0 / math.sqrt(n_h), gen)
        kw = dict(dtype=dtype, device=device)
        self.U = nn.Parameter(U.to(**kw))  # (input, hidden)
        self.W = nn.Parameter(W.to(**kw))  # (hidden, hidden)
        self.V = nn.Parameter(V.to(**kw))  # (hidden, output)
        self.b_h = nn.Parameter(torch.zeros(n_h, **kw))  # (hidden,)
        self.b_y = nn.Parameter(torch.zeros(n_out, **kw))  # (output,)
        self.input_size, self.hidden_size, self.output_size = n_in, n_h, n_out
        self.kind = "rnn"

    @property
    def activation(self) -> str:
        return self.act.name

    def unroll(self, x, h0: Tensor | None = None) -> Trace:
        """The forward pass, keeping the pre-activations that BPTT and the Jacobians need."""
        x, _ = as_sequence(x, self.input_size, self.U.dtype, self.U.device)
        T, B, _ = x.shape  # (T, B, in)
        H = self.hidden_size
        if h0 is None:
            h_prev = x.new_zeros(B, H)
        else:
            h_prev = torch.as_tensor(h0, dtype=x.dtype, device=x.device).expand(B, H)
        # Uᵀx_t + b_h for every t in one product                        (T, B, H)
        xu = x @ self.U + self.b_h
        # one view per step: under autograd, unbind's backward stacks the T gradients once, where indexing
        # xu[t] would give every step its own (T, B, H) zero tensor to fill (O(T²) work in backward)
        xu_t = xu.unbind(0)
        W, f = self.W, self.act.f  # looked up once, not once per step
        if torch.is_grad_enabled():
            a_list, h_list = [], [h_prev]
            for t in range(T):
                # h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h)                               (report eq. 1)
                a_t, h_t = cells.rnn_step(xu_t[t], h_list[-1], W, f)
                a_list.append(a_t)
                h_list.append(h_t)
            a = torch.stack(a_list)  # (T, B, H)
            h = torch.stack(h_list)  # (T+1, B, H)
        else:
            # cells.rnn_step's two operations, written straight into (T, B, H) buffers: a_t in place of
            # Uᵀx_t + b_h (xu is this call's own tensor), the same product added as addmm(xu_t, …) adds it
            a = xu
            h = x.new_empty(T + 1, B, H)
            h[0] = h_prev
            a_v, h_v = xu_t, h.unbind(0)
            f_out = _F_OUT.get(self.act.name)
            for t in range(T):
                # a_t = Uᵀx_t + Wᵀh_{t-1} + b_h                                  (report eq. 1)
                a_v[t].addmm_(h_v[t], W)
                # h_t = f(a_t)
                if f_out is not None:
                    f_out(a_v[t], out=h_v[t + 1])
                else:
                    h_v[t + 1].copy_(f(a_v[t]))
        # o_t = Vᵀh_t + b_y;  ŷ_t = g(o_t)                                    (report eq. 2)
        o = h[1:] @ self.V + self.b_y  # (T, B, out)
        return Trace(x, a, h, o, self.out_act.f(o))

    def forward(self, x, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        batched = torch.as_tensor(x).dim() == 3
        tr = self.unroll(x, h0)
        if batched:
            return tr.y_hat, tr.h
        return tr.y_hat[:, 0], tr.h[:, 0]

    def to_torch_rnn(self) -> nn.RNN:
        """A torch.nn.RNN (tanh or relu) holding the same numbers: weight_ih = Uᵀ, weight_hh = Wᵀ,
        bias_ih = b_h, bias_hh = 0."""
        if self.act.name not in ("tanh", "relu"):
            raise ValueError(f"torch.nn.RNN has tanh and relu only, this model uses {self.act.name!r}")
        r = nn.RNN(self.input_size, self.hidden_size, nonlinearity=self.act.name,
                   dtype=self.U.dtype, device=self.U.device)
        with torch.no_grad():
            r.weight_ih_l0.copy_(self.U.T)
            r.weight_hh_l0.copy_(self.W.T)
            r.bias_ih_l0.copy_(self.b_h)
            r.bias_hh_l0.zero_()
        return r


GATED = ("lstm", "gru")


class GatedRNN(nn.Module):
    """An LSTM or GRU (torch.nn.LSTM / torch.nn.GRU, one layer) with the report's readout
    ŷ_t = g(Vᵀh_t + b_y) on top. `m(x)` returns (y_hat, h) like VanillaRNN; `unroll` also returns the
    cell states and gates that the state Jacobians need.

    Initialisation: torch's default for the cell (uniform ±1/√hidden), drawn from `seed` through the
    model's own generator (the global RNG is never touched); with `scale` ≠ 1 the recurrent matrices
    weight_hh are multiplied by it (the trainer passes the sidebar's scale; the analysis pages compare the
    cells at torch's own init, scale 1). The LSTM's forget-gate bias starts at `forget_bias` (1 by default,
    Jozefowicz et al. 2015); the GRU's update-gate bias at `update_bias` when one is given (else torch's
    init). These are the gates that keep the old state: f in c_t = f ⊙ c_{t-1} + i ⊙ g, z in
    h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}, so a large bias starts the cell remembering.
    """

    def __init__(self, kind: str, input_size: int, hidden_size: int, output_size: int,
                 output_activation: str = "linear", seed: int = 0, scale: float = 1.0,
                 forget_bias: float = 1.0, update_bias: float | None = None,
                 dtype: torch.dtype | None = None,
                 device: torch.device | str | None = None):
        super().__init__()
        kind = checks.choice(kind, "gated cell", GATED, key=str(kind).lower())
        n_in = checks.size(input_size, "input_size")
        n_h = checks.size(hidden_size, "hidden_size")
        n_out = checks.size(output_size, "output_size")
        s = checks.number(scale, "scale")
        for name, v in (("forget_bias", forget_bias), ("update_bias", update_bias)):
            if v is not None:
                checks.finite(v, name)
        dtype = dtype or torch.get_default_dtype()
        self.kind, self.input_size, self.hidden_size, self.output_size = kind, n_in, n_h, n_out
        self.out_act = get_activation(output_activation)
        gen = torch.Generator().manual_seed(int(seed))
        n_gates = 4 if kind == "lstm" else 3
        k = 1.0 / math.sqrt(n_h)

        def uni(*shape):
            return (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * k

        # torch's constructor draws a default init from the global RNG; fork_rng puts its state back, and
        # every weight is then written from `gen` just below
        with torch.random.fork_rng(devices=[]):
            core = (nn.LSTM if kind == "lstm" else nn.GRU)(n_in, n_h, dtype=dtype, device=device)
        with torch.no_grad():
            core.weight_ih_l0.copy_(uni(n_gates * n_h, n_in))
            core.weight_hh_l0.copy_(uni(n_gates * n_h, n_h) * s)
            core.bias_ih_l0.copy_(uni(n_gates * n_h))
            core.bias_hh_l0.copy_(uni(n_gates * n_h))
            # the gate that keeps the old state is the second in torch's order: f in (i, f, g, o), z in (r, z, n)
            keep = forget_bias if kind == "lstm" else update_bias
            if keep is not None:
                core.bias_ih_l0[n_h:2 * n_h] = keep
                core.bias_hh_l0[n_h:2 * n_h] = 0.0
        self.core = core
        kw = dict(dtype=dtype, device=device)
        self.V = nn.Parameter(_init.gaussian(n_h, n_out, 1.0 / math.sqrt(n_h), gen).to(**kw))
        self.b_y = nn.Parameter(torch.zeros(n_out, **kw))

    @property
    def activation(self) -> str:
        return self.kind

    @property
    def state_size(self) -> int:
        """Size of the full recurrent state: (h, c) for the LSTM, h for the GRU."""
        return 2 * self.hidden_size if self.kind == "lstm" else self.hidden_size

    def forward(self, x, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        p = self.core.weight_hh_l0
        xs, batched = as_sequence(x, self.input_size, p.dtype, p.device)
        B = xs.shape[1]
        z = xs.new_zeros(1, B, self.hidden_size)
        hx = z if h0 is None else torch.as_tensor(h0, dtype=xs.dtype, device=xs.device).expand_as(z)
        out, _ = self.core(xs, (hx, torch.zeros_like(z)) if self.kind == "lstm" else hx)
        h = torch.cat([hx, out])  # (T+1, B, H)
        y = self.out_act.f(out @ self.V + self.b_y)
        return (y, h) if batched else (y[:, 0], h[:, 0])

    def unroll(self, x) -> dict[str, Tensor]:
        """Step-by-step forward with torch's gate equations, keeping what the Jacobians need.
        Returns h (T+1, B, H), for the LSTM c (T+1, B, H) and gates i, f, g, o (T, B, H) each, for
        the GRU gates r, z, n (T, B, H) and hn = W_hn h_{t-1} + b_hn (T, B, H)."""
        xs, _ = as_sequence(x, self.input_size, self.core.weight_hh_l0.dtype, self.core.weight_hh_l0.device)
        T, B, _ = xs.shape
        gx = self.input_side(xs).unbind(0)  # (T, B, gates·H)
        W_hh, b_hh = self.core.weight_hh_l0, self.core.bias_hh_l0
        W_hhT = W_hh.T.contiguous() if self.kind == "lstm" else None  # made once (cells.lstm_step)
        h = [xs.new_zeros(B, self.hidden_size)]
        if self.kind == "lstm":
            names, c = "ifgo", [torch.zeros_like(h[0])]
        else:
            names = ("r", "z", "n", "hn")
        saved: list[tuple] = []
        for t in range(T):
            if self.kind == "lstm":
                # c_t = f ⊙ c_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(c_t)
                h_t, c_t, gates = cells.lstm_step(gx[t], h[-1], c[-1], W_hh, W_hhT)
                c.append(c_t)
            else:
                # h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
                h_t, gates = cells.gru_step(gx[t], h[-1], W_hh, b_hh)
            h.append(h_t)
            saved.append(gates)
        res = {k: torch.stack(v) for k, v in zip(names, zip(*saved))}
        res["h"] = torch.stack(h)
        if self.kind == "lstm":
            res["c"] = torch.stack(c)
        return res

    def input_side(self, x: Tensor) -> Tensor:
        """The input side of every step in one product (T, B, gates·H): W_ih x_t + b_ih, plus b_hh for the
        LSTM (the GRU's b_hn acts inside r ⊙ (·), so its cell adds b_hh itself)."""
        W_ih, b = self.input_terms()
        # one product, the bias added in it: the (T·B, in) rows of x times W_ihᵀ, + b
        return torch.addmm(b, x.reshape(-1, x.shape[-1]), W_ih.T).unflatten(0, x.shape[:-1])

    def input_terms(self) -> tuple[Tensor, Tensor]:
        """(W_ih, b) of `input_side`: b = b_ih + b_hh for the LSTM, b_ih for the GRU."""
        c = self.core
        return c.weight_ih_l0, (c.bias_ih_l0 + c.bias_hh_l0 if self.kind == "lstm" else c.bias_ih_l0)


def make_model(kind: str, input_size: int, hidden_size: int, output_size: int, **kw) -> nn.Module:
    """A VanillaRNN for kind "rnn" (keywords as VanillaRNN), or a GatedRNN for "lstm" / "gru"."""
    kind = checks.choice(kind, "model kind", ("rnn", "lstm", "gru"))
    if kind == "rnn":
        return VanillaRNN(input_size, hidden_size, output_size, **kw)
    for k in ("activation", "init", "scale_kind"):
        kw.pop(k, None)
    return GatedRNN(kind, input_size, hidden_size, output_size, **kw)
