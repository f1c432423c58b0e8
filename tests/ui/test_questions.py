"""The Lesson's nine questions (ui/questions.py): one per step, well formed for the class poll, and each truth (read
from the cached computation the step's chart draws) against a reference computed in tests/question_refs.py from
the model's weights by torch, autograd and closed forms — never against the app's own output. The truth
functions follow the settings they are given (nothing typed in): at other settings they agree with the
references there too."""
from __future__ import annotations

import math
import re
from dataclasses import replace

import pytest

import question_refs as R
from ui.session import lesson
from ui import questions as Q
from ui.cached import activations as cached_act
from ui.limits import LESSON_STEPS
from ui.presets import PRESETS

STEP = {k: lesson.STEPS[k - 1] for k in range(1, LESSON_STEPS + 1)}


def test_one_question_per_step_each_well_formed():
    assert len(Q.QUESTIONS) == len(lesson.STEPS) == LESSON_STEPS
    for k, q in enumerate(Q.QUESTIONS, 1):
        text = Q.prompt_for(q, STEP[k].settings, dict(STEP[k].options))
        assert not re.search(r"\{[A-Za-z_]\w*(:[^}]*)?\}", text), f"step {k}: a setting left unfilled: {text}"
        assert 10 < len(text) < 140, f"step {k}: a prompt fits one row, got {len(text)} characters"
        if q.choices:
            keys = [key for key, _ in q.choices]
            assert len(set(keys)) == len(keys) >= 2
            assert all(re.fullmatch(r"[a-z0-9_]{1,32}", key) for key in keys)  # what the poll stores
            assert all(0 < len(label) <= 20 for _, label in q.choices)
        else:
            assert q.lo < q.hi and 0 < q.step <= (q.hi - q.lo) / 10 and q.tol > 0
            assert q.tolerance_text.startswith("within ")


def test_prompts_name_the_steps_own_settings():
    assert "T = 8" in Q.prompt_for(Q.QUESTIONS[0], STEP[1].settings, {})
    assert r"\sigma_{\max}(W) = 3$" in Q.prompt_for(Q.QUESTIONS[3], STEP[4].settings, {})
    assert r"\rho(W) = 0.8$" in Q.prompt_for(Q.QUESTIONS[4], STEP[5].settings, {})
    assert "N = 10 of 100" in Q.prompt_for(Q.QUESTIONS[8], STEP[9].settings, dict(STEP[9].options))


@pytest.mark.parametrize("k", range(1, LESSON_STEPS + 1))
def test_each_truth_is_an_allowed_answer(k):
    q, t = Q.QUESTIONS[k - 1], Q.truth(k)
    if q.choices:
        assert t.value in dict(q.choices)
    else:
        assert math.isfinite(t.value) and q.lo <= t.value <= q.hi
    assert t.detail


def test_step1_h1_against_hT_by_autograd():
    want, r = R.h1_against_hT(STEP[1].settings)
    t = Q.truth(1)
    assert t.value == want == "smaller"  # 10^-0.75 at T = 8: the colour fades to the left
    assert abs(r) > Q.HALF + 0.1  # not a borderline call
    got = re.search(r"is (.+?) × ", t.detail).group(1)
    assert math.log10(float(got)) == pytest.approx(r, abs=0.01)


def test_step2_mean_fprime_from_torchs_cell():
    assert Q.truth(2).value == pytest.approx(R.mean_fprime(STEP[2].settings), abs=1e-9)


@pytest.mark.parametrize("k, want", [(3, "vanish"), (7, "stay")])
def test_steps_3_and_7_regime_from_classify_on_the_reference_norms(k, want):
    ref, sl = R.regime(STEP[k].settings)
    assert Q.truth(k).value == ref == want
    assert f"slope {sl:.3g}" in Q.truth(k).detail.replace("−", "-")


def test_step4_sigmoid_bound_is_a_quarter_times_sigma_max():
    s = STEP[4].settings
    assert cached_act.activation_curves()["sigmoid"]["gamma"] == 0.25  # σ′ ≤ 1/4 exactly
    # σ′(a) = σ(a)(1 − σ(a)) by autograd on a grid through 0: its largest value is 1/4, at a = 0
    import torch
    a = torch.linspace(-6, 6, 1201, dtype=torch.float64, requires_grad=True)
    (d,) = torch.autograd.grad(torch.sigmoid(a).sum(), a)
    assert float(d.max()) == pytest.approx(0.25, abs=1e-15)
    assert float(a.detach()[d.argmax()]) == pytest.approx(0.0, abs=1e-12)
    assert Q.truth(4).value == pytest.approx(R.sigmoid_bound(s), abs=1e-9)
    assert Q.truth(4).value == pytest.approx(0.25 * s.scale, abs=1e-9)  # W scaled to σ_max = 3 by the step


def test_step5_decades_after_50_steps_by_jacrev():
    ref = R.tanh_log10_norms(STEP[5].settings)
    assert Q.truth(5).value == pytest.approx(-ref[49], abs=0.01)
    assert Q.truth(5).value > 5  # far below ρ⁵⁰ = 10^-4.8: tanh′ < 1 adds its share


def test_step6_decades_after_T_steps_by_matrix_powers():
    s = STEP[6].settings
    assert Q.truth(6).value == pytest.approx(R.linear_log10_norm(s, s.T), abs=0.01)


def test_step8_flattest_cell_from_the_reference_loop():
    want, slopes = R.longest_cell(STEP[8].settings, STEP[8].options["gate_bias"])
    assert Q.truth(8).value == want == "lstm"


def test_step9_truncated_cosine_by_autograd():
    s, N = STEP[9].settings, STEP[9].options["N"]
    assert Q.truth(9).value == pytest.approx(R.truncated_cosine(s, N), abs=1e-9)


def test_truths_follow_the_settings_they_are_given():
    """Nothing typed in: the same questions at other settings agree with the references there."""
    vanish = replace(STEP[5].settings, scale=0.9)
    assert Q.QUESTIONS[4].truth(vanish, {}).value == pytest.approx(-R.tanh_log10_norms(vanish)[49], abs=0.01)
    assert Q.QUESTIONS[2].truth(PRESETS["exploding"].settings, {}).value == "explode"
    short = replace(STEP[1].settings, T=3)
    assert Q.QUESTIONS[0].truth(short, {}).value == R.h1_against_hT(short)[0]
    assert Q.QUESTIONS[8].truth(STEP[9].settings, {"N": 50}).value == pytest.approx(
        R.truncated_cosine(STEP[9].settings, 50), abs=1e-9)


def test_close_and_labels():
    q = Q.QUESTIONS[4]  # decades, within 1
    t = Q.truth(5).value
    assert q.close(t + 0.9, t) and q.close(t - 1.0, t) and not q.close(t + 1.1, t) and not q.close(None, t)
    assert not q.close(math.nan, t)
    assert q.label(10.29) == "10.3 decades" and q.tolerance_text == "within 1 decade"
    c = Q.QUESTIONS[7]
    assert c.close("lstm", "lstm") and not c.close("gru", "lstm") and c.label("rnn") == "vanilla RNN"
