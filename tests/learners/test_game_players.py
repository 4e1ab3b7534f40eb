"""The fresh held-out players of the games battery: UCT tree search and the one-ply evaluator behave as their
algorithms say, whatever the battery makes of them."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.games import decisive_accuracy
from mesaopt.learners.game_players import EvaluatorPlayer, PlayerConfig, build_player
from mesaopt.learners.game_uct import UCTPlayer
from mesaopt.tasks import build_task


def _task(**params):
    base = {"game": "tictactoe", "pool_size": 64, "eval_size": 128}
    return build_task("games", {**base, **params}, np.random.SeedSequence(0))


def test_uct_takes_a_win_in_one_on_tictactoe():
    task = _task()
    novel = task.novel()
    batch = novel.take(np.flatnonzero((task.solver.plies(novel) == 1) & (task.solver.value(novel) == 1)))
    assert len(batch) > 0
    assert task.success(batch, UCTPlayer(64).solve(batch)).all()


def test_uct_plays_the_last_move_of_the_hash_game_exactly():
    task = _task(game="hash2", bits=12, depth=1)
    novel = task.novel()
    assert task.success(novel, UCTPlayer(4).solve(novel)).all()


def test_uct_plays_harder_positions_better_with_a_larger_budget():
    task = _task()
    harder = task.harder(64)
    small, _, _ = decisive_accuracy(UCTPlayer(8), task, harder)
    large, _, _ = decisive_accuracy(UCTPlayer(512), task, harder)
    assert large > small


def test_uct_answers_a_position_the_same_alone_or_in_a_batch():
    task = _task()
    novel = task.novel(32)
    player = build_player(PlayerConfig(kind="uct", depth=32), task)
    together = player.solve(novel)
    alone = [int(player.solve(novel.take(np.array([i])))[0]) for i in range(len(novel))]
    assert together.tolist() == alone


def test_uct_tree_values_are_zero_off_the_board_and_bounded():
    task = _task()
    novel = task.novel(32)
    states = UCTPlayer(64).hidden_states(novel)
    legal = task.solver.legal(novel)
    assert states["search.1"].shape == legal.shape and states["search.2"].shape == (len(novel), 81)
    assert np.all(states["search.1"][~legal] == 0)
    assert np.all(np.abs(states["search.2"]) <= 1)


@pytest.mark.parametrize("variant", [0, 1])
def test_evaluator_completes_a_line_in_the_normal_game_and_avoids_it_in_misere(variant):
    task = _task(variants=2)
    novel = task.novel()
    novel = novel.take(np.flatnonzero(novel.variant == variant))
    from mesaopt.learners.game_players import wins_and_blocks

    wins, _ = wins_and_blocks(novel)
    safe = task.solver.legal(novel) & ~wins
    moves = EvaluatorPlayer().solve(novel)
    rows = np.arange(len(novel))
    if variant == 0:
        can = wins.any(axis=1)
        assert can.any() and wins[rows, moves][can].all()
    else:
        can = wins.any(axis=1) & safe.any(axis=1)
        assert can.any() and not wins[rows, moves][can].any()


def test_evaluator_reads_the_next_hash_state_only():
    task = _task(game="hash2", bits=12, depth=3)
    novel = task.novel()
    scores = EvaluatorPlayer().hidden_states(novel)["eval.1"]
    assert set(np.unique(scores)) <= {-1.0, 1.0}
    last = novel.remaining == 1
    assert task.success(novel, EvaluatorPlayer().solve(novel))[last].all()
