"""The engine: the report's vanilla RNN, backpropagation through time by hand, and the products of
Jacobians ∏ ∂h_j/∂h_{j-1} in log space. Pure PyTorch and numpy; it never imports streamlit or altair.

"The report" is the one the app follows: *Recurrent Deep Learning Models and its applications*, Ngai Ho Wang,
8 February 2025. The code cites it by number, "(report eq. 1)" above the line that computes it; docs/report.md
(and ui/report.py, the page "The report, checked") lists every number cited and where it is used."""
from .activations import ACTIVATIONS, Activation, get_activation
from .bptt import BPTTResult, bptt
from .device import pick_device, pick_dtype
from .init import make_recurrent, recurrent_stats, scale_recurrent, sigma_max, spectral_radius
from .jacobians import (Analysis, analyze, classify, gradient_log10_norms, jacobian_log10_norms,
                        slope_per_step, state_jacobians)
from .model import GatedRNN, VanillaRNN, make_model
from .theory import (MeanField, critical_sigma_w2, lyapunov_spectrum, mean_field, mean_field_for,
                     mean_log10_det, product_singular_values)

__all__ = [
    "ACTIVATIONS", "Activation", "get_activation", "BPTTResult", "bptt", "pick_device", "pick_dtype",
    "make_recurrent", "recurrent_stats", "scale_recurrent", "sigma_max", "spectral_radius", "Analysis",
    "analyze", "classify", "gradient_log10_norms", "jacobian_log10_norms", "slope_per_step",
    "state_jacobians", "GatedRNN", "VanillaRNN", "make_model", "MeanField", "critical_sigma_w2",
    "lyapunov_spectrum", "mean_log10_det", "mean_field", "mean_field_for", "product_singular_values",
]
