"""One Settings object for the whole app, and the whole URL schema: the sidebar's keys (the fields of
Settings, which also feed the cache keys) and every page's own keys (PAGE_CONTROLS).

Every value, whether it comes from a widget or from a URL a visitor edited, passes through the same
`parse` of its field: type, bounds, allowed names. A bad URL value becomes the default plus a short warning,
never a traceback.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Mapping

from rnn.activations import NAMES as ACTIVATION_NAMES
from rnn.init import INITS, SCALE_KINDS  # the engine's choices, in the order the sidebar offers them

from .limits import LESSON_STEPS, MAX_HIDDEN, MAX_INPUT_SCALE, MAX_SCALE, MAX_SEED, MAX_T, MAX_TEXT, TEXT_MAX_CHARS

DEVICES = ("auto", "cpu", "cuda")
INPUT_SIZE = 4  # the random driving input x_t has this many channels
OUTPUT_SIZE = 2  # ŷ_t has this many entries


@dataclass(frozen=True)
class Field:
    """How one setting is read and checked: its kind, bounds or choices, and its label."""

    kind: type
    label: str
    help: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()


def _setting(default: Any, label: str, help: str, lo: float | None = None, hi: float | None = None,
             choices: tuple[str, ...] = ()) -> Any:
    """A field of Settings with its default and how it is read (a Field of the default's type, in its metadata)."""
    return field(default=default, metadata={"field": Field(type(default), label, help, lo, hi, choices)})


@dataclass(frozen=True)
class Settings:
    """The shared controls, each declared once: its default, its label and help, its bounds or choices (FIELDS
    reads them from here). Frozen and hashable: it is also the cache key."""

    # sequence length: how many steps the gradient must travel back
    T: int = _setting(100, "Sequence length T", "How many steps back the gradient has to travel.", 1, MAX_T)
    # f in h_t = f(Uᵀx_t + Wᵀh_{t-1} + b_h); its γ = sup|f′| bounds each Jacobian
    activation: str = _setting("tanh", "Activation f", "The nonlinearity f of the hidden state; its γ = sup|f′| "
                               "bounds every Jacobian factor.", choices=ACTIVATION_NAMES)
    # the size of W, in the unit chosen by scale_kind: the knob that decides the regime
    scale: float = _setting(1.0, "Weight scale", "The size of the recurrent matrix W, in the unit chosen below.",
                            0.0, MAX_SCALE)
    # what scale means: gain g (entries N(0, g²/n)), spectral radius ρ, or σ_max
    scale_kind: str = _setting("gain", "Scale means", "gain g: entries N(0, g²/n); ρ: spectral radius of W; "
                               "σₘₐₓ: largest singular value of W.", choices=SCALE_KINDS)
    # W's shape before scaling: Gaussian, orthogonal, identity (IRNN)
    init: str = _setting("gaussian", "Initialisation of W", "Gaussian, orthogonal (ρ = σₘₐₓ), or identity (IRNN).",
                         choices=INITS)
    # hidden units n: W is n × n
    hidden: int = _setting(64, "Hidden size n", "Number of hidden units; W is n × n.", 1, MAX_HIDDEN)
    # standard deviation of the random inputs x_t: larger saturates tanh/sigmoid
    input_scale: float = _setting(0.5, "Input scale", "Standard deviation of the random inputs x_t; large inputs "
                                  "saturate tanh and sigmoid, so f′ shrinks.", 0.0, MAX_INPUT_SCALE)
    # one seed for weights and inputs, so a shared link reproduces the numbers
    seed: int = _setting(0, "Seed", "One seed for the weights and the inputs.", 0, MAX_SEED)
    # float64 where the device has it (MPS has not)
    float64: bool = _setting(True, "float64", "Compute in float64 (float32 on MPS, which lacks it).")
    # CUDA → MPS → CPU, or a named one
    device: str = _setting("auto", "Device", "auto picks CUDA, then MPS, then the CPU.", choices=DEVICES)


FIELDS: dict[str, Field] = {f.name: f.metadata["field"] for f in fields(Settings)}  # read from Settings

DEFAULTS = Settings()

SCALE_SYMBOL = {"gain": "g", "rho": "ρ", "sigma_max": "σₘₐₓ"}
SCALE_NAMES = {"gain": "gain g", "rho": "spectral radius ρ", "sigma_max": "largest singular value σₘₐₓ"}
INIT_NAMES = {"gaussian": "Gaussian", "orthogonal": "orthogonal", "identity": "identity (IRNN)"}
CELL_NAMES = {"rnn": "vanilla RNN", "lstm": "LSTM", "gru": "GRU"}  # the three recurrent cells
# how a choice's identifier reads on screen (the URL and the code keep the identifier): one table for every page
DISPLAY_NAMES = {"leaky_relu": "leaky ReLU", "relu": "ReLU", "remember_first": "remember first",
                 "remember_noise": "remember through noise", "adding": "adding problem", "sgd": "SGD",
                 "adam": "Adam", **INIT_NAMES, **CELL_NAMES}


def display_name(value: str) -> str:
    """A choice as the screen writes it ("leaky ReLU", "remember first"); unlisted ones (tanh) as they are."""
    return DISPLAY_NAMES.get(value, value)
# plain ASCII decimal notation only: no "nan", "inf", "1_000", hex, or digits from other scripts
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _shown(raw: Any) -> str:
    """A visitor's value made safe to print inside markdown: short, and only plain characters."""
    text = str(raw)
    safe = "".join(c if (c.isascii() and (c.isalnum() or c in " .+-_")) else "?" for c in text[:24])
    return f"`{safe}{'…' if len(text) > 24 else ''}`" if text.strip() else "an empty value"


class SettingError(ValueError):
    """A value that does not fit its field; the message is short enough to show on screen."""


def parse(name: str, raw: Any) -> Any:
    """The value of setting `name` read from `raw` (a widget value or a URL string), or SettingError."""
    if name not in FIELDS:
        raise SettingError(f"unknown setting {_shown(name)}")
    return parse_field(FIELDS[name], raw)


def parse_field(fd: Field, raw: Any) -> Any:
    """`raw` read as field `fd` describes it (type, bounds, allowed names), or SettingError. `raw` is a widget's
    value (bool, int, float, str) or a URL's text; both go through the same checks."""
    shown = _shown(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) > MAX_TEXT:
            raise SettingError(f"{fd.label}: expected at most {MAX_TEXT} characters, got {shown}")
    elif isinstance(raw, (bool, int, float)):
        text = raw
    else:  # a numpy number from a widget, say; anything else fails the checks below
        text = str(raw).strip()[:MAX_TEXT + 1]
    if fd.kind is bool:
        if isinstance(raw, bool):
            return raw
        t = str(text).lower()
        if t in _TRUE:
            return True
        if t in _FALSE:
            return False
        raise SettingError(f"{fd.label}: expected true or false, got {shown}")
    if fd.kind is str:
        t = str(text).lower().replace("-", "_") if isinstance(text, str) else None
        if t in fd.choices:
            return t
        raise SettingError(f"{fd.label}: expected one of {', '.join(fd.choices)}, got {shown}")
    if isinstance(text, bool) or (isinstance(text, str) and not _NUMBER.fullmatch(text)):
        raise SettingError(f"{fd.label}: expected a number, got {shown}")
    try:
        v = float(text)
    except (TypeError, ValueError, OverflowError):
        raise SettingError(f"{fd.label}: expected a number, got {shown}") from None
    if not math.isfinite(v):
        raise SettingError(f"{fd.label}: expected a finite number, got {shown}")
    v += 0.0  # −0 reads 0
    if fd.kind is int:
        if v != int(v):
            raise SettingError(f"{fd.label}: expected a whole number, got {shown}")
        v = int(v)
    if (fd.lo is not None and v < fd.lo) or (fd.hi is not None and v > fd.hi):
        lo = int(fd.lo) if fd.kind is int else fd.lo
        hi = int(fd.hi) if fd.kind is int else fd.hi
        raise SettingError(f"{fd.label}: expected a value from {lo} to {hi}, got {shown}")
    return v


def from_mapping(values: Mapping[str, Any], base: Settings = DEFAULTS) -> tuple[Settings, list[str]]:
    """Settings read from a mapping (e.g. st.query_params); each bad or unknown value is skipped (the base
    value stays) and gives one short warning."""
    out: dict[str, Any] = {}
    warnings: list[str] = []
    for key in list(values.keys()):
        if key not in FIELDS:
            continue  # other keys belong to pages (PAGE_CONTROLS, read by ui.blocks) or to nobody
        raw = values[key]
        if isinstance(raw, (list, tuple)):  # a repeated key: the last one counts
            raw = raw[-1] if raw else ""
        try:
            out[key] = parse(key, raw)
        except SettingError as e:
            warnings.append(f"{e} — using {getattr(base, key)}.")
    return replace(base, **out), warnings


def _same(v: Any) -> Any:
    return v


def _full_or_int(text: str) -> int | None:
    """A truncation's choice as a page uses it: "full" is None (no truncation), "5" is 5."""
    return None if text == "full" else int(text)


@dataclass(frozen=True)
class PageControl:
    """One page's own control kept in the URL: how its value is read and checked, its default, and `value`, which
    turns what the widget holds (its URL text for a choice: "0.01", "full") into what the page computes with
    (0.01, None). A page receives `value`'s result (ui.blocks.page_control); the widget and the link keep the text."""

    page: str  # the page that draws it (its file name in pages/, without .py)
    field: Field
    default: Any
    value: Callable[[Any], Any] = _same


def _choice(page: str, label: str, choices: tuple[str, ...], default: str, help: str = "",
            value: Callable[[str], Any] = _same) -> PageControl:
    return PageControl(page, Field(str, label, help or label, choices=choices), default, value)


LAG_STOPS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)  # the headline lag's stops on Jacobian products
GATE_BIAS_CHOICES = ("0", "1", "2", "3", "4", "5", "6", "8")
GATE_BIAS_HELP = ("The starting bias of the gates that keep the old state: the LSTM's forget gate F and the "
                  "GRU's update gate z. Each starts near σ(b): 0.73 at b = 1 (the usual LSTM init), 0.998 at "
                  "b = 6.")

