"""The next-character task (rnn.text) through the trainer: the loss at initialisation is a uniform guess's
ln V, training on a repetitive text beats the unigram entropy, the influence ‖∂L_p/∂x_q‖ equals autograd
through an independent forward (the report's equations by hand; torch.nn.LSTM), generation is seeded, and
hostile texts give a message and a usable text, never an exception."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnn import text as X
from rnn.training import TrainConfig, Trainer

REPETITIVE = "the cat sat on the mat. " * 12


def trainer(text=REPETITIVE, **kw) -> Trainer:
    cfg = dict(task="text", text=text, T=24, batch_size=16, hidden_size=24, lr=0.02, seed=3)
    cfg.update(kw)
    return Trainer(TrainConfig(**cfg))


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_loss_at_init_is_a_uniform_guess(model):
    tr = trainer(model=model)
    V = tr.task.input_size
    assert V == len(set(REPETITIVE))
    loss = float(tr.train(1)["loss"][0])
    assert abs(loss - math.log(V)) < 0.05 * math.log(V)


def test_training_beats_the_unigram_baseline():
    tr = trainer(model="rnn")
    h2 = X.corpus(REPETITIVE).unigram_bits * math.log(2)  # in nats, the trainer's unit
    losses = tr.train(80)["loss"]
    assert losses[0] > h2  # a uniform guess is worse than the frequencies
    assert np.mean(losses[-5:]) < 0.8 * h2
    assert np.all(np.isfinite(tr.history()["grad_h_norm"]))


def test_truncation_cuts_every_n_plus_one_steps():
    """N ≥ T − 1 is full BPTT; a small N keeps the per-state norms finite and ∂L/∂s_t non-zero everywhere
    (every state feeds its own step's loss)."""
    full = trainer(model="lstm").train(3)
    long = trainer(model="lstm", truncation=23).train(3)
    np.testing.assert_allclose(full["loss"], long["loss"], rtol=1e-12)
    np.testing.assert_allclose(full["grad_h_norm"], long["grad_h_norm"], rtol=1e-10)
    short = trainer(model="lstm", truncation=4).train(3)
    assert np.all(short["grad_h_norm"][:, 1:] > 0) and np.all(np.isfinite(short["grad_h_norm"]))


def _by_hand_rnn(m, x):
    """h_t = tanh(Uᵀx_t + Wᵀh_{t-1} + b_h), written here from the report; the logits at the last step."""
    h = torch.zeros(x.shape[1], m.hidden_size, dtype=x.dtype)
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ m.U + h @ m.W + m.b_h)
    return h @ m.V + m.b_y


def _by_torch_lstm(m, x):
    out, _ = m.core(x)  # torch.nn.LSTM's own kernel
    return out[-1] @ m.V + m.b_y


@pytest.mark.parametrize("model,forward", [("rnn", _by_hand_rnn), ("lstm", _by_torch_lstm)])
def test_influence_equals_autograd(model, forward):
    tr = trainer(model=model)
    tr.train(5)
    c = X.corpus(REPETITIVE)
    p, w = 40, 15
    start, norms = X.influence(tr, p, window=w)
    assert start == p - w and norms.shape == (w,)
    x = torch.nn.functional.one_hot(c.ids[start:p], c.vocab_size).double()[:, None].requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(forward(tr.model, x), c.ids[p:p + 1])
    (g,) = torch.autograd.grad(loss, x)
    np.testing.assert_allclose(norms, g[:, 0].norm(dim=-1).numpy(), rtol=1e-9, atol=1e-300)
    assert norms[-1] > 0


def test_influence_near_the_start_and_bounds():
    tr = trainer()
    start, norms = X.influence(tr, 1)
    assert start == 0 and norms.shape == (1,)
    for bad in (0, len(REPETITIVE)):
        with pytest.raises(ValueError, match="position"):
            X.influence(tr, bad)


def test_generation_is_reproducible_with_the_seed():
    tr = trainer()
    tr.train(10)
    a = X.generate(tr, 60, temperature=0.8, seed=7)
    assert a == X.generate(tr, 60, temperature=0.8, seed=7)
    assert len(a) == 60 and set(a) <= set(REPETITIVE)
    assert a != X.generate(tr, 60, temperature=0.8, seed=8)


