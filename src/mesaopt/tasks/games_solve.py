"""Exact solvers of the games world: minimax values, optimal moves, depth-limited values and search trees.

Board games are solved once per (game, variant) by retrograde analysis over every reachable position, batched with
NumPy: positions are enumerated layer by layer (stones on the board), then valued from the last layer back. Every
position gets its exact value for the side to move (+1 win, 0 draw, -1 loss), its plies to the end under optimal
play (fastest win, slowest loss), and the depth-limited negamax values val_d (terminal positions exact, the search
frontier at depth d valued 0) that a depth-d minimax player sees.

The hash game has no table (2^bits states per moves-left): every position's tree is expanded on the fly, all
positions of a batch with the same moves left at once, and reduced bottom up (max for player 0, min for player 1).

`Solver` is what tasks, players and detectors use: move values (exact or at a search depth), the optimal-move mask,
plies to the end, and the values of every node k plies ahead (the probes' targets). Values are always for the side
to move at the root, and every per-move array is (B, actions) with a legality mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from mesaopt.tasks.games_rules import (
    BOARDS,
    BoardSpec,
    GameBatch,
    children,
    decode,
    hash_step,
    hash_win,
    terminal_value,
)

ILLEGAL = -2
"""Value written for an illegal move (below every real value, so argmax never picks it)."""


@dataclass(frozen=True)
class BoardTable:
    """Every reachable position of one board game variant, sorted by code, with its solution."""

    codes: np.ndarray
    terminal: np.ndarray
    value: np.ndarray
    plies: np.ndarray
    child: np.ndarray
    """(N, actions) row index of each move's result, -1 where illegal or the position is terminal."""
    limited: np.ndarray
    """(cells + 1, N) negamax values at search depth d = 0 .. cells (d >= plies left is exact)."""

    def index(self, codes: np.ndarray) -> np.ndarray:
        """Row of each code; raises on a code that is not a reachable position."""
        rows = np.searchsorted(self.codes, codes)
        rows = np.minimum(rows, len(self.codes) - 1)
        if not np.array_equal(self.codes[rows], codes):
            raise ValueError("games: a position code is not a reachable position of this game")
        return rows


def _enumerate(spec: BoardSpec) -> list[np.ndarray]:
    """Reachable codes by layer (stones on the board); children of terminal positions are not expanded."""
    layers = [np.zeros(1, dtype=np.int64)]
    for _ in range(spec.cells):
        codes = layers[-1]
        done, _ = terminal_value(spec, decode(spec, codes), 0)
        kids, legal = children(spec, codes[~done])
        nxt = np.unique(kids[legal])
        if len(nxt) == 0:
            break
        layers.append(nxt)
    return layers


@cache
def board_table(game: str, variant: int) -> BoardTable:
    """Solve one board game variant exactly (cached per process)."""
    spec = BOARDS[game]
    codes = np.concatenate(_enumerate(spec))
    order = np.argsort(codes)
    codes = codes[order]
    terminal, tvalue = terminal_value(spec, decode(spec, codes), variant)
    kids, legal = children(spec, codes)
    legal &= ~terminal[:, None]
    child = np.where(legal, np.searchsorted(codes, np.where(legal, kids, 0)), -1)
    stones = (decode(spec, codes) != 0).sum(axis=1)
    value = np.where(terminal, tvalue, 0).astype(np.int64)
    plies = np.zeros(len(codes), dtype=np.int64)
    for layer in range(spec.cells - 1, -1, -1):
        rows = np.flatnonzero((stones == layer) & ~terminal)
        if len(rows) == 0:
            continue
        c = child[rows]
        ok = c >= 0
        v = np.where(ok, -value[np.maximum(c, 0)], ILLEGAL)
        p = plies[np.maximum(c, 0)] + 1
        best = v.max(axis=1)
        hit = ok & (v == best[:, None])
        fastest = np.where(hit, p, np.iinfo(np.int64).max).min(axis=1)
        slowest = np.where(hit, p, -1).max(axis=1)
        value[rows] = best
        plies[rows] = np.where(best > 0, fastest, slowest)
    limited = np.zeros((spec.cells + 1, len(codes)), dtype=np.int64)
    limited[0] = np.where(terminal, tvalue, 0)
    for d in range(1, spec.cells + 1):
        v = np.where(child >= 0, -limited[d - 1][np.maximum(child, 0)], ILLEGAL)
        limited[d] = np.where(terminal, tvalue, v.max(axis=1))
    return BoardTable(codes, terminal, value, plies, child, limited)


