"""Lattice mazes: find the shortest path from start to goal. Ground truth is breadth-first search.

One array format throughout (see `maze_grid`): a batch of grids shaped (B, 3, 2n+1, 2m+1), channels
[open, start, goal]. A solution is the boolean mask of grid positions on the shortest path, start and goal included.
This module holds the task and its config and re-exports the maze world's public functions:
generation (`maze_gen`), ground truth (`maze_truth`), rendering (`maze_render`); interop with maze-dataset lives in
`maze_interop` and needs the `mazes` extra.
"""

from __future__ import annotations

from typing import Self

import numpy as np
from pydantic import Field, field_validator, model_validator

from mesaopt.limits import MAX_HARDER_SIDE, MAX_MAZE_SIDE, bounded
from mesaopt.tasks.base import INF, TaskConfig, derive
from mesaopt.tasks.maze_gen import Generator, generate_grids, parse_region, region_cells
from mesaopt.tasks.maze_grid import GOAL, MOVES, OPEN, START, MazeBatch, cell_position, move_goal, move_start
from mesaopt.tasks.maze_render import render_ascii, render_png
from mesaopt.tasks.maze_truth import (
    dead_end_filling_states,
    descend,
    distance_field,
    distances,
    frontier_masks,
    frontier_states,
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


class MazeConfig(TaskConfig):
    """Lattice mazes of size x width cells; where start and goal go is set per split (train vs novel/harder)."""

    size: int = Field(
        default=5,
        ge=2,
        le=MAX_MAZE_SIDE,
        description=bounded("rows of cells of training and novel mazes", MAX_MAZE_SIDE),
    )
    width: int | None = Field(
        default=None,
        ge=2,
        le=MAX_MAZE_SIDE,
        description=bounded("columns of cells (None: size, a square maze)", MAX_MAZE_SIDE),
    )
    generator: Generator = Field(default="dfs", description="perfect-maze generator: 'dfs' backtracker or 'kruskal'")
    loops: float = Field(default=0.0, ge=0.0, le=1.0, description="fraction of the remaining inner walls removed")
    start_region: str = Field(default="any", description="where training starts go: any, a corner, or corner:k")
    goal_region: str = Field(default="any", description="where training goals go: any, a corner, or corner:k")
    test_start_region: str | None = Field(default=None, description="start region of novel/harder (None: as train)")
    test_goal_region: str | None = Field(default=None, description="goal region of novel/harder (None: as train)")
    harder_size: int | None = Field(
        default=None,
        ge=2,
        le=MAX_HARDER_SIDE,
        description=bounded("rows of cells of harder mazes (2*size-1)", MAX_HARDER_SIDE),
    )
    harder_width: int | None = Field(
        default=None,
        ge=2,
        le=MAX_HARDER_SIDE,
        description=bounded("columns of harder mazes (2*width-1)", MAX_HARDER_SIDE),
    )
    harder_loops: float | None = Field(default=None, ge=0.0, le=1.0, description="loops of harder mazes (as train)")

    @field_validator("start_region", "goal_region", "test_start_region", "test_goal_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value is not None:
            parse_region(value)
        return value

    @property
    def cols(self) -> int:
        """Columns of cells of training and novel mazes."""
        return self.width or self.size

    @property
    def harder_shape(self) -> tuple[int, int]:
        """Rows and columns of cells of harder mazes."""
        return self.harder_size or 2 * self.size - 1, self.harder_width or 2 * self.cols - 1

    def regions(self, split: str) -> tuple[str, str]:
        """Start and goal regions for a split: "train" (pool and training batches), "novel" or "harder"."""
        if split == "train":
            return self.start_region, self.goal_region
        return self.test_start_region or self.start_region, self.test_goal_region or self.goal_region

    @model_validator(mode="after")
    def _regions_fit(self) -> Self:
        shapes = {"train": (self.size, self.cols), "novel": (self.size, self.cols), "harder": self.harder_shape}
        for split, (rows, cols) in shapes.items():
            start, goal = self.regions(split)
            starts, goals = region_cells(start, rows, cols), region_cells(goal, rows, cols)
            if len(starts) == 1 and len(goals) == 1 and starts[0] == goals[0]:
                raise ValueError(f"{split} start region {start!r} and goal region {goal!r} are the same single cell")
        return self


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
        rows, cols = config.harder_shape if split == "harder" else (config.size, config.cols)
        loops = config.harder_loops if split == "harder" and config.harder_loops is not None else config.loops
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

    def solutions(self, batch: MazeBatch) -> np.ndarray:
        return shortest_path(batch.grids)

    def success(self, batch: MazeBatch, outputs: np.ndarray) -> np.ndarray:
        """Exact match of the predicted path mask with the shortest path."""
        target = self.solutions(batch)
        return (np.asarray(outputs, dtype=bool) == target).all(axis=(1, 2))

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))
