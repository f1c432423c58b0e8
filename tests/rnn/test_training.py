"""The chunked trainer against references written elsewhere: the model's own forward with autograd, the
update rules θ − α∇L and torch.optim.Adam, torch's clipping, rnn.bptt's truncated gradients and
rnn.jacobians' hand-written state Jacobians for ‖∂L/∂h_t‖."""
import copy
import math

import numpy as np
import pytest
import torch

from rnn.bptt import autograd_grads
from rnn.init import sigma_max, spectral_radius
from rnn.jacobians import gradient_log10_norms
from rnn.training import SCALARS, TrainConfig, Trainer


def small(**kw):
    base = dict(T=8, batch_size=4, hidden_size=6, seed=0)
    base.update(kw)
    return TrainConfig(**base)


def next_batch(tr):
    """The batch the trainer will draw next, from a copy of its generator."""
    g = torch.Generator()
    g.set_state(tr.generator.get_state())
    return tr.task.batch(tr.config.T, tr.config.batch_size, g, tr.dtype, tr.device)


def reference_loss_and_grads(tr, x, y):
    """The batch-mean loss at step T through the model's own forward, differentiated by autograd."""
    m = tr.model
    y_hat, _ = m(x)
    out = y_hat[-1]  # (B, out)
    if tr.task.kind == "regression":
        loss = 0.5 * ((out - y) ** 2).sum(-1).mean()
    else:
        loss = torch.nn.functional.cross_entropy(out, y)
    params = list(m.parameters())
    grads = torch.autograd.grad(loss, params)
    return float(loss.detach()), [g.detach() for g in grads]


def total_norm(gs):
    return float(torch.sqrt(sum((g.double() ** 2).sum() for g in gs)))


# ----------------------------------------------------------------------------------------------------------
# the update rules

@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("task", ["adding", "remember_first"])
def test_sgd_step_is_theta_minus_alpha_grad(model, task):
    tr = Trainer(small(model=model, task=task, optimizer="sgd", lr=0.3, activation="tanh"))
    x, y = next_batch(tr)
    loss, grads = reference_loss_and_grads(tr, x, y)
    before = [p.detach().clone() for p in tr.model.parameters()]
    out = tr.train(1)
    assert out["loss"][0] == pytest.approx(loss, rel=1e-12)
    assert out["grad_norm"][0] == pytest.approx(total_norm(grads), rel=1e-10)
    assert out["updated"][0] and not out["clipped"][0]
    for p, p0, g in zip(tr.model.parameters(), before, grads):
        # θ ← θ − α ∂L/∂θ   (report eqs. 19–23)
        torch.testing.assert_close(p.detach(), p0 - 0.3 * g, rtol=1e-12, atol=1e-14)


