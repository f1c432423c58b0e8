"""The table of the page "The report, checked": each claim of the report beside what this app computes about
it and a verdict. A pure function of the numbers from ui.cached.report_check.claims; every row's fact quotes
one of them, nothing else."""
from __future__ import annotations

import math

import pandas as pd

from .style import fmt_num, fmt_pow10

AGREES, WRONG, ERRATUM, MISLEADING = "agrees", "wrong", "erratum", "misleading"
ROUNDING = 1e-9  # float64 hand BPTT agrees with autograd to about 10⁻¹⁶ relative; 10⁻⁹ leaves room for T·n terms


def claims_frame(c: dict) -> pd.DataFrame:
    """Rows (claim, report says, computed here, verdict)."""
    e = c["rel_err"]
    chain = max(e["W"], e["U"], e["b_h"])
    out = max(e["V"], e["b_y"])
    p = c["sig_preset"]
    lo, hi, n = c["grid"]
    rows = [
        ("Eqs. 4–9, 12–15, 18: the chain rule for ∂L/∂W, ∂L/∂U, ∂L/∂b_h",
         "BPTT sums one term per step, each carried back by the product of Jacobians",
         f"hand BPTT (rnn.bptt) against autograd, sidebar's model, T = {c['T']}: largest relative difference "
         f"{fmt_num(chain, 2)} over W, U, b_h",
         AGREES if c["finite"] and chain < ROUNDING else "not checked here (overflow or float32)"),
        ("Eqs. 10–11 and 16–17: ∂L/∂V and ∂L/∂b_y",
         "written with a sum over the time steps, like ∂L/∂W",
         f"L reads ŷ_T only: of the {c['T']} per-step terms of ∂L/∂V, {c['nonzero']['V']} is not zero (of ∂L/∂W: "
         f"{c['nonzero']['W']}); the single term h_T δo_Tᵀ matches autograd to {fmt_num(out, 2)}",
         ERRATUM + ": one term, no sum"),
        ("§2.2.2: the codomain of sigmoid′",
         "[0, 0.5]",
         f"on {n:,} points of a ∈ [{lo:g}, {hi:g}]: max σ′ = {fmt_num(c['sigmoid_max'])} at a = "
         f"{fmt_num(round(c['sigmoid_argmax'], 6) + 0.0, 2)}; min σ(a)σ(−a) = {fmt_pow10_plain(c['sigmoid_min'])} > 0",
         WRONG + ": (0, ¼]"),
        ("§2.2.2: the codomain of tanh",
         "[−1, 1]",
         f"1 − |tanh a| = 2/(1 + e^(2|a|)) ≥ {fmt_pow10_plain(c['tanh_gap_min'])} > 0 on the same grid: ±1 is never "
         f"reached (float64 rounds tanh a to ±1 from |a| ≈ {c['tanh_rounds_at']:.1f} on)",
         "imprecise: (−1, 1), open"),
        ("§2.2.2: sigmoid has “a smooth gradient, important for long-range dependencies”",
         "the sigmoid suits long-range dependencies",
         f"γ = sup σ′ = {c['sigmoid_gamma']:g}, so each step back scales by at most σₘₐₓ/4. The sigmoid preset "
         f"(σₘₐₓ = {fmt_num(p['sigma_max'], 3)}): slope {fmt_num(p['slope'], 3)} decades per step "
         f"({p['regime']}), ‖∂h_T/∂h_(T−{p['lag']})‖ = {fmt_pow10(p['log10_at_lag'])} ≤ bound "
         f"{fmt_pow10(p['bound_at_lag'])}",
         MISLEADING + ": γ = ¼ is why sigmoid RNNs vanish"),
    ]
    return pd.DataFrame(rows, columns=["claim", "the report says", "computed here", "verdict"])


def fmt_pow10_plain(x: float) -> str:
    """A positive number as fmt_pow10 of its log10 (3.6 × 10⁻³⁵)."""
    return fmt_pow10(math.log10(x)) if x > 0 else "0"
