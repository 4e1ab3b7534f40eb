"""Compute scaling: success against run-time iterations, its slope, and the "overthinking" drop after the peak."""

from __future__ import annotations

import numpy as np

from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

FRACTIONS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
"""Run-time iterations tried, as multiples of the learner's default; the last shows any collapse from overthinking."""

MAX_INSTANCES = 128
"""Novel instances scored at each iteration count."""

METRICS = ("curve", "iterations", "slope", "peak", "final", "drop", "has_knob")


def iteration_counts(default: int) -> list[int]:
    """Distinct positive iteration counts at the FRACTIONS of the default."""
    return sorted({max(1, round(default * f)) for f in FRACTIONS})


def slope_per_doubling(iterations: list[int], curve: list[float]) -> float:
    """Least-squares slope of success against log2(iterations): success gained per doubling of compute."""
    x = np.log2(np.asarray(iterations, dtype=float))
    if len(x) < 2 or np.ptp(x) == 0:
        return 0.0
    return float(np.polyfit(x, np.asarray(curve, dtype=float), 1)[0])


def compute_scaling(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Success on novel instances at each iteration count; without a knob the curve is flat by construction."""
    novel = task.novel(min(task.config.eval_size, MAX_INSTANCES))
    default = getattr(learned, "default_iterations", None)
    if default is None:
        rate = float(task.success(novel, learned.solve(novel)).mean())
        counts, curve = [0] * len(FRACTIONS), [rate] * len(FRACTIONS)
    else:
        counts = iteration_counts(int(default))
        curve = [float(task.success(novel, learned.solve(novel, n)).mean()) for n in counts]
    peak = max(curve)
    return {
        "curve": curve,
        "iterations": [float(n) for n in counts],
        "slope": slope_per_doubling(counts, curve) if default is not None else 0.0,
        "peak": peak,
        "final": curve[-1],
        "drop": peak - curve[-1],
        "has_knob": float(default is not None),
    }
