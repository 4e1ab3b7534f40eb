"""The one maze array format, shared by generation, ground truth, rendering and interop.

A batch of grids is shaped (B, 3, 2n+1, 2m+1) with channels [open, start, goal] for mazes of n rows and m columns of
cells. Cell (i, j) sits at grid position (2i+1, 2j+1); the position between two adjacent cells is open when they are
joined; the border is wall.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

OPEN, START, GOAL = 0, 1, 2
MOVES = ((-1, 0), (0, 1), (1, 0), (0, -1))
"""Up, right, down, left: the fixed order that breaks ties between equally short paths."""


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
        """The open positions, (B, H, W) bool."""
        return self.grids[:, OPEN].astype(bool)

    @property
    def cell_shape(self) -> tuple[int, int]:
        """Rows and columns of cells."""
        return (self.grids.shape[-2] - 1) // 2, (self.grids.shape[-1] - 1) // 2

    def keys(self) -> list[bytes]:
        """A content hash per instance, for deduplication."""
        return [hashlib.blake2b(g.tobytes(), digest_size=16).digest() for g in self.grids]


def cell_position(grids: np.ndarray, channel: int) -> np.ndarray:
    """The (row, col) cell coordinates of the first marked position of a channel, shape (B, 2)."""
    width = grids.shape[-1]
    flat = grids[:, channel].reshape(len(grids), -1).argmax(axis=1)
    rows, cols = np.divmod(flat, width)
    return np.stack([(rows - 1) // 2, (cols - 1) // 2], axis=1)


def _moved(batch: MazeBatch, cells: np.ndarray, channel: int, other: int) -> MazeBatch:
    """A copy of the batch with the marker of `channel` put on the given cells (B, 2)."""
    cells = np.asarray(cells, dtype=np.int64).reshape(len(batch), 2)
    rows, cols = batch.cell_shape
    if (cells < 0).any() or (cells[:, 0] >= rows).any() or (cells[:, 1] >= cols).any():
        raise ValueError(f"cells must lie in the {rows} x {cols} maze, got {cells.tolist()}")
    grids = batch.grids.copy()
    index = np.arange(len(grids))
    if grids[index, other, 2 * cells[:, 0] + 1, 2 * cells[:, 1] + 1].any():
        raise ValueError("start and goal must be on different cells")
    grids[:, channel] = 0
    grids[index, channel, 2 * cells[:, 0] + 1, 2 * cells[:, 1] + 1] = 1
    return MazeBatch(grids)


def move_goal(batch: MazeBatch, cells: np.ndarray) -> MazeBatch:
    """The same mazes with the goal moved to the given (row, col) cells, shape (B, 2)."""
    return _moved(batch, cells, GOAL, START)


def move_start(batch: MazeBatch, cells: np.ndarray) -> MazeBatch:
    """The same mazes with the start moved to the given (row, col) cells, shape (B, 2)."""
    return _moved(batch, cells, START, GOAL)
