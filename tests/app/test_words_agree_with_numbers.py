"""Sentences that state a regime or a rate agree with the numbers their chart draws (issue 20): each test sets
the settings in AppTest, reads the sentence off the page and checks it against a reference computed here from
the model's own weights by closed forms and autograd (‖(Wᵀ)ᵏ‖ by matrix powers, one-step Jacobians
diag(f′(a_t))Wᵀ with f′ in closed form, ∂L/∂h_T by torch.autograd, least squares by numpy), never against
the app's output."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from apptest_helpers import open_app
from lesson_steps import skip  # each Lesson step asks its question first (issue 21): the chart shows on skipping it
from ui.session import lesson
from ui.cached import model
from ui.presets import PRESETS

LESSON, JAC = "pages/lesson.py", "pages/jacobian_products.py"
SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def _ok(at) -> None:
    assert not at.exception, [e.message for e in at.exception]


def log10_of(text: str) -> float:
    """log10 of a number as ui.charts.style.fmt_pow10 prints it: '0.605', '5.2 × 10⁻¹¹', '10³'."""
    m = re.fullmatch(r"(?:([\d.]+) × )?10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", text.strip())
    if m:
        return math.log10(float(m.group(1) or 1.0)) + int(m.group(2).translate(SUP))
    return math.log10(float(text))


def fprime_tanh(a: torch.Tensor) -> torch.Tensor:
    """tanh′(a) = 1 − tanh²(a) = 4e^{−2|a|}/(1 + e^{−2|a|})², the form that stays true for saturated units."""
    e = torch.exp(-2.0 * a.abs())
    return 4.0 * e / (1.0 + e) ** 2


def pre_activations(m, x) -> torch.Tensor:
    """a_t = Uᵀx_t + Wᵀh_{t−1} + b_h for t = 1 … T, (T, n), each from the state h_{t−1} of the model's own
    forward pass (y_hat, h = m(x), held to torch.nn.RNN by tests/rnn). Not from a second run of the recursion:
    at ρ = 100 the few unsaturated units stretch a rounding difference by decades per step, and two runs of
    the same recursion part after some 30 steps."""
    with torch.no_grad():
        _, h = m(x)
        U, W, b = (p.detach().double() for p in (m.U, m.W, m.b_h))
        return x.double() @ U + h[:-1].double() @ W + b


def reference_log10_norms(m, x) -> np.ndarray:
    """log10‖∂h_T/∂h_{T−k}‖₂ for k = 1 … T (entry k − 1), from the one-step Jacobians J_t = diag(f′(a_t)) Wᵀ
    of h_t = f(Uᵀx_t + Wᵀh_{t−1} + b_h) (f′ in closed form), multiplied from the left with a running rescale
    (so nothing overflows), each norm by numpy's SVD."""
    W = m.W.detach().double()
    A = pre_activations(m, x)
    Js = [(fprime_tanh(a) if m.act.name == "tanh" else torch.ones_like(a))[:, None] * W.T for a in A]
    P, logc, out = np.eye(W.shape[0]), 0.0, []
    for J in reversed(Js):  # ∂h_T/∂h_{T−k} = J_T ⋯ J_{T−k+1}
        P = P @ J.numpy()
        c = np.abs(P).max()
        P, logc = P / c, logc + math.log10(c)
        out.append(logc + math.log10(np.linalg.norm(P, 2)))
    return np.array(out)


