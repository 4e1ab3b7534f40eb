"""The games world: solvers against known values and a plain reference, the hash game's determinism, the task."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.tasks import build_task
from mesaopt.tasks.games_rules import BOARDS, decode, hash_step, hash_step_reference
from mesaopt.tasks.games_solve import board_table, reference_negamax


def test_tictactoe_has_5478_legal_positions_and_is_a_draw():
    table = board_table("tictactoe", 0)
    assert len(table.codes) == 5478
    assert table.value[table.index(np.array([0]))][0] == 0
    assert table.plies[table.index(np.array([0]))][0] == 9


def test_tictactoe_values_agree_with_plain_negamax_everywhere():
    spec, memo = BOARDS["tictactoe"], {}
    reference_negamax(spec, (0,) * 9, 0, memo)
    table = board_table("tictactoe", 0)
    boards = decode(spec, table.codes)
    assert len(memo) == len(table.codes)
    assert all(memo[tuple(int(c) for c in b)] == v for b, v in zip(boards, table.value, strict=True))


@pytest.mark.parametrize(("game", "variant"), [("tictactoe", 1), ("connect3", 0)])
def test_other_variants_agree_with_plain_negamax_on_a_sample(game, variant):
    spec, memo = BOARDS[game], {}
    table = board_table(game, variant)
    rows = np.random.default_rng(0).choice(len(table.codes), 200, replace=False)
    for board, value in zip(decode(spec, table.codes[rows]), table.value[rows], strict=True):
        assert reference_negamax(spec, tuple(int(c) for c in board), variant, memo) == value


def test_an_immediate_win_is_one_ply_away():
    # X X . / O O . / . . .  with X to move: X wins at cell 2 in one ply.
    spec = BOARDS["tictactoe"]
    code = int((np.array([1, 1, 0, 2, 2, 0, 0, 0, 0]) * spec.powers).sum())
    table = board_table("tictactoe", 0)
    row = table.index(np.array([code]))[0]
    assert table.value[row] == 1 and table.plies[row] == 1


def test_hash_step_is_deterministic_and_matches_the_python_reference():
    rng = np.random.default_rng(3)
    states, moves, variants = rng.integers(1 << 16, size=64), rng.integers(2, size=64), rng.integers(3, size=64)
    once = hash_step(states, moves, 16, variants)
    assert np.array_equal(once, hash_step(states, moves, 16, variants))
    expected = [
        hash_step_reference(int(s), int(m), 16, int(v)) for s, m, v in zip(states, moves, variants, strict=True)
    ]
    assert once.tolist() == expected
    assert not np.array_equal(hash_step(states, 0, 16, 0), hash_step(states, 1, 16, 0))


def _brute_hash_value(state: int, left: int, side: int, players: int, bits: int) -> int:
    """Player-0 value by plain recursion."""
    if left == 0:
        return 1 if state >> (bits - 1) & 1 else -1
    kids = [
        _brute_hash_value(
            hash_step_reference(state, m, bits, 0), left - 1, side if players == 1 else 1 - side, players, bits
        )
        for m in (0, 1)
    ]
    return max(kids) if side == 0 else min(kids)


@pytest.mark.parametrize("game", ["hash1", "hash2"])
def test_hash_solver_matches_plain_recursion(game):
    task = build_task("games", {"game": game, "pool_size": 8, "bits": 10, "depth": 4}, np.random.SeedSequence(1))
    batch = task.novel(64)
    values = task.solver.value(batch)
    players = 1 if game == "hash1" else 2
    for i in range(len(batch)):
        v0 = _brute_hash_value(int(batch.codes[i]), int(batch.remaining[i]), int(batch.side[i]), players, 10)
        assert values[i] == (v0 if batch.side[i] == 0 else -v0)


@pytest.mark.parametrize("game", ["tictactoe", "connect3", "hash2"])
def test_task_splits_are_deterministic_disjoint_and_solved(game):
    params = {"game": game, "pool_size": 32, "eval_size": 64}
    task = build_task("games", params, np.random.SeedSequence(5))
    again = build_task("games", params, np.random.SeedSequence(5))
    assert np.array_equal(task.novel().codes, again.novel().codes)
    assert not np.isin(task.keys(task.novel()), task.keys(task.train_pool())).any()
    novel = task.novel()
    assert task.success(novel, task.solutions(novel)).all()
    assert len(task.harder()) > 0
    assert task.solver.plies(task.harder()).min() >= task.solver.plies(novel).min()


def test_ahead_level_one_is_minus_the_move_values_where_legal():
    task = build_task("games", {"game": "tictactoe", "pool_size": 8}, np.random.SeedSequence(2))
    batch = task.novel(32)
    values, exists = task.solver.ahead(batch, 1)
    moves = task.solver.move_values(batch)
    assert np.array_equal(exists, moves > -2)
    assert np.array_equal(values[exists], moves[exists])


def test_bad_variant_count_is_refused():
    with pytest.raises(ValueError, match="variants"):
        build_task("games", {"game": "tictactoe", "variants": 3}, np.random.SeedSequence(0))
