"""The guided Lesson: the report's story in LESSON_STEPS steps, as data (title, two or three sentences, the
sidebar settings the step needs, the one live chart that makes its point, the page to explore next), and the
little the page needs to run it: which step a link asks for, arriving on a step (its settings applied to the
shared sidebar), Previous / Next, and drawing the step's chart with the pages' own builders (ui/charts, ui/cached).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import streamlit as st

from .. import registry, sidebar, url
from . import unfolded
from .. import settings as S
from ..blocks import STATE, chart_block, page_setting, sync_page_setting
from ..cached import activations as cached_act
from ..cached import bptt_by_hand as cached_bptt
from ..cached.gated_cells import cells
from ..cached.charts import spec
from ..cached.model import analysis
from ..charts import activations as act_charts
from ..charts import bptt_by_hand as bptt_charts
from ..charts import gated_cells as cell_charts
from ..charts import jacobian_products as jac_charts
from ..charts.style import fmt_num, fmt_pow10
from ..limits import LESSON_STEPS, refusal
from ..presets import PRESETS
from ..settings import Settings

KEY = "step"  # the URL key (ui.settings.PAGE_CONTROLS)
NOTE = "_lesson_note"  # a link's bad step, said once on the page
ARRIVED = "_lesson_arrived"  # the step whose settings were last put in the sidebar
MINE = "_lesson_mine"  # the visitor's own settings, from before the Lesson set the sidebar (Settings)
LAST = "_lesson_last"  # the settings the Lesson itself last put in the sidebar (Settings)


@dataclass(frozen=True)
class Step:
    """One step of the lesson."""

    title: str
    text: str  # two or three sentences (markdown, $…$ math)
    settings: Settings  # every sidebar control, applied on arrival
    chart: str  # the live chart: a key of CHARTS
    page: str  # the page that explores it (its name in ui.registry)
    options: dict = field(default_factory=dict)  # the chart's own options (truncation N, gate bias b)


_TANH = Settings(T=100, activation="tanh", scale=1.0, scale_kind="gain", init="gaussian", input_scale=0.5)

STEPS: tuple[Step, ...] = (
    Step("The network, unfolded",
         r"A recurrent network applies the same weights at every step: $h_t = f(U^\top x_t + W^\top h_{t-1} + b_h)$. "
         r"Unfolded in time it is a deep network with one layer per step, and the loss $L$ at the last step sends "
         r"its gradient back through every copy of $W$. Press **Play** and watch it travel: each state's colour "
         r"is the size of the gradient it receives.",
         Settings(T=8, activation="tanh", scale=1.0, scale_kind="gain", init="gaussian", input_scale=0.5),
         "unfolded", "bptt_by_hand"),
    Step("One step back: one Jacobian",
         r"Going back one step multiplies the gradient by $\partial h_t/\partial h_{t-1} = "
         r"\operatorname{diag}(f'(a_t))\,W^\top$: the recurrent matrix, scaled row by row by $f'$ at that step. "
         r"The chart shows the values of $f'(a_t)$ this network really meets; they never exceed $\gamma = "
         r"\sup|f'|$, and saturated units sit near 0.",
         _TANH, "fprime", "activations"),
    Step("k steps back: a product of k Jacobians",
         r"A signal from $k$ steps back reaches the loss through $\partial h_T/\partial h_{T-k} = \prod_j "
         r"\partial h_j/\partial h_{j-1}$, a product of $k$ matrices. Its norm changes geometrically with $k$: "
         r"a straight line on this log scale, bounded by $(\gamma\,\sigma_{\max})^k$.",
         _TANH, "jacobian", "jacobian_products"),
    Step("Sigmoid's ¼",
         r"The sigmoid's slope is $\sigma'(a) = \sigma(a)(1-\sigma(a)) \le \tfrac14$, reached only at $a = 0$. "
         r"So every step back through a sigmoid RNN scales the gradient by at most $\sigma_{\max}(W)/4$: with "
         r"$\sigma_{\max} < 4$ it must vanish, whatever the inputs.",
         PRESETS["sigmoid"].settings, "activations", "activations"),
    Step("Vanishing",
         r"With $\tanh' \le 1$ and $\rho(W) = 0.8$, the gradient shrinks geometrically over many steps: after 100 "
         r"steps almost nothing is left, so the loss cannot teach the network anything about inputs that far back. "
         r"$\rho < 1$ is a statement about the long run ($\lVert (W^\top)^k \rVert$ shrinks like $\rho^k$), not about "
         r"each step: one step back can still multiply the gradient by more than one (its norm can reach "
         r"$\sigma_{\max} > \rho$; see the W arrows on Home). At these settings the grey line falls straight: a "
         r"constant rate, in decades per step.",
         PRESETS["vanishing"].settings, "jacobian", "jacobian_products"),
    Step("Exploding, and clipping",
         r"A linear RNN with $\rho(W) = 1.2$ multiplies by $W^\top$ at every step back, so the gradient grows "
         r"geometrically, in the long run by $\rho$ per step: $\lVert (W^\top)^k \rVert \approx C\rho^k$, where a "
         r"non-normal $W$ adds a constant $C \ge 1$ (the sentence below reads both off the chart), and one update "
         r"can throw the weights far away. The usual cure is **clipping**: rescale "
         r"$g \leftarrow c\,g/\lVert g\rVert$ when $\lVert g\rVert > c$, which keeps the direction and caps the step "
         r"(try it in *Live training*).",
         PRESETS["exploding"].settings, "jacobian", "live_training"),
    Step("The edge of chaos",
         r"Between the two sits a thin boundary where the product neither shrinks nor grows: here an orthogonal "
         r"$W$ and tiny inputs keep $\tanh$ near its linear part, so the norm stays near 1 at every lag. The "
         r"phase diagram shows how narrow that line is.",
         PRESETS["edge"].settings, "jacobian", "phase_diagram"),
    Step("The LSTM's cell path",
         r"The LSTM adds a path with no weight matrix on it: $c_t = F_t \odot c_{t-1} + i_t \odot \tilde c_t$, so "
         r"$\partial c_t/\partial c_{t-1} = \operatorname{diag}(F_t)$. With its forget gate's bias at $b = 3$ "
         r"($F \approx 0.95$), the LSTM's line stays far flatter than the vanilla RNN's on the same inputs.",
         PRESETS["lstm"].settings, "cells", "gated_cells", {"gate_bias": 3.0}),
    Step("Truncated BPTT",
         r"Truncated BPTT keeps the last step and the $N$ steps before it, $\partial L/\partial W \approx "
         r"\sum_{t=T-N}^{T} (\ldots)$, $N + 1$ terms of the sum: cheaper, and harmless when the far terms have "
         r"vanished anyway. The shaded band is what $N = 10$ keeps (11 terms); the cosine says how close the "
         r"truncated gradient points to the full one.",
         _TANH, "truncation", "bptt_by_hand", {"N": 10}),
)
assert len(STEPS) == LESSON_STEPS, "ui.limits.LESSON_STEPS is the URL's bound on ?step="


# ---------------------------------------------------------------------------------------------------------
# the step in the URL, arriving, moving

def current() -> int:
    """The step (1 … LESSON_STEPS) from the URL on the session's first visit, then from the session. A bad value
    opens step 1 and leaves a short note for `note` (shown after the rerun that applies the step's settings)."""
    if STATE + KEY not in st.session_state and KEY in st.query_params:
        try:
            S.parse_field(S.PAGE_CONTROLS[KEY].field, st.query_params.get_all(KEY)[-1])
        except S.SettingError as e:
            st.session_state[NOTE] = f"{e} — opening step 1."
            st.session_state[STATE + KEY] = 1
    return int(page_setting(KEY))


def note() -> None:
    """The note about a link's bad step, once."""
    text = st.session_state.pop(NOTE, None)
    if text:
        st.warning(text, icon=":material/link_off:")


def go(k: int) -> None:
    """Previous / Next (a button callback): move to step k and put its settings in the sidebar."""
    k = min(max(int(k), 1), len(STEPS))
    st.session_state[STATE + KEY] = k
    _keep_mine(sidebar.current())
    _set(STEPS[k - 1].settings)
    st.session_state[ARRIVED] = k


def reset(k: int) -> None:
    """Put step k's settings back in the sidebar (a button callback)."""
    _set(STEPS[k - 1].settings)


def restore() -> None:
    """Put the visitor's own settings back in the sidebar (a button callback): those it held before the
    Lesson last set it."""
    mine = st.session_state.get(MINE)
    if mine is not None:
        _set(mine)


def arrive(k: int, s: Settings, early: bool = False) -> None:
    """On arriving at step k from a link or the navigation, its settings go into the sidebar, the visitor's own
    kept for `restore`; what changed is said in one line by `settings_row`, not by the sidebar's note above the
    page. Afterwards the visitor's own changes to the sidebar stay: only a new step applies settings again.
    app.py calls it `early`, before the sidebar is drawn, so the step's settings are in the sidebar of the
    run itself; called from the page (the sidebar already drawn) it costs a rerun."""
    sync_page_setting(KEY)
    if st.session_state.get(ARRIVED) != k:
        st.session_state[ARRIVED] = k
        replaced = st.session_state.get(url.REPLACED)
        if s == STEPS[k - 1].settings and replaced is not None:
            # Back or Forward brought this step's settings along (url.follow_history): the visitor's own are the
            # ones the address replaced
            _keep_mine(replaced)
            st.session_state[LAST] = s
        elif s != STEPS[k - 1].settings:
            _keep_mine(s)
            st.session_state[LAST] = STEPS[k - 1].settings
            st.session_state[sidebar.QUIET] = True
            sidebar.request(rerun=not early, **_values(STEPS[k - 1]))


def _link_view(query: dict) -> None:
    """A link to the Lesson carries the settings of the step it opens, where arriving there will put them in
    the sidebar (ui.url.link_view): one history entry, the view the class will see."""
    k = int(query.get(KEY, 1))
    if st.session_state.get(ARRIVED) != k and 1 <= k <= len(STEPS):
        query.update(S.to_query(STEPS[k - 1].settings))


url.link_view("lesson", _link_view)


def _keep_mine(s: Settings) -> None:
    """Before the Lesson sets the sidebar: keep what it holds as the visitor's own, unless it is what the Lesson
    itself put there last (then the visitor's own is still the one kept before)."""
    if s != st.session_state.get(LAST):
        st.session_state[MINE] = s


def _set(target: Settings) -> None:
    """From a callback: put these settings in the sidebar; this page says what changed, not the sidebar's note."""
    sidebar.apply(**asdict(target))
    st.session_state.pop(sidebar.CHANGED, None)
    st.session_state[LAST] = target


def _values(step: Step) -> dict:
    return asdict(step.settings)


# ---------------------------------------------------------------------------------------------------------
# each step's live chart, drawn with the pages' own builders

def _jacobian(s: Settings, step: Step) -> None:
    a = analysis(s)
    k = min(50, int(a.get("T_used", s.T)))
    sat = jac_charts.saturated_fraction(cached_act.fprime_along_trajectory(s)["values"])
    st.markdown(jac_charts.rate_sentence(a, k, sat))
    df = jac_charts.jacobian_frame(a)
    chart_block(spec(jac_charts.jacobian_chart, df), df,
                r"x: the lag k. y: the norm on a log scale. Thick grey: $\lVert \partial h_T/\partial h_{T-k} \rVert$, "
                "the product of k Jacobians; dashed: the bound (γ·σₘₐₓ)ᵏ and ρᵏ; orange: the gradient BPTT sends "
                "back, " + jac_charts.gradient_start_text(a),
                "lesson_jacobian_products.csv")


def _fprime(s: Settings, step: Step) -> None:
    fp = cached_act.fprime_along_trajectory(s)
    hist = act_charts.fprime_frame(fp["values"], fp["gamma"])
    chart_block(spec(act_charts.fprime_chart, hist, fp["gamma"], fp["mean_abs"]), hist,
                f"The {fp['values'].size:,} values f′(aₜ), one per step and unit, binned: the diagonal of every "
                f"Jacobian. Solid rule: γ = {fp['gamma']:g}; dashed: their mean, {fmt_num(fp['mean_abs'], 3)}.",
                "lesson_fprime.csv")


def _activations(s: Settings, step: Step) -> None:
    curves = cached_act.activation_curves()
    df = act_charts.activation_frame(curves, current=s.activation)
    chart_block(spec(act_charts.activation_chart, df), df,
                "Each panel: f(a) (grey) and f′(a) (orange) against the pre-activation a; the dashed rule is "
                "γ = sup|f′|. The sigmoid's f′ never passes 1/4.", "lesson_activations.csv", width=None)


def _cells(s: Settings, step: Step) -> None:
    b = float(step.options.get("gate_bias", 1.0))
    found = cells(s, b)
    st.markdown(" · ".join(f"{cell_charts.CELL_NAMES[k]}: slope **{fmt_num(a['slope'], 3)}** decades per step "
                           f"({a['regime']}; the norm is {fmt_pow10(float(a['log10_norm'][-1]))} at lag {a['lag'][-1]})"
                           for k, a in found.items()))
    frame = cell_charts.cells_frame(found)
    chart_block(spec(cell_charts.cells_chart, frame), frame,
                rf"x: the lag k; y: $\lVert \partial s_T/\partial s_{{T-k}} \rVert$ on a log scale for the vanilla RNN, "
                rf"the LSTM ($s = (h, c)$) and "
                f"the GRU on the same inputs, memory gates' bias b = {b:g}. The flatter the line, the longer the "
                "cell remembers.", "lesson_gated_cells.csv")


def _truncation(s: Settings, step: Step) -> None:
    N = min(int(step.options.get("N", 10)), max(s.T - 1, 0))
    rep = cached_bptt.bptt_report(s)
    if not rep["finite"]:
        st.info("Hand BPTT overflowed for these settings; lower T or the weight scale.", icon=":material/info:")
        return
    tr = cached_bptt.truncated(s, N)
    st.markdown(f"With N = {N}: cos(truncated ∂L/∂W, full) = **{fmt_num(tr['cos'], 4, fixed=True)}**, "
                f"norm ratio **{fmt_num(tr['ratio'])}**.")
    steps = bptt_charts.per_step_frame(rep)
    chart_block(spec(bptt_charts.per_step_chart, steps, s.T, N), steps,
                "x: the step t; y: the norm of step t's term of ∂L/∂W, ∂L/∂U and ∂L/∂b_h (log scale). Shaded: "
                "the steps truncated BPTT keeps.", "lesson_truncation.csv")


def _unfolded(s: Settings, step: Step) -> None:
    unfolded.diagram(s, key="lesson")


CHARTS = {"unfolded": _unfolded, "fprime": _fprime, "jacobian": _jacobian, "activations": _activations,
          "cells": _cells, "truncation": _truncation}
KINDS = {"cells": ("rnn", "lstm", "gru")}  # the models a chart analyses, for the budget check


def show(step: Step, s: Settings) -> None:
    """The step's live chart for the sidebar's settings (a request over the budget: its message instead)."""
    why = refusal(s, "jacobian", KINDS.get(step.chart, ("rnn",)))
    if step.chart == "truncation":
        why = why or refusal(s, "bptt")
    if why:
        st.info(why, icon=":material/info:")
        return
    CHARTS[step.chart](s, step)


def link(step: Step) -> None:
    registry.link(step.page, label=f"Explore it on the page {registry.page(step.page).title}")


# ---------------------------------------------------------------------------------------------------------
# the page's layout: one step on one screen (at 1024 × 768 in projector mode the chart starts on the first screen)

# PageDown / PageUp (a presenter's clicker) press Next / Previous wherever the focus is, but in a text field or on
# a slider. Streamlit's own button shortcut fires only while the focus is inside the page's main area, and a page
# just opened has it on the document. One listener per browser tab; on other pages it finds no button and lets
# the key scroll. A constant: nothing a visitor sends reaches it.
KEYS = """<script>
(() => {
  if (window.__lessonKeys) return;
  window.__lessonKeys = true;
  document.addEventListener('keydown', (e) => {
    if ((e.key !== 'PageDown' && e.key !== 'PageUp') || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const t = e.target;
    if (t && t.closest && t.closest('input, textarea, select, [contenteditable="true"], [role="slider"]')) return;
    const b = document.querySelector(e.key === 'PageDown' ? '.st-key-lesson_next button'
                                                            : '.st-key-lesson_prev button');
    if (!b) return;
    e.preventDefault();
    if (!b.disabled) b.click();
  }, true);
})();
</script>"""


def nav(k: int) -> None:
    """One row: where the class is (Lesson · step k of n) and Previous / Next, which a presenter's clicker also
    presses (PageUp / PageDown)."""
    n = len(STEPS)
    # the page's title sized as a line, not a banner (a constant; st.html keeps a lone <style> out of the layout)
    st.html("<style>.st-key-lesson_top h1 { font-size: 1.5rem; padding: 0; line-height: 1.3; }</style>")
    st.html(KEYS, unsafe_allow_javascript=True)
    top = st.container(key="lesson_top", gap="small")
    where, prev, nxt = top.columns([3, 2, 2], vertical_alignment="center")
    where.title(f"Lesson · step {k} of {n}", anchor=False)
    prev.button("Previous", icon=":material/arrow_back:", on_click=go, args=(k - 1,), disabled=k == 1,
                width="stretch", key="lesson_prev", help="The previous step (key: PageUp)")
    nxt.button("Next", icon=":material/arrow_forward:", on_click=go, args=(k + 1,), disabled=k == n,
               width="stretch", type="primary", key="lesson_next",
               help="The next step (key: PageDown)")
    top.progress(k / n)


def changes(before: Settings, after: Settings) -> list[str]:
    """The sidebar controls that differ, as "label before → after"."""
    return [f"{S.FIELDS[f.name].label}: {S.to_screen(f.name, getattr(before, f.name))} → "
            f"{S.to_screen(f.name, getattr(after, f.name))}"
            for f in fields(Settings) if getattr(before, f.name) != getattr(after, f.name)]


def settings_row(k: int, s: Settings) -> None:
    """Under the step, one line: what the Lesson changed in the visitor's sidebar, and a button that puts their
    own settings back (for leaving the Lesson with them); and, when the sidebar no longer holds this step's
    settings, a button that puts the step's back."""
    mine = st.session_state.get(MINE)
    step = STEPS[k - 1].settings
    changed = changes(mine, s) if mine is not None else []
    if not changed and s == step:
        return
    text, buttons = st.columns([3, 2], vertical_alignment="center")
    if changed:
        text.caption(f":material/tune: The Lesson changed {len(changed)} of your sidebar settings.",
                     help="Yours → the Lesson's: " + "; ".join(changed) + ".")
        buttons.button("Put my settings back", icon=":material/undo:", on_click=restore, key="lesson_mine",
                       width="stretch", help="Your own sidebar settings, from before the Lesson set them: "
                                             + "; ".join(changed) + ".")
    else:
        text.caption(":material/tune: You changed the sidebar on this step.")
    if s != step:
        buttons.button("This step's settings", icon=":material/restart_alt:", on_click=reset, args=(k,),
                       key="lesson_reset", width="stretch",
                       help="Put this step's settings back in the sidebar: " + "; ".join(changes(s, step)) + ".")
