"""Reachability: the loss along straight lines between an initialization, a memorizing and a generalizing solution.

From one initialization θ0 two copies of the same architecture are trained with the same budget:
- the *memorizing* solution θm on a fixed set of `memorize_pool` training mazes;
- the *generalizing* solution θg on the task's own training distribution (fresh mazes when its pool is infinite).

The loss (per-cell BCE against the BFS path, at the default iterations) on a fixed batch of novel mazes is then
measured at `points` evenly spaced points of each segment θ0 → θg, θ0 → θm and θm → θg. A segment's *barrier* is
the largest excess of the loss over the straight chord joining its end values; 0 means the loss never rises above
the chord (an approximately monotone path when the end is lower). The generalizing net is what the battery sees.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn
from torch.func import functional_call

from mesaopt.learners.base import Progress
from mesaopt.learners.models.cnn import ConvNet
from mesaopt.learners.models.recurrent import RecurrentNet
from mesaopt.learners.neural import NeuralConfig, NeuralSolver, RecurrentConfig, as_input, make_loss
from mesaopt.learners.sgd import seeded_module, train_many
from mesaopt.limits import MAX_DEPTH, MAX_ITERATIONS, MAX_POOL_SIZE, MAX_WIDTH, bounded
from mesaopt.tasks.base import Task, derive

EVAL_SIZE = 128
"""Novel mazes the path losses are measured on."""

SEGMENTS = {
    "init_general": ("init", "general"),
    "init_memorize": ("init", "memorize"),
    "memorize_general": ("memorize", "general"),
}
"""The three straight lines measured, by metric name."""


class ReachabilityConfig(NeuralConfig):
    """The architecture trained twice from one initialization, and the interpolation grid."""

    arch: Literal["recurrent", "cnn"] = Field(default="recurrent", description="network trained both ways")
    width: int = Field(default=16, ge=1, le=MAX_WIDTH, description=bounded("channels", MAX_WIDTH))
    depth: int = Field(
        default=2, ge=1, le=MAX_DEPTH, description=bounded("convs per iteration (recurrent) or layers (cnn)", MAX_DEPTH)
    )
    iterations: int = Field(
        default=8, ge=1, le=MAX_ITERATIONS, description=bounded("iterations of a recurrent net", MAX_ITERATIONS)
    )
    memorize_pool: int = Field(
        default=8, ge=1, le=MAX_POOL_SIZE, description=bounded("training mazes of the memorizing run", MAX_POOL_SIZE)
    )
    points: int = Field(default=11, ge=3, description="points per interpolation segment, ends included")


def barrier(losses: list[float]) -> float:
    """Largest excess of the loss over the straight chord between the segment's end values (0 if none)."""
    values = np.asarray(losses, dtype=float)
    chord = np.linspace(values[0], values[-1], len(values))
    return float(max(0.0, (values - chord).max()))


def _loss_at(module: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        logits = functional_call(module, params, (x,))
        return float(F.binary_cross_entropy_with_logits(logits, y))


def fit_reachability(
    config: ReachabilityConfig, task: Task, seed: np.random.SeedSequence, progress: Progress
) -> NeuralSolver:
    """Train the memorizing and the generalizing solution from one init; record the losses along the segments."""
    stored = task.sample_train(config.memorize_pool, np.random.default_rng(derive(seed, "reach.memorize")))
    stored_x = as_input(np.asarray(stored.inputs))
    stored_y = torch.from_numpy(task.solutions(stored).astype(np.float32))
    shape = tuple(np.asarray(stored.inputs).shape[-2:])

    def build() -> nn.Module:
        if config.arch == "recurrent":
            return RecurrentNet(config.width, config.depth, config.iterations)
        return ConvNet(config.width, config.depth)

    def general(rng: np.random.Generator, step: int):
        batch = task.sample_train(config.batch_size, rng)
        return as_input(np.asarray(batch.inputs)), torch.from_numpy(task.solutions(batch).astype(np.float32))

    def memorize(rng: np.random.Generator, step: int):
        index = rng.integers(config.memorize_pool, size=config.batch_size)
        return stored_x[index], stored_y[index]

    loss_config = RecurrentConfig(
        **config.model_dump(include=set(NeuralConfig.model_fields)), iterations=config.iterations
    )
    loss_fn = make_loss("recurrent" if config.arch == "recurrent" else "cnn", loss_config)
    trained = {}
    for i, (name, sampler) in enumerate((("general", general), ("memorize", memorize))):

        def report(step: int, total: int, i: int = i) -> None:
            progress(i * config.steps + step, 2 * config.steps)

        trained[name] = train_many(build, [seed], [sampler], loss_fn, config, report)[0].module.eval()
    initial = seeded_module(build, seed).eval()
    params = {
        "init": dict(initial.named_parameters()),
        "general": dict(trained["general"].named_parameters()),
        "memorize": dict(trained["memorize"].named_parameters()),
    }
    novel = task.novel(min(task.config.eval_size, EVAL_SIZE))
    x, y = as_input(np.asarray(novel.inputs)), torch.from_numpy(task.solutions(novel).astype(np.float32))
    alphas = np.linspace(0.0, 1.0, config.points)
    metrics: dict[str, float | list[float]] = {"alphas": alphas.tolist()}
    for key, (a, b) in SEGMENTS.items():
        curve = [
            _loss_at(initial, {n: (1 - t) * params[a][n] + t * params[b][n] for n in params[a]}, x, y) for t in alphas
        ]
        metrics[f"{key}_loss"] = curve
        metrics[f"{key}_barrier"] = barrier(curve)
    memorized = _loss_at(initial, params["memorize"], stored_x, stored_y)
    metrics.update(
        {
            "init_loss": metrics["init_general_loss"][0],
            "general_loss": metrics["init_general_loss"][-1],
            "memorize_novel_loss": metrics["init_memorize_loss"][-1],
            "memorize_pool_loss": memorized,
            "final_loss": metrics["init_general_loss"][-1],
        }
    )
    return NeuralSolver(config.arch, trained["general"], initial, shape, metrics)
