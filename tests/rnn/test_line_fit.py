"""rnn.jacobians.line_fit: the slope with the size of its residual, against closed forms (a straight line, a
line plus a square wave whose RMS is its amplitude) and numpy's least squares."""
from __future__ import annotations

import numpy as np
import pytest

from rnn.jacobians import STEADY_RMS, line_fit, slope_per_step


def by_entry(by_lag: np.ndarray) -> np.ndarray:
    return by_lag[::-1].copy()  # the engine's order: entry i has lag T − i


@pytest.mark.parametrize("s", [-0.2, 0.0, 0.079])
def test_a_straight_line_is_steady_with_its_own_slope(s):
    k = np.arange(1, 101, dtype=np.float64)
    fit = line_fit(by_entry(0.3 + s * k))
    assert fit.slope == pytest.approx(s, abs=1e-12) and fit.rms == pytest.approx(0.0, abs=1e-10)
    assert fit.span == pytest.approx(abs(s) * (100 - 11)) and fit.steady  # lags 11 … 100 are fitted


def test_a_line_plus_a_square_wave_strays_by_the_waves_amplitude():
    """±A alternating over the fitted lags (an even count): the least-squares line is nearly the trend and the
    RMS residual nearly A; with A above the trend's change it is not steady, below it is."""
    k = np.arange(1, 101, dtype=np.float64)
    wave = np.where(k % 2 == 0, 1.0, -1.0)
    for A, s, steady in ((4.0, -0.03, False), (4.0, -0.2, True), (0.5, 0.0, True)):
        logn = by_entry(s * k + A * wave)
        fit = line_fit(logn)
        keep = k > 10
        slope, icpt = np.polyfit(k[keep], (s * k + A * wave)[keep], 1)
        resid = (s * k + A * wave)[keep] - (icpt + slope * k[keep])
        assert fit.slope == pytest.approx(slope, abs=1e-9) == pytest.approx(slope_per_step(logn), abs=1e-12)
        assert fit.rms == pytest.approx(np.sqrt((resid ** 2).mean()), rel=1e-9)
        assert fit.steady is steady, (A, s, fit)
    assert STEADY_RMS == 1.0


def test_exact_zero_and_short_sequences_are_steady():
    assert line_fit(np.array([0.0, -np.inf, -1.0])).steady
    assert line_fit(np.array([0.5, 0.2])).steady