# every page's own URL keys; a key here is never a sidebar field
PAGE_CONTROLS: dict[str, PageControl] = {
    # BPTT by hand: how many steps back truncated BPTT keeps (the page caps it at T − 1)
    "trunc": PageControl("bptt_by_hand", Field(int, "Truncation N", "Steps kept back from T.", 0, MAX_T), 10),
    # Jacobian products: the lag of the headline "a signal from k steps back" (the slider's stops are LAG_STOPS
    # up to the sequence's length, which the page adds as the last stop and caps k at)
    "lag": PageControl("jacobian_products", Field(int, "Lag k of the headline",
                                                  "How many steps back the signal in the headline comes from: the "
                                                  "distance between an input and the loss that needs it.", 1, MAX_T),
                       50),
    # Gated cells: the memory gates' starting bias
    "gate_bias": _choice("gated_cells", "Memory-gate bias b", GATE_BIAS_CHOICES, "3", GATE_BIAS_HELP, value=float),
    # Live training: the task, the model and the optimiser
    "task": _choice("live_training", "Task", ("adding", "remember_first", "remember_noise"), "adding"),
    "model": _choice("live_training", "Model", ("rnn", "lstm", "gru"), "rnn"),
    "opt": _choice("live_training", "Optimiser", ("sgd", "adam"), "adam"),
    "lr": _choice("live_training", "Learning rate α",
                  ("0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1"), "0.01", value=float),
    "clip": _choice("live_training", "Clipping", ("none", "norm", "value"), "none"),
    "clip_c": _choice("live_training", "Clip threshold c", ("0.1", "0.5", "1", "2", "5", "10"), "1", value=float),
    "N": _choice("live_training", "Truncation N", ("full", "1", "2", "5", "10", "20", "50", "100"), "full",
               value=_full_or_int),
    "batch": _choice("live_training", "Batch size", ("8", "16", "32", "64", "128"), "32", value=int),
    "steps": _choice("live_training", "Steps in a run", ("200", "500", "1000", "2000", "5000"), "1000", value=int),
    # Text: the text, the gated cell beside the vanilla RNN, the run, the sampling temperature, the position
    "text": _choice("text", "Text", ("echo", "brackets", "robot", "own"), "echo",
                    "A built-in sample written for this app, or your own text."),
    "cell": _choice("text", "Beside the vanilla RNN", ("lstm", "gru"), "lstm"),
    "text_N": _choice("text", "Truncation N", ("full", "5", "10", "20"), "full",
                      "Cut the gradient every N + 1 steps (full: back to the start of each window).", _full_or_int),
    "text_steps": _choice("text", "Steps in a run", ("200", "500", "1000", "2000"), "1000", value=int),
    "temp": _choice("text", "Sampling temperature", ("0.5", "0.8", "1", "1.5"), "0.8",
                    "Samples are drawn from softmax(logits / temperature): low is safe and repetitive, high is wild.",
                    float),
    "pos": PageControl("text", Field(int, "Position p in the text", "The character whose prediction is examined.",
                                     1, TEXT_MAX_CHARS), 60),
    # Lesson: the step a link opens the class on (ui.session.lesson.STEPS has LESSON_STEPS steps)
    "step": PageControl("lesson", Field(int, "Lesson step", "The step of the lesson.", 1, LESSON_STEPS), 1),
    # every page: projector mode (display only, so never a field of Settings, the cache key)
    "projector": PageControl("*", Field(bool, "Projector mode", "Large labels and thick lines."), False),
}


