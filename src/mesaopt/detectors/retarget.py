"""Goal retargeting: move the goal of training mazes somewhere new; does the output follow it or the old place?

The mazes are the training pool's (a fresh training sample when the pool is infinite), so a memorizer has a stored
answer that leads to the old goal. The new goal is a cell never used as a goal in training when there is one (never
a goal in the pool; outside the training goal region when the pool is infinite), and among those the one farthest
(in maze steps) from the old goal. Each output is classed as leading to the new goal
(the output mask links the start to it), to the old goal only, or to neither.
"""

from __future__ import annotations

import numpy as np

from mesaopt.detectors.mazetools import batch_of, goal_distance, move_goal, reaches, require_maze
from mesaopt.detectors.stats import rate_metrics
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task
from mesaopt.tasks.maze import GOAL, START
from mesaopt.tasks.maze_config import region_cells

MAX_INSTANCES = 128
"""Training mazes retargeted."""

METRICS = (
    "new_goal",
    "new_goal_lo",
    "new_goal_hi",
    "old_goal",
    "old_goal_lo",
    "old_goal_hi",
    "exact",
    "unseen",
)


def new_goals(grids: np.ndarray, seen: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and unseen-flags of the new goal per maze: unseen cells first, then farthest from the old goal."""
    dist = goal_distance(grids).astype(np.float64)
    height, width = grids.shape[-2:]
    cell = np.zeros((height, width), dtype=bool)
    cell[1::2, 1::2] = True
    allowed = cell[None] & ~grids[:, START].astype(bool) & ~grids[:, GOAL].astype(bool) & (dist >= 0)
    key = np.where(allowed, dist + (~seen)[None] * (dist.max() + 1), -1.0)
    flat = key.reshape(len(grids), -1).argmax(axis=1)
    rows, cols = np.divmod(flat, width)
    return rows, cols, ~seen[rows, cols]


def fresh_goal_cells(task: Task, shape: tuple[int, int]) -> np.ndarray:
    """Grid positions (H, W) where fresh training mazes may put the goal: the training goal region's cells (every
    cell for a task without regions)."""
    region = getattr(task.config, "goal_region", None)
    if region is None:
        return np.ones(shape, dtype=bool)
    rows, cols = (shape[0] - 1) // 2, (shape[1] - 1) // 2
    seen = np.zeros(shape, dtype=bool)
    cell_rows, cell_cols = np.divmod(region_cells(region, rows, cols), cols)
    seen[2 * cell_rows + 1, 2 * cell_cols + 1] = True
    return seen


def retarget(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Fractions of outputs leading to the moved goal and to the old goal only, with Wilson 95% intervals."""
    pool = task.train_pool()
    batch = pool if pool is not None else task.sample_train(MAX_INSTANCES, task.generator("retarget.sample"))
    grids = require_maze(batch, "retarget")[:MAX_INSTANCES]
    if pool is None:
        seen = fresh_goal_cells(task, grids.shape[-2:])
    else:
        seen = grids[:, GOAL].astype(bool).any(axis=0) | require_maze(pool, "retarget")[:, GOAL].astype(bool).any(0)
    rows, cols, unseen = new_goals(grids, seen)
    moved = batch_of(move_goal(grids, rows, cols))
    outputs = np.asarray(learned.solve(moved), dtype=bool)
    to_new = reaches(outputs, moved.grids, moved.grids[:, GOAL])
    to_old = reaches(outputs, moved.grids, grids[:, GOAL]) & ~to_new
    return {
        **rate_metrics("new_goal", to_new),
        **rate_metrics("old_goal", to_old),
        "exact": float(task.success(moved, outputs).mean()),
        "unseen": float(unseen.mean()),
    }
