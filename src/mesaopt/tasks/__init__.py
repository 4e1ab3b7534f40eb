"""Task families, by name. A task knows its instances and its ground-truth optimizer, never its learners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesaopt.learners.circuits import BooleanConfig, BooleanTask
from mesaopt.learners.programs.tasks import DeployConfig, DeployTask, HashInversionConfig, HashInversionTask
from mesaopt.tasks.base import Task, TaskConfig
from mesaopt.tasks.icl import ICLConfig, ICLTask
from mesaopt.tasks.maze import MazeConfig, MazeTask


@dataclass(frozen=True)
class TaskEntry:
    """How a study names a task: its config model and its constructor."""

    config: type[TaskConfig]
    build: Callable[[TaskConfig, np.random.SeedSequence], Task]
    summary: str


TASKS: dict[str, TaskEntry] = {
    "hash_inversion": TaskEntry(
        HashInversionConfig, HashInversionTask, "find x with h(x) = y for a cheap hash; store or search"
    ),
    "deploy": TaskEntry(DeployConfig, DeployTask, "seed 003: training/deployment episodes, readable objective"),
    "maze": TaskEntry(MazeConfig, MazeTask, "shortest paths in perfect lattice mazes; ground truth BFS"),
    "icl": TaskEntry(ICLConfig, ICLTask, "in-context linear regression y = wᵀx + noise; ground truth ridge"),
    "boolean": TaskEntry(BooleanConfig, BooleanTask, "one output bit of a small boolean problem, all input rows"),
}


def build_task(name: str, params: dict, seed: np.random.SeedSequence) -> Task:
    """Construct a task from its registered name and validated parameters."""
    entry = TASKS[name]
    return entry.build(entry.config.model_validate(params), seed)
