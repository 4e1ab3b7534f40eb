"""The maze task's config and the region specs it validates, apart from generation and ground truth so that
validating a study file imports neither numba nor matplotlib. `tasks.maze` and `tasks.maze_gen` re-export them."""

from __future__ import annotations

from typing import Any, Literal, Self

import numpy as np
from pydantic import Field, field_validator, model_validator

from mesaopt.limits import MAX_HARDER_SIDE, MAX_MAZE_SIDE, bounded
from mesaopt.tasks.base import TaskConfig

Generator = Literal["dfs", "kruskal"]
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def parse_region(spec: str) -> tuple[str, int | None]:
    """Split a region spec into (corner or "any", block side or None for the whole maze)."""
    name, _, side = spec.strip().lower().partition(":")
    if name == "any" and not side:
        return "any", None
    if name in CORNERS:
        if not side:
            return name, 1
        if side.isdigit() and int(side) >= 1:
            return name, int(side)
    raise ValueError(f"expected 'any', a corner ({', '.join(CORNERS)}) or 'corner:k' with k >= 1, got {spec!r}")


def region_cells(spec: str, rows: int, cols: int) -> np.ndarray:
    """Flat indices (row * cols + col) of the cells a region spec covers in a rows x cols maze."""
    name, side = parse_region(spec)
    grid = np.arange(rows * cols).reshape(rows, cols)
    if side is None:
        return grid.ravel()
    if side > min(rows, cols):
        raise ValueError(f"region {spec!r} does not fit a {rows} x {cols} maze")
    row_part = slice(0, side) if name.startswith("top") else slice(rows - side, rows)
    col_part = slice(0, side) if name.endswith("left") else slice(cols - side, cols)
    return grid[row_part, col_part].ravel()


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
    split_loops: float = Field(
        default=0.3,
        gt=0.0,
        le=1.0,
        description="loops of the 'loops' evaluation split: harder-size mazes with several routes to the goal",
    )

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

    def split_shape(self, split: str) -> tuple[int, int, float]:
        """Rows, columns and loop fraction of a split: train and novel as configured, harder and loops larger."""
        if split == "harder":
            return (*self.harder_shape, self.loops if self.harder_loops is None else self.harder_loops)
        if split == "loops":
            return (*self.harder_shape, max(self.loops, self.split_loops))
        return self.size, self.cols, self.loops

    @model_validator(mode="before")
    @classmethod
    def _same_test_region_is_none(cls, data: Any) -> Any:
        """A test region that names the train region is stored as None ("as train"), so that a study writing it
        out and one leaving it unset resolve to the same run."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for test, train in (("test_start_region", "start_region"), ("test_goal_region", "goal_region")):
            value, base = out.get(test), out.get(train, cls.model_fields[train].default)
            if not (isinstance(value, str) and isinstance(base, str)):
                continue
            try:
                same = parse_region(value) == parse_region(base)
            except ValueError:  # the field validators name the bad spec
                continue
            if same:
                out[test] = None
        return out

    @model_validator(mode="after")
    def _regions_fit(self) -> Self:
        shapes = {"train": (self.size, self.cols), "novel": (self.size, self.cols), "harder": self.harder_shape}
        for split, (rows, cols) in shapes.items():
            start, goal = self.regions(split)
            starts, goals = region_cells(start, rows, cols), region_cells(goal, rows, cols)
            if len(starts) == 1 and len(goals) == 1 and starts[0] == goals[0]:
                raise ValueError(f"{split} start region {start!r} and goal region {goal!r} are the same single cell")
        return self