def page_keys(page: str) -> tuple[str, ...]:
    """The URL keys of one page's own controls, in the order it draws them."""
    return tuple(k for k, c in PAGE_CONTROLS.items() if c.page == page)


def to_text(v: Any) -> str:
    """A value's URL text, read back by parse to the very same value: 'true', '64', '0.5', '1.2345678'."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        short = f"{v:g}"
        return short if float(short) == v else repr(v)  # :g keeps 6 digits; repr is exact
    return str(v)


def to_screen(name: str, v: Any) -> str:
    """A value as the sidebar shows it, for sentences about a change: 'spectral radius ρ', 'identity (IRNN)',
    'on', '0.5' (the URL's codes, such as sigma_max or true, are for links, not for people)."""
    if name == "scale_kind":
        return SCALE_NAMES.get(v, str(v))
    if name == "init":
        return display_name(v)
    if isinstance(v, bool):
        return "on" if v else "off"
    return to_text(v)


def to_query(s: Settings) -> dict[str, str]:
    """The URL form of the settings: every field, as text."""
    return {f.name: to_text(getattr(s, f.name)) for f in fields(s)}


def scale_label(s: Settings) -> str:
    """E.g. 'gain g = 1' or 'spectral radius ρ = 0.9'."""
    return f"{SCALE_NAMES[s.scale_kind]} = {s.scale:g}"
