"""Task families, by name. A task knows its instances and its ground-truth optimizer, never its learners."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mesaopt.registry import Lazy, Registry, resolve

if TYPE_CHECKING:
    import numpy as np

    from mesaopt.tasks.base import Task, TaskConfig


class TaskEntry:
    """How a study names a task: its config model, its constructor, its family and the family's battery.

    `config` and `build` may be given as "module:attribute" (imported when first read; keep the config's module
    light, since every study file that names the task reads it). `family` is what detectors declare they apply to
    ("maze", "word", "icl"); `battery` names the family's `detectors.battery.Battery` as "module:attribute",
    imported only when asked for (`battery_of`)."""

    config: type[TaskConfig] = Lazy()
    build: Callable[[TaskConfig, np.random.SeedSequence], Task] = Lazy()

    def __init__(self, config: Any, build: Any, summary: str, family: str, battery: str | None = None) -> None:
        self.config, self.build, self.summary, self.family, self.battery = config, build, summary, family, battery


BUILTIN_TASKS: dict[str, TaskEntry] = {
    "hash_inversion": TaskEntry(
        "mesaopt.tasks.words:HashInversionConfig",
        "mesaopt.tasks.words:HashInversionTask",
        "find x with h(x) = y for a cheap hash; store or search",
        "word",
        "mesaopt.detectors.program_battery:WORD_BATTERY",
    ),
    "deploy": TaskEntry(
        "mesaopt.tasks.words:DeployConfig",
        "mesaopt.tasks.words:DeployTask",
        "seed 003: training/deployment episodes, readable objective",
        "word",
        "mesaopt.detectors.program_battery:WORD_BATTERY",
    ),
    "maze": TaskEntry(
        "mesaopt.tasks.maze_config:MazeConfig",
        "mesaopt.tasks.maze:MazeTask",
        "shortest paths in lattice mazes (perfect or with loops); ground truth BFS, any shortest path counts",
        "maze",
        "mesaopt.detectors.maze_battery:MAZE_BATTERY",
    ),
    "maze_set": TaskEntry(
        "mesaopt.tasks.maze_files:MazeSetConfig",
        "mesaopt.tasks.maze_set:MazeSetTask",
        "the maze task with its pool, novel, harder or loops split read from files (plain JSON/NPZ or maze-dataset)",
        "maze",
        "mesaopt.detectors.maze_battery:MAZE_BATTERY",
    ),
    "games": TaskEntry(
        "mesaopt.tasks.games:GamesConfig",
        "mesaopt.tasks.games:GamesTask",
        "board games and the hash game; ground truth exact minimax, any value-keeping move counts",
        "games",
        "mesaopt.detectors.games_battery:GAMES_BATTERY",
    ),
    "boolean": TaskEntry(
        "mesaopt.tasks.boolean:BooleanConfig",
        "mesaopt.tasks.boolean:BooleanTask",
        "one output bit of a small boolean problem, all input rows; ground truth exhaustive minimal formulas",
        "boolean",
        "mesaopt.detectors.circuit_battery:CIRCUIT_BATTERY",
    ),
    "video": TaskEntry(
        "mesaopt.tasks.video_config:VideoConfig",
        "mesaopt.tasks.video:VideoTask",
        "videos of an agent in a maze: from the first k frames predict its next positions",
        "video",
        "mesaopt.detectors.video_battery:VIDEO_BATTERY",
    ),
    "icl": TaskEntry(
        "mesaopt.tasks.icl:ICLConfig",
        "mesaopt.tasks.icl:ICLTask",
        "in-context linear regression y = wᵀx + noise; ground truth ridge",
        "icl",
    ),
}

TASKS: Registry[TaskEntry] = Registry("mesaopt.tasks", TaskEntry, BUILTIN_TASKS)


def battery_of(name: str):
    """The battery of a registered task's family (a `detectors.battery.Battery`), or None when it has none."""
    entry = TASKS[name]
    return None if entry.battery is None else resolve(entry.battery)


def battery_for(task: Task):
    """The battery of a task object's family; a clear error for a task whose family has none."""
    for name, entry in TASKS.items():
        if entry.battery is not None and isinstance(entry.build, type) and isinstance(task, entry.build):
            return battery_of(name)
    raise ValueError(f"no detector battery is registered for task {type(task).__name__}")


def build_task(name: str, params: dict, seed: np.random.SeedSequence) -> Task:
    """Construct a task from its registered name and validated parameters."""
    entry = TASKS[name]
    return entry.build(entry.config.model_validate(params), seed)
