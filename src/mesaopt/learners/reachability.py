"""Reachability: is the loss monotone along the straight line from a start net to a general one?

From one initialization θ0 the recurrent learner's net (its config, loss and training loop, unchanged) is trained
twice with the same budget:
- the *general* net θg on the task's own training distribution (fresh mazes when its pool is infinite): the end of
  every path, and the net the detector battery sees;
- the *start* net θs on `start_pool` stored mazes drawn from that distribution (a memorizer when the pool is small);
  with `start_pool` 0 the start is θ0 itself.

The per-cell loss (BCE against the BFS path, at the default iterations) and the exact-match success on a fixed
batch of novel mazes are then measured at `points` evenly spaced points of the segments θ0 → θg and θs → θg.
Two summaries per segment, in loss units:
- the *rise*: the largest increase of the loss met on the way toward θg (max over i < j of L_j - L_i); 0 exactly
  when the loss never goes up, so a small rise is an approximately monotone path;
- the *barrier*: the largest excess of the loss over the straight chord joining the segment's end values.
A straight line is one path among many: a small rise shows a monotone path exists, a large one does not show that
none does. The seeds of a run group, and both nets of each seed, are fitted together (one vmap ensemble).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

from mesaopt.learners.base import Progress
from mesaopt.learners.config import ReachabilityConfig
from mesaopt.learners.neural import NeuralSolver, as_input, exact_rate, grid_shape, make_loss, train_summary
from mesaopt.learners.sgd import seeded_module, train_many
from mesaopt.tasks.base import Task, derive
from mesaopt.tasks.maze_grid import MazeBatch

EVAL_SIZE = 128
"""Most novel mazes the path losses are measured on (fewer when the task's eval_size is smaller)."""

Params = dict[str, torch.Tensor]


def rise(losses: list[float]) -> float:
    """Largest increase of the loss along the path in its order (0 when it never goes up)."""
    values = np.asarray(losses, dtype=float)
    return float(max(0.0, (values - np.minimum.accumulate(values)).max()))


def barrier(losses: list[float]) -> float:
    """Largest excess of the loss over the straight chord between the segment's end values (0 if none)."""
    values = np.asarray(losses, dtype=float)
    chord = np.linspace(values[0], values[-1], len(values))
    return float(max(0.0, (values - chord).max()))


@torch.no_grad()
def _measure(module: nn.Module, params: Params, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Loss and exact-match success of the module with these parameters on one batch."""
    logits = functional_call(module, params, (x,))
    return float(F.binary_cross_entropy_with_logits(logits, y)), float(exact_rate(logits, y))


def _segment(
    module: nn.Module, a: Params, b: Params, alphas: np.ndarray, x: torch.Tensor, y: torch.Tensor
) -> tuple[list[float], list[float]]:
    """Loss and success curves along (1 - t) a + t b."""
    points = [_measure(module, {n: (1 - t) * a[n] + t * b[n] for n in a}, x, y) for t in alphas]
    return [p[0] for p in points], [p[1] for p in points]


def _batch(task: Task, batch: MazeBatch) -> tuple[torch.Tensor, torch.Tensor]:
    return as_input(np.asarray(batch.inputs)), torch.from_numpy(task.solutions(batch).astype(np.float32))


def _path_metrics(
    config: ReachabilityConfig,
    task: Task,
    initial: nn.Module,
    general: nn.Module,
    start: nn.Module,
    stored: MazeBatch | None,
) -> dict[str, float | list[float]]:
    """Curves, rises and barriers of both segments, and how each end fares on novel and stored mazes."""
    x, y = _batch(task, task.novel(min(task.config.eval_size, EVAL_SIZE)))
    ends = {name: dict(m.named_parameters()) for name, m in (("init", initial), ("general", general), ("start", start))}
    alphas = np.linspace(0.0, 1.0, config.points)
    out: dict[str, float | list[float]] = {"alphas": alphas.tolist()}
    for name in ("init", "start"):
        losses, success = _segment(initial, ends[name], ends["general"], alphas, x, y)
        out |= {f"{name}_path_loss": losses, f"{name}_path_success": success}
        out |= {f"{name}_rise": rise(losses), f"{name}_barrier": barrier(losses)}
    start_loss, start_novel = _measure(initial, ends["start"], x, y)
    out |= {
        "init_loss": out["init_path_loss"][0],
        "general_loss": out["init_path_loss"][-1],
        "general_novel_exact": out["init_path_success"][-1],
        "start_loss": start_loss,
        "start_novel_exact": start_novel,
    }
    if stored is not None:
        out["start_pool_loss"], out["start_pool_exact"] = _measure(initial, ends["start"], *_batch(task, stored))
    return out


def fit_reachability_many(
    config: ReachabilityConfig, tasks: list[Task], seeds: list[np.random.SeedSequence], progress: Progress
) -> list[NeuralSolver]:
    """Train the general and the start net of every seed from that seed's init in one ensemble; measure the paths."""
    shape = grid_shape(tasks[0], seeds[0])
    build = config.network(shape)
    stored = [
        task.sample_train(config.start_pool, np.random.default_rng(derive(seed, "reach.memorize")))
        if config.start_pool
        else None
        for task, seed in zip(tasks, seeds, strict=True)
    ]

    def general(task: Task):
        def sample(rng: np.random.Generator, step: int):
            return _batch(task, task.sample_train(config.batch_size, rng))

        return sample

    def memorize(task: Task, pool):
        x, y = _batch(task, pool)

        def sample(rng: np.random.Generator, step: int):
            index = rng.integers(config.start_pool, size=config.batch_size)
            return x[index], y[index]

        return sample

    members = [(seed, general(task)) for task, seed in zip(tasks, seeds, strict=True)]
    if config.start_pool:
        members += [(seed, memorize(task, pool)) for task, seed, pool in zip(tasks, seeds, stored, strict=True)]
    results = train_many(build, [s for s, _ in members], [f for _, f in members], make_loss(config), config, progress)
    solvers = []
    for i, (task, seed) in enumerate(zip(tasks, seeds, strict=True)):
        initial = seeded_module(build, seed).eval()
        trained = results[i].module.eval()
        start = results[len(tasks) + i].module.eval() if config.start_pool else initial
        metrics = train_summary(results[i]) | _path_metrics(config, task, initial, trained, start, stored[i])
        solvers.append(NeuralSolver("recurrent", trained, initial, shape, metrics))
    return solvers


def fit_reachability(
    config: ReachabilityConfig, task: Task, seed: np.random.SeedSequence, progress: Progress
) -> NeuralSolver:
    """One seed: fit_reachability_many with a group of one."""
    return fit_reachability_many(config, [task], [seed], progress)[0]
