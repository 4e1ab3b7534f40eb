"""Interval estimates shared by the detectors."""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054
"""Standard-normal quantile for a two-sided 95% interval."""


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def rate_metrics(name: str, outcomes: np.ndarray) -> dict[str, float]:
    """A success rate with its Wilson 95% interval, as `name`, `name_lo`, `name_hi`."""
    outcomes = np.asarray(outcomes, dtype=bool)
    lo, hi = wilson_interval(int(outcomes.sum()), outcomes.size)
    return {name: float(outcomes.mean()) if outcomes.size else 0.0, f"{name}_lo": lo, f"{name}_hi": hi}
