"""The searcher by construction: breadth-first search from the goal, read off the input grid."""

from __future__ import annotations

import inspect
import zlib

import numpy as np

from mesaopt.learners.base import Progress
from mesaopt.learners.config import BFSConfig
from mesaopt.tasks import maze
from mesaopt.tasks.base import Task


class BFSSolver:
    """Exact BFS; `iterations` caps the number of frontier expansions (by default half the training grid's positions,
    which bounds a perfect training maze's path)."""

    def __init__(self, grid_cells: int) -> None:
        self.grid_cells = grid_cells
        self.default_iterations = grid_cells // 2

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        return maze.shortest_path(np.asarray(batch.inputs), max_steps=iterations)

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        grids = np.asarray(batch.inputs)
        open_ = grids[:, maze.OPEN].astype(bool)
        dist = maze.distance_field(open_, grids[:, maze.GOAL].astype(bool), max_steps=iterations)
        return {"bfs.distance": dist}

    def size_bits(self) -> float:
        """Compressed size of the solver's own source: the description a reader needs to rebuild it."""
        source = inspect.getsource(maze.distance_field) + inspect.getsource(maze.shortest_path)
        return 8.0 * len(zlib.compress(source.encode(), 9))

    def compute_per_call(self) -> float:
        """Cell updates of a full search: every grid cell, once per possible expansion."""
        return float(self.grid_cells) ** 2

    def describe(self) -> str:
        return "exact breadth-first search from the goal (the ground-truth optimizer)"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


def fit_bfs(config: BFSConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> BFSSolver:
    """Nothing to learn: size the solver to the task's grids."""
    sample = task.sample_train(1, np.random.default_rng(seed))
    progress(1, 1)
    return BFSSolver(int(np.prod(np.asarray(sample.inputs).shape[-2:])))
