"""The synthetic tasks: shapes, the adding problem's two markers and its target recomputed here by a plain
loop, the chance levels against a Monte-Carlo estimate, determinism from the generator alone."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn.tasks import ADDING_TOL, NAMES, TASKS, get_task, remember_first_task


def gen(seed):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("T,B", [(2, 1), (3, 5), (10, 4), (101, 7)])
def test_shapes_and_dtypes(name, T, B):
    task = get_task(name)
    x, y = task.batch(T, B, gen(0), torch.float32)
    assert x.shape == (T, B, task.input_size) and x.dtype == torch.float32
    if task.kind == "regression":
        assert y.shape == (B, task.output_size) and y.dtype == torch.float32
    else:
        assert y.shape == (B,) and y.dtype == torch.int64
        assert int(y.min()) >= 0 and int(y.max()) < task.output_size


def adding_target_by_loop(x):
    """The sum of the marked numbers, found marker by marker (independent of the task's own formula)."""
    T, B, _ = x.shape
    out, where = [], []
    for b in range(B):
        pos = [t for t in range(T) if float(x[t, b, 1]) == 1.0]
        where.append(pos)
        out.append(sum(float(x[t, b, 0]) for t in pos))
    return np.array(out), where


@settings(max_examples=40, deadline=None)
@given(T=st.integers(2, 60), B=st.integers(1, 6), seed=st.integers(0, 2 ** 31))
def test_adding_two_markers_one_per_half_and_the_target_is_their_sum(T, B, seed):
    x, y = get_task("adding").batch(T, B, gen(seed), torch.float64)
    marks = x[..., 1]
    assert set(torch.unique(marks).tolist()) <= {0.0, 1.0}
    assert torch.equal(marks.sum(0), torch.full((B,), 2.0, dtype=torch.float64))
    want, where = adding_target_by_loop(x)
    half = T // 2
    for pos in where:
        assert len(pos) == 2 and pos[0] < half <= pos[1] < T
    np.testing.assert_allclose(y[:, 0].numpy(), want, rtol=0, atol=1e-15)
    assert float(x[..., 0].min()) >= 0.0 and float(x[..., 0].max()) <= 1.0


def test_adding_target_exact_in_float32():
    x, y = get_task("adding").batch(30, 16, gen(3), torch.float32)
    want, _ = adding_target_by_loop(x.double())
    # the target is the float32 sum of the float32 numbers the network sees
    assert torch.equal(y[:, 0], torch.tensor(want, dtype=torch.float64).to(torch.float32))


def test_adding_chance_levels_by_monte_carlo():
    task = get_task("adding")
    x, y = task.batch(20, 200_000, gen(1), torch.float64)
    err = 1.0 - y  # always predicting 1
    mse = float((err ** 2).mean())
    assert abs(mse - 1 / 6) < 0.003  # the literature's baseline MSE ≈ 0.167
    assert abs(0.5 * mse - task.chance_loss) < 0.0015  # in the trainer's units ½‖ŷ − y‖²
    acc = float(task.correct(torch.ones_like(y), y).double().mean())
    assert abs(acc - task.chance_accuracy) < 0.003
    assert task.chance_accuracy == pytest.approx(2 * ADDING_TOL - ADDING_TOL ** 2)


def test_remember_first_one_hot_and_target_is_first_symbol():
    task = get_task("remember_first")
    x, y = task.batch(15, 64, gen(2))
    assert torch.equal(x.sum(-1), torch.ones(15, 64, dtype=x.dtype))
    assert set(torch.unique(x).tolist()) == {0.0, 1.0}
    assert torch.equal(y, x[0].argmax(-1))
    assert task.chance_loss == pytest.approx(math.log(task.output_size))
    assert task.chance_accuracy == pytest.approx(1 / task.output_size)
    # the uniform guess scores ln K under cross-entropy
    logits = torch.zeros(64, task.output_size)
    assert float(torch.nn.functional.cross_entropy(logits, y)) == pytest.approx(task.chance_loss)


def test_remember_first_k():
    task = remember_first_task(3)
    x, y = task.batch(5, 10, gen(0))
    assert x.shape == (5, 10, 3) and task.output_size == 3
    with pytest.raises(ValueError, match="K"):
        remember_first_task(1)


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_batch_other_seed_other_batch(name):
    task = get_task(name)
    x1, y1 = task.batch(12, 8, gen(5))
    x2, y2 = task.batch(12, 8, gen(5))
    x3, y3 = task.batch(12, 8, gen(6))
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert not torch.equal(x1, x3)
    # consecutive draws from one generator differ
    g = gen(5)
    a, _ = task.batch(12, 8, g)
    b, _ = task.batch(12, 8, g)
    assert torch.equal(a, x1) and not torch.equal(a, b)


def test_global_rng_untouched():
    before = torch.random.get_rng_state()
    for name in NAMES:
        get_task(name).batch(10, 4, gen(0))
    assert torch.equal(before, torch.random.get_rng_state())


def test_errors_say_what_came():
    task = get_task("adding")
    with pytest.raises(ValueError, match="unknown task 'copy'.*adding"):
        get_task("copy")
    with pytest.raises(ValueError, match="T to be an integer ≥ 2, got 1"):
        task.batch(1, 4, gen(0))
    with pytest.raises(ValueError, match="batch size B to be an integer ≥ 1, got 0"):
        task.batch(5, 0, gen(0))
    with pytest.raises(ValueError, match="T to be an integer"):
        task.batch(2.5, 4, gen(0))
    with pytest.raises(ValueError, match="torch.Generator"):
        task.batch(5, 4, 0)
    with pytest.raises(ValueError, match="floating dtype"):
        task.batch(5, 4, gen(0), torch.int64)


def test_names_and_aliases():
    assert set(TASKS) == {"adding", "remember_first", "remember_noise"}
    assert get_task("Remember-First") is TASKS["remember_first"]
    assert get_task(TASKS["adding"]) is TASKS["adding"]
