"""The report's Figure 1 drawn from the model: the RNN unfolded in time, x_t → h_t → ŷ_t at every step, the
arrows U (input), W (step to step) and V (output), and the loss L at the last step, as Graphviz DOT text for
st.graphviz_chart. Each h_t is filled by log10‖∂L/∂h_t‖ (what BPTT delivers there) and each W arrow coloured
by log10‖∂h_t/∂h_{t−1}‖ (one step's Jacobian), on one colour scale drawn as a legend: a gradient that vanishes
fades to white towards the left, one that explodes burns dark red.

Pure functions: numbers in, text out. Every label is a number or a symbol made here (no visitor's text ever
reaches the DOT). Long sequences keep the first and the last steps with an elision between them, plus the step
being played, so the picture never holds more than about a dozen steps. Also the play logic (`advance`).
References: Rumelhart, Hinton & Williams (1986), Werbos (1990) for the unfolded picture; Pascanu, Mikolov &
Bengio (2013) for the vanishing product.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FIRST = 1  # steps always shown at the start of a long sequence (after h_0) …
LAST_PROJECTOR = 3  # fewer, larger steps on a projector
LAST = 5  # … and at its end
AROUND = 1  # steps shown either side of the one being played
MAX_TICKS = 60  # a play of any length takes at most this many ticks
# ColorBrewer OrRd, light → dark: small norms fade out, large ones burn. The projector's version starts darker
# so that a washed-out projector still shows the fading ones.
PALETTE = ("#fff7ec", "#fee8c8", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000")
PALETTE_PROJECTOR = ("#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#b30000", "#7f0000")
NONE_FILL = "#ffffff"  # a state the gradient has not reached yet (play), or whose norm does not exist
# On the dark theme the diagram has no card of its own (it was a white card on the page): the page's background
# shows through, the lines and the text outside the states turn light. Fills and the text on them stay.
DARK_BG = "#0e1117"  # Streamlit's dark background: a state not reached yet takes it
DARK = {"LINE": "#9ca3af", "TEXT": "#e5e7eb", "EDGE_TEXT": "#d1d5db", "DROPPED": "#6b7280",
        "DROPPED_TEXT": "#9ca3af", "NONE_FILL": DARK_BG, "BG": "transparent"}
LIGHT = {"LINE": "#4b5563", "TEXT": "#111827", "EDGE_TEXT": "#374151", "DROPPED": "#9ca3af",
         "DROPPED_TEXT": "#6b7280", "NONE_FILL": NONE_FILL, "BG": "white"}
LINE = "#4b5563"  # outlines and U, V arrows: dark grey, readable on the white card
DROPPED = "#9ca3af"  # steps truncated BPTT drops, and the outputs the loss does not read
DROPPED_TEXT = "#6b7280"  # their labels: fainter than the others, still 4.8:1 on the white card (WCAG's 4.5:1)
FOCUS = "#2563eb"  # the state the gradient has just reached
SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def sub(t: int) -> str:
    """t as subscript digits: 12 → '₁₂'."""
    return str(int(t)).translate(SUB)


def short(x: float) -> str:
    """10**x from its log10, short enough for a node: '0.42', '3.1', '5·10⁻⁸', '2·10¹²'; '0' for −∞, '—' if
    missing."""
    if x is None or not math.isfinite(x):
        return "0" if x == -math.inf else "—"
    if -2 <= x < 3:
        return f"{10.0 ** x:.2g}"
    e = math.floor(x)
    m = round(10.0 ** (x - e))
    if m >= 10:
        m, e = 1, e + 1
    return ("" if m == 1 else f"{m}·") + "10" + str(e).translate(SUP)


def shown_steps(T: int, focus: int | None = None, last: int = LAST) -> list[int]:
    """The steps t (0 … T) drawn for a sequence of T steps: all of them when T is short, else h_0, the first
    FIRST steps, the `last` steps at the end and the steps around `focus`; the gaps between them are elided."""
    if T <= FIRST + last + 2:
        return list(range(T + 1))
    keep = set(range(FIRST + 1)) | set(range(T - last + 1, T + 1))
    if focus is not None:
        around = {t for t in range(focus - AROUND, focus + AROUND + 1) if 0 <= t <= T}
        if not around <= keep:
            # the played step and its neighbours take the place of h_1 … and of steps at the end, so that the
            # diagram keeps about its resting width while it plays: st.graphviz_chart scales the picture to the
            # page's width, and three more states and a second elision shrank every label (to ~10 px at T = 100)
            tail = max(1, last - len(around - keep))
            keep = {0} | around | set(range(T - tail + 1, T + 1))
    return sorted(keep)


def color(x: float, lo: float, hi: float, palette=PALETTE) -> str:
    """The palette's colour for log10 value x on the scale lo … hi (clipped at the ends); NONE_FILL if x is
    missing."""
    if x is None or math.isnan(x):
        return NONE_FILL
    if hi <= lo:
        return palette[len(palette) // 2]
    u = min(max((x - lo) / (hi - lo), 0.0), 1.0)
    return palette[min(int(u * len(palette)), len(palette) - 1)]


def scale(grad: np.ndarray, jac: dict[int, float]) -> tuple[float, float]:
    """The colour scale lo … hi (log10): every finite ‖∂L/∂h_t‖ (all steps, so the colours stay put while the
    gradient is played back) and the W arrows' one-step norms, widened to at least one decade."""
    vals = np.concatenate([np.asarray(grad, dtype=np.float64), np.asarray(list(jac.values()), dtype=np.float64)])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return -1.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    if hi - lo < 1.0:
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    return lo, hi


