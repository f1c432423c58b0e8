"""Cached engine calls of the page "Gated cells": the vanilla RNN, the LSTM and the GRU analysed on the same
inputs and seed (each analysis cached by ui.cached.model.analysis)."""
from __future__ import annotations

from ..settings import Settings
from . import model  # read at call time, like every cached module


def cells(s: Settings, gate_bias: float = 1.0) -> dict[str, dict]:
    """ui.cached.model.analysis for the vanilla RNN, the LSTM and the GRU on the same inputs and seed, the gated
    cells' memory gates (forget f, update z) starting at bias `gate_bias`."""
    return {kind: model.analysis(s, kind, gate_bias) for kind in ("rnn", "lstm", "gru")}
