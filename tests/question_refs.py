"""References for the Lesson's questions (ui/questions.py), computed here from the model's own weights and inputs
by torch (torch.nn.RNNCell with copied weights, torch.autograd, torch.func.jacrev), closed forms (a linear RNN's
product is (Wᵀ)ᵏ; σ′ ≤ 1/4) and numpy's least squares, or the engine's plain reference loop (the gated cells),
never by the app's cached functions. Each returns the answer the question should have."""
from __future__ import annotations

import math

import numpy as np
import torch

import rnn
from ui.cached import model

HALF = math.log10(2.0)  # the first question's "about the same": within a factor of 2


def cell_of(m) -> torch.nn.RNNCell:
    """torch.nn.RNNCell (tanh) with the model's weights: weight_ih = Uᵀ, weight_hh = Wᵀ, bias_ih = b_h."""
    assert m.act.name == "tanh"
    n_in, n = m.U.shape
    c = torch.nn.RNNCell(n_in, n, nonlinearity="tanh").double()
    with torch.no_grad():
        c.weight_ih.copy_(m.U.detach().double().T)
        c.weight_hh.copy_(m.W.detach().double().T)
        c.bias_ih.copy_(m.b_h.detach().double())
        c.bias_hh.zero_()
    return c


def states(m, x) -> list[torch.Tensor]:
    """h_0 … h_T by torch's cell (h_0 = 0)."""
    c = cell_of(m)
    h = [torch.zeros(m.W.shape[0], dtype=torch.float64)]
    for xt in x.double():
        h.append(c(xt[None], h[-1][None])[0])
    return h


def loss_of(m, h_T: torch.Tensor, y) -> torch.Tensor:
    """L = ½‖ŷ_T − y‖², ŷ_T = g(Vᵀh_T + b_y) with g = tanh (the model's output activation here)."""
    assert m.out_act.name == "tanh"
    y_hat = torch.tanh(h_T @ m.V.detach().double() + m.b_y.detach().double())
    return 0.5 * ((y_hat - y.double()) ** 2).sum()


def h1_against_hT(s) -> tuple[str, float]:
    """Step 1: log10(‖∂L/∂h_1‖ / ‖∂L/∂h_T‖) by autograd through torch's cell, and the choice it makes."""
    m, x, y = model.build(s)
    c = cell_of(m)
    h = [torch.zeros(m.W.shape[0], dtype=torch.float64, requires_grad=True)]
    for xt in x.double():
        h.append(c(xt[None], h[-1][None])[0])
    for t in h:
        t.retain_grad()
    loss_of(m, h[-1], y).backward()
    r = math.log10(float(h[1].grad.norm()) / float(h[-1].grad.norm()))
    return ("smaller" if r < -HALF else "larger" if r > HALF else "same"), r


def mean_fprime(s) -> float:
    """Step 2: mean tanh′(a_t) = mean(1 − h_t²) over t = 1 … T and every unit, h_t from torch's cell."""
    m, x, _ = model.build(s)
    with torch.no_grad():
        h = torch.stack(states(m, x)[1:])
    return float((1.0 - h * h).mean())


def tanh_log10_norms(s) -> np.ndarray:
    """log10‖∂h_T/∂h_{T−k}‖₂ for k = 1 … T (entry k − 1): each one-step Jacobian by torch.func.jacrev of torch's
    cell, multiplied from the left with a running rescale, each norm by numpy's SVD."""
    m, x, _ = model.build(s)
    c = cell_of(m)
    with torch.no_grad():
        h = states(m, x)
    Js = [torch.func.jacrev(lambda hp, xt=xt: c(xt[None], hp[None])[0])(h[t]) for t, xt in enumerate(x.double())]
    P, logc, out = np.eye(m.W.shape[0]), 0.0, []
    for J in reversed(Js):  # ∂h_T/∂h_{T−k} = J_T ⋯ J_{T−k+1}
        P = P @ J.detach().numpy()
        cmax = np.abs(P).max()
        P, logc = P / cmax, logc + math.log10(cmax)
        out.append(logc + math.log10(np.linalg.norm(P, 2)))
    return np.array(out)


def slope(logn_by_lag: np.ndarray) -> float:
    """numpy's least-squares slope of log10‖·‖ against the lag k over k > min(10, T // 10) (the lags the engine
    documents as fitted; all of them below T = 20)."""
    T = logn_by_lag.size
    k = np.arange(1, T + 1, dtype=np.float64)
    keep = k > (min(10, T // 10) if T >= 20 else 0)
    return float(np.polyfit(k[keep], logn_by_lag[keep], 1)[0])


REGIME_KEYS = {"vanishing": "vanish", "edge": "stay", "exploding": "explode"}


def regime(s) -> tuple[str, float]:
    """Steps 3 and 7: the engine's classify on the slope of the reference norms."""
    sl = slope(tanh_log10_norms(s))
    return REGIME_KEYS[rnn.jacobians.classify(sl)], sl


def sigmoid_bound(s) -> float:
    """Step 4: sup σ′ · σ_max(W), with sup σ′ = 1/4 (σ′(a) = σ(a)(1 − σ(a)), at a = 0) and σ_max by torch's SVD."""
    m, _, _ = model.build(s)
    return 0.25 * float(torch.linalg.svdvals(m.W.detach().double())[0])


def linear_log10_norm(s, k: int) -> float:
    """Step 6: a linear RNN's product of k Jacobians is (Wᵀ)ᵏ: log10 of its spectral norm by matrix powers."""
    m, _, _ = model.build(s)
    assert m.act.name == "linear"
    P = torch.linalg.matrix_power(m.W.detach().double().T, k)
    return math.log10(float(torch.linalg.matrix_norm(P, 2)))


def longest_cell(s, gate_bias: float) -> tuple[str, dict]:
    """Step 8: the cell whose line is flattest (smallest |slope|), each line from the engine's plain reference loop
    (held to torch.func.jacrev by tests/rnn) and numpy's least squares."""
    slopes = {}
    for kind in ("rnn", "lstm", "gru"):
        m, x, _ = model.build(s, kind, gate_bias)
        ref = rnn.jacobians.reference_log10_norms(m, x)  # entry 0 is lag T
        slopes[kind] = slope(ref[::-1].copy())
    return min(slopes, key=lambda k: abs(slopes[k])), slopes


def truncated_cosine(s, N: int) -> float:
    """Step 9: cos(truncated ∂L/∂W, full ∂L/∂W) by autograd through torch's cell; the truncated gradient keeps the
    steps T − N … T, i.e. h_{T−N−1} enters step T − N detached."""
    m, x, y = model.build(s)
    T = x.shape[0]

    def grad_W(cut: int | None) -> torch.Tensor:
        c = cell_of(m)
        h = torch.zeros(m.W.shape[0], dtype=torch.float64)
        for t, xt in enumerate(x.double(), start=1):
            if cut is not None and t == cut:
                h = h.detach()
            h = c(xt[None], h[None])[0]
        loss_of(m, h, y).backward()
        return c.weight_hh.grad.T.flatten()  # ∂L/∂W = (∂L/∂W_hh)ᵀ

    full, part = grad_W(None), grad_W(T - N)
    return float(part @ full / (part.norm() * full.norm()))
