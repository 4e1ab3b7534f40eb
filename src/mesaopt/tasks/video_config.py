"""The video task's config, in a light module: validating a study file that names it imports no numba."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mesaopt.tasks.base import TaskConfig
from mesaopt.tasks.maze_config import Generator

Agent = Literal["planner", "noisy", "wall_follower"]
"""The agent kinds the video world renders."""


class VideoConfig(TaskConfig):
    """Episodes of one agent kind in lattice mazes; k context frames, h predicted steps."""

    agent: Agent = Field(default="planner", description="planner, noisy (softmax planner) or wall_follower")
    temperature: float = Field(default=0.5, gt=0, description="noisy agent: softmax temperature over cells to goal")
    goal_shown: bool = Field(default=True, description="draw the goal on the frames; false: infer it from the moves")
    size: int = Field(default=4, ge=2, description="rows and columns of cells of train and novel mazes")
    harder_size: int | None = Field(default=None, ge=2, description="cells per side of harder mazes (2*size-1)")
    generator: Generator = Field(default="dfs", description="perfect-maze generator: 'dfs' or 'kruskal'")
    loops: float = Field(default=0.0, ge=0.0, le=1.0, description="fraction of the remaining inner walls removed")
    context: int = Field(default=2, ge=1, description="frames shown, k")
    horizon: int = Field(default=3, ge=1, description="future positions predicted at training, h")
    long_horizon: int | None = Field(default=None, ge=1, description="horizon of the long and harder splits (3h)")
    min_cells: int = Field(
        default=5, ge=1, description="the goal is drawn among cells at least this many moves from the start"
    )
    clip_offset: int = Field(
        default=3, ge=0, description="a clip starts up to this many steps into the agent's walk (0: at its start)"
    )

    @property
    def long(self) -> int:
        """Horizon of the long and harder splits."""
        return self.long_horizon or 3 * self.horizon

    def split_shape(self, split: str) -> tuple[int, int]:
        """Cells per side and horizon of a split."""
        if split == "harder":
            return self.harder_size or 2 * self.size - 1, self.long
        if split == "long":
            return self.size, self.long
        return self.size, self.horizon
