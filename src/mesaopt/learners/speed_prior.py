"""Speed-prior training: the fewest recurrent iterations that solve the training task, found by raising the count.

A recurrent conv net is trained in stages. Stage k trains for `steps` optimizer steps with T_k run-time iterations
(T_0 = `start_iterations`, then + `grow_by` a stage), continuing from the previous stage's weights. After each
stage the exact-match rate on a fixed batch of training instances is measured at T_k; the first T_k that reaches
`solved_at` is kept, and so is the net. If no T up to `max_iterations` reaches it, the last one is kept and
`train.solved` is 0. The result is a plain recurrent `NeuralSolver` whose default iterations are the chosen T, so
the detector battery treats it like any other recurrent learner (and may still give it more iterations at test).

The comparison learner is `recurrent` with a generous fixed T; the study compares the two batteries.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from mesaopt.learners.base import Progress
from mesaopt.learners.config import RecurrentConfig, SpeedPriorConfig
from mesaopt.learners.models.recurrent import RecurrentNet
from mesaopt.learners.neural import NeuralSolver, as_input, make_loss
from mesaopt.learners.sgd import seeded_module, train_many
from mesaopt.tasks.base import Task, derive

CHECK_SIZE = 256
"""Training instances the solved-check scores after each stage."""


def _stage_config(config: SpeedPriorConfig, iterations: int) -> RecurrentConfig:
    shared = config.model_dump(exclude={"start_iterations", "grow_by", "max_iterations", "solved_at"})
    return RecurrentConfig(**shared, iterations=iterations)


@torch.no_grad()
def _exact_rate(module: RecurrentNet, grids: np.ndarray, target: np.ndarray, iterations: int) -> float:
    logits = module(as_input(grids), iterations=iterations)
    return float(((logits > 0).numpy() == target).all(axis=(1, 2)).mean())


def fit_speed_prior(
    config: SpeedPriorConfig, task: Task, seed: np.random.SeedSequence, progress: Progress
) -> NeuralSolver:
    """Train stage by stage, raising T until the training instances are solved or max_iterations is reached."""
    check = task.sample_train(CHECK_SIZE, np.random.default_rng(derive(seed, "speed_prior.check")))
    grids, target = np.asarray(check.inputs), task.solutions(check)
    shape = tuple(grids.shape[-2:])
    schedule = list(range(config.start_iterations, config.max_iterations + 1, config.grow_by))
    if schedule[-1] != config.max_iterations:
        schedule.append(config.max_iterations)

    def fresh() -> RecurrentNet:
        return RecurrentNet(config.width, config.depth, schedule[0], cell=config.cell, open_only=config.open_only)

    initial = seeded_module(fresh, seed)
    module: RecurrentNet | None = None
    losses: list[float] = []
    rates: list[float] = []
    steps_run = 0
    for stage, iterations in enumerate(schedule):
        stage_config = _stage_config(config, iterations)
        previous = module

        def build(previous: RecurrentNet | None = previous, iterations: int = iterations) -> RecurrentNet:
            net = fresh() if previous is None else copy.deepcopy(previous)
            net.iterations = iterations
            return net.requires_grad_(True)

        def sample(rng: np.random.Generator, step: int):
            batch = task.sample_train(config.batch_size, rng)
            return as_input(np.asarray(batch.inputs)), torch.from_numpy(task.solutions(batch).astype(np.float32))

        def stage_progress(step: int, total: int, stage: int = stage) -> None:
            progress(stage * config.steps + step, len(schedule) * config.steps)

        stage_seed = seed if stage == 0 else derive(seed, f"speed_prior.stage{stage}")
        result = train_many(build, [stage_seed], [sample], make_loss(stage_config), stage_config, stage_progress)[0]
        module = result.module.eval()
        losses.extend(result.history["loss"])
        steps_run += result.stopped_at
        rates.append(_exact_rate(module, grids, target, iterations))
        if rates[-1] >= config.solved_at:
            break
    assert module is not None
    metrics = {
        "loss": losses,
        "final_loss": float(np.mean(losses[-10:])),
        "chosen_iterations": float(module.iterations),
        "solved": float(rates[-1] >= config.solved_at),
        "stages": float(len(rates)),
        "stage_exact": rates,
        "final_exact": rates[-1],
        "steps_run": float(steps_run),
    }
    return NeuralSolver("recurrent", module, initial, shape, metrics)