def test_adam_step_matches_torch_adam():
    tr = Trainer(small(model="rnn", optimizer="adam", lr=0.05))
    ref = copy.deepcopy(tr.model)
    opt = torch.optim.Adam(ref.parameters(), lr=0.05)
    for _ in range(3):
        x, y = next_batch(tr)
        y_hat, _ = ref(x)
        loss = 0.5 * ((y_hat[-1] - y) ** 2).sum(-1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        tr.train(1)
    for p, q in zip(tr.model.parameters(), ref.parameters()):
        torch.testing.assert_close(p.detach(), q.detach(), rtol=1e-10, atol=1e-12)


# ----------------------------------------------------------------------------------------------------------
# clipping

@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_clip_by_norm(model):
    c = 0.01
    tr = Trainer(small(model=model, optimizer="sgd", lr=0.5, clip="norm", clip_threshold=c, scale=1.5))
    x, y = next_batch(tr)
    _, grads = reference_loss_and_grads(tr, x, y)
    pre = total_norm(grads)
    assert pre > c  # so clipping acts
    before = [p.detach().clone() for p in tr.model.parameters()]
    out = tr.train(1)
    assert out["grad_norm"][0] == pytest.approx(pre, rel=1e-10)
    assert out["grad_norm_clipped"][0] <= c * (1 + 1e-12)
    assert out["grad_norm_clipped"][0] == pytest.approx(c, rel=1e-3)
    assert out["clipped"][0]
    # the update is θ − α·g·c/‖g‖ (Pascanu et al. 2013)
    moved = total_norm([(p0 - p.detach()) / 0.5 for p, p0 in zip(tr.model.parameters(), before)])
    assert moved == pytest.approx(out["grad_norm_clipped"][0], rel=1e-8)
    for p, p0, g in zip(tr.model.parameters(), before, grads):
        torch.testing.assert_close(p0 - p.detach(), 0.5 * g * (c / pre), rtol=1e-5, atol=1e-14)


def test_clip_by_norm_leaves_small_gradients_alone():
    tr = Trainer(small(optimizer="sgd", lr=0.1, clip="norm", clip_threshold=1e6))
    out = tr.train(3)
    assert not out["clipped"].any()
    np.testing.assert_array_equal(out["grad_norm"], out["grad_norm_clipped"])


def test_clip_by_value():
    c = 1e-3
    tr = Trainer(small(optimizer="sgd", lr=1.0, clip="value", clip_threshold=c, scale=1.5))
    x, y = next_batch(tr)
    _, grads = reference_loss_and_grads(tr, x, y)
    before = [p.detach().clone() for p in tr.model.parameters()]
    out = tr.train(1)
    assert out["clipped"][0]
    clamped = [g.clamp(-c, c) for g in grads]
    assert out["grad_norm_clipped"][0] == pytest.approx(total_norm(clamped), rel=1e-10)
    for p, p0, g in zip(tr.model.parameters(), before, clamped):
        torch.testing.assert_close(p0 - p.detach(), g, rtol=1e-10, atol=1e-15)


# ----------------------------------------------------------------------------------------------------------
# truncation and the per-state gradient norms

@pytest.mark.parametrize("N", [0, 1, 3, 6, 7, 20])
def test_truncation_cuts_the_gradient_n_plus_one_states_back(N):
    T = 8
    tr = Trainer(small(T=T, truncation=N, optimizer="sgd", lr=1.0))
    x, y = next_batch(tr)
    ref = autograd_grads(tr.model, x, y, truncation=N)  # rnn.bptt's reference (loss summed over the batch)
    before = {k: getattr(tr.model, k).detach().clone() for k in ref}
    out = tr.train(1)
    lag = out["grad_h_norm"][0]  # ‖∂L/∂h_t‖, t = 0 … T
    cut = max(T - N - 1, 0)
    assert np.all(lag[:cut] == 0.0)
    assert np.all(lag[cut:] > 0.0)
    B = tr.config.batch_size
    for k, g in ref.items():
        torch.testing.assert_close(before[k] - getattr(tr.model, k).detach(), g / B, rtol=1e-10, atol=1e-14)


def test_truncation_zero_keeps_only_the_last_step():
    tr = Trainer(small(T=12, truncation=0))
    lag = tr.train(2)["grad_h_norm"]
    assert lag.shape == (2, 13)
    assert np.all(lag[:, :11] == 0.0) and np.all(lag[:, 11:] > 0.0)


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_state_gradient_norms_match_hand_jacobians(model):
    """With one sequence, ‖∂L/∂s_t‖ equals rnn.jacobians' ∂L/∂h_T · ∏ ∂s_j/∂s_{j-1} (state (h, c) for the
    LSTM), which is written out by hand from the gate equations."""
    T = 10
    tr = Trainer(small(T=T, batch_size=1, model=model, hidden_size=5, scale=1.2))
    x, y = next_batch(tr)
    want = gradient_log10_norms(tr.model, x[:, 0], y[0])  # (T+1,)
    got = np.log10(tr.train(1)["grad_h_norm"][0])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-10)


def test_state_gradient_norm_is_a_per_sequence_mean():
    """Column t is mean_b ‖∂L_b/∂h_t⁽ᵇ⁾‖: the batch-of-3 value is the mean of three batch-of-1 values."""
    cfg = small(T=6, batch_size=3)
    tr = Trainer(cfg)
    x, y = next_batch(tr)
    got = tr.train(1)["grad_h_norm"][0]
    fresh = Trainer(cfg)
    per = []
    for b in range(3):
        per.append(10 ** gradient_log10_norms(fresh.model, x[:, b], y[b]))
    np.testing.assert_allclose(got, np.mean(per, axis=0), rtol=1e-10)


