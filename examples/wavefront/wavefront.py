"""A maze solver that lives outside mesaopt: a breadth-first wavefront from the goal, then a walk down it.

It is written against mesaopt's maze format only (grids (B, 3, H, W) with channels open, start, goal; a batch
exposes them as `batch.inputs`) and mesaopt's `LearnedAlgorithm` methods, so the battery can profile it:

    mesaopt profile wavefront:make --task maze --set size=5          # by import path: make(task) -> solver
    mesaopt profile wavefront_example/wavefront --task maze          # as a plugin, after `pip install -e .`

The plugin entry (`ENTRY`) is what this folder's pyproject.toml registers under the `mesaopt.learners` group.
"""

from __future__ import annotations

import inspect
import sys
import zlib

import numpy as np
from pydantic import BaseModel, ConfigDict

OPEN, START, GOAL = 0, 1, 2
"""Channels of a mesaopt maze grid."""

STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def wavefront(grids: np.ndarray, limit: int | None = None) -> np.ndarray:
    """Steps from the goal to every open position reached within `limit` steps (all when None); -1 elsewhere."""
    open_ = grids[:, OPEN].astype(bool)
    dist = np.where(grids[:, GOAL].astype(bool), 0, -1)
    frontier = dist == 0
    step = 0
    while frontier.any() and (limit is None or step < limit):
        step += 1
        grown = np.zeros_like(frontier)
        for dr, dc in STEPS:  # the grid's outer ring is wall, so rolling never wraps into an open position
            grown |= np.roll(frontier, (dr, dc), axis=(1, 2))
        frontier = grown & open_ & (dist < 0)
        dist[frontier] = step
    return dist


def walk_down(grid: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """The path mask from the start to the goal down the wavefront; empty when the start was not reached."""
    mask = np.zeros(dist.shape, dtype=bool)
    (row,), (col,) = np.nonzero(grid[START])
    if dist[row, col] < 0:
        return mask
    mask[row, col] = True
    while dist[row, col] > 0:
        row, col = next((row + dr, col + dc) for dr, dc in STEPS if dist[row + dr, col + dc] == dist[row, col] - 1)
        mask[row, col] = True
    return mask


class Wavefront:
    """Exact shortest paths by a wavefront from the goal; `iterations` caps the wavefront's steps."""

    default_iterations = None
    """No default cap: the wavefront runs until it has reached every open position."""

    def __init__(self, grid_positions: int) -> None:
        self.grid_positions = grid_positions

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = np.asarray(batch.inputs)
        dist = wavefront(grids, iterations)
        return np.stack([walk_down(g, d) for g, d in zip(grids, dist, strict=True)])

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {"wave.distance": wavefront(np.asarray(batch.inputs), iterations).astype(np.float32)}

    def size_bits(self) -> float:
        """Compressed size of this module's source: everything a reader needs to rebuild the solver."""
        return 8.0 * len(zlib.compress(inspect.getsource(sys.modules[__name__]).encode(), 9))

    def compute_per_call(self) -> float:
        """Position updates of a full wavefront: every position, once per possible step."""
        return float(self.grid_positions) ** 2

    def describe(self) -> str:
        return "an external breadth-first wavefront solver (examples/wavefront)"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


def make(task) -> Wavefront:
    """The factory `mesaopt profile wavefront:make` calls: a solver sized to the task's training grids."""
    sample = task.sample_train(1, np.random.default_rng(0))
    return Wavefront(int(np.prod(np.asarray(sample.inputs).shape[-2:])))


class WavefrontConfig(BaseModel):
    """The wavefront has no knobs."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def fit(config: WavefrontConfig, task, seed, progress) -> Wavefront:
    """The plugin's fit function: nothing to learn."""
    progress(1, 1)
    return make(task)


def _entry():
    from mesaopt.learners import LearnerEntry

    return LearnerEntry(WavefrontConfig, fit, "breadth-first wavefront from the goal (external example)", ("maze",))


ENTRY = _entry()
