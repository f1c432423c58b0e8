"""A character-level language model task: predict the next character at every step of a window of the text.

    x_t = one-hot(c_{s+t-1}),  y_t = c_{s+t}          for t = 1 … T, a window starting at a random s
    L = (1/T) Σ_t L_t,  L_t = −log softmax(Vᵀh_t + b_y)[y_t]     (the report's L = Σ_t L_t, averaged)

Scores in bits per character: L / ln 2. Two baselines: a uniform guess over the V characters of the
vocabulary costs log2 V bits (the loss at initialisation, ln V nats), and the unigram guess (each character
with its frequency in the text) costs the unigram entropy H₁ = −Σ_c p_c log2 p_c. A model below H₁ has
learned something about order, not only about frequencies.

"How far back does it look?" (after Madsen 2019, "Visualizing memorization in RNNs", Distill): for the
character at position p, the norm ‖∂L_p/∂x_q‖ of the gradient of that step's loss with respect to each
earlier one-hot input x_q, by autograd through the trainer's own step (rnn.cells), on the window of T
characters before p (the context the model is trained on, starting from the zero state).

Visitor text goes through `prepare_text` first: a clear message and a safe fallback (a built-in sample) for
an empty, one-character, undecodable or oversized text; control and bidirectional-format characters dropped;
the vocabulary capped (rarer characters read as one placeholder). The built-in samples were written for this
project.
"""
from __future__ import annotations

import functools
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch

from . import checks
from .tasks import Task

Tensor = torch.Tensor

PLACEHOLDER = "□"  # what a character outside the capped vocabulary reads as

# --- built-in samples (written for this app) ----------------------------------------------------------------
# each line opens a bracket or a quote and closes it 20 to 40 characters later: to close it right, the model
# must remember which one it opened
_BRACKETS = "\n".join([
    "(open the door slowly and look inside)",
    "[count every step from here to the well]",
    "{the small bird sang until the sun went down}",
    "\"keep the lamp lit until the others come home\"",
    "(carry the water up the hill before noon)",
    "[write the names of the boats on the wall]",
    "{a quiet river runs under the old stone bridge}",
    "\"bring the bread and the salt to the table\"",
    "(the wind turned cold when the clouds came in)",
    "[fold the map along the lines and keep it dry]",
    "{three foxes sleep in the hollow by the pine}",
    "\"nobody knows where the last road leads to\"",
]) + "\n"

# each line names a four-letter word and names it again after " sat still and waited. ": the second copy's
# first letter can only be predicted by looking back to the first copy's, ECHO_LAG characters earlier
_ECHO_WORDS = ("lamp", "fork", "rose", "bell", "kite", "drum", "moth", "pear", "sock", "vase", "nest", "coin",
               "lamp", "rose", "kite", "moth", "sock", "nest")
_ECHO = "".join(f"{w} sat still and waited. {w} again.\n" for w in _ECHO_WORDS)
# the distance from a word's first copy to its second, read off the text's first line
ECHO_LAG = _ECHO.index(_ECHO_WORDS[0], len(_ECHO_WORDS[0]))

# plain prose with repeated phrases
_ROBOT = (
    "The little robot woke up at dawn. It rolled to the window and looked at the garden. "
    "The garden was wet with rain. The little robot rolled to the door and opened it. "
    "Outside, the grass was cold and the sky was grey. The little robot counted the flowers: "
    "one red, two red, three red, four yellow. Then it rolled back inside, because robots do not "
    "like rain. At noon the sun came out. The little robot rolled to the window again and looked "
    "at the garden. The garden was bright. The little robot rolled to the door, opened it, and "
    "went out to count the flowers again: one red, two red, three red, four yellow.\n")

SAMPLES: dict[str, str] = {"brackets": _BRACKETS, "echo": _ECHO, "robot": _ROBOT}
SAMPLE_TITLES = {"brackets": "brackets and quotes closed later",
                 "echo": f"a word repeating {ECHO_LAG} characters later",
                 "robot": "a short story with repeated phrases"}
DEFAULT_SAMPLE = "echo"
# a position in each sample where the long dependency shows: the first letter of a repeated word, a closing
# bracket, the second "four yellow"
FOCUS = {"echo": _ECHO.index("rose again"), "brackets": _BRACKETS.index("noon)") + 4,
         "robot": _ROBOT.rindex("yellow")}


def focus(text: str, window: int) -> int:
    """A position worth examining: a sample's FOCUS, else a window into the text (at least 1)."""
    for name, t in SAMPLES.items():
        if text == t:
            return FOCUS[name]
    return max(1, min(len(text) - 1, window))


# --- visitor text -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PreparedText:
    """A text ready to train on: `text` (what the model reads), `messages` (sentences for the screen, never
    quoting the visitor's text), `fallback` (True when a built-in sample replaced it)."""

    text: str
    messages: tuple[str, ...]
    fallback: bool


_KEEP_CONTROLS = {"\n": "\n", "\t": " "}  # newlines kept, tabs read as spaces (a CR is dropped, and counted)


