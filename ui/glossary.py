"""The words the app uses, each defined in plain words before its symbol: the Glossary page prints them,
and help texts can point to them. Plain data, no streamlit."""
from __future__ import annotations

TERMS: dict[str, str] = {
    "backpropagation through time (BPTT)":
        "Training a recurrent network by unfolding it over the steps of a sequence and applying the chain rule "
        "backwards from the loss, step by step.",
    "truncated BPTT":
        "BPTT that goes back only N steps from the loss and drops the older terms: cheaper, but blind to "
        "dependencies longer than N.",
    "Jacobian ∂hₜ/∂hₜ₋₁":
        "The matrix of how much each unit of the state at step t moves when a unit at step t − 1 moves. For the "
        "vanilla RNN it is diag(f′(aₜ)) Wᵀ.",
    "product of Jacobians":
        "What a gradient is multiplied by on its way k steps back: one Jacobian per step. Its size decides "
        "whether a signal from far back still arrives.",
    "lag k":
        "How many steps back from the last step T a signal comes from.",
    "vanishing gradient":
        "The product of Jacobians shrinks geometrically with the lag, so the gradient from far back is "
        "practically zero and those steps cannot be learnt.",
    "exploding gradient":
        "The product grows geometrically with the lag, so one update can be huge; clipping the gradient's norm "
        "is the usual remedy.",
    "edge of chaos":
        "Between vanishing and exploding: the product keeps its size over many steps. The app calls a slope "
        "within ±0.01 decades per step the edge (±0.03 for gated cells).",
    "decades per step (slope)":
        "How many powers of ten the norm loses (negative) or gains (positive) per step back: −0.1 means "
        "10 steps shrink it by a factor of 10.",
    "norm, spectral norm ‖·‖₂":
        "The size of a matrix: the most it can stretch any vector. The app measures products with it.",
    "Frobenius norm ‖·‖F":
        "Another size of a matrix: the square root of the sum of its squared entries; at least the spectral "
        "norm, and easier to compute.",
    "spectral radius ρ(W)":
        "The largest absolute eigenvalue of W: how fast Wᵏ grows or shrinks in the long run.",
    "largest singular value σₘₐₓ(W)":
        "The most W can stretch a vector (its spectral norm).",
    "gain g":
        "The weight scale of a Gaussian W: its entries are drawn with standard deviation g/√n, so that W "
        "keeps the size of a vector about the same when g = 1.",
    "sup, γ = sup|f′|":
        "The supremum: the least upper bound. γ is the largest slope the activation can have: 1 for tanh, "
        "¼ for the sigmoid.",
    "codomain":
        "The set of values a function can take: tanh takes values in (−1, 1), the sigmoid in (0, 1).",
    "saturation":
        "A unit whose pre-activation is large sits on the flat part of tanh or the sigmoid, where f′ is close to "
        "0: it passes almost no gradient.",
    "IRNN":
        "A ReLU recurrent network whose W starts as the identity matrix (Le, Jaitly & Hinton 2015).",
    "orthogonal W":
        "A matrix that rotates without stretching: every singular value is 1, so ρ = σₘₐₓ = 1.",
    "symmetric-log axis":
        "An axis that is linear near 0 and logarithmic further out, so 0, 1, 10 and 1000 all fit.",
    "LSTM":
        "Long short-term memory: a cell with an additive memory cₜ and gates (forget Fₜ, input iₜ, output "
        "oₜ) that decide what to keep; with the forget gate near 1 the gradient keeps its size over many steps. Many "
        "texts write the forget gate fₜ; this app keeps f for the activation.",
    "GRU":
        "Gated recurrent unit: a lighter gated cell whose update gate mixes the old state and a new candidate.",
    "memory-gate bias b":
        "The starting bias of the gate that keeps the old state (the LSTM's forget gate, the GRU's update "
        "gate): the gate starts near σ(b), 0.95 at b = 3.",
    "mean-field theory, χ₁":
        "A prediction for wide random networks: χ₁ is the average factor by which one step scales a small "
        "perturbation; below 1 gradients vanish, above 1 they explode.",
    "q*":
        "In mean-field theory, the variance the pre-activations aₜ settle at after many steps; χ₁ is computed "
        "at that variance.",
    "dynamical isometry":
        "A product of Jacobians whose singular values all stay near 1, so it keeps the size of every direction, "
        "not only of the largest (Pennington, Schoenholz & Ganguli 2017); an orthogonal W near the edge comes "
        "close.",
    "adding problem":
        "A test of long memory (Hochreiter & Schmidhuber 1997): a long sequence of random numbers, two of them "
        "marked; the network must output the sum of the two marked numbers, seen many steps earlier.",
    "chance level":
        "The score of the best guess that ignores the input (always predicting 1 in the adding problem, a "
        "uniform guess among K symbols): a model must beat it to have learnt anything.",
    "bits per character":
        "How surprised a text model is by each next character, on average, in bits: the cross-entropy in base 2. "
        "log₂ V bits is a uniform guess among V characters; lower is better.",
    "unigram":
        "A model that predicts each character from its frequency in the text alone, ignoring what came before. "
        "Its bits per character, the entropy of those frequencies, is the baseline a recurrent model must beat.",
    "temperature":
        "How adventurous a sampled text is: the next character is drawn from softmax(logits / temperature). "
        "Below 1 the likeliest characters win more often; above 1 the choice gets closer to uniform.",
    "Lyapunov exponents":
        "The average rates, per step, at which the product of Jacobians stretches or shrinks each direction; "
        "the largest one is the slope the app measures.",
}


# the screen writes subscripts as subscripts (σₘₐₓ, hₜ₋₁); a visitor types them plainly (σ_max, h_t-1)
_PLAIN = str.maketrans({**dict(zip("ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ₀₁₂₃₄₅₆₇₈₉₋", "aeoxhklmnpstij0123456789-")), "_": None, "−": "-",
                        "{": None, "}": None})


def _plain(text: str) -> str:
    return text.lower().translate(_PLAIN)


def matching(query: str) -> dict[str, str]:
    """The terms whose name or definition contains `query` (case-insensitive, subscripts read as plain
    letters: "σ_max" finds σₘₐₓ); all for an empty query."""
    q = _plain(query.strip())
    return {t: d for t, d in TERMS.items() if not q or q in _plain(t) or q in _plain(d)}