# ----------------------------------------------------------------------------------------------------------
# learning, determinism, divergence

def test_learns_the_adding_problem():
    tr = Trainer(TrainConfig(task="adding", T=10, batch_size=32, model="rnn", hidden_size=32,
                             activation="tanh", init="orthogonal", optimizer="adam", lr=0.01, seed=0))
    out = tr.train(150)
    chance = tr.task.chance_loss  # ½·MSE of always predicting 1 = 1/12 (MSE 0.167)
    assert out["loss"][:10].mean() > chance
    assert out["loss"][-30:].mean() < 0.5 * chance
    assert out["accuracy"][-30:].mean() > tr.task.chance_accuracy


def test_learns_remember_first():
    tr = Trainer(TrainConfig(task="remember_first", T=8, batch_size=32, model="rnn", hidden_size=32,
                             optimizer="adam", lr=0.01, seed=0))
    out = tr.train(100)
    assert out["loss"][:5].mean() > 0.9 * tr.task.chance_loss  # ln 8 at the start
    assert out["loss"][-20:].mean() < 0.2 * tr.task.chance_loss
    assert out["accuracy"][-20:].mean() > 0.9


def test_same_seed_same_curve_and_chunks_do_not_matter():
    cfg = small(model="lstm", optimizer="adam", lr=0.02, clip="norm", clip_threshold=0.5)
    a = Trainer(cfg).train(12)
    t = Trainer(cfg)
    parts = [t.train(5), t.train(0), t.train(7)]
    b = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    np.testing.assert_array_equal(a["step"], np.arange(1, 13))
    c = Trainer(small(model="lstm", optimizer="adam", lr=0.02, clip="norm", clip_threshold=0.5, seed=1)).train(12)
    assert not np.array_equal(a["loss"], c["loss"])


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_global_rng_untouched_by_training(model):
    before = torch.random.get_rng_state()
    tr = Trainer(small(model=model))
    if model == "rnn":  # (GatedRNN's nn.LSTM / nn.GRU draw their throw-away default init globally)
        assert torch.equal(before, torch.random.get_rng_state())
    before = torch.random.get_rng_state()
    tr.train(2)
    assert torch.equal(before, torch.random.get_rng_state())


def test_exploding_run_is_recorded_not_raised():
    tr = Trainer(TrainConfig(task="adding", T=50, batch_size=8, model="rnn", hidden_size=16, activation="linear",
                             init="orthogonal", scale=3.0, optimizer="sgd", lr=1.0))
    out = tr.train(20)
    assert tr.diverged and tr.diverged_at == int(out["step"][-1])
    n = len(out["loss"])
    assert 1 <= n < 20
    assert not out["updated"][-1] and out["updated"][:-1].all()
    assert not (math.isfinite(out["loss"][-1]) and math.isfinite(out["grad_norm"][-1]))
    # which one it was, as the record says
    assert tr.diverged_what == ("gradient" if math.isfinite(out["loss"][-1]) else "loss")
    frozen = [p.detach().clone() for p in tr.model.parameters()]
    later = tr.train(5)
    assert all(len(v) == 0 for v in later.values())
    assert later["grad_h_norm"].shape == (0, 51)
    for p, q in zip(tr.model.parameters(), frozen):
        torch.testing.assert_close(p.detach(), q, rtol=0, atol=0, equal_nan=True)
    assert len(tr.history()["loss"]) == n


def test_a_finite_loss_whose_gradient_overflows_is_said_to_be_the_gradient():
    """relu at ρ = 100 in float64: the first loss is a number (about 1e177), its gradient overflows, so the run
    stops for its gradient, not its loss (the page said 'the loss stopped being finite' beside a loss of 4e175);
    and the same in float32, whose state overflows, stops for its loss."""
    tr = Trainer(TrainConfig(task="adding", T=50, batch_size=8, model="rnn", hidden_size=32, activation="relu",
                             init="gaussian", scale=100.0, optimizer="sgd", lr=1.0, dtype="float64"))
    out = tr.train(3)
    assert tr.diverged and tr.diverged_at == 1
    assert math.isfinite(out["loss"][-1]) and not math.isfinite(out["grad_norm"][-1])
    assert tr.diverged_what == "gradient"
    tr = Trainer(TrainConfig(task="adding", T=50, batch_size=8, model="rnn", hidden_size=32, activation="relu",
                             init="gaussian", scale=100.0, optimizer="sgd", lr=1.0, dtype="float32"))
    out = tr.train(3)
    assert tr.diverged and not math.isfinite(out["loss"][-1]) and tr.diverged_what == "loss"


