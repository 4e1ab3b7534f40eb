"""Rules of the games world, batched: board games (tic-tac-toe, connect-3) and the hash game.

Board games. A position is a base-3 code: cell i (row-major) holds 0 (empty), 1 (X) or 2 (O), code = sum c_i 3^i.
X moves first, so the side to move is X when both have placed as many stones. A move is a cell (tic-tac-toe) or a
column (connect-3, where the stone falls to the lowest empty row; row 0 is the bottom). A position is terminal when
some line of `k` cells holds one player's stones, or the board is full. Variant 0 is the normal game (completing a
line wins); variant 1 is misère (completing a line loses).

The hash game (seed 001's discussion). A position is a `bits`-bit state h, the moves left r and the side to move.
Each move appends a bit b: h <- H_key(h, b), a fixed keyed mixing function (below). After the last move, player 0
wins iff the top bit of h is 1. In the one-player game every move is player 0's; in the two-player game the sides
alternate. Variant v plays with key KEY_BASE + v. No rule of thumb on h predicts the outcome; only looking ahead does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

MASK32 = np.uint64(0xFFFFFFFF)
MIX_1 = np.uint64(0x85EBCA6B)
MIX_2 = np.uint64(0xC2B2AE35)
"""Multipliers of the 32-bit murmur3 finalizer (fmix32): every input bit flips each output bit about half the time."""

KEY_BASE = 0x9E3779B9
"""Key of variant 0 (the 32-bit golden ratio); variant v uses KEY_BASE + v."""

MOVE_SALT = (0x27D4EB2F, 0x165667B1)
"""Constants xored in for move 0 and move 1 (xxhash primes), so the two children of a state differ everywhere."""


@dataclass(frozen=True)
class BoardSpec:
    """A board game: rows x cols cells, k in a row wins, with or without gravity (stones fall to the bottom)."""

    name: str
    rows: int
    cols: int
    k: int
    gravity: bool

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    @property
    def actions(self) -> int:
        """Moves per position: a column with gravity, else a cell."""
        return self.cols if self.gravity else self.cells

    @cached_property
    def lines(self) -> np.ndarray:
        """Every line of k cells (horizontal, vertical, both diagonals), (L, k) cell indices."""
        out = []
        for r in range(self.rows):
            for c in range(self.cols):
                for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                    cells = [(r + i * dr, c + i * dc) for i in range(self.k)]
                    if all(0 <= rr < self.rows and 0 <= cc < self.cols for rr, cc in cells):
                        out.append([rr * self.cols + cc for rr, cc in cells])
        return np.array(out, dtype=np.int64)

    @cached_property
    def powers(self) -> np.ndarray:
        return 3 ** np.arange(self.cells, dtype=np.int64)


BOARDS = {
    "tictactoe": BoardSpec("tictactoe", 3, 3, 3, False),
    "connect3": BoardSpec("connect3", 4, 4, 3, True),
}
"""The board games by name. Connect-3 on a 4 x 4 board is solved exactly in seconds on a CPU."""

BOARD_VARIANTS = 2
"""Board-game variants: 0 normal, 1 misère."""


def decode(spec: BoardSpec, codes: np.ndarray) -> np.ndarray:
    """Cells (N, cells) in {0, 1, 2} of base-3 codes."""
    codes = np.asarray(codes, dtype=np.int64)
    return (codes[:, None] // spec.powers[None, :]) % 3


def encode(spec: BoardSpec, boards: np.ndarray) -> np.ndarray:
    """Base-3 codes (N,) of boards (N, cells)."""
    return (np.asarray(boards, dtype=np.int64) * spec.powers[None, :]).sum(axis=1)


def to_move(boards: np.ndarray) -> np.ndarray:
    """1 (X) or 2 (O): the side to move, (N,)."""
    return np.where((boards == 1).sum(axis=1) == (boards == 2).sum(axis=1), 1, 2)


def line_owner(spec: BoardSpec, boards: np.ndarray) -> np.ndarray:
    """1 or 2 when that player holds a whole line, else 0, (N,). (Reachable positions never have both.)"""
    stones = boards[:, spec.lines]
    x = (stones == 1).all(axis=2).any(axis=1)
    o = (stones == 2).all(axis=2).any(axis=1)
    return np.where(x, 1, np.where(o, 2, 0))


def terminal_value(spec: BoardSpec, boards: np.ndarray, variant: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """(terminal (N,) bool, value for the side to move (N,) in {-1, 0, 1}, 0 where not terminal).

    A completed line was completed by the player who just moved: the side to move has lost (normal) or won (misère).
    """
    owner = line_owner(spec, boards)
    full = (boards != 0).all(axis=1)
    lined = owner != 0
    misere = np.broadcast_to(np.asarray(variant) == 1, owner.shape)
    value = np.where(lined, np.where(misere, 1, -1), 0)
    return lined | full, value


def targets(spec: BoardSpec, boards: np.ndarray) -> np.ndarray:
    """The cell each move fills, (N, actions), -1 where the move is illegal (cell taken or column full)."""
    if not spec.gravity:
        return np.where(boards == 0, np.arange(spec.cells)[None, :], -1)
    grid = boards.reshape(len(boards), spec.rows, spec.cols)
    empty = grid == 0
    lowest = empty.argmax(axis=1)
    has = empty.any(axis=1)
    return np.where(has, lowest * spec.cols + np.arange(spec.cols)[None, :], -1)


def children(spec: BoardSpec, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Child codes (N, actions) of non-terminal positions and the legality mask; illegal entries hold -1."""
    boards = decode(spec, codes)
    cell = targets(spec, boards)
    legal = cell >= 0
    stone = to_move(boards)
    step = stone[:, None] * spec.powers[np.maximum(cell, 0)]
    return np.where(legal, codes[:, None] + step, -1), legal


