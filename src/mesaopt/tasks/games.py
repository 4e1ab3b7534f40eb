"""The games world as a task family: positions of one game, the optimal moves as ground truth.

Instances are non-terminal positions (`GameBatch`); an answer is one move per position, and it succeeds when it
keeps the exact minimax value (any optimal move counts). Games (see games_rules):
- "tictactoe", "connect3": every reachable non-terminal position is equally likely; `variants` 2 adds misère;
- "hash1", "hash2": the one- and two-player hash game; h uniform over `bits`-bit states, 1 .. `depth` moves left,
  the side to move uniform (two players), the key variant uniform over `variants` keys.

The diversity knob N (`pool_size`) is the number of distinct training positions; inf draws fresh ones. Novel
positions come from a disjoint stream and exclude the pool's. Harder positions: for the hash game, HARDER_EXTRA more
moves left than any training position; for board games, the novel positions furthest from the end (plies to the
end under optimal play at least the HARDER_QUANTILE of all positions).
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from mesaopt.tasks.base import INF, TaskConfig, derive
from mesaopt.tasks.games_rules import BOARD_VARIANTS, BOARDS, GameBatch, decode, to_move
from mesaopt.tasks.games_solve import Solver, board_table

HARDER_EXTRA = 2
"""Hash game: harder positions have depth + HARDER_EXTRA moves left, beyond every training position."""

HARDER_QUANTILE = 0.75
"""Board games: harder positions are at least this quantile of plies-to-end among all non-terminal positions."""

NOVEL_TRIES = 8
"""Oversampling rounds when drawing novel positions that avoid the pool."""


class GamesConfig(TaskConfig):
    """A game of the games world; pool_size is the number of distinct training positions."""

    game: Literal["tictactoe", "connect3", "hash1", "hash2"] = Field(
        default="tictactoe", description="tictactoe, connect3 (4 x 4), or the hash game with one or two players"
    )
    variants: int = Field(
        default=1, ge=1, description="rule variants drawn and shown in the input (boards: 2 adds misère; hash: keys)"
    )
    bits: int = Field(default=12, ge=2, le=32, description="hash game: bits of the state h")
    depth: int = Field(default=4, ge=1, le=12, description="hash game: most moves left in a training position")

    @model_validator(mode="after")
    def _variants_fit(self) -> GamesConfig:
        if self.game in BOARDS and self.variants > BOARD_VARIANTS:
            raise ValueError(f"board games have {BOARD_VARIANTS} variants (normal, misère), got {self.variants}")
        return self


class GamesTask:
    """Positions of one game at diversity N, with the exact solver as ground truth."""

    def __init__(self, config: GamesConfig, seed: np.random.SeedSequence) -> None:
        self.config = config
        self.seed = seed
        self.solver = Solver(config.game, players=1 if config.game == "hash1" else 2)
        self.pool = None
        if config.pool_size != INF:
            rng = np.random.default_rng(derive(seed, "pool"))
            self.pool = self._draw(int(config.pool_size), rng, unique=True)

    @property
    def is_board(self) -> bool:
        return self.config.game in BOARDS

    @property
    def actions(self) -> int:
        return BOARDS[self.config.game].actions if self.is_board else 2

    @cached_property
    def _positions(self) -> list[np.ndarray]:
        """Board games: the non-terminal codes of each variant."""
        return [
            board_table(self.config.game, v).codes[~board_table(self.config.game, v).terminal]
            for v in range(self.config.variants)
        ]

    @cached_property
    def _all_plies(self) -> np.ndarray:
        """Board games: plies to the end of every non-terminal position of every variant."""
        tables = [board_table(self.config.game, v) for v in range(self.config.variants)]
        return np.concatenate([t.plies[~t.terminal] for t in tables])

    def batch(self, codes: np.ndarray, remaining: np.ndarray, side: np.ndarray, variant: np.ndarray) -> GameBatch:
        """A batch of this task's game from its arrays."""
        c = self.config
        return GameBatch(
            c.game,
            codes.astype(np.int64),
            remaining.astype(np.int64),
            side.astype(np.int64),
            variant.astype(np.int64),
            c.variants,
            c.bits if not self.is_board else 0,
            c.depth,
        )

    def board_batch(self, codes: np.ndarray, variant: np.ndarray) -> GameBatch:
        """Board positions from codes: empty cells and the side to move follow from the board."""
        boards = decode(BOARDS[self.config.game], codes)
        return self.batch(codes, (boards == 0).sum(axis=1), to_move(boards) - 1, variant)

    def _draw(self, count: int, rng: np.random.Generator, unique: bool = False, left: int | None = None) -> GameBatch:
        """Fresh positions; `unique` makes them distinct; `left` fixes the hash game's moves left."""
        c = self.config
        variant = rng.integers(c.variants, size=count)
        if self.is_board:
            codes = np.zeros(count, dtype=np.int64)
            for v in range(c.variants):
                rows = np.flatnonzero(variant == v)
                pool = self._positions[v]
                replace = not unique or len(rows) > len(pool)
                codes[rows] = rng.choice(pool, size=len(rows), replace=replace)
            return self.board_batch(codes, variant)
        span = 1 << c.bits
        codes = rng.choice(span, size=count, replace=count > span) if unique else rng.integers(span, size=count)
        remaining = np.full(count, left) if left is not None else rng.integers(1, c.depth + 1, size=count)
        side = np.zeros(count, dtype=np.int64) if c.game == "hash1" else rng.integers(2, size=count)
        return self.batch(codes, remaining, side, variant)

    def keys(self, batch: GameBatch) -> np.ndarray:
        """One integer per position, equal for equal positions."""
        key = batch.codes * 64 + batch.remaining
        return (key * 2 + batch.side) * self.config.variants + batch.variant

    def train_pool(self) -> GameBatch | None:
        """The N training positions, or None when N is inf."""
        return self.pool

    def sample_train(self, count: int, rng: np.random.Generator) -> GameBatch:
        """Positions drawn from the pool, or fresh ones when N is inf."""
        if self.pool is None:
            return self._draw(count, rng)
        return self.pool.take(rng.integers(len(self.pool), size=count))

    def avoiding_pool(self, count: int, rng: np.random.Generator, left: int | None = None) -> GameBatch:
        """Fresh positions none of which is in the pool (fewer when the game has too few positions)."""
        batch = self._draw(count * NOVEL_TRIES, rng, left=left)
        keep = np.ones(len(batch), dtype=bool)
        if self.pool is not None:
            keep = ~np.isin(self.keys(batch), self.keys(self.pool))
        rows = np.flatnonzero(keep)[:count]
        return batch.take(rows)

    def novel(self, count: int | None = None) -> GameBatch:
        """Positions like the training ones, none of them in the pool."""
        return self.avoiding_pool(count or self.config.eval_size, np.random.default_rng(derive(self.seed, "novel")))

    def harder(self, count: int | None = None) -> GameBatch:
        """Hash game: more moves left than in training; board games: novel positions far from the end."""
        count = count or self.config.eval_size
        rng = np.random.default_rng(derive(self.seed, "harder"))
        if not self.is_board:
            return self.avoiding_pool(count, rng, left=self.config.depth + HARDER_EXTRA)
        batch = self.avoiding_pool(count * NOVEL_TRIES, rng)
        plies = self.solver.plies(batch)
        cut = np.quantile(self._all_plies, HARDER_QUANTILE)
        return batch.take(np.flatnonzero(plies >= cut)[:count])

    def solutions(self, batch: GameBatch) -> np.ndarray:
        """An optimal move per position (the lowest-numbered one)."""
        return self.solver.optimal(batch).argmax(axis=1)

    def success(self, batch: GameBatch, outputs: np.ndarray) -> np.ndarray:
        """Whether each chosen move keeps the exact minimax value."""
        moves = np.asarray(outputs, dtype=np.int64)
        inside = (moves >= 0) & (moves < self.actions)
        return inside & self.solver.optimal(batch)[np.arange(len(batch)), np.clip(moves, 0, self.actions - 1)]

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))
