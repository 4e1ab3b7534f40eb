"""Base optimizers and the hypothesis spaces they search, by name. Each produces a LearnedAlgorithm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel

from mesaopt.learners import neural, video
from mesaopt.learners.base import LearnedAlgorithm, Progress
from mesaopt.learners.bfs import BFSConfig, fit_bfs
from mesaopt.learners.icl import GPTConfig, LSAConfig, fit_gpt, fit_lsa
from mesaopt.learners.lookup import LookupConfig, fit_lookup
from mesaopt.learners.planner_probe import fit_planner_costnet
from mesaopt.learners.programs import learners as programs
from mesaopt.learners.programs import maze_learner as maze_programs
from mesaopt.learners.reachability import ReachabilityConfig, fit_reachability
from mesaopt.learners.speed_prior import SpeedPriorConfig, fit_speed_prior
from mesaopt.tasks.base import Task

FitMany = Callable[[BaseModel, list[Task], list[np.random.SeedSequence], Progress], list[LearnedAlgorithm]]


@dataclass(frozen=True)
class LearnerEntry:
    """How a study names a learner: its config model, its fit function and the tasks it handles."""

    config: type[BaseModel]
    fit: Callable[[BaseModel, Task, np.random.SeedSequence, Progress], LearnedAlgorithm]
    summary: str
    tasks: tuple[str, ...]
    fit_many: FitMany | None = None
    """Optional: fit the seeds of a run group together (one task and seed per member), same results as `fit`."""


def _neural(kind: str, config: type[BaseModel], summary: str) -> LearnerEntry:
    fit, fit_many = neural.fitter(kind)
    return LearnerEntry(config, fit, summary, ("maze",), fit_many)


LEARNERS: dict[str, LearnerEntry] = {
    "enumerate": LearnerEntry(
        programs.EnumerateConfig, programs.fit_enumerate, "Levin enumeration of DSL programs", programs.TASKS
    ),
    "hillclimb": LearnerEntry(programs.LocalConfig, programs.fit_hillclimb, "mutation hill-climbing", programs.TASKS),
    "genetic": LearnerEntry(
        programs.LocalConfig, programs.fit_genetic, "genetic algorithm on programs", programs.TASKS
    ),
    "structure": LearnerEntry(
        programs.StructureConfig, programs.fit_structure, "seed 003's Hfh/Hsd/Hfd in the DSL", ("deploy",)
    ),
    "maze_enumerate": LearnerEntry(
        maze_programs.MazeEnumerateConfig,
        maze_programs.fit_maze_enumerate,
        "Levin enumeration of maze programs (stored paths, tables, greedy, BFS, sequence search) under c + g*log2(t)",
        maze_programs.TASKS,
    ),
    "maze_hillclimb": LearnerEntry(
        maze_programs.MazeLocalConfig, maze_programs.fit_maze_hillclimb, "hill-climbing on maze programs", ("maze",)
    ),
    "maze_genetic": LearnerEntry(
        maze_programs.MazeLocalConfig, maze_programs.fit_maze_genetic, "genetic algorithm on maze programs", ("maze",)
    ),
    "lookup": LearnerEntry(LookupConfig, fit_lookup, "memorizes the train pool's answers", ("maze",)),
    "bfs": LearnerEntry(BFSConfig, fit_bfs, "exact breadth-first search, no training", ("maze",)),
    "tabular": _neural("tabular", neural.TabularConfig, "a free output per stored instance: memorizes by construction"),
    "mlp": _neural("mlp", neural.MLPConfig, "MLP over the flattened grid, trained by SGD"),
    "cnn": _neural("cnn", neural.CNNConfig, "feed-forward conv net of fixed depth, trained by SGD"),
    "recurrent": _neural("recurrent", neural.RecurrentConfig, "recurrent conv net; iterations free at test"),
    "transformer": _neural("transformer", neural.TransformerConfig, "small transformer, one token per cell"),
    "planner": _neural("planner", neural.PlannerConfig, "differentiable value iteration; learns only the cost map"),
    "hypernet": _neural("hypernet", neural.HypernetConfig, "recurrent or cnn weights from a short learned code"),
    "planner_costnet": LearnerEntry(
        neural.PlannerConfig, fit_planner_costnet, "the planner; probes read only its learned cost net", ("maze",)
    ),
    "speed_prior": LearnerEntry(
        SpeedPriorConfig, fit_speed_prior, "recurrent; iterations raised until training mazes are solved", ("maze",)
    ),
    "reachability": LearnerEntry(
        ReachabilityConfig, fit_reachability, "memorizing vs generalizing net from one init; path losses", ("maze",)
    ),
    "video_cnn": LearnerEntry(
        video.VideoCNNConfig, video.fitter("video_cnn"), "video: fixed-depth conv net", ("video",)
    ),
    "video_recurrent": LearnerEntry(
        video.VideoRecurrentConfig, video.fitter("video_recurrent"), "video: recurrent net, free iterations", ("video",)
    ),
    "video_transformer": LearnerEntry(
        video.VideoTransformerConfig, video.fitter("video_transformer"), "video: transformer over positions", ("video",)
    ),
    "lsa": LearnerEntry(LSAConfig, fit_lsa, "linear self-attention trained by SGD", ("icl",)),
    "gpt": LearnerEntry(GPTConfig, fit_gpt, "small pre-LN causal transformer trained by SGD", ("icl",)),
}


def fit_learner(
    name: str, params: dict, task: Task, seed: np.random.SeedSequence, progress: Progress
) -> LearnedAlgorithm:
    """Run the named base optimizer on a task and return what it learned."""
    entry = LEARNERS[name]
    return entry.fit(entry.config.model_validate(params), task, seed, progress)
