"""The activations as torch writes them, for the tests' own references (never rnn.activations)."""
import torch

ACTS = ["tanh", "sigmoid", "relu", "linear", "leaky_relu"]
REF_F = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "leaky_relu": lambda a: torch.nn.functional.leaky_relu(a, 0.01),
    "linear": lambda a: a,
}