def _hash_leaves(batch: GameBatch, depth: int) -> np.ndarray:
    """States (B, 2^depth) after every sequence of `depth` moves, in move order (the first move most significant)."""
    states = batch.codes.astype(np.uint64)[:, None]
    variant = batch.variant[:, None]
    for _ in range(depth):
        zero = hash_step(states, 0, batch.bits, variant)
        one = hash_step(states, 1, batch.bits, variant)
        states = np.stack([zero, one], axis=-1).reshape(len(batch), -1)
    return states


def _mover(batch: GameBatch, players: int, ply: int) -> np.ndarray:
    """The player (0 or 1) who moves `ply` plies below the root, (B,)."""
    return batch.side if players == 1 else (batch.side + ply) % 2


def _reduce(values: np.ndarray, mover: np.ndarray) -> np.ndarray:
    """One level up a binary tree of player-0 values (B, 2m) -> (B, m): player 0 maximizes, player 1 minimizes."""
    pairs = values.reshape(len(values), -1, 2)
    return np.where(mover[:, None] == 0, pairs.max(axis=2), pairs.min(axis=2))


def hash_levels(batch: GameBatch, players: int, depth: int | None = None) -> list[np.ndarray]:
    """Player-0 values of every node, level by level: levels[j] is (B, 2^j) for j = 0 .. min(depth, moves left).

    Nodes at the search frontier with moves still left are valued 0 (unknown); `depth` None searches to the end.
    Positions are grouped by moves left; levels below a position's end are padded with the value of its leaf.
    """
    left = batch.remaining
    reach = int(left.max()) if depth is None else min(int(left.max()), depth)
    levels = [np.zeros((len(batch), 2**j)) for j in range(reach + 1)]
    for r in np.unique(left):
        rows = np.flatnonzero(left == r)
        sub = batch.take(rows)
        d = int(r) if depth is None else min(int(r), depth)
        leaves = _hash_leaves(sub, d)
        vals = 2.0 * hash_win(leaves, batch.bits) - 1.0 if d == r else np.zeros(leaves.shape)
        per = [vals]
        for j in range(d - 1, -1, -1):
            per.append(_reduce(per[-1], _mover(sub, players, j)))
        per = per[::-1]
        for j in range(reach + 1):
            level = per[j] if j <= d else np.repeat(per[d], 2 ** (j - d), axis=1)
            levels[j][rows] = level
    return levels


def _signed(batch: GameBatch, values: np.ndarray) -> np.ndarray:
    """Player-0 values turned into values for the side to move at the root."""
    return np.where(batch.side[:, None] == 0, values, -values)


