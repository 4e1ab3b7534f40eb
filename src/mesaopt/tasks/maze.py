"""Lattice mazes: find the shortest path from start to goal. Ground truth is breadth-first search.

One array format throughout (see `maze_grid`): a batch of grids shaped (B, 3, 2n+1, 2m+1), channels
[open, start, goal]. A solution is the boolean mask of grid positions on the shortest path, start and goal included.
This module holds the task and its config and re-exports the maze world's public functions:
generation (`maze_gen`), ground truth (`maze_truth`), rendering (`maze_render`); interop with maze-dataset lives in
`maze_interop` and needs the `mazes` extra.
"""

from __future__ import annotations

import numpy as np

from mesaopt.tasks.base import INF, derive
from mesaopt.tasks.maze_config import MazeConfig
from mesaopt.tasks.maze_gen import Generator, generate_grids
from mesaopt.tasks.maze_grid import GOAL, MOVES, OPEN, START, MazeBatch, cell_position, move_goal, move_start
from mesaopt.tasks.maze_render import render_ascii, render_png
from mesaopt.tasks.maze_truth import (
    dead_end_filling_states,
    descend,
    distance_field,
    distances,
    frontier_masks,
    frontier_states,
    is_shortest_path,
    on_shortest_paths,
    path_cells,
    shortest_path,
)

__all__ = [
    "GOAL",
    "MOVES",
    "OPEN",
    "START",
    "descend",
    "MazeBatch",
    "MazeConfig",
    "MazeTask",
    "cell_position",
    "dead_end_filling_states",
    "distance_field",
    "distances",
    "frontier_masks",
    "frontier_states",
    "generate",
    "is_shortest_path",
    "on_shortest_paths",
    "move_goal",
    "move_start",
    "path_cells",
    "render_ascii",
    "render_png",
    "shortest_path",
]

MAX_DRAWS_PER_INSTANCE = 50
"""Draws allowed per wanted distinct instance before the instance space is declared too small."""

MIN_DRAW = 64
"""Smallest batch drawn while collecting distinct instances; generation is cheap, Python round trips are not."""


def generate(
    count: int,
    size: int,
    rng: np.random.Generator,
    *,
    width: int | None = None,
    generator: Generator = "dfs",
    loops: float = 0.0,
    start_region: str = "any",
    goal_region: str = "any",
) -> MazeBatch:
    """A batch of mazes of size x width cells drawn from `rng` (see `maze_gen.generate_grids`)."""
    grids = generate_grids(count, size, width or size, rng, generator, loops, start_region, goal_region)
    return MazeBatch(grids)


class MazeTask:
    """Shortest-path mazes at diversity N, with novel instances disjoint from the pool and larger harder ones."""

    def __init__(self, config: MazeConfig, seed: np.random.SeedSequence) -> None:
        self.config = config
        self.seed = seed
        self._pool = None if config.pool_size == INF else self._distinct(int(config.pool_size), "pool", set())
        self._pool_keys = set() if self._pool is None else set(self._pool.keys())

    def _draw(self, count: int, split: str, rng: np.random.Generator) -> MazeBatch:
        """Fresh instances of a split, duplicates allowed."""
        config = self.config
        rows, cols, loops = config.split_shape(split)
        start, goal = config.regions(split)
        return generate(
            count, rows, rng, width=cols, generator=config.generator, loops=loops, start_region=start, goal_region=goal
        )

    def _distinct(self, count: int, stream: str, exclude: set[bytes]) -> MazeBatch:
        """`count` distinct instances from a named seed stream, none of whose keys is in `exclude`."""
        rng = np.random.default_rng(derive(self.seed, stream))
        split = "train" if stream == "pool" else stream
        kept: list[np.ndarray] = []
        seen = set(exclude)
        drawn = 0
        while drawn < MAX_DRAWS_PER_INSTANCE * count:
            batch = self._draw(max(2 * (count - len(kept)), MIN_DRAW), split, rng)
            drawn += len(batch)
            for key, grid in zip(batch.keys(), batch.grids, strict=True):
                if key not in seen and len(kept) < count:
                    seen.add(key)
                    kept.append(grid)
            if len(kept) == count:
                return MazeBatch(np.stack(kept))
        raise ValueError(
            f"maze task: found only {len(kept)} distinct {stream} instances, wanted {count}; "
            "the instance space is too small for this pool_size and eval_size"
        )

    def train_pool(self) -> MazeBatch | None:
        return self._pool

    def sample_train(self, count: int, rng: np.random.Generator) -> MazeBatch:
        if self._pool is None:
            return self._draw(count, "train", rng)
        return MazeBatch(self._pool.grids[rng.integers(len(self._pool), size=count)])

    def novel(self, count: int | None = None) -> MazeBatch:
        return self._distinct(count or self.config.eval_size, "novel", self._pool_keys)

    def harder(self, count: int | None = None) -> MazeBatch:
        return self._distinct(count or self.config.eval_size, "harder", self._pool_keys)

    def loop_mazes(self, count: int | None = None) -> MazeBatch:
        """Harder-size mazes with loops (`split_loops`): pruning rules and path-finders that are not shortest-path
        searches fail there (on small mazes with loops, most routes are short and such rules often still succeed)."""
        return self._distinct(count or self.config.eval_size, "loops", self._pool_keys)

    def solutions(self, batch: MazeBatch) -> np.ndarray:
        """One shortest path per maze (ties broken in move order); any other shortest path is as correct."""
        return shortest_path(batch.grids)

    def success(self, batch: MazeBatch, outputs: np.ndarray) -> np.ndarray:
        """Whether each output is a shortest start-to-goal path, whatever the tie-break (`is_shortest_path`)."""
        return is_shortest_path(batch.grids, outputs)

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))
