"""Task families, by name. A task knows its instances and its ground-truth optimizer, never its learners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mesaopt.learners.programs.tasks import DeployConfig, DeployTask, HashInversionConfig, HashInversionTask
from mesaopt.tasks.base import Task, TaskConfig
from mesaopt.tasks.icl import ICLConfig, ICLTask
from mesaopt.tasks.maze import MazeConfig, MazeTask
from mesaopt.tasks.video import VideoConfig, VideoTask


@dataclass(frozen=True)
class TaskEntry:
    """How a study names a task: its config model, its constructor, its family and the family's battery.

    `family` is what detectors declare they apply to ("maze", "word", "icl"); `battery` names the family's
    `detectors.battery.Battery` as "module:attribute", imported only when asked for (`battery_of`)."""

    config: type[TaskConfig]
    build: Callable[[TaskConfig, np.random.SeedSequence], Task]
    summary: str
    family: str
    battery: str | None = None


TASKS: dict[str, TaskEntry] = {
    "hash_inversion": TaskEntry(
        HashInversionConfig,
        HashInversionTask,
        "find x with h(x) = y for a cheap hash; store or search",
        "word",
        "mesaopt.detectors.program_battery:WORD_BATTERY",
    ),
    "deploy": TaskEntry(
        DeployConfig,
        DeployTask,
        "seed 003: training/deployment episodes, readable objective",
        "word",
        "mesaopt.detectors.program_battery:WORD_BATTERY",
    ),
    "maze": TaskEntry(
        MazeConfig,
        MazeTask,
        "shortest paths in lattice mazes (perfect or with loops); ground truth BFS, any shortest path counts",
        "maze",
        "mesaopt.detectors.maze_battery:MAZE_BATTERY",
    ),
    "icl": TaskEntry(ICLConfig, ICLTask, "in-context linear regression y = wᵀx + noise; ground truth ridge", "icl"),
    "video": TaskEntry(
        VideoConfig,
        VideoTask,
        "videos of an agent in a maze: from the first k frames predict its next positions",
        "video",
        "mesaopt.detectors.video_battery:VIDEO_BATTERY",
    ),
}


def battery_of(name: str):
    """The battery of a registered task's family (a `detectors.battery.Battery`), or None when it has none."""
    import importlib

    entry = TASKS[name]
    if entry.battery is None:
        return None
    module, attribute = entry.battery.split(":")
    return getattr(importlib.import_module(module), attribute)


def build_task(name: str, params: dict, seed: np.random.SeedSequence) -> Task:
    """Construct a task from its registered name and validated parameters."""
    entry = TASKS[name]
    return entry.build(entry.config.model_validate(params), seed)