HOSTILE = {
    "empty": "",
    "blank": "   \n\t ",
    "one char": "a",
    "one repeated char": "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
    "huge": "abc def " * 12_500,  # 100 000 characters
    "control characters": "line one\x00\x07\x1b[31m red\x7f\r\nline two\u2028\u0085 and more text here",
    "markup": "<script>alert('x')</script><b>bold</b> & <img src=x onerror=alert(1)> {{7*7}} **md**",
    "right-to-left": "שלום עולם, זה טקסט בעברית. مرحبا بالعالم \u202egnp.exe\u202c and back \u200f",
    "combining": "e\u0301te\u0301 q\u0301 n\u0303 a\u0308\u0304 Z\u0351\u0352\u0353\u0354 cafe\u0301 " * 3,
    "non-UTF-8": b"caf\xe9 \xff\xfe not utf-8",
    "many symbols": "".join(chr(0x4E00 + i) for i in range(500)),
    "not text": 12345,
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_texts_get_a_message_and_train(name):
    prep = X.prepare_text(HOSTILE[name], max_chars=2000, max_vocab=64)
    assert isinstance(prep.text, str) and 16 <= len(prep.text) <= 2000
    assert len(set(prep.text)) >= 2 and len(set(prep.text)) <= 64
    for ch in prep.text:  # nothing invisible or direction-changing is left
        assert ch == "\n" or not __import__("unicodedata").category(ch).startswith("C")
    if name not in ("markup", "right-to-left", "combining"):
        assert prep.messages, name
    for m in prep.messages:  # a message never quotes the visitor's text
        assert "<" not in m and "\u202e" not in m
    tr = trainer(text=prep.text, T=min(12, len(prep.text) - 1), hidden_size=8, batch_size=4)
    assert np.isfinite(tr.train(2)["loss"]).all()
    assert np.isfinite(X.influence(tr, len(prep.text) - 1)[1]).all()
    X.generate(tr, 10, seed=0)


def test_fallbacks_and_cuts():
    assert X.prepare_text("", 100).fallback and X.prepare_text(b"\xff\xfe", 100).fallback
    huge = X.prepare_text(HOSTILE["huge"], max_chars=3000)
    assert not huge.fallback and len(huge.text) == 3000 and "first 3,000" in huge.messages[0]
    assert X.prepare_text("e\u0301" * 20 + "ab", 100).text.startswith("\u00e9")  # NFC composes é
    assert X.prepare_text(REPETITIVE, 1000) == X.PreparedText(REPETITIVE, (), False)


def test_config_checks():
    with pytest.raises(ValueError):
        TrainConfig(task="text", text="").validated()
    assert TrainConfig(task="adding", text="ignored").validated().text == ""
    with pytest.raises(ValueError, match="T ≤"):
        trainer(text="abcdefgh", T=20).train(1)


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_per_step_loss_and_gradient_equal_torch_cells(model):
    """The trainer's first step (loss at every step, averaged) against torch's own nn.RNN / nn.LSTM with the
    same weights and readout, on the same first batch: the same loss and the same ∂L/∂V."""
    from rnn.training import _data_seed

    tr = trainer(model=model)
    m = tr.model
    core = m.to_torch_rnn() if model == "rnn" else m.core
    x, y = tr.task.batch(24, 16, torch.Generator().manual_seed(_data_seed(3)), torch.float64)
    V = m.V.detach().clone().requires_grad_(True)
    out, _ = core(x)
    ref = torch.nn.functional.cross_entropy((out @ V + m.b_y.detach()).flatten(0, 1), y.flatten())
    (gV,) = torch.autograd.grad(ref, V)
    opt_free = Trainer(tr.config, optimizer="sgd", lr=1e-300)  # the gradient of the first step, kept
    h = opt_free.train(1)
    assert h["loss"][0] == pytest.approx(float(ref.detach()), rel=1e-12)
    np.testing.assert_allclose(opt_free.model.V.grad.numpy(), gV.numpy(), rtol=1e-9, atol=1e-15)


def test_echo_title_gives_the_distance_in_the_text():
    """Issue 19.12: the echo sample's title said 22 characters; on every line the word's second copy starts
    27 after its first. The distance is read here off each line of the text itself and compared with the
    number in the title (and the focus position is a second copy, its first copy that far back)."""
    import re

    lags = set()
    for line in X.SAMPLES["echo"].splitlines():
        word = line.split()[0]
        second = line.index(f" {word} ", 1) + 1
        lags.add(second)
    assert len(lags) == 1
    (lag,) = lags
    assert int(re.search(r"(\d+) characters later", X.SAMPLE_TITLES["echo"]).group(1)) == lag
    p, text = X.FOCUS["echo"], X.SAMPLES["echo"]
    assert text[p - lag:p - lag + 4] == text[p:p + 4]


def test_prepared_messages_account_for_every_character_removed():
    """What the visitor typed minus what is trained on is said: accents joined by NFC and carriage returns
    (which used to vanish without a word) each give a count."""
    raw = "cafe\u0301 au lait\r\nna\u0308ive\r\n" * 4  # 8 accents apart, 8 carriage returns
    prep = X.prepare_text(raw, 1000)
    assert len(prep.text) == len(raw) - 16 and "\r" not in prep.text
    said = " ".join(prep.messages)
    assert "8 accents typed apart" in said and "8 invisible control" in said


def test_generation_from_a_diverged_model_says_so():
    """A model whose weights are no longer finite has no distribution to sample: a ValueError saying so, not
    torch.multinomial's RuntimeError about its probability tensor."""
    tr = trainer()
    with torch.no_grad():
        tr.model.W.fill_(float("nan"))
    with pytest.raises(ValueError, match="diverged"):
        X.generate(tr, 5, seed=0)
