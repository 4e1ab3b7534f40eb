"""Games world speed: the batched solvers and position generation against plain Python references, same run.

- board solve: `games_solve.board_table` (layered NumPy retrograde analysis over every reachable position) against
  `reference_negamax` (recursive negamax on tuples with a dict memo), for tic-tac-toe and connect-3 (4 x 4);
- hash solve: `Solver.value` on a batch of hash-game positions against plain recursion on Python ints;
- positions: `GamesTask.sample_train` with N = inf (uniform over solved positions, batched) against plain Python
  generation of the same kind of position (random legal play from the empty board, then its solution looked up by
  the reference negamax), positions per second.

Usage: python benchmarks/games.py [--positions 4096] [--hash-positions 512]
Prints each measurement and its speed-up ratio (reference time / batched time).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from mesaopt.tasks import build_task
from mesaopt.tasks.games_rules import BOARDS, hash_step_reference
from mesaopt.tasks.games_solve import board_table, reference_negamax


def timed(fn) -> float:
    """Seconds one call of fn takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def board_solve(game: str) -> tuple[float, float]:
    """(batched seconds, reference seconds) to solve a board game from scratch."""
    board_table.cache_clear()
    fast = timed(lambda: board_table(game, 0))
    slow = timed(lambda: reference_negamax(BOARDS[game], (0,) * BOARDS[game].cells, 0, {}))
    return fast, slow


def _hash_value(state: int, left: int, side: int, bits: int) -> int:
    if left == 0:
        return 1 if state >> (bits - 1) & 1 else -1
    kids = [_hash_value(hash_step_reference(state, m, bits, 0), left - 1, 1 - side, bits) for m in (0, 1)]
    return max(kids) if side == 0 else min(kids)


def hash_solve(count: int) -> tuple[float, float]:
    """(batched, reference) seconds to value `count` two-player hash positions with 8 moves left."""
    task = build_task("games", {"game": "hash2", "bits": 16, "depth": 8, "pool_size": 1}, np.random.SeedSequence(0))
    batch = task.avoiding_pool(count, np.random.default_rng(0), left=8)
    fast = timed(lambda: task.solver.value(batch))
    slow = timed(lambda: [_hash_value(int(h), 8, int(s), 16) for h, s in zip(batch.codes, batch.side, strict=True)])
    return fast, slow


def python_positions(game: str, count: int) -> list[tuple[tuple[int, ...], int]]:
    """Plain Python: random legal play to a random non-terminal position, valued by the reference negamax."""
    spec, memo, rng, out = BOARDS[game], {}, random.Random(0), []
    while len(out) < count:
        cells, stone = [0] * spec.cells, 1
        for _ in range(rng.randrange(spec.cells)):
            empty = [i for i, c in enumerate(cells) if c == 0]
            cells[rng.choice(empty)] = stone
            stone = 3 - stone
        board = tuple(cells)
        lines = spec.lines.tolist()
        if any(board[line[0]] and all(board[i] == board[line[0]] for i in line) for line in lines):
            continue
        out.append((board, reference_negamax(spec, board, 0, memo)))
    return out


def positions(count: int) -> tuple[float, float]:
    """(batched, reference) seconds to make `count` tic-tac-toe training positions with their solutions."""
    task = build_task("games", {"game": "tictactoe"}, np.random.SeedSequence(0))
    rng = np.random.default_rng(0)

    def batched() -> None:
        batch = task.sample_train(count, rng)
        task.solver.optimal(batch)

    batched()
    return timed(batched), timed(lambda: python_positions("tictactoe", count))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=4096)
    parser.add_argument("--hash-positions", type=int, default=512)
    args = parser.parse_args()
    rows = [
        ("solve tic-tac-toe (5,478 positions)", *board_solve("tictactoe")),
        ("solve connect-3 4x4", *board_solve("connect3")),
        (f"value {args.hash_positions} hash positions, 8 moves left", *hash_solve(args.hash_positions)),
        (f"{args.positions} tic-tac-toe positions with optimal moves", *positions(args.positions)),
    ]
    for name, fast, slow in rows:
        print(f"{name:52s} batched {fast:8.3f} s   python {slow:8.3f} s   speed-up x{slow / fast:7.1f}")


if __name__ == "__main__":
    main()