def prepare_text(raw, max_chars: int, min_chars: int = 16, max_vocab: int = 96,
                 fallback: str = DEFAULT_SAMPLE) -> PreparedText:
    """`raw` (str or bytes) made safe to train on and to draw. Bytes must be UTF-8. The text is put in NFC
    (a letter and its combining accent become one character where Unicode has one); control characters
    other than newline and tab, and format characters (bidirectional overrides, zero-width marks) are
    dropped; more than `max_chars` characters are cut to the first `max_chars`; beyond the `max_vocab − 1`
    most frequent characters, the rest read as PLACEHOLDER. Fewer than `min_chars` characters, or a single
    distinct character, fall back to the built-in sample `fallback`."""
    max_chars = checks.integer(max_chars, "max_chars", 2)
    max_vocab = checks.integer(max_vocab, "max_vocab", 2)
    sample = SAMPLES[fallback]
    msgs: list[str] = []

    def back(why: str) -> PreparedText:
        return PreparedText(sample, tuple(msgs + [why + f" Using the built-in sample “{SAMPLE_TITLES[fallback]}”."]), True)

    if raw is None:
        return back("No text was given.")
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > 4 * max_chars + 4:  # UTF-8 takes at most 4 bytes a character
            raw = bytes(raw[:4 * max_chars + 4])
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as e:
            return back(f"The text is not valid UTF-8 (a bad byte at position {e.start}).")
    if not isinstance(raw, str):
        return back(f"Expected text, got {type(raw).__name__}.")
    if len(raw) > 4 * max_chars:  # no normalisation work on a huge paste: cut first, generously
        raw = raw[:4 * max_chars]
    text = unicodedata.normalize("NFC", raw)
    if len(text) < len(raw):
        joined = len(raw) - len(text)
        many = "s" * (joined != 1)
        msgs.append(f"{joined} accent{many} typed apart joined to {'their' if many else 'its'} letter{many} "
                    f"(Unicode NFC): {joined} character{many} fewer.")
    kept, dropped = [], 0
    for ch in text:
        cat = unicodedata.category(ch)
        if ch == "\r":
            dropped += 1
        elif ch in _KEEP_CONTROLS:
            kept.append(_KEEP_CONTROLS[ch])
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            dropped += 1
        else:
            kept.append(ch)
    text = "".join(kept)
    if dropped:
        msgs.append(f"{dropped} invisible control or direction-format character{'s' * (dropped != 1)} removed.")
    if len(text) > max_chars:
        msgs.append(f"The text has {len(text):,} characters; training uses the first {max_chars:,}.")
        text = text[:max_chars]
    if not text.strip():
        return back("The text is empty.")
    if len(text) < min_chars:
        return back(f"The text has {len(text)} character{'s' * (len(text) != 1)}; at least {min_chars} are needed.")
    counts = Counter(text)
    if len(counts) < 2:
        return back("The text repeats a single character: there is nothing to predict.")
    if len(counts) > max_vocab:
        keep = {c for c, _ in counts.most_common(max_vocab - 1)}
        rare = len(counts) - len(keep)
        text = "".join(c if c in keep else PLACEHOLDER for c in text)
        msgs.append(f"{rare} rare characters read as {PLACEHOLDER} (the vocabulary is capped at {max_vocab}).")
    return PreparedText(text, tuple(msgs), False)


# --- the task -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Corpus:
    """A text with its vocabulary: `chars` (sorted distinct characters), `ids` (int64 tensor, one per
    character), and the unigram entropy in bits."""

    text: str
    chars: tuple[str, ...]
    ids: Tensor

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    @property
    def unigram_bits(self) -> float:
        """H₁ = −Σ_c p_c log2 p_c over the text's character frequencies."""
        p = torch.bincount(self.ids, minlength=self.vocab_size).double() / self.ids.numel()
        p = p[p > 0]
        return float(-(p * torch.log2(p)).sum())

    @property
    def uniform_bits(self) -> float:
        return math.log2(self.vocab_size)

    def decode(self, ids) -> str:
        return "".join(self.chars[int(i)] for i in ids)


@functools.lru_cache(maxsize=32)
def corpus(text: str) -> Corpus:
    """The corpus of a text (at least two characters, two of them distinct)."""
    if not isinstance(text, str) or len(text) < 2 or len(set(text)) < 2:
        raise ValueError(f"expected a text of at least 2 characters with 2 distinct ones, got {text!r:.40}")
    chars = tuple(sorted(set(text)))
    index = {c: i for i, c in enumerate(chars)}
    return Corpus(text, chars, torch.tensor([index[c] for c in text], dtype=torch.int64))


def _window_sampler(ids: Tensor, V: int):
    def sample(T: int, B: int, gen: torch.Generator) -> tuple[Tensor, Tensor]:
        n = ids.numel()
        if T > n - 1:
            raise ValueError(f"expected T ≤ {n - 1} (the text has {n} characters), got T = {T}")
        start = torch.randint(0, n - T, (B,), generator=gen)  # windows c_s … c_{s+T}
        pos = start[None, :] + torch.arange(T + 1)[:, None]  # (T+1, B)
        w = ids[pos]
        x = torch.nn.functional.one_hot(w[:-1], V).to(torch.float64)  # (T, B, V)
        return x, w[1:].clone()  # targets (T, B): the next character at every step

    return sample


