"""Extrapolation: success on harder (larger) instances, with iterations scaled to the instance where there is a knob."""

from __future__ import annotations

import math

import numpy as np

from mesaopt.detectors.mazetools import cells, require_maze
from mesaopt.detectors.stats import rate_metrics
from mesaopt.learners.base import LearnedAlgorithm, default_iterations
from mesaopt.tasks.base import Task

MAX_INSTANCES = 128
"""Harder instances scored; fewer when the task's eval_size is smaller."""

SHAPE_ERRORS = (ValueError, RuntimeError)
"""What numpy and torch raise when a learner built for one input size is handed another."""

METRICS = ("success", "success_lo", "success_hi", "iterations", "ran")


def scaled_iterations(default: int | None, train_cells: int, harder_cells: int) -> int | None:
    """Iterations for harder instances: the default scaled by the ratio of maze cells (BFS depth grows with area)."""
    if default is None:
        return None
    return max(1, math.ceil(default * harder_cells / train_cells))


def extrapolation(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Success rate (Wilson 95% interval) on harder instances; `iterations` is 0 when the learner has no knob.

    A learner whose input size is fixed (a lookup table, an MLP) cannot take a larger maze: it scores 0 with
    `ran` = 0, since failing to accept a harder instance is failing to extrapolate.
    """
    harder = task.harder(min(task.config.eval_size, MAX_INSTANCES))
    train = task.sample_train(1, task.generator("extrapolation.shape"))
    iterations = scaled_iterations(
        default_iterations(learned),
        cells(require_maze(train, "extrapolation")),
        cells(require_maze(harder, "extrapolation")),
    )
    try:
        ok = task.success(harder, learned.solve(harder, iterations))
    except SHAPE_ERRORS:
        return {**rate_metrics("success", np.zeros(len(harder), dtype=bool)), "iterations": 0.0, "ran": 0.0}
    return {**rate_metrics("success", ok), "iterations": float(iterations or 0), "ran": 1.0}


LOOP_METRICS = ("success", "success_lo", "success_hi", "dead_end_filling")


def loop_success(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Success (any shortest path, Wilson 95% interval) on harder-size mazes with loops, where pruning rules fail;
    iterations scaled to their size as for harder mazes.

    `dead_end_filling` is the share of these mazes that dead-end filling run to the end would solve (those whose
    loops all lie off the shortest path): the level a pruning rule reaches here, for comparison."""
    from mesaopt.tasks.maze import dead_end_filling_states

    loops = task.loop_mazes(min(task.config.eval_size, MAX_INSTANCES))
    grids = require_maze(loops, "loops")
    train = task.sample_train(1, task.generator("extrapolation.shape"))
    iterations = scaled_iterations(default_iterations(learned), cells(require_maze(train, "loops")), cells(grids))
    pruned = dead_end_filling_states(grids)[:, -1]
    try:
        ok = task.success(loops, learned.solve(loops, iterations))
    except SHAPE_ERRORS:
        ok = np.zeros(len(grids), dtype=bool)
    return {**rate_metrics("success", ok), "dead_end_filling": float(task.success(loops, pruned).mean())}
