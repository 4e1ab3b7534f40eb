"""UCT Monte Carlo tree search for the games world: a searcher of known nature that converges to minimax.

Each iteration walks the tree from the root, picking at every fully expanded node the child of largest UCB1 score
(mean reward in [0, 1] for the player who chooses it, plus EXPLORATION * sqrt(ln n_parent / n_child)), expands one
untried move, plays uniformly random moves from there to the end, and backs the outcome up the path. The answer is
the most visited root move (ties: lowest-numbered). Unlike flat random playouts, the tree grows toward the best
replies, so as the iteration budget grows its values approach the minimax values (Kocsis and Szepesvari's UCT); the
budget is its test-time compute knob. Its hidden states are its tree's mean values for the root's mover: the root's
children ("search.1", (B, actions)) and grandchildren ("search.2", (B, actions^2)), 0 where it has not been.

Random choices are seeded per position (its code, moves left, side, variant and the budget), so a position gets the
same answer in any batch. Plain Python per position: meant for calibration batches of a few hundred positions.
"""

from __future__ import annotations

import math
import random
import zlib
from functools import cache

import numpy as np

from mesaopt.learners.game_players import Player
from mesaopt.tasks.games_rules import GameBatch, hash_step_reference
from mesaopt.tasks.games_solve import board_table

EXPLORATION = math.sqrt(2.0)
"""UCB1's exploration constant for rewards in [0, 1] (Auer et al.'s bound; UCT's usual choice)."""


@cache
def _board_lists(game: str, variant: int) -> tuple[list[list[int]], list[bool], list[int]]:
    """A board table as Python lists (children rows, terminal flags, values for the side to move), for fast walks."""
    table = board_table(game, variant)
    return table.child.tolist(), table.terminal.tolist(), table.value.tolist()


class _Game:
    """One position's game seen as states: board rows, or (hash state, moves left); `ply` below the root decides the
    mover. Values are for player 0."""

    def __init__(self, batch: GameBatch, row: int) -> None:
        self.board = batch.is_board
        self.side = int(batch.side[row])
        self.alternate = batch.game != "hash1"
        if self.board:
            variant = int(batch.variant[row])
            self.child, self.terminal, self.value = _board_lists(batch.game, variant)
            table = board_table(batch.game, variant)
            self.root = int(table.index(batch.codes[row : row + 1])[0])
        else:
            self.bits, self.variant = batch.bits, int(batch.variant[row])
            self.root = (int(batch.codes[row]), int(batch.remaining[row]))

    def mover(self, ply: int) -> int:
        return (self.side + ply) % 2 if self.alternate else self.side

    def moves(self, state) -> list[tuple[int, object]]:
        """Legal (move, next state) pairs; empty at the end."""
        if self.board:
            if self.terminal[state]:
                return []
            return [(a, c) for a, c in enumerate(self.child[state]) if c >= 0]
        h, left = state
        if left == 0:
            return []
        return [(b, (hash_step_reference(h, b, self.bits, self.variant), left - 1)) for b in (0, 1)]

    def outcome(self, state, ply: int) -> float:
        """Player 0's value of a finished game."""
        if self.board:
            own = self.value[state]
            return float(own if self.mover(ply) == 0 else -own)
        h, _ = state
        return 1.0 if (h >> (self.bits - 1)) & 1 else -1.0


class _Node:
    __slots__ = ("state", "ply", "untried", "kids", "visits", "reward")

    def __init__(self, game: _Game, state, ply: int, rng: random.Random) -> None:
        self.state, self.ply = state, ply
        self.untried = game.moves(state)
        rng.shuffle(self.untried)
        self.kids: dict[int, _Node] = {}
        self.visits, self.reward = 0, 0.0  # reward: summed [0, 1] outcomes of the player who moved into it


def _playout(game: _Game, state, ply: int, rng: random.Random) -> float:
    moves = game.moves(state)
    while moves:
        _, state = rng.choice(moves)
        ply += 1
        moves = game.moves(state)
    return game.outcome(state, ply)


def _iterate(game: _Game, root: _Node, rng: random.Random) -> None:
    node, path = root, [root]
    while not node.untried and node.kids:
        log_n = math.log(node.visits)
        node = max(
            node.kids.values(),
            key=lambda k: k.reward / k.visits + EXPLORATION * math.sqrt(log_n / k.visits),
        )
        path.append(node)
    if node.untried:
        move, state = node.untried.pop()
        kid = _Node(game, state, node.ply + 1, rng)
        node.kids[move] = kid
        node = kid
        path.append(node)
    z = _playout(game, node.state, node.ply, rng)
    for i, n in enumerate(path):
        n.visits += 1
        if i:
            n.reward += (1.0 + (z if game.mover(path[i - 1].ply) == 0 else -z)) / 2.0


def _mean(node: _Node, sign: float) -> float:
    """A node's mean outcome for the root's mover, in [-1, 1] (sign: +1 when the root's mover chose it)."""
    return sign * (2.0 * node.reward / node.visits - 1.0)


class UCTPlayer(Player):
    """UCT: UCB1 selection, one expansion and one random playout per iteration; plays the most visited move."""

    def __init__(self, iterations: int) -> None:
        self.default_iterations = iterations
        self.name = f"UCT Monte Carlo tree search, {iterations} iterations"
        self.bits, self.ops = 96.0, float(iterations)
        self._memo: dict[tuple[bytes, int], tuple[np.ndarray, dict[str, np.ndarray]]] = {}

    def search(self, batch: GameBatch, iterations: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Moves (B,) and tree values per level, searched once per (batch, budget)."""
        arrays = (batch.codes, batch.remaining, batch.side, batch.variant)
        key = (batch.game.encode() + b"".join(a.tobytes() for a in arrays), iterations)
        if key not in self._memo:
            self._memo = {key: self._search(batch, iterations)}
        return self._memo[key]

    def _search(self, batch: GameBatch, iterations: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        actions = batch.actions
        moves = np.zeros(len(batch), dtype=np.int64)
        levels = {"search.1": np.zeros((len(batch), actions)), "search.2": np.zeros((len(batch), actions**2))}
        for row in range(len(batch)):
            game = _Game(batch, row)
            seed = [int(batch.codes[row]), int(batch.remaining[row]), int(batch.side[row]), int(batch.variant[row])]
            rng = random.Random(zlib.crc32(repr((batch.game, seed, iterations)).encode()))
            root = _Node(game, game.root, 0, rng)
            for _ in range(iterations):
                _iterate(game, root, rng)
            visits = np.zeros(actions)
            mine = game.mover(0) == game.mover(1)
            for move, kid in root.kids.items():
                visits[move] = kid.visits
                levels["search.1"][row, move] = _mean(kid, 1.0)
                for reply, grand in kid.kids.items():
                    levels["search.2"][row, move * actions + reply] = _mean(grand, 1.0 if mine else -1.0)
            moves[row] = int(visits.argmax())
        return moves, levels

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        return self.search(batch, iterations or self.default_iterations)[0]

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return self.search(batch, iterations or self.default_iterations)[1]
