"""The activations as torch writes them, and the γ = sup|f′| each must carry (the report's §2.2.2;
Pascanu et al. 2013): the tests' own references, never read from rnn.activations."""
import torch

ACTS = ["tanh", "sigmoid", "relu", "linear", "leaky_relu"]
REF_F = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, 0.01),
    "linear": lambda a: a,
}
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "leaky_relu": 1.0, "linear": 1.0}
