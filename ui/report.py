"""The report this app follows, named once, and what the app means by each of its numbered equations and
sections when it cites them (in this app's words, not the report's). Read by Home, "The report, checked", the
README's list (docs/report.md) and the test that every citation in the code is listed here."""
from __future__ import annotations

TITLE = "Recurrent Deep Learning Models and its applications"
AUTHOR = "Ngai Ho Wang"
DATE = "8 February 2025"
CITATION = f"*{TITLE}*, {AUTHOR}, {DATE}"  # markdown

# (what the app cites, what it is, where the app uses it): every "eq. n", "eqs. n–m", "pseudocode line n",
# "§…", "Table 1" and "Figure 1" in pages/, ui/ and rnn/ is covered by one row (tests/app/test_report_named.py)
CITED: tuple[tuple[str, str, str], ...] = (
    ("eq. 1", "the hidden state: hₜ = f(Uᵀxₜ + Wᵀhₜ₋₁ + b_h), with h₀ = 0",
     "every page's model (rnn/model.py, rnn/cells.py); BPTT by hand, first row"),
    ("eq. 2", "the output: ŷₜ = f(Vᵀhₜ + b_y); the report uses the hidden state's f, the app offers a "
     "choice g",
     "rnn/model.py; BPTT by hand, second row"),
    ("eq. 3", "the loss at the last step, L = ½‖ŷ_T − y‖²", "BPTT by hand, Live training, the engine's bptt"),
    ("eqs. 4–18", "the chain rule written out step by step: backpropagation through time by hand",
     "rnn/bptt.py, BPTT by hand"),
    ("eqs. 5–6", "the error at the output, δo = (ŷ_T − y) ⊙ f′(Vᵀh_T + b_y)", "rnn/bptt.py"),
    ("eq. 7", "the gradient reaching the last state through the output weights, δo Vᵀ", "rnn/bptt.py"),
    ("eqs. 8–9, 12–15", "the backward recursion, one step at a time: δaₜ = ∂L/∂aₜ, and the gradient at hₜ₋₁ "
     "from the one at hₜ through one Jacobian diag(f′(aₜ)) Wᵀ", "rnn/bptt.py, Jacobian products"),
    ("eqs. 10–11", "the gradient of the output weights V, written with a sum over the steps; the app shows "
     "why it has one term (an erratum on BPTT by hand)", "BPTT by hand, 'A correction to the report'"),
    ("eqs. 16–17", "the gradient of the output bias b_y, with the same sum as eqs. 10–11 (same erratum)",
     "BPTT by hand, 'A correction to the report'"),
    ("eqs. 12–18", "each step's term of the gradients of W, U and b_h (step t uses W with hₜ₋₁, U with xₜ, "
     "b_h alone), summed over the steps", "rnn/bptt.py, BPTT by hand's chart of each step's term"),
    ("eqs. 19–23", "plain gradient descent, θ ← θ − α ∂L/∂θ, for each parameter", "rnn/training.py, BPTT by hand's "
     "last row"),
    ("pseudocode line 14", "the loss summed over every step: the Text page's language model scores every step "
     "(their mean); the other training and BPTT by hand score the last step (eq. 3)", "rnn/training.py, Text"),
    ("pseudocode lines 19–21", "truncated BPTT: the step itself and N steps back, N + 1 terms",
     "BPTT by hand's truncation N, Lesson step 9"),
    ("§2.2.2", "sigmoid and tanh compared: their ranges and their derivatives' bounds ¼ and 1",
     "Activations, The report, checked"),
    ("Table 1", "the parameters U, W, V, b_h, b_y and their shapes", "rnn/model.py"),
    ("Figure 1", "the RNN unfolded in time", "the diagram on Home, BPTT by hand and Lesson step 1"),
)


def markdown_list() -> str:
    """The list of citations as markdown bullets (Home's expander, The report checked, docs/report.md)."""
    return "\n".join(f"- **{ref}**: {what} — *{where}*" for ref, what, where in CITED)
