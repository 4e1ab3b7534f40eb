"""LSA and GPT learners through the LearnedAlgorithm protocol; icl detectors on learners known by construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.detectors.icl import gd_alignment, icl_baselines, icl_transfer
from mesaopt.learners import fit_learner
from mesaopt.learners.icl import ICLNet
from mesaopt.learners.models.lsa import LSA, gd_weights
from mesaopt.tasks import build_task
from mesaopt.tasks.icl import ICLBatch
from mesaopt.tasks.icl_baselines import context_view, dmmse, tune_gd

GD_MATCH = {"dim": 6, "points": 9, "noise": 0.0, "x_dist": "uniform", "query": "last", "eval_size": 256}


class RidgeOracle:
    """Answers with the task's ground truth: the detector must find zero distance to ridge."""

    def __init__(self, task) -> None:
        self.task = task

    def solve(self, batch: ICLBatch, iterations=None) -> np.ndarray:
        return self.task.solutions(batch)

    def artifacts(self) -> dict:
        return {}


class Mixture:
    """Answers (1 - alpha) x dMMSE + alpha x ridge: its ridge position must be alpha, whatever the task."""

    def __init__(self, task, alpha: float) -> None:
        self.task, self.alpha = task, alpha

    def solve(self, batch: ICLBatch, iterations=None) -> np.ndarray:
        low = dmmse(batch, self.task.config, self.task.pool)
        return low + self.alpha * (self.task.solutions(batch) - low)

    def artifacts(self) -> dict:
        return {}


def _gd_lsa(task) -> ICLNet:
    """A one-layer LSA whose weights are set to one GD step with the line-searched rate."""
    tune = task.sample_novel(4096, task.generator("gd_alignment.tune"))
    lr = tune_gd(context_view(tune, "last"), tune.ys[:, -1], 1)
    module = LSA(task.config.dim)
    wkq, wpv = gd_weights(task.config.dim, 1, 1, lr)
    with torch.no_grad():
        module.wkq.copy_(torch.as_tensor(wkq))
        module.wpv.copy_(torch.as_tensor(wpv))
    return ICLNet(module, "lsa", "last", 0.0, {})


def test_gd_alignment_of_the_gd_layer_is_perfect() -> None:
    task = build_task("icl", GD_MATCH, np.random.SeedSequence(0))
    metrics = gd_alignment(_gd_lsa(task), task)
    assert metrics["sens_cosine"] > 0.9999
    assert metrics["loss_ratio"] == pytest.approx(1.0, abs=1e-4)
    assert metrics["interp_barrier"] == pytest.approx(0.0, abs=1e-6)
    assert np.ptp(metrics["interp_loss"]) < 1e-4


def test_baseline_distances_of_the_ridge_oracle() -> None:
    task = build_task("icl", {"dim": 4, "points": 8, "pool_size": 4, "eval_size": 64}, np.random.SeedSequence(0))
    metrics = icl_baselines(RidgeOracle(task), task)
    assert metrics["novel_delta_ridge"] == 0.0 and metrics["pool_delta_ridge"] == 0.0
    assert metrics["novel_delta_dmmse"] > 0 and metrics["ridge_preference"] == 1.0
    assert metrics["ridge_position"] == pytest.approx(1.0) and metrics["novel_gap_ridge_dmmse"] > 0
    assert icl_transfer(RidgeOracle(task), task)["ratio"] > 0


@pytest.mark.parametrize("alpha", [0.0, 0.3, 1.0])
def test_ridge_position_of_a_known_mixture(alpha: float) -> None:
    task = build_task("icl", {"dim": 3, "points": 6, "pool_size": 5, "eval_size": 64}, np.random.SeedSequence(4))
    metrics = icl_baselines(Mixture(task, alpha), task)
    assert metrics["ridge_position"] == pytest.approx(alpha, abs=1e-9)
    gap = metrics["novel_gap_ridge_dmmse"]
    assert metrics["novel_delta_ridge"] == pytest.approx((1 - alpha) ** 2 * gap, rel=1e-9, abs=1e-12)
    assert metrics["novel_delta_dmmse"] == pytest.approx(alpha**2 * gap, rel=1e-9, abs=1e-12)


def test_lsa_learns_toward_gd_and_is_deterministic() -> None:
    task = build_task("icl", GD_MATCH, np.random.SeedSequence(1))
    params = {"steps": 300, "lr": 1e-2, "eval_every": 100, "eval_sequences": 64}
    runs = [fit_learner("lsa", params, task, np.random.SeedSequence(2), lambda *_: None) for _ in range(2)]
    assert runs[0].train_metrics == runs[1].train_metrics
    curve = runs[0].train_metrics["novel_mse"]
    assert len(curve) == 3 and curve[-1] < curve[0]
    assert gd_alignment(runs[0], task)["sens_cosine"] > 0.9
    states = runs[0].hidden_states(task.novel(5))
    assert list(states) == ["block.0"] and states["block.0"].shape == (5, 9, 7)
    assert {"lsa.wkq", "lsa.wpv"} <= set(runs[0].artifacts())


def test_gpt_answers_every_position_with_curves_over_training() -> None:
    task = build_task("icl", {"dim": 3, "points": 6, "pool_size": 4, "eval_size": 16}, np.random.SeedSequence(0))
    params = {"steps": 20, "eval_every": 10, "d_model": 16, "eval_sequences": 8, "batch_size": 8}
    net = fit_learner("gpt", params, task, np.random.SeedSequence(1), lambda *_: None)
    assert net.solve(task.novel()).shape == (16, 6)
    assert set(net.hidden_states(task.novel(2))) == {"block.0", "block.1"}
    for name in ("novel_delta_ridge", "novel_delta_dmmse", "pool_delta_ridge", "pool_delta_dmmse"):
        assert len(net.train_metrics[name]) == 2
    assert net.size_bits() > 0 and net.compute_per_call() > 0


def test_lsa_refuses_the_all_positions_mode() -> None:
    task = build_task("icl", {"dim": 3, "points": 6, "query": "all"}, np.random.SeedSequence(0))
    with pytest.raises(ValueError, match="query = 'last'"):
        fit_learner("lsa", {"steps": 1}, task, np.random.SeedSequence(1), lambda *_: None)