class Solver:
    """Exact and depth-limited answers for positions of one game (a board game variant set, or the hash game)."""

    def __init__(self, game: str, players: int = 2) -> None:
        self.game, self.players = game, players

    def _table(self, variant: int) -> BoardTable:
        return board_table(self.game, int(variant))

    def _per_variant(self, batch: GameBatch, fn) -> np.ndarray:
        out = None
        for v in np.unique(batch.variant):
            rows = np.flatnonzero(batch.variant == v)
            part = fn(self._table(int(v)), batch.codes[rows])
            if out is None:
                out = np.zeros((len(batch), *part.shape[1:]), dtype=part.dtype)
            out[rows] = part
        return out

    def legal(self, batch: GameBatch) -> np.ndarray:
        """(B, actions) legal moves."""
        if not batch.is_board:
            return np.ones((len(batch), 2), dtype=bool)
        return self._per_variant(batch, lambda t, c: t.child[t.index(c)] >= 0)

    def move_values(self, batch: GameBatch, depth: int | None = None) -> np.ndarray:
        """Value for the mover of each move (B, actions): exact, or what a depth-`depth` negamax sees (depth >= 1);
        ILLEGAL where the move is illegal."""
        if batch.is_board:

            def values(t: BoardTable, codes: np.ndarray) -> np.ndarray:
                c = t.child[t.index(codes)]
                table = t.value if depth is None else t.limited[min(depth - 1, t.limited.shape[0] - 1)]
                return np.where(c >= 0, -table[np.maximum(c, 0)], ILLEGAL)

            return self._per_variant(batch, values)
        level = hash_levels(batch, self.players, depth)[1]
        return _signed(batch, level)

    def value(self, batch: GameBatch) -> np.ndarray:
        """Exact value for the side to move, (B,)."""
        return self.move_values(batch).max(axis=1)

    def optimal(self, batch: GameBatch) -> np.ndarray:
        """(B, actions) moves that keep the exact minimax value."""
        v = self.move_values(batch)
        return (v == v.max(axis=1, keepdims=True)) & (v != ILLEGAL)

    def plies(self, batch: GameBatch) -> np.ndarray:
        """Plies to the end under optimal play (fastest win, slowest loss); the hash game always lasts its moves."""
        if not batch.is_board:
            return batch.remaining.astype(np.int64)
        return self._per_variant(batch, lambda t, c: t.plies[t.index(c)])

    def ahead(self, batch: GameBatch, k: int, depth: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Values, for the root's mover, of every node k plies ahead in move order (B, actions^k), and a mask of the
        nodes that exist (a legal path that did not end earlier). Exact, or as a depth-`depth` negamax rooted at the
        position sees them (nodes at or beyond its frontier read 0 unless terminal)."""
        if not batch.is_board:
            levels = hash_levels(batch, self.players, depth)
            level = levels[min(k, len(levels) - 1)]
            exists = np.repeat((batch.remaining >= k)[:, None], 2**k, axis=1)
            if level.shape[1] < 2**k:
                level = np.repeat(level, 2**k // level.shape[1], axis=1)
                if depth is not None and depth < k:
                    level = np.zeros_like(level)
            return _signed(batch, level), exists

        def values(t: BoardTable, codes: np.ndarray) -> np.ndarray:
            rows = t.index(codes)[:, None]
            for _ in range(k):
                c = np.where(rows[..., None] >= 0, t.child[np.maximum(rows, 0)], -1)
                rows = c.reshape(len(codes), -1)
            table = t.value if depth is None else t.limited[max(depth - k, 0)]
            sign = 1 if k % 2 == 0 else -1
            vals = np.where(rows >= 0, sign * table[np.maximum(rows, 0)], 0)
            return np.stack([vals, rows >= 0], axis=0).transpose(1, 0, 2)

        both = self._per_variant(batch, values)
        return both[:, 0].astype(np.float64), both[:, 1].astype(bool)


def solver_of(batch: GameBatch) -> Solver:
    """The solver of a batch's game (the hash game's player count follows from its name)."""
    return Solver(batch.game, players=1 if batch.game == "hash1" else 2)


def reference_negamax(spec: BoardSpec, cells: tuple[int, ...], variant: int, memo: dict) -> int:
    """Plain recursive negamax on a tuple board with a dict memo: the benchmark's and tests' reference."""
    key = cells
    if key in memo:
        return memo[key]
    for line in spec.lines.tolist():
        first = cells[line[0]]
        if first and all(cells[i] == first for i in line):
            memo[key] = 1 if variant == 1 else -1
            return memo[key]
    if 0 not in cells:
        memo[key] = 0
        return 0
    stone = 1 if cells.count(1) == cells.count(2) else 2
    best = -2
    for move in range(spec.actions):
        cell = _reference_target(spec, cells, move)
        if cell < 0:
            continue
        child = cells[:cell] + (stone,) + cells[cell + 1 :]
        best = max(best, -reference_negamax(spec, child, variant, memo))
    memo[key] = best
    return best


def _reference_target(spec: BoardSpec, cells: tuple[int, ...], move: int) -> int:
    """The cell a move fills on a tuple board, -1 when illegal."""
    if not spec.gravity:
        return move if cells[move] == 0 else -1
    for row in range(spec.rows):
        if cells[row * spec.cols + move] == 0:
            return row * spec.cols + move
    return -1