@dataclass(frozen=True)
class Diagram:
    """What the DOT text draws, for tests: each shown step's fill, each W arrow's colour, the elisions."""

    dot: str
    steps: list[int]  # the states h_t drawn
    node_fill: dict[int, str]  # h_t → fill colour
    edge_color: dict[int, str]  # t → colour of the W arrow h_{t−1} → h_t (t ≥ 1, both ends drawn)
    elided: list[tuple[int, int]]  # (first, last) step of each gap
    dropped: list[int]  # shown states whose step truncated BPTT drops (t < T − N)
    lo: float
    hi: float


def build(grad: np.ndarray, jac: dict[int, float], T: int, N: int | None = None, reached: int | None = None,
          projector: bool = False, dark: bool = False) -> Diagram:
    """The unfolded RNN over T steps as DOT text.
    grad[t] = log10‖∂L/∂h_t‖ for t = 0 … T (NaN where it does not exist); jac[t] = log10‖∂h_t/∂h_{t−1}‖ for the
    shown steps t ≥ 1 (others ignored); N: truncation (keep the steps T − N … T; None is full BPTT);
    reached: how many steps back the gradient has travelled while playing (states h_t with t < T − reached are
    left white, h_{T−reached} is outlined); None shows every state. dark: the dark theme's lines and text, no card."""
    palette = PALETTE_PROJECTOR if projector else PALETTE
    ink = DARK if dark else LIGHT
    grad = np.asarray(grad, dtype=np.float64)
    focus = None if reached is None else T - min(max(int(reached), 0), T)
    steps = shown_steps(T, focus, LAST_PROJECTOR if projector else LAST)
    lo, hi = scale(grad, {t: v for t, v in jac.items() if t in steps})
    first_kept = 0 if N is None else max(T - int(N), 0)  # truncation keeps the steps T − N … T (and h_{T−N−1})
    # Streamlit draws graph text at 0.6 rem whatever the DOT says (10 px; 13 px under projector mode's larger
    # root font): the layout is computed for that size
    fs, big = (14, 16) if projector else (10, 12)
    pen = 2 if projector else 1
    out = ["digraph unfolded {", f"rankdir=BT; bgcolor={ink['BG']}; nodesep=0.12; ranksep=0.18; newrank=true; pad=0.05;",
           f'node [fontname="Helvetica", fontsize={fs}, color="{ink["LINE"]}", fontcolor="{ink["TEXT"]}", penwidth={pen}, '
           'width=0.45, height=0.3];',
           f'edge [fontname="Helvetica", fontsize={fs}, color="{ink["LINE"]}", fontcolor="{ink["EDGE_TEXT"]}", penwidth={pen}];']
    fills, edges, elided, dropped = {}, {}, [], []
    h_row, x_row, y_row = [], [], []
    prev = None
    for t in steps:
        if prev is not None and t > prev + 1:  # a gap: one elision node in the h row
            e = f"gap{prev}"
            elided.append((prev + 1, t - 1))
            out.append(f'{e} [shape=plaintext, label="⋯ {t - prev - 1} steps ⋯", fontcolor="{ink["LINE"]}"];')
            out.append(f'h{prev} -> {e} [style=dotted, arrowhead=none];')
            out.append(f'{e} -> h{t} [style=dotted];')
            h_row.append(e)
        g = float(grad[t]) if t < grad.size else math.nan
        lit = focus is None or t >= focus
        fill = color(g, lo, hi, palette) if lit else ink["NONE_FILL"]
        fill = ink["NONE_FILL"] if fill == NONE_FILL else fill  # a norm that does not exist
        fills[t] = fill
        is_dropped = t < first_kept
        if is_dropped:
            dropped.append(t)
        dark_fill = fill in palette[len(palette) * 2 // 3:] or fill == DARK_BG
        attrs = [f'label="h{sub(t)}\\n{short(g) if lit else " "}"', "shape=circle", "style=" +
                 ('"filled,dashed"' if is_dropped else "filled"), f'fillcolor="{fill}"',
                 f'fontcolor="{"#ffffff" if dark_fill else "#111827"}"', "fixedsize=true",
                 f"width={0.85 if projector else 0.62}"]
        if focus is not None and t == focus:
            attrs += [f'color="{FOCUS}"', f"penwidth={pen * 3.5}"]
        elif is_dropped:
            attrs.append(f'color="{ink["DROPPED"]}"')
        out.append(f"h{t} [{', '.join(attrs)}];")
        h_row.append(f"h{t}")
        if t >= 1:
            x_row.append(f"x{t}")
            y_row.append(f"y{t}")
            out.append(f'x{t} [shape=box, style=rounded, label="x{sub(t)}"];')
            out.append(f'x{t} -> h{t} [label="U"];')
            if t == T:
                out.append(f'y{t} [shape=box, style=rounded, label="ŷ{sub(t)}"];')
                out.append(f'h{t} -> y{t} [label="V"];')
            else:  # the loss reads ŷ_T only: the other outputs are drawn faint
                out.append(f'y{t} [shape=box, style="rounded,dotted", label="ŷ{sub(t)}", fontcolor="{ink["DROPPED_TEXT"]}", '
                           f'color="{ink["DROPPED"]}"];')
                out.append(f'h{t} -> y{t} [label="V", style=dotted, color="{ink["DROPPED"]}", '
                           f'fontcolor="{ink["DROPPED_TEXT"]}"];')
            if prev == t - 1:
                j = jac.get(t, math.nan)
                # the arrow's Jacobian is in the running product once the gradient has crossed it
                c = color(j, lo, hi, palette) if focus is None or t > focus else ink["DROPPED"]
                c = c if c != NONE_FILL else ink["DROPPED"]
                edges[t] = c
                style = ", style=dashed" if t - 1 < first_kept else ""
                out.append(f'h{t - 1} -> h{t} [label="W  {short(j)}", color="{c}", penwidth={pen * 2.5}'
                           f'{style}];')
        prev = t
    out.append(f'L [shape=doubleoctagon, label="L", fontsize={big}, style=filled, fillcolor="#fde68a", '
               'fontcolor="#111827"];')
    out.append(f"y{T} -> L;" if T >= 1 else "h0 -> L;")
    out.append("{rank=same; " + "; ".join(h_row) + "}")
    if x_row:
        out.append("{rank=same; " + "; ".join(x_row) + "}")
        out.append("{rank=same; " + "; ".join(y_row) + "}")
    out += _legend(lo, hi, palette, fs)
    out.append(f"legend -> {x_row[0] if x_row else 'h0'} [style=invis];")  # the legend below the inputs
    out.append("}")
    return Diagram("\n".join(out), steps, fills, edges, elided, dropped, lo, hi)


def _legend(lo: float, hi: float, palette, fs: int) -> list[str]:
    """The colour scale as a row of swatches, labelled at both ends and in the middle (log10 → 10^k)."""
    cells = []
    for i, c in enumerate(palette):
        ends = {0: lo, len(palette) // 2: lo + (i + 0.5) * (hi - lo) / len(palette), len(palette) - 1: hi}
        text = short(ends[i]) if i in ends else " "
        cells.append(f'<TD BGCOLOR="{c}" WIDTH="30" HEIGHT="14"><FONT POINT-SIZE="{fs}" COLOR='
                     f'"{"#ffffff" if i >= len(palette) * 2 // 3 else "#111827"}">{text}</FONT></TD>')
    table = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" COLOR="#9ca3af"><TR><TD COLSPAN="'
             f'{len(palette)}" BORDER="0"><FONT POINT-SIZE="{fs}">colour: ‖∂L/∂hₜ‖ (states) and '
             f'‖∂hₜ/∂hₜ₋₁‖ (W arrows)</FONT></TD></TR><TR>{"".join(cells)}</TR></TABLE>>')
    return [f"legend [shape=plaintext, label={table}];"]


def advance(k: int, T: int) -> tuple[int, bool]:
    """One tick of play: the gradient moves `stride` steps further back (1 for T ≤ MAX_TICKS, so the whole
    sequence plays in at most MAX_TICKS ticks). Returns the new position and whether play goes on."""
    stride = max(1, math.ceil(T / MAX_TICKS))
    k = min(int(k) + stride, T)
    return k, k < T


def product_line(log_prod: np.ndarray, grad: np.ndarray, k: int, T: int) -> str:
    """The running product as the gradient reaches h_{T−k}, with the engine's numbers: ‖∂h_T/∂h_{T−k}‖ (from
    its log10 norms by lag) and the gradient ‖∂L/∂h_{T−k}‖ BPTT delivers there. Markdown without underscores."""
    if k <= 0:
        return (f"**k = 0**: the gradient starts at h{sub(T)}, ‖∂L/∂h{sub(T)}‖ = {short(float(grad[T]))}; "
                f"∂h{sub(T)}/∂h{sub(T)} = I. Press **Play** to send it back.")
    v = float(log_prod[k - 1]) if k - 1 < len(log_prod) else math.nan
    t = T - k
    last = f"∂h{sub(t + 1)}/∂h{sub(t)}" if k > 1 else ""
    chain = f"∂h{sub(T)}/∂h{sub(T - 1)}" + {1: "", 2: " · "}.get(k, " ⋯ ") + last
    return (f"**k = {k}**: ∂h{sub(T)}/∂h{sub(t)} = {chain}, a product of {k} Jacobian{'s' if k != 1 else ''}: "
            f"‖∂h{sub(T)}/∂h{sub(t)}‖ = **{short(v)}**, and BPTT delivers ‖∂L/∂h{sub(t)}‖ = "
            f"**{short(float(grad[t]))}**.")
