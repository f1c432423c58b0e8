"""Classroom presets: one click sets every sidebar control to values that really show the named regime.

Each preset is a full Settings (every field), a target page (or None: stay) and a one-line explanation.
The expected regime of the vanilla RNN at these settings is checked by tests/app/test_home_activations_jacobians.py with
rnn.analyze (slope per step in decades; EDGE_TOL = 0.01), so a change in the engine that moves a preset
out of its regime fails a test instead of misleading a class. No streamlit here: the Home page applies a
preset in a button callback with ui.sidebar.apply(**preset.values).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from rnn.training import DEMO, DEMO_STEPS

from .settings import Settings


@dataclass(frozen=True)
class Preset:
    """A named set of sidebar values, where to go, and why it shows what its name says."""

    label: str  # the button's text
    icon: str  # a material icon
    settings: Settings  # every sidebar control
    why: str  # one line for the class (markdown, with $…$ math)
    expect: str  # the vanilla RNN's regime at these settings: vanishing / edge / exploding
    page: str | None = None  # page to open after applying (its name in ui.registry)
    page_values: tuple[tuple[str, str], ...] = ()  # that page's own controls (ui.settings.PAGE_CONTROLS)

    @property
    def values(self) -> dict:
        """The settings as keyword arguments for ui.sidebar.apply."""
        return asdict(self.settings)


_BASE = dict(hidden=64, seed=0, float64=True, device="auto")

# no-break spaces (\u00a0) keep "ρ < 1" and the like on one line when a label wraps
PRESETS: dict[str, Preset] = {
    "vanishing": Preset(
        "vanishing (tanh, ρ\u00a0<\u00a01)", ":material/trending_down:",
        Settings(T=100, activation="tanh", scale=0.8, scale_kind="rho", init="gaussian", input_scale=0.5,
                 **_BASE),
        r"$\tanh' \le 1$ and $\rho(W) = 0.8 < 1$: over many steps the gradient shrinks geometrically. "
        r"$\rho$ bounds the long run, not each step: one step back may still multiply it by more than one.",
        "vanishing"),
    "exploding": Preset(
        "exploding (linear or relu, ρ\u00a0>\u00a01)", ":material/trending_up:",
        Settings(T=100, activation="linear", scale=1.2, scale_kind="rho", init="gaussian", input_scale=0.5,
                 **_BASE),
        r"A linear RNN multiplies by $W^\top$ every step back, so $\|(W^\top)^k\|$ grows like "
        r"$\rho^k = 1.2^k$: about $10^8$ after 100 steps.",
        "exploding"),
    "edge": Preset(
        "edge of chaos (tanh, g\u00a0=\u00a01)", ":material/trending_flat:",
        Settings(T=100, activation="tanh", scale=1.0, scale_kind="gain", init="orthogonal", input_scale=0.01,
                 **_BASE),
        r"An orthogonal $W$ with gain 1 and tiny inputs keep tanh near its linear part ($f' \approx 1$): "
        r"the norm stays near 1 at every lag.",
        "edge"),
    "sigmoid": Preset(
        "sigmoid vanishes whenever σₘₐₓ\u00a0<\u00a04", ":material/south:",
        Settings(T=100, activation="sigmoid", scale=3.0, scale_kind="sigma_max", init="gaussian",
                 input_scale=0.5, **_BASE),
        r"$\sigma' \le 1/4$, so each step back scales by at most $\gamma\,\sigma_{\max} = 0.25 \cdot 3 "
        r"= 0.75 < 1$: the bound alone forces the gradient to vanish.",
        "vanishing"),
    "lstm": Preset(
        "LSTM keeps the gradient", ":material/memory:",
        Settings(T=100, activation="tanh", scale=1.0, scale_kind="gain", init="gaussian", input_scale=1.0,
                 **_BASE),
        r"Here the vanilla tanh RNN vanishes fast. The LSTM's cell path $c_t = F_t \odot c_{t-1} + "
        r"i_t \odot \tilde c_t$, with its forget gate's bias at $b = 3$ ($F_t \approx \sigma(3) = 0.95$), "
        r"holds the gradient: over all 100 steps its norm changes by about one decade (it even grows a little), "
        r"where the vanilla RNN's loses twenty.",
        "vanishing", page="gated_cells", page_values=(("gate_bias", "3"),)),
    # the LSTM demo of Live training (rnn.training.DEMO; benchmarks/RESULTS_LSTM_DEMO.md): its sidebar values
    # and the page's controls, which the page's demo button sets too
    "lstm_demo": Preset(
        "LSTM to the rescue, trained live", ":material/model_training:",
        Settings(T=DEMO.T, activation=DEMO.activation, scale=DEMO.scale, scale_kind=DEMO.scale_kind,
                 init=DEMO.init, hidden=DEMO.hidden_size, input_scale=0.5, seed=0, float64=True, device="auto"),
        rf"Remember the first of 8 symbols through {DEMO.T - 1} steps of noise. Press *The LSTM demo* there: a "
        r"tanh RNN, an LSTM and a GRU train on the same batches; the RNN stays at chance (1/8), the gated cells, their "
        rf"memory gates starting at $b = {DEMO.gate_bias:g}$, learn it within a few hundred steps.",
        "vanishing", page="live_training",
        page_values=(("task", DEMO.task), ("model", DEMO.model), ("opt", DEMO.optimizer), ("lr", f"{DEMO.lr:g}"),
                     ("clip", DEMO.clip), ("N", "full"), ("batch", str(DEMO.batch_size)),
                     ("steps", str(DEMO_STEPS)))),
}