def fit(logn_by_lag: np.ndarray) -> tuple[float, float, float]:
    """numpy's least-squares line through log10‖·‖ against the lag k over k > min(10, T // 10) (the lags the
    engine documents as fitted): slope, RMS residual, and the change the line makes over those lags."""
    T = logn_by_lag.size
    k = np.arange(1, T + 1, dtype=np.float64)
    keep = k > min(10, T // 10)
    slope, icpt = np.polyfit(k[keep], logn_by_lag[keep], 1)
    r = logn_by_lag[keep] - (icpt + slope * k[keep])
    return float(slope), float(np.sqrt((r * r).mean())), abs(slope) * float(k[keep].max() - k[keep].min())


def sentence(at, start: str) -> str:
    found = [m.value for m in at.markdown if m.value.startswith(start)]
    assert len(found) == 1, [m.value[:80] for m in at.markdown]
    return found[0]


def _lesson_at(step: int, scale: float | None = None):
    at = skip(open_app({"step": step}, LESSON))
    if scale is not None:
        at.select_slider(key="w_scale").set_value(scale).run()
    _ok(at)
    return at


def test_vanishing_step_names_the_regime_and_rate_the_line_keeps():
    """Lesson step 5 as it opens: the regime word, the slope and the rate per step are the reference line's."""
    at = _lesson_at(5)
    text = sentence(at, "Here")
    m, x, _ = model.build(lesson.STEPS[4].settings)
    ref = reference_log10_norms(m, x)
    slope, rms, span = fit(ref)
    assert rms < span and slope < -0.01  # a straight, falling line: vanishing
    got = float(re.search(r"slope \*\*([-−\d.]+)\*\*", text).group(1).replace("−", "-"))
    assert got == pytest.approx(slope, abs=1e-3)
    assert "(**vanishing**)" in text
    rate = float(re.search(r"×([\d.]+) per step", text).group(1))
    assert rate == pytest.approx(10 ** slope, rel=2e-3)
    at50 = log10_of(re.search(r"scaled by \*\*(.+?)\*\*", text).group(1))
    assert at50 == pytest.approx(ref[49], abs=0.03)


def test_vanishing_step_at_scale_100_names_no_regime_the_line_does_not_keep():
    """Issue 20.3: at ρ = 100 the line rises by many decades and falls again (most units saturated). Before,
    the sentence said 'slope −0.03 (vanishing)' beside a chart far above 1; a least-squares line strays from
    these points by more than it changes over them, so the page now says there is no steady rate.

    At ρ = 100 the forward pass is chaotic: W changed by one unit in its last place moves this line by decades
    (its lowest point anywhere from −6.6 to +1.9 over W·(1 + k·1.1e-16), |k| ≤ 10), so the line a machine draws
    depends on its BLAS's rounding. What holds on every machine is asserted: the line reaches far above 1, and
    the sentence says what the line this machine drew says (here, MKL: not a line, RMS 4.5 against a change of
    4.3; a steady line in 1 of those 21 roundings)."""
    at = _lesson_at(5, 100.0)
    assert at.session_state["w_scale"] == 100.0
    text = sentence(at, "Here")
    s = lesson.STEPS[4].settings
    from dataclasses import replace
    m, x, _ = model.build(replace(s, scale=100.0))
    ref = reference_log10_norms(m, x)
    slope, rms, span = fit(ref)
    assert ref.max() > 1  # the reference: far above 1 (the chart that had 'vanishing' beside it)
    if rms > max(1.0, span):  # not a line
        assert "no steady rate" in text and "vanishing" not in text and "exploding" not in text
    else:  # a rounding that draws a steady line: the sentence reads its slope
        assert "no steady rate" not in text and "slope **" in text
    share = float((fprime_tanh(pre_activations(m, x)) < 1e-6).double().mean())  # saturated units
    assert f"{share:.0%} of the values" in text
    assert log10_of(re.search(r"scaled by \*\*(.+?)\*\*", text).group(1)) == pytest.approx(ref[49], abs=0.03)


def test_exploding_step_reads_its_rate_off_the_line_not_the_preset():
    """Issue 20.4: the step said 'grows like 1.2ᵏ' beside 2.3 × 10⁴ at k = 50 (1.2⁵⁰ ≈ 9.1 × 10³). The rate is
    now 10^slope of the measured line and the value at k = 50 is written as that rate to the 50th times the
    rest; both against ‖(Wᵀ)ᵏ‖ by matrix powers (a linear RNN's product of k Jacobians)."""
    assert "1.2^k" not in lesson.STEPS[5].text
    at = _lesson_at(6)
    text = sentence(at, "Here")
    m, _, _ = model.build(lesson.STEPS[5].settings)
    Wt = m.W.detach().double().T
    ref = np.array([math.log10(float(torch.linalg.matrix_norm(torch.linalg.matrix_power(Wt, k), 2)))
                    for k in range(1, 101)])
    slope, _, _ = fit(ref)
    rate = float(re.search(r"×([\d.]+) per step", text).group(1))
    assert rate == pytest.approx(10 ** slope, rel=2e-3)
    at50 = log10_of(re.search(r"scaled by \*\*(.+?)\*\*", text).group(1))
    assert at50 == pytest.approx(ref[49], abs=0.03)
    rest, r, k = re.search(r"\$([\d.]+) \\times ([\d.]+)\^\{(\d+)\}\$", text).groups()
    assert int(k) == 50 and math.log10(float(rest)) + 50 * math.log10(float(r)) == pytest.approx(ref[49], abs=0.05)


def test_exploding_step_says_where_the_orange_gradient_starts():
    """Issue 20.4: the orange line starts near 10⁷ at lag 0; the caption gives ‖∂L/∂h_T‖, checked by autograd."""
    at = _lesson_at(6)
    cap = [c.value for c in at.caption if "starts at lag 0" in c.value]
    assert len(cap) == 1
    m, x, y = model.build(lesson.STEPS[5].settings)
    with torch.no_grad():
        h = torch.zeros(m.W.shape[0], dtype=torch.float64)
        for xt in x.double():
            h = xt @ m.U.double() + h @ m.W.double() + m.b_h.double()  # linear f
    h = h.clone().requires_grad_(True)
    yhat = h @ m.V.double() + m.b_y.double()
    L = 0.5 * ((yhat - y.double()) ** 2).sum()
    (g,) = torch.autograd.grad(L, h)
    want = math.log10(float(g.norm()))
    got = log10_of(re.search(r"here (.+?), and is then", cap[0]).group(1))
    assert got == pytest.approx(want, abs=0.03) and want > 2
    assert "starts high" in cap[0]


def test_truncation_counts_n_plus_one_terms_as_the_engine_keeps():
    """Issue 20.1: Σ_{t=T−N}^{T} has N + 1 terms; the step said 'keeps only the last N steps'. rnn.bptt with
    truncation = 10 has nonzero terms at 11 steps (contract: the step itself and N steps back)."""
    import rnn
    text = lesson.STEPS[8].text
    assert "only the last $N$" not in text and "$N + 1$ terms" in text and "(11 terms)" in text
    m, x, y = model.build(lesson.STEPS[8].settings)
    res = rnn.bptt(m, x, y, truncation=10)
    kept = int((res.per_step["W"].reshape(x.shape[0], -1).abs().sum(1) > 0).sum())
    assert kept == 11
    at = skip(open_app({"step": 9}, LESSON))
    _ok(at)


def test_vanishing_preset_does_not_say_every_step_shrinks():
    """Issue 20.2: at the vanishing preset some single step's Jacobian diag(f′(a_t))Wᵀ has norm above 1 (the W
    arrows on Home), while ‖(Wᵀ)ᵏ‖ shrinks like ρᵏ: the text says ρ bounds the long run, not each step."""
    p = PRESETS["vanishing"]
    assert "every step back multiplies the gradient by less than" not in p.why
    assert "long run" in p.why and "long run" in lesson.STEPS[4].text
    m, x, _ = model.build(p.settings)
    W = m.W.detach().double()
    worst = max(float(torch.linalg.matrix_norm(fprime_tanh(a)[:, None] * W.T, 2)) for a in pre_activations(m, x))
    assert worst > 1.0
    assert float(torch.linalg.matrix_norm(torch.linalg.matrix_power(W.T, 100), 2)) < 1e-5


def test_lstm_preset_says_how_much_its_norm_changes():
    """Issue 20.5: the LSTM preset said its forget gate 'carries the gradient' beside a slope of +0.008; it now
    says the norm changes by about one decade over 100 steps (it grows a little) where the vanilla RNN's loses
    about twenty, both checked with the engine's plain reference loop (held to torch.func.jacrev by
    tests/rnn)."""
    import rnn
    p = PRESETS["lstm"]
    assert "carries the gradient" not in p.why and "one decade" in p.why and "twenty" in p.why
    bias = float(dict(p.page_values)["gate_bias"])
    ln = rnn.jacobians.reference_log10_norms(*model.build(p.settings, "lstm", bias)[:2])
    rn = rnn.jacobians.reference_log10_norms(*model.build(p.settings)[:2])
    assert 0.5 < ln[0] - ln[-1] < 1.5  # entry 0 is lag T: it grew by about a decade
    assert 15 < rn[-1] - rn[0] < 25  # the vanilla RNN lost about twenty


def test_mean_field_says_it_does_not_apply_to_a_saturated_finite_network():
    """Issue 20.6: at g = 100, n = 64, T = 2000 the page said 'theory predicts 0.863; measured −0.273' and
    called the difference a small gap. Most units are saturated (f′ < 10⁻⁶, counted here from the
    trajectory) and the two slopes have opposite signs: the caption now says the theory does not apply."""
    q = {"T": 2000, "scale": 100, "hidden": 64, "scale_kind": "gain", "activation": "tanh", "init": "gaussian"}
    at = open_app(q, JAC)
    _ok(at)
    caps = [c.value for c in at.caption if "ean-field" in c.value]
    assert len(caps) == 1 and "does not apply" in caps[0] and "small gap" not in caps[0], caps
    assert not any("Mean-field theory predicts" in m.value for m in at.markdown)
    from ui.settings import Settings
    m, x, _ = model.build(Settings(**q))
    share = float((fprime_tanh(pre_activations(m, x)) < 1e-6).double().mean())  # saturated units
    assert share > 0.5 and f"{share:.0%} of the values" in caps[0]
    assert "disagree on the direction" in caps[0]


def test_mean_field_still_predicts_where_it_applies():
    """At the defaults (tanh, g = 1, n = 64) the prediction stays, with the distance to the measurement in
    numbers instead of 'a small gap'."""
    at = open_app({}, JAC)
    _ok(at)
    assert any("Mean-field theory predicts" in m.value for m in at.markdown)
    caps = [c.value for c in at.caption if "χ₁" in c.value]
    assert caps and "small gap" not in caps[0] and "decades per step here" in caps[0]


def test_lstm_step_names_each_cells_regime_and_its_norm_at_the_last_lag():
    """Issue 20.5, Lesson step 8: each cell's slope comes with its regime (the engine's classify, each cell's own
    tolerance) and its norm at lag T, the LSTM's checked with the engine's plain reference loop."""
    import rnn
    at = skip(open_app({"step": 8}, LESSON))
    _ok(at)
    text = sentence(at, "vanilla RNN")
    step = lesson.STEPS[7]
    m, x, _ = model.build(step.settings, "lstm", step.options["gate_bias"])
    ref = rnn.jacobians.reference_log10_norms(m, x)  # entry 0 is lag T
    lstm = re.search(r"LSTM: slope \*\*([-\d.]+)\*\* decades per step \((\w+); the norm is (.+?) at lag (\d+)\)",
                     text)
    assert lstm, text
    slope = float(lstm.group(1))
    assert lstm.group(2) == rnn.jacobians.classify(slope, kind="lstm") == "edge"
    assert int(lstm.group(4)) == 100 and log10_of(lstm.group(3)) == pytest.approx(ref[0], abs=0.03)


def test_gated_cells_opens_where_the_gates_hold_the_gradient():
    """Gated cells opens at b = 3 (it opened at b = 1, where all three cells vanish): there the LSTM and the GRU
    are not vanishing (each cell's own tolerance), checked against the engine's plain reference loop."""
    import rnn
    from ui.settings import Settings
    at = open_app({}, "pages/gated_cells.py")
    _ok(at)
    assert at.select_slider(key="p_gate_bias").value == "3"
    for kind in ("lstm", "gru"):
        ref = rnn.jacobians.reference_log10_norms(*model.build(Settings(), kind, 3.0)[:2])
        slope, _, _ = fit(ref[::-1])
        assert rnn.jacobians.classify(slope, kind=kind) != "vanishing"


def test_phase_diagram_says_where_its_outline_is_when_t_is_not_a_row():
    """Issue 20: T = 150 is not a row of the phase diagram (rows ui.limits.PHASE_LENGTHS); the caption says the
    outline marks the nearest row, 200 (150/100 = 1.5 > 200/150 = 1.33), and the chart draws it."""
    from ui.limits import PHASE_LENGTHS
    assert 150 not in PHASE_LENGTHS and 200 in PHASE_LENGTHS
    at = open_app({"T": 150, "hidden": 16}, "pages/phase_diagram.py")
    _ok(at)
    caps = [c.value for c in at.caption if "outline" in c.value]
    assert any("T = 150 is not a row (nearest: 200)" in c for c in caps), caps
    assert any("the current settings" in c and "nearest" not in c for c in caps)  # the activation diagram


def test_jacobian_products_warns_when_its_line_has_no_steady_rate():
    """The same settings as Lesson step 5 at ρ = 100 on Jacobian products: the badge keeps the engine's regime of
    the fitted slope, and a warning says the line strays from it by more than it changes (the reference line
    computed here); at the vanishing preset itself no warning."""
    q = {"T": 100, "activation": "tanh", "scale": 100, "scale_kind": "rho", "init": "gaussian", "input_scale": 0.5}
    at = open_app(q, JAC)
    _ok(at)
    from ui.settings import Settings
    m, x, _ = model.build(Settings(**q))
    slope, rms, span = fit(reference_log10_norms(m, x))
    assert rms > max(1.0, span)
    warns = [w.body for w in at.warning if "not straight" in w.body]
    assert len(warns) == 1
    assert float(re.search(r"stray ([\d.]+) decades", warns[0]).group(1)) == pytest.approx(rms, abs=0.06)
    assert float(re.search(r"the ([\d.]+) decades that slope", warns[0]).group(1)) == pytest.approx(span, abs=0.06)
    at = open_app({k: v for k, v in q.items() if k != "scale"} | {"scale": 0.8}, JAC)
    _ok(at)
    assert not [w.body for w in at.warning if "not straight" in w.body]


def test_jacobian_products_caption_says_where_the_orange_gradient_starts():
    """The exploding preset on Jacobian products: the caption gives ‖∂L/∂h_T‖ (autograd) where the orange line
    starts."""
    p = PRESETS["exploding"]
    from dataclasses import asdict
    at = open_app(asdict(p.settings), JAC)
    _ok(at)
    cap = [c.value for c in at.caption if "starts at lag 0" in c.value]
    assert len(cap) == 1 and "starts high" in cap[0]
    m, x, y = model.build(p.settings)
    with torch.no_grad():
        _, h = m(x)
    hT = h[-1].double().clone().requires_grad_(True)
    L = 0.5 * ((hT @ m.V.double() + m.b_y.double() - y.double()) ** 2).sum()  # linear output
    (g,) = torch.autograd.grad(L, hT)
    got = log10_of(re.search(r"here (.+?), and is then", cap[0]).group(1))
    assert got == pytest.approx(math.log10(float(g.norm())), abs=0.03)