def hash_step(states: np.ndarray, moves: np.ndarray, bits: int, variant: np.ndarray | int) -> np.ndarray:
    """One move of the hash game: H_key(h, b) = fmix32(h xor key xor salt_b), cut to `bits` bits; uint64 arrays."""
    h = np.asarray(states, dtype=np.uint64)
    key = (np.uint64(KEY_BASE) + np.asarray(variant, dtype=np.uint64)) & MASK32
    salt = np.where(np.asarray(moves) == 1, np.uint64(MOVE_SALT[1]), np.uint64(MOVE_SALT[0]))
    h = (h ^ key ^ salt) & MASK32
    h ^= h >> np.uint64(16)
    h = (h * MIX_1) & MASK32
    h ^= h >> np.uint64(13)
    h = (h * MIX_2) & MASK32
    h ^= h >> np.uint64(16)
    return h & np.uint64((1 << bits) - 1)


def hash_win(states: np.ndarray, bits: int) -> np.ndarray:
    """1 where player 0 wins a finished game (the top bit of h is set), else 0."""
    return ((np.asarray(states, dtype=np.uint64) >> np.uint64(bits - 1)) & np.uint64(1)).astype(np.int64)


def hash_step_reference(state: int, move: int, bits: int, variant: int) -> int:
    """The same step on Python ints, for tests and the benchmark's plain reference."""
    h = (state ^ ((KEY_BASE + variant) & 0xFFFFFFFF) ^ MOVE_SALT[move]) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h & ((1 << bits) - 1)


@dataclass(frozen=True)
class GameBatch:
    """Positions of one game: `codes` (board code, or hash state h), moves `remaining` (hash game; for boards the
    empty cells), the `side` to move (0: X / player 0, 1: O / player 1) and the rule `variant`, each (B,).
    `variants` is how many variants the task draws from (the width of the variant one-hot in `inputs`)."""

    game: str
    codes: np.ndarray
    remaining: np.ndarray
    side: np.ndarray
    variant: np.ndarray
    variants: int
    bits: int = 0
    depth: int = 0
    """Hash game: state bits and the largest `remaining` the input encodes (its one-hot width)."""

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, rows: np.ndarray) -> GameBatch:
        """The positions at the given rows, as a batch."""
        pick = {k: getattr(self, k)[rows] for k in ("codes", "remaining", "side", "variant")}
        return GameBatch(self.game, variants=self.variants, bits=self.bits, depth=self.depth, **pick)

    @property
    def is_board(self) -> bool:
        return self.game in BOARDS

    @property
    def actions(self) -> int:
        return BOARDS[self.game].actions if self.is_board else 2

    def tokens(self) -> np.ndarray:
        """One token per cell (board: empty, own, opponent) or per state bit (hash: the bit as ±1), each followed
        by the shared context (hash: moves-left one-hot and side; both: the variant one-hot), (B, T, C) float32."""
        if self.is_board:
            boards = decode(BOARDS[self.game], self.codes)
            own = np.where(self.side == 0, 1, 2)[:, None]
            cells = np.stack([boards == 0, boards == own, (boards != 0) & (boards != own)], axis=-1)
            context = np.zeros((len(self), 0))
        else:
            shifts = np.arange(self.bits, dtype=np.uint64)
            cells = (2.0 * ((self.codes.astype(np.uint64)[:, None] >> shifts) & np.uint64(1)) - 1.0)[..., None]
            left = np.eye(self.depth + 1)[np.minimum(self.remaining, self.depth)]
            context = np.concatenate([left, self.side[:, None]], axis=1)
        context = np.concatenate([context, np.eye(self.variants)[self.variant]], axis=1)
        tiled = np.broadcast_to(context[:, None, :], (len(self), cells.shape[1], context.shape[1]))
        return np.concatenate([cells.astype(np.float32), tiled.astype(np.float32)], axis=-1)

    @property
    def inputs(self) -> np.ndarray:
        """A flat encoding (B, F) float32: the cell tokens' own features, then the context once."""
        tokens = self.tokens()
        own = 3 if self.is_board else 1
        return np.concatenate([tokens[:, :, :own].reshape(len(self), -1), tokens[:, 0, own:]], axis=1)
