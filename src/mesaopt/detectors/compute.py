"""Compute scaling: success against run-time iterations, its slope, and the "overthinking" drop after the peak.

Measured on novel mazes at multiples of the default iterations, and on harder (larger) mazes up to the default
scaled to their size (as `extrapolation` scales it): `harder_gain`, the success gained from the fewest to the
best iteration count on harder mazes, is the run-time-compute line of evidence for the label (a search needs more
steps on larger mazes; a learner that does not use its iterations gains nothing)."""

from __future__ import annotations

import math

import numpy as np

from mesaopt.detectors.extrapolation import scaled_iterations
from mesaopt.detectors.mazetools import cells, require_maze
from mesaopt.learners.base import LearnedAlgorithm, default_iterations, solve_at
from mesaopt.tasks.base import Task

FRACTIONS = (0.125, 0.25, 0.5, 1.0, 2.0, 4.0)
"""Run-time iterations tried, as multiples of the learner's default; the last shows any collapse from overthinking."""

MAX_INSTANCES = 128
"""Novel instances scored at each iteration count."""

METRICS = (
    "curve",
    "iterations",
    "slope",
    "peak",
    "final",
    "drop",
    "has_knob",
    "harder_curve",
    "harder_iterations",
    "harder_gain",
)
"""Every metric the detector can return; the harder curve only for learners with an iteration knob."""


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
    default = default_iterations(learned)
    if default is None:
        rate = float(task.success(novel, learned.solve(novel)).mean())
        counts, curve = [0] * len(FRACTIONS), [rate] * len(FRACTIONS)
        harder = {"harder_gain": 0.0}
    else:
        counts = iteration_counts(int(default))
        curve = [float(task.success(novel, answer).mean()) for answer in solve_at(learned, novel, counts)]
        harder = harder_scaling(learned, task, int(default))
    peak = max(curve)
    return {
        **harder,
        "curve": curve,
        "iterations": [float(n) for n in counts],
        "slope": slope_per_doubling(counts, curve) if default is not None else 0.0,
        "peak": peak,
        "final": curve[-1],
        "drop": peak - curve[-1],
        "has_knob": float(default is not None),
    }


def doublings(top: int) -> list[int]:
    """1, 2, 4, ... up to the first power of two at least `top`."""
    return [2**k for k in range(max(0, math.ceil(math.log2(max(top, 1)))) + 1)]


def harder_scaling(learned: LearnedAlgorithm, task: Task, default: int) -> dict[str, float | list[float]]:
    """Success on harder mazes at 1, 2, 4, ... iterations up to the default scaled to their size; the gain is
    the best success minus the success at one iteration (how much of what it solves needs run-time compute)."""
    harder = task.harder(min(task.config.eval_size, MAX_INSTANCES))
    train = task.sample_train(1, task.generator("compute.shape"))
    scaled = scaled_iterations(default, cells(require_maze(train, "compute")), cells(require_maze(harder, "compute")))
    counts = doublings(int(scaled))
    try:
        curve = [float(task.success(harder, answer).mean()) for answer in solve_at(learned, harder, counts)]
    except (ValueError, RuntimeError):  # a learner of fixed input size cannot take a larger maze
        return {"harder_gain": 0.0}
    return {
        "harder_curve": curve,
        "harder_iterations": [float(n) for n in counts],
        "harder_gain": max(curve) - curve[0],
    }
