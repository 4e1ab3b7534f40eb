"""Games-world learners: the policy nets learn tic-tac-toe, are deterministic, and expose their capabilities."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.games import decisive_accuracy
from mesaopt.learners import fit_learner
from mesaopt.learners.base import default_iterations, untrained_copy
from mesaopt.learners.game_players import RandomPlayer
from mesaopt.tasks import build_task


def _task(**params):
    return build_task("games", {"game": "tictactoe", "eval_size": 128, **params}, np.random.SeedSequence(0))


def _fit(name: str, task, **params):
    return fit_learner(name, params, task, np.random.SeedSequence(1), lambda step, total: None)


def test_mlp_learns_tictactoe_well_beyond_random_play():
    task = _task()
    net = _fit("game_mlp", task, steps=400)
    chance, _, _ = decisive_accuracy(RandomPlayer(), task, task.novel())
    assert net.train_metrics["novel_accuracy"] >= chance + 0.4
    assert net.train_metrics["train_accuracy"] >= 0.8


def test_same_seed_gives_the_same_net():
    task = _task(pool_size=32)
    a = _fit("game_mlp", task, steps=20, width=16)
    b = _fit("game_mlp", task, steps=20, width=16)
    assert a.train_metrics == b.train_metrics
    assert np.array_equal(a.solve(task.novel()), b.solve(task.novel()))


@pytest.mark.parametrize("name", ["game_transformer", "game_recurrent"])
def test_every_architecture_answers_legal_moves_and_has_an_untrained_copy(name):
    task = _task(pool_size=32)
    net = _fit(name, task, steps=5, width=16)
    novel = task.novel()
    moves = net.solve(novel)
    assert task.solver.legal(novel)[np.arange(len(novel)), moves].all()
    assert untrained_copy(net) is not None
    states = net.hidden_states(novel)
    assert states and all(len(v) == len(novel) for v in states.values())
    if name == "game_recurrent":
        assert default_iterations(net) == 6
        assert len(net.hidden_states(novel, iterations=9)) == 9


def test_a_games_learner_refuses_other_tasks():
    maze = build_task("maze", {"size": 3, "pool_size": 4}, np.random.SeedSequence(0))
    with pytest.raises(ValueError, match="games"):
        _fit("game_mlp", maze, steps=1)


@pytest.mark.parametrize("scale", [0.02, 1.0])
def test_transformer_position_embedding_starts_at_the_configured_scale(scale):
    task = _task(pool_size=32)
    net = _fit("game_transformer", task, steps=1, width=32, position_scale=scale)
    position = untrained_copy(net).module.position.detach().numpy()
    assert position.std() == pytest.approx(scale, rel=0.2)


@pytest.mark.slow
def test_transformer_learns_tictactoe_at_the_restriction_study_recipe():
    task = _task()
    net = _fit("game_transformer", task, steps=400, width=64, depth=2, heads=4)
    chance, _, _ = decisive_accuracy(RandomPlayer(), task, task.novel())
    assert net.train_metrics["novel_accuracy"] >= chance + 0.4
    assert net.train_metrics["train_accuracy"] >= 0.8
