"""Description length: quantized as coarsely as keeps training success, entropy-coded, weights left as they were."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.detectors.description import KEEP_SUCCESS, STEP_LADDER, description_length, entropy_bits, quantize
from mesaopt.learners import fit_learner
from mesaopt.learners.base import no_progress
from mesaopt.tasks import build_task


@pytest.fixture(scope="module")
def maze():
    return build_task("maze", {"size": 3, "pool_size": 16, "eval_size": 16}, np.random.SeedSequence(5))


@pytest.fixture(scope="module")
def table(maze):
    """A tabular net that has learned its 16 training mazes."""
    return fit_learner("tabular", {"steps": 200, "batch_size": 16}, maze, np.random.SeedSequence(0), no_progress)


def test_entropy_code_of_levels():
    assert entropy_bits(torch.zeros(10, dtype=torch.long)) == 0.0
    assert entropy_bits(torch.tensor([0, 1] * 8)) == pytest.approx(16.0)
    assert entropy_bits(torch.arange(8)) == pytest.approx(24.0)


def test_quantize_is_relative_to_the_tensor_scale():
    w = torch.tensor([0.0, 1.0, -1.0, 3.0])
    assert torch.equal(quantize(w, 1.0), quantize(100 * w, 1.0))
    assert torch.equal(quantize(torch.zeros(3), 0.5), torch.zeros(3, dtype=torch.long))


def test_kept_step_keeps_training_success_and_weights_are_restored(maze, table):
    pool = maze.train_pool()
    before = table.solve(pool).copy()
    result = description_length(table, maze)
    assert result["success"] == 1.0
    assert result["quantized_success"] >= KEEP_SUCCESS * result["success"]
    assert result["step"] in STEP_LADDER
    assert result["parameters"] == table.trained_parameters()
    assert 0 < result["bits"] < 32 * result["parameters"]
    assert np.array_equal(table.solve(pool), before)


def test_finer_step_than_kept_would_code_longer(maze, table):
    """The coarsest step that works is kept, so the code is no longer than at any finer step of the ladder."""
    result = description_length(table, maze)
    finer = result["step"] / 2
    bits_finer = sum(entropy_bits(quantize(p.detach(), finer)) for p in table.module.parameters())
    assert result["bits"] - 32 * len(list(table.module.parameters())) <= bits_finer


def test_learner_without_weights_gets_no_metrics(maze):
    bfs = fit_learner("bfs", {}, maze, np.random.SeedSequence(0), no_progress)
    assert description_length(bfs, maze) == {}