def test_clipping_tames_the_same_explosion_for_a_while():
    tr = Trainer(TrainConfig(task="adding", T=50, batch_size=8, model="rnn", hidden_size=16, activation="linear",
                             init="orthogonal", scale=1.05, optimizer="sgd", lr=0.01, clip="norm",
                             clip_threshold=1.0))
    out = tr.train(5)
    assert not tr.diverged
    assert (out["grad_norm_clipped"] <= 1.0 + 1e-12).all()


# ----------------------------------------------------------------------------------------------------------
# metrics, history, config

def test_metric_shapes_and_matrix_stats():
    tr = Trainer(small(model="rnn", init="orthogonal", scale=0.9, scale_kind="rho"))
    W0 = tr.model.W.detach().clone()
    out = tr.train(3)
    assert set(out) == set(SCALARS) | {"grad_h_norm"}
    for k in SCALARS:
        assert out[k].shape == (3,), k
    assert out["grad_h_norm"].shape == (3, 9)
    # ρ, σ_max are those of the matrix that produced the step's loss (before its update)
    assert out["rho"][0] == pytest.approx(spectral_radius(W0)) == pytest.approx(0.9)
    assert out["sigma_max"][0] == pytest.approx(sigma_max(W0))
    assert out["sigma_max"][1] == pytest.approx(sigma_max(tr.model.W.detach()), abs=1) and \
        out["sigma_max"][1] != out["sigma_max"][0]


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_without_matrix_stats_only_rho_and_sigma_max_go_missing(model):
    """matrix_stats=False (the Text page, which never shows them) leaves ρ and σ_max NaN and every other
    number of the run exactly as with them."""
    on, off = Trainer(small(model=model)).train(4), Trainer(small(model=model, matrix_stats=False)).train(4)
    for k in ("rho", "sigma_max"):
        assert np.isfinite(on[k]).all() and np.isnan(off[k]).all(), k
    for k in set(on) - {"rho", "sigma_max"}:
        np.testing.assert_array_equal(on[k], off[k], err_msg=k)


def test_gated_matrix_stats_use_the_candidate_block():
    tr = Trainer(small(model="lstm", hidden_size=4))
    H = 4
    whh = tr.model.core.weight_hh_l0.detach().clone()
    out = tr.train(1)
    assert out["rho"][0] == pytest.approx(spectral_radius(whh[2 * H:3 * H]))
    assert out["sigma_max"][0] == pytest.approx(sigma_max(whh[2 * H:3 * H]))
    assert "sigma_max_hh" not in out  # never drawn: no SVD of the whole weight_hh a step


def test_history_is_bounded():
    tr = Trainer(small(history_size=5, lag_every=2, lag_history=3))
    tr.train(7)
    tr.train(4)
    h = tr.history()
    np.testing.assert_array_equal(h["step"], np.arange(7, 12))
    np.testing.assert_array_equal(h["lag_step"], [6, 8, 10])
    assert h["grad_h_norm"].shape == (3, 9)
    assert tr.steps_done == 11


def test_float32_and_classification():
    tr = Trainer(small(task="remember_first", model="gru", dtype="float32", optimizer="adam"))
    out = tr.train(3)
    assert tr.dtype == torch.float32 and tr.model.V.dtype == torch.float32
    assert abs(out["loss"][0] - math.log(8)) < 0.5
    assert ((out["accuracy"] >= 0) & (out["accuracy"] <= 1)).all()


