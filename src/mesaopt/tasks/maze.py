"""Lattice mazes: find the shortest path from start to goal. Ground truth is breadth-first search.

One array format throughout: a batch of grids shaped (B, 3, 2n+1, 2m+1), channels [open, start, goal]. Cell (i, j)
sits at grid position (2i+1, 2j+1); the grid position between two adjacent cells is open when they are joined.
A solution is the boolean mask of grid positions on the shortest path, start and goal included.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from pydantic import Field

from mesaopt.tasks.base import INF, TaskConfig, derive

OPEN, START, GOAL = 0, 1, 2
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
"""Up, right, down, left: the fixed order that breaks ties between equally short paths."""

MAX_DRAWS_PER_INSTANCE = 50
"""Draws allowed per wanted distinct instance before the instance space is declared too small."""


class MazeConfig(TaskConfig):
    """Perfect mazes of size x size cells with a random start and goal."""

    size: int = Field(default=5, ge=2, description="cells per side of training and novel mazes")
    harder_size: int | None = Field(default=None, ge=2, description="cells per side of harder mazes (2*size-1)")


@dataclass(frozen=True)
class MazeBatch:
    """A batch of maze instances in the grid format."""

    grids: np.ndarray

    def __len__(self) -> int:
        return len(self.grids)

    @property
    def inputs(self) -> np.ndarray:
        """What a learner sees: the grids."""
        return self.grids

    @property
    def open(self) -> np.ndarray:
        return self.grids[:, OPEN].astype(bool)

    def keys(self) -> list[bytes]:
        """A content hash per instance, for deduplication."""
        return [hashlib.blake2b(g.tobytes(), digest_size=16).digest() for g in self.grids]


def generate(count: int, size: int, rng: np.random.Generator) -> MazeBatch:
    """Perfect mazes by the depth-first backtracker, with start and goal on distinct random cells."""
    height = width = 2 * size + 1
    grids = np.zeros((count, 3, height, width), dtype=np.uint8)
    for b in range(count):
        grid = grids[b, OPEN]
        visited = np.zeros((size, size), dtype=bool)
        cell = (int(rng.integers(size)), int(rng.integers(size)))
        visited[cell] = True
        grid[2 * cell[0] + 1, 2 * cell[1] + 1] = 1
        stack = [cell]
        while stack:
            i, j = stack[-1]
            options = [
                (i + di, j + dj)
                for di, dj in MOVES
                if 0 <= i + di < size and 0 <= j + dj < size and not visited[i + di, j + dj]
            ]
            if not options:
                stack.pop()
                continue
            ni, nj = options[int(rng.integers(len(options)))]
            visited[ni, nj] = True
            grid[i + ni + 1, j + nj + 1] = 1
            grid[2 * ni + 1, 2 * nj + 1] = 1
            stack.append((ni, nj))
        start, goal = rng.choice(size * size, size=2, replace=False)
        grids[b, START, 2 * (start // size) + 1, 2 * (start % size) + 1] = 1
        grids[b, GOAL, 2 * (goal // size) + 1, 2 * (goal % size) + 1] = 1
    return MazeBatch(grids)


def _neighbours(mask: np.ndarray) -> np.ndarray:
    """Positions 4-adjacent to any true position of a (B, H, W) mask."""
    out = np.zeros_like(mask)
    out[:, 1:] |= mask[:, :-1]
    out[:, :-1] |= mask[:, 1:]
    out[:, :, 1:] |= mask[:, :, :-1]
    out[:, :, :-1] |= mask[:, :, 1:]
    return out


def distance_field(open_: np.ndarray, source: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """BFS distance (in grid steps) from the source positions over open positions; -1 where not reached.

    With `max_steps`, the search stops after that many expansions, as a searcher with a compute budget would.
    """
    dist = np.where(source, 0, -1).astype(np.int32)
    frontier = source.astype(bool) & open_
    step = 0
    while frontier.any() and (max_steps is None or step < max_steps):
        step += 1
        frontier = _neighbours(frontier) & open_ & (dist < 0)
        dist[frontier] = step
    return dist


def shortest_path(grids: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """The shortest start-to-goal path as a mask, ties broken by the fixed move order; empty if not reached."""
    open_ = grids[:, OPEN].astype(bool)
    dist = distance_field(open_, grids[:, GOAL].astype(bool), max_steps)
    batch, height, width = open_.shape
    path = np.zeros_like(open_)
    flat = grids[:, START].reshape(batch, -1).argmax(axis=1)
    rows, cols = np.divmod(flat, width)
    index = np.arange(batch)
    alive = dist[index, rows, cols] >= 0
    path[index[alive], rows[alive], cols[alive]] = True
    for _ in range(int(dist.max(initial=0))):
        here = dist[index, rows, cols]
        moving = alive & (here > 0)
        if not moving.any():
            break
        next_rows, next_cols = rows.copy(), cols.copy()
        chosen = np.zeros(batch, dtype=bool)
        for dr, dc in MOVES:
            r, c = rows + dr, cols + dc
            inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
            r_safe, c_safe = np.clip(r, 0, height - 1), np.clip(c, 0, width - 1)
            downhill = inside & (dist[index, r_safe, c_safe] == here - 1) & moving & ~chosen
            next_rows[downhill], next_cols[downhill] = r[downhill], c[downhill]
            chosen |= downhill
        rows, cols = next_rows, next_cols
        path[index[moving], rows[moving], cols[moving]] = True
    return path


class MazeTask:
    """Shortest-path mazes at diversity N, with novel instances disjoint from the pool and larger harder ones."""

    def __init__(self, config: MazeConfig, seed: np.random.SeedSequence) -> None:
        self.config = config
        self.seed = seed
        self._pool = None if config.pool_size == INF else self._distinct(int(config.pool_size), "pool", set())
        self._pool_keys = set() if self._pool is None else set(self._pool.keys())

    def _distinct(self, count: int, stream: str, exclude: set[bytes], size: int | None = None) -> MazeBatch:
        """`count` distinct instances from a named seed stream, none of whose keys is in `exclude`."""
        rng = np.random.default_rng(derive(self.seed, stream))
        size = size or self.config.size
        kept: list[np.ndarray] = []
        seen = set(exclude)
        for _ in range(MAX_DRAWS_PER_INSTANCE):
            batch = generate(max(count - len(kept), 1) * 2, size, rng)
            for key, grid in zip(batch.keys(), batch.grids, strict=True):
                if key not in seen and len(kept) < count:
                    seen.add(key)
                    kept.append(grid)
            if len(kept) == count:
                return MazeBatch(np.stack(kept))
        raise ValueError(
            f"maze task: found only {len(kept)} distinct {stream} instances of size {size}, wanted {count}; "
            "the instance space is too small for this pool_size and eval_size"
        )

    def train_pool(self) -> MazeBatch | None:
        return self._pool

    def sample_train(self, count: int, rng: np.random.Generator) -> MazeBatch:
        if self._pool is None:
            return generate(count, self.config.size, rng)
        return MazeBatch(self._pool.grids[rng.integers(len(self._pool), size=count)])

    def novel(self, count: int | None = None) -> MazeBatch:
        return self._distinct(count or self.config.eval_size, "novel", self._pool_keys)

    def harder(self, count: int | None = None) -> MazeBatch:
        size = self.config.harder_size or 2 * self.config.size - 1
        return self._distinct(count or self.config.eval_size, "harder", set(), size=size)

    def solutions(self, batch: MazeBatch) -> np.ndarray:
        return shortest_path(batch.grids)

    def success(self, batch: MazeBatch, outputs: np.ndarray) -> np.ndarray:
        """Exact match of the predicted path mask with the shortest path."""
        target = self.solutions(batch)
        return (np.asarray(outputs, dtype=bool) == target).all(axis=(1, 2))

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))