def _argmax_correct(out: Tensor, y: Tensor) -> Tensor:
    return out.argmax(-1) == y


@functools.lru_cache(maxsize=32)
def text_task(text: str) -> Task:
    """The next-character task on `text` (already prepared): input and output size = the vocabulary V, a
    loss at every step (Task.per_step). Chance: the uniform guess, ln V nats, accuracy 1/V."""
    c = corpus(text)
    V = c.vocab_size
    return Task(
        name="text", title=f"Next character ({V} symbols)", input_size=V, output_size=V,
        kind="classification", chance_loss=math.log(V), chance_accuracy=1.0 / V,
        chance_note=f"uniform guess over V = {V} characters: ln V ≈ {math.log(V):.3f} nats, log2 V ≈ "
                    f"{math.log2(V):.2f} bits; the unigram guess costs {c.unigram_bits:.2f} bits",
        reference="a character-level language model (Elman 1990; Karpathy 2015; Madsen 2019)",
        sampler=_window_sampler(c.ids, V), scorer=_argmax_correct, per_step=True)


def bits(loss_nats) -> np.ndarray:
    """Cross-entropy in nats → bits per character."""
    return np.asarray(loss_nats, dtype=np.float64) / math.log(2)


# --- reading a trained model: generation and influence --------------------------------------------------------

def _logits(trainer, state) -> Tensor:
    m = trainer.model
    # ŷ_t = g(Vᵀh_t + b_y), g linear: the logits of the next character
    return m.out_act.f(state[0] @ m.V + m.b_y)


def generate(trainer, n: int, temperature: float = 1.0, seed: int = 0, prompt: str | None = None) -> str:
    """n characters sampled from the model after reading `prompt` (by default the text's first character),
    each from softmax(logits / temperature), drawn from a torch.Generator seeded with `seed`: the same model,
    seed and temperature give the same sample."""
    n = checks.integer(n, "n", 0)
    tau = checks.number(temperature, "temperature", positive=True)
    c = corpus(trainer.config.text)
    prompt = c.text[0] if not prompt else "".join(ch for ch in prompt if ch in c.chars) or c.text[0]
    gen = torch.Generator().manual_seed(checks.integer(seed, "seed"))
    p = trainer.model.V
    one = functools.partial(torch.nn.functional.one_hot, num_classes=c.vocab_size)
    out = []
    with trainer.lock, torch.no_grad():  # between two training steps
        ids = torch.tensor([c.chars.index(ch) for ch in prompt])
        state = trainer.run(one(ids)[:, None].to(p.dtype).to(p.device))
        # the input side of every character at once (V, 1, ·): a step then reads its row
        table = trainer.input_side(torch.eye(c.vocab_size, dtype=p.dtype, device=p.device)[:, None])
        step = trainer.stepper()
        for _ in range(n):
            probs = torch.softmax(_logits(trainer, state)[0].double().cpu() / tau, dim=-1)
            if not torch.isfinite(probs).all():
                raise ValueError("expected finite probabilities to sample the next character from, got NaN or "
                                 "inf: the model's weights or state are no longer finite (it diverged)")
            nxt = int(torch.multinomial(probs, 1, generator=gen))
            out.append(nxt)
            state = step(table[nxt], state)
    return c.decode(out)


def influence(trainer, position: int, window: int | None = None) -> tuple[int, np.ndarray]:
    """(start, norms): for the character at `position` p ≥ 1 of the trainer's text, norms[k] =
    ‖∂L_p/∂x_q‖₂ for q = start + k, q = start … p−1, where x_q = one-hot(c_q) is the input that reads
    character q, L_p = −log softmax(ŷ)[c_p] is the loss of predicting c_p, and the model starts from the
    zero state at character `start` = max(0, p − window) (window = the trainer's T by default)."""
    c = corpus(trainer.config.text)
    p_ = checks.integer(position, "position", 1)
    if p_ > c.ids.numel() - 1:
        raise ValueError(f"expected a position from 1 to {c.ids.numel() - 1}, got {p_}")
    w = checks.integer(trainer.config.T if window is None else window, "window", 1)
    start = max(0, p_ - w)
    par = trainer.model.V
    with trainer.lock, torch.enable_grad():  # between two training steps
        x = torch.nn.functional.one_hot(c.ids[start:p_], c.vocab_size).to(par.dtype).to(par.device)
        x = x[:, None].requires_grad_(True)  # (p − start, 1, V)
        logits = _logits(trainer, trainer.run(x))  # (1, V)
        # L_p = −log softmax(logits)[c_p]
        loss = torch.nn.functional.cross_entropy(logits, c.ids[p_:p_ + 1].to(par.device))
        (g,) = torch.autograd.grad(loss, x)
    return start, torch.linalg.vector_norm(g[:, 0], dim=-1).double().cpu().numpy()
