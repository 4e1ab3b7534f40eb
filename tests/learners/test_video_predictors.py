"""Video predictors: trained nets roll out any horizon and maze size, deterministically; known-nature predictors
do what they are built to do."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from mesaopt.learners import video as nets
from mesaopt.learners import video_baselines as known
from mesaopt.learners import video_config
from mesaopt.learners.base import Iterative
from mesaopt.learners.models.recurrent import halting_step
from mesaopt.learners.neural import progressive_counts
from mesaopt.tasks import build_task

TINY = {"steps": 6, "batch_size": 8, "eval_every": 3, "eval_episodes": 8}
CONFIGS = {
    "video_cnn": video_config.VideoCNNConfig(width=4, depth=2, **TINY),
    "video_recurrent": video_config.VideoRecurrentConfig(width=4, iterations=3, **TINY),
    "video_transformer": video_config.VideoTransformerConfig(width=8, heads=2, **TINY),
}


@pytest.fixture(scope="module")
def task():
    torch.set_num_threads(1)
    return build_task("video", {"size": 3, "eval_size": 16, "min_cells": 3}, np.random.SeedSequence(0))


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_a_trained_predictor_answers_every_split_and_is_deterministic(kind, task):
    one = nets.fit_video(kind, CONFIGS[kind], task, np.random.SeedSequence(5), lambda s, t: None)
    two = nets.fit_video(kind, CONFIGS[kind], task, np.random.SeedSequence(5), lambda s, t: None)
    for split in (task.novel(), task.long(), task.harder()):
        answer = one.solve(split)
        assert answer.shape == split.targets.shape
        np.testing.assert_array_equal(answer, two.solve(split))
        cells = np.zeros(split.grids.shape[-2:], dtype=bool)
        cells[1::2, 1::2] = True
        assert cells.reshape(-1)[answer].all()
    metrics = one.train_metrics
    assert len(metrics["novel_exact"]) == 2 and len(metrics["goal_probe"]) == 2 and metrics["description_bits"] > 0
    states = one.hidden_states(task.novel())
    assert states and all(s.shape[0] == 16 and s.shape[-2:] == (7, 7) for s in states.values())
    assert isinstance(one, Iterative) and (one.default_iterations is not None) == (kind == "video_recurrent")
    assert one.compute_per_call() > 0 and one.size_bits() > 0 and one.describe()
    before = one.untrained().solve(task.novel())
    assert before.shape == (16, task.config.horizon)


def test_recurrent_iterations_change_its_compute_and_hooks(task):
    learned = nets.fit_video(
        "video_recurrent", CONFIGS["video_recurrent"], task, np.random.SeedSequence(1), lambda s, t: None
    )
    assert learned.default_iterations == 3
    assert len(learned.hidden_states(task.novel(), 7)) == 7


def test_description_bits_charge_one_bit_per_zero_weight_and_more_for_large_ones():
    zero = nn.Linear(4, 2)
    nn.init.zeros_(zero.weight), nn.init.zeros_(zero.bias)
    assert nets.description_bits(zero) == 10.0
    big = nn.Linear(4, 2)
    nn.init.constant_(big.weight, 1.0), nn.init.zeros_(big.bias)
    assert nets.description_bits(big) > 10.0 * 8


def test_planner_simulator_predicts_the_planner_exactly_and_infers_a_hidden_goal():
    shown = build_task("video", {"size": 4, "eval_size": 64}, np.random.SeedSequence(2))
    batch = shown.long()
    np.testing.assert_array_equal(known.PlannerSimulator(100).solve(batch), batch.targets)
    hidden = build_task("video", {"size": 4, "eval_size": 64, "goal_shown": False}, np.random.SeedSequence(2))
    clips = hidden.novel()
    guess = known.infer_goals(clips)
    first = known.PlannerSimulator(100).solve(clips)[:, 0] == clips.targets[:, 0]
    assert first.mean() > 0.8 and (guess == clips.goals[:, -1]).mean() > 1 / 16


def test_memorizers_answer_their_own_clips():
    task = build_task("video", {"size": 4, "pool_size": 32, "eval_size": 16}, np.random.SeedSequence(3))
    pool = task.train_pool()
    for table in (known.EpisodeLookup(pool), known.ExactTable(pool)):
        np.testing.assert_array_equal(table.solve(pool), pool.targets)
        assert table.trained_instances() is pool


def test_a_ponder_cost_trains_learned_halting_and_a_higher_cost_halts_sooner(task):
    halted = {}
    for cost in (0.0, 5.0):
        config = video_config.VideoRecurrentConfig(width=4, iterations=4, ponder_cost=cost, **{**TINY, "steps": 40})
        learned = nets.fit_video("video_recurrent", config, task, np.random.SeedSequence(1), lambda s, t: None)
        halted[cost] = learned.train_metrics["expected_steps"]
        assert 1.0 <= halted[cost] <= 4.0
        assert learned.solve(task.long()).shape == (16, task.config.long)
    assert halted[5.0] < halted[0.0]


def test_the_recurrent_predictor_takes_the_maze_recipe_and_off_for_no_halting():
    config = video_config.VideoRecurrentConfig(ponder_cost="off", iterations=4, steps=100)
    assert config.ponder_cost is None and config.cell == "norm" and config.open_only and config.horizon == 3.0
    late = [progressive_counts(config, step)[0] for step in range(90, 100)]
    assert max(late) >= config.iterations  # late in training it is asked to keep a finished answer past T


def test_halting_answers_at_the_first_step_past_one_half():
    halts = torch.tensor([[-5.0, 5.0, -5.0], [5.0, -5.0, -5.0], [0.0, 0.0, -5.0]])
    assert halting_step(halts).tolist() == [1, 0, 2]