@pytest.mark.parametrize("field,value,match", [
    ("task", "copy", "unknown task 'copy'"),
    ("T", 1, "expected T to be an integer ≥ 2, got 1"),
    ("batch_size", 0, "expected batch_size to be an integer ≥ 1, got 0"),
    ("model", "transformer", "unknown model 'transformer'; expected one of rnn, lstm, gru"),
    ("hidden_size", 0, "hidden_size"),
    ("activation", "softplus", "unknown activation"),
    ("init", "xavier", "unknown init"),
    ("scale", -1.0, "expected scale"),
    ("scale_kind", "frobenius", "unknown scale kind"),
    ("optimizer", "rmsprop", "unknown optimizer 'rmsprop'; expected one of sgd, adam"),
    ("lr", 0.0, "expected lr to be a finite number > 0, got 0.0"),
    ("lr", float("nan"), "expected lr"),
    ("clip", "global", "unknown clip"),
    ("clip_threshold", -1, "expected clip_threshold"),
    ("truncation", -1, "truncation"),
    ("seed", 1.5, "expected seed to be an integer"),
    ("device", "tpu", "unknown device"),
    ("dtype", "float16", "unknown dtype"),
    ("history_size", 0, "history_size"),
])
def test_config_errors(field, value, match):
    with pytest.raises(ValueError, match=match):
        Trainer(small(**{field: value}))


def test_train_k_validated():
    tr = Trainer(small())
    with pytest.raises(ValueError, match="expected k to be an integer ≥ 0, got -1"):
        tr.train(-1)


def test_overrides_and_normalised_config():
    tr = Trainer(small(), model="LSTM", dtype=torch.float64, task="Remember-First")
    assert tr.config.model == "lstm" and tr.config.dtype == "float64" and tr.config.task == "remember_first"
    assert hash(tr.config) == hash(tr.config.validated())


# ---------------------------------------------------------------------------------------------------------
# reading the model between steps: the Trainer's public API (rnn.text uses it)

@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_run_and_stepper_are_the_models_own_forward(model):
    """Trainer.run's last state is torch's: the vanilla RNN's h_T from torch.nn.RNN with weight_ih = Uᵀ,
    weight_hh = Wᵀ, bias_ih = b_h; the gated cells' (h_T, c_T) / h_T from their torch.nn.LSTM / GRU core;
    and stepping through input_side's rows with stepper() gives the same state."""
    tr = Trainer(small(model=model, dtype="float64", activation="tanh"))
    x, _ = next_batch(tr)
    m = tr.model
    with torch.no_grad():
        got = tr.run(x)
        if model == "rnn":
            ref = torch.nn.RNN(m.input_size, m.hidden_size, nonlinearity="tanh", dtype=torch.float64)
            ref.weight_ih_l0.copy_(m.U.T)
            ref.weight_hh_l0.copy_(m.W.T)
            ref.bias_ih_l0.copy_(m.b_h)
            ref.bias_hh_l0.zero_()
            want = (ref(x)[1][0],)
        else:
            _, hn = m.core(x)
            want = (hn[0][0], hn[1][0]) if model == "lstm" else (hn[0],)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            torch.testing.assert_close(g, w, rtol=1e-10, atol=1e-12)
        step, state = tr.stepper(), tr.zero_state(x.shape[1])
        for xt in tr.input_side(x).unbind(0):
            state = step(xt, state)
        for g, w in zip(state, got):
            torch.testing.assert_close(g, w, rtol=1e-12, atol=1e-14)


def test_text_reads_the_trainer_through_its_public_api():
    """rnn/text.py and the app (ui/, the Text page's runs among it) use no private name of a Trainer
    (trainer._step, trainer._lock, …): before, generate and influence reached into _inputs, _step, _lstm_W_hhT
    and _lock."""
    import ast
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2]
    for rel in ["rnn/text.py", *(str(p.relative_to(root)) for p in sorted((root / "ui").rglob("*.py")))]:
        tree = ast.parse((root / rel).read_text())
        private = [f"{rel}:{n.lineno} .{n.attr}" for n in ast.walk(tree) if isinstance(n, ast.Attribute)
                   and n.attr.startswith("_") and not n.attr.startswith("__")
                   and (isinstance(n.value, ast.Name) and n.value.id == "trainer"
                        or isinstance(n.value, ast.Attribute) and n.value.attr == "trainer")]
        assert not private, private
