"""Base optimizers and the hypothesis spaces they search, by name. Each produces a LearnedAlgorithm.

Entries name their config and fit function as "module:attribute" and import them on first use (see
`mesaopt.registry`); configs live in light modules (`learners.config`, `learners.programs.maze_config`) so that a
study file validates without importing torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mesaopt.registry import Deferred, Lazy, Registry

if TYPE_CHECKING:
    import numpy as np
    from pydantic import BaseModel

    from mesaopt.learners.base import LearnedAlgorithm, Progress
    from mesaopt.tasks.base import Task

    FitMany = Callable[[BaseModel, list[Task], list[np.random.SeedSequence], Progress], list[LearnedAlgorithm]]


class LearnerEntry:
    """How a study names a learner: its config model, its fit function and the tasks it handles.

    `config`, `fit` and `fit_many` may be given as "module:attribute" strings or `Deferred` thunks."""

    config: type[BaseModel] = Lazy()
    fit: Callable[[BaseModel, Task, np.random.SeedSequence, Progress], LearnedAlgorithm] = Lazy()
    fit_many: FitMany | None = Lazy()
    """Optional: fit the seeds of a run group together (one task and seed per member), same results as `fit`."""

    def __init__(self, config: Any, fit: Any, summary: str, tasks: tuple[str, ...], fit_many: Any = None) -> None:
        self.config, self.fit, self.summary, self.tasks, self.fit_many = config, fit, summary, tasks, fit_many

    def fits_many(self) -> bool:
        """Whether the learner can fit several seeds at once, answered without importing it (study validation
        forms run groups from this, and must not load torch)."""
        return self.__dict__["_lazy_fit_many"] is not None


CONFIG = "mesaopt.learners.config:"
PROGRAMS = "mesaopt.learners.programs.learners:"
MAZE_PROGRAMS = "mesaopt.learners.programs.maze_learner:"
MAZE_PROGRAM_CONFIG = "mesaopt.learners.programs.maze_config:"
WORD_TASKS = ("hash_inversion", "deploy")


def _neural(kind: str, config: str, summary: str) -> LearnerEntry:
    def fitters() -> tuple[Callable, Callable]:
        return importlib.import_module("mesaopt.learners.neural").fitter(kind)

    return LearnerEntry(
        CONFIG + config, Deferred(lambda: fitters()[0]), summary, ("maze",), Deferred(lambda: fitters()[1])
    )


BUILTIN_LEARNERS: dict[str, LearnerEntry] = {
    "enumerate": LearnerEntry(
        PROGRAMS + "EnumerateConfig", PROGRAMS + "fit_enumerate", "Levin enumeration of DSL programs", WORD_TASKS
    ),
    "hillclimb": LearnerEntry(
        PROGRAMS + "LocalConfig", PROGRAMS + "fit_hillclimb", "mutation hill-climbing", WORD_TASKS
    ),
    "genetic": LearnerEntry(
        PROGRAMS + "LocalConfig", PROGRAMS + "fit_genetic", "genetic algorithm on programs", WORD_TASKS
    ),
    "structure": LearnerEntry(
        PROGRAMS + "StructureConfig",
        PROGRAMS + "fit_structure",
        "seed 003's Hfh/Hsd/Hfd and the honest rederiver in the DSL",
        ("deploy",),
    ),
    "maze_enumerate": LearnerEntry(
        MAZE_PROGRAM_CONFIG + "MazeEnumerateConfig",
        MAZE_PROGRAMS + "fit_maze_enumerate",
        "Levin enumeration of maze programs (stored paths, tables, greedy, BFS, sequence search) under c + g*log2(t)",
        ("maze",),
    ),
    "maze_hillclimb": LearnerEntry(
        MAZE_PROGRAM_CONFIG + "MazeLocalConfig",
        MAZE_PROGRAMS + "fit_maze_hillclimb",
        "hill-climbing on maze programs",
        ("maze",),
    ),
    "maze_genetic": LearnerEntry(
        MAZE_PROGRAM_CONFIG + "MazeLocalConfig",
        MAZE_PROGRAMS + "fit_maze_genetic",
        "genetic algorithm on maze programs",
        ("maze",),
    ),
    "lookup": LearnerEntry(
        "mesaopt.learners.lookup:LookupConfig",
        "mesaopt.learners.lookup:fit_lookup",
        "memorizes the train pool's answers",
        ("maze",),
    ),
    "bfs": LearnerEntry(
        CONFIG + "BFSConfig", "mesaopt.learners.bfs:fit_bfs", "exact breadth-first search, no training", ("maze",)
    ),
    "tabular": _neural("tabular", "TabularConfig", "a free output per stored instance: memorizes by construction"),
    "mlp": _neural("mlp", "MLPConfig", "MLP over the flattened grid, trained by SGD"),
    "cnn": _neural("cnn", "CNNConfig", "feed-forward conv net of fixed depth, trained by SGD"),
    "recurrent": _neural("recurrent", "RecurrentConfig", "recurrent conv net; iterations free at test"),
    "transformer": _neural("transformer", "TransformerConfig", "small transformer, one token per cell"),
    "planner": _neural("planner", "PlannerConfig", "differentiable value iteration; learns only the cost map"),
    "hypernet": _neural("hypernet", "HypernetConfig", "recurrent or cnn weights from a short learned code"),
    "planner_costnet": LearnerEntry(
        CONFIG + "PlannerConfig",
        "mesaopt.learners.planner_probe:fit_planner_costnet",
        "the planner; probes read only its learned cost net",
        ("maze",),
    ),
    "speed_prior": LearnerEntry(
        CONFIG + "SpeedPriorConfig",
        "mesaopt.learners.speed_prior:fit_speed_prior",
        "recurrent; iterations raised until training mazes are solved",
        ("maze",),
    ),
    "reachability": LearnerEntry(
        CONFIG + "ReachabilityConfig",
        "mesaopt.learners.reachability:fit_reachability",
        "recurrent net trained on fresh and on stored mazes from one init; losses along the line between them",
        ("maze",),
        "mesaopt.learners.reachability:fit_reachability_many",
    ),
    "lsa": LearnerEntry(
        CONFIG + "LSAConfig", "mesaopt.learners.icl:fit_lsa", "linear self-attention trained by SGD", ("icl",)
    ),
    "gpt": LearnerEntry(
        CONFIG + "GPTConfig", "mesaopt.learners.icl:fit_gpt", "small pre-LN causal transformer trained by SGD", ("icl",)
    ),
    "minimal_circuit": LearnerEntry(
        "mesaopt.learners.circuits:MinimalCircuitConfig",
        "mesaopt.learners.circuits:fit_minimal_circuit",
        "exhaustive minimal boolean formula by size or depth",
        ("boolean",),
    ),
    **{
        f"video_{kind}": LearnerEntry(
            f"mesaopt.learners.video_config:Video{label}Config",
            Deferred(lambda kind=kind: importlib.import_module("mesaopt.learners.video").fitter(f"video_{kind}")),
            summary,
            ("video",),
        )
        for kind, label, summary in (
            ("cnn", "CNN", "video: fixed-depth conv net"),
            ("recurrent", "Recurrent", "video: recurrent net, free iterations"),
            ("transformer", "Transformer", "video: transformer over positions"),
        )
    },
    "player": LearnerEntry(
        "mesaopt.learners.game_players:PlayerConfig",
        "mesaopt.learners.game_players:fit_player",
        "games: a hand-written player of known nature",
        ("games",),
    ),
    "game_program": LearnerEntry(
        "mesaopt.learners.game_programs:GameProgramConfig",
        "mesaopt.learners.game_programs:fit_game_program",
        "games: rule lists vs lookahead under c + g*log2(t)",
        ("games",),
    ),
    **{
        f"game_{kind}": LearnerEntry(
            f"mesaopt.learners.game_config:Game{label}Config",
            Deferred(lambda kind=kind: importlib.import_module("mesaopt.learners.game_nets").fit_game_net(kind)),
            summary,
            ("games",),
        )
        for kind, label, summary in (
            ("mlp", "MLP", "games: policy/value MLP"),
            ("transformer", "Transformer", "games: board transformer"),
            ("recurrent", "Recurrent", "games: recurrent net"),
        )
    },
}

LEARNERS: Registry[LearnerEntry] = Registry("mesaopt.learners", LearnerEntry, BUILTIN_LEARNERS)


def fit_learner(
    name: str, params: dict, task: Task, seed: np.random.SeedSequence, progress: Progress
) -> LearnedAlgorithm:
    """Run the named base optimizer on a task and return what it learned."""
    entry = LEARNERS[name]
    return entry.fit(entry.config.model_validate(params), task, seed, progress)
