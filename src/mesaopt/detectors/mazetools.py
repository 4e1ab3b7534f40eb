"""Maze helpers the detectors share: search states per BFS step, goal moves and path reading.

Built on the maze world's ground truth (`tasks.maze.distances`, `move_goal`), so the detectors depend on one array
format (grids shaped (B, 3, H, W), channels open/start/goal) and nothing else about the task.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mesaopt.learners.lookup import hamming_distances
from mesaopt.tasks import maze
from mesaopt.tasks.maze import START, MazeBatch


def require_maze(batch: Any, detector: str) -> np.ndarray:
    """The grids of a maze batch; a clear error for any other task family."""
    grids = getattr(batch, "grids", None)
    if grids is None or np.ndim(grids) != 4 or np.shape(grids)[1] != 3:
        raise ValueError(f"detector {detector!r} applies to maze tasks only (batches with grids (B, 3, H, W))")
    return np.asarray(grids)


def goal_distance(grids: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """BFS distance from the goal over open positions, -1 where unreached; (B, H, W) int."""
    return maze.distances(grids, "goal", max_steps)


def visited_at(dist: np.ndarray, step: int) -> np.ndarray:
    """The BFS visited set after `step` expansions (`maze.frontier_states(grids)[:, step]`, without the stack)."""
    return (dist >= 0) & (dist <= step)


def capped_distance(dist: np.ndarray, step: int) -> np.ndarray:
    """The distance field as a search knows it after `step` expansions: unreached positions read step + 1."""
    return np.where(visited_at(dist, step), dist, step + 1).astype(np.float64)


def cells(grids: np.ndarray) -> int:
    """Maze cells per instance of a batch of grids (cells sit at odd grid positions)."""
    height, width = grids.shape[-2:]
    return ((height - 1) // 2) * ((width - 1) // 2)


def positions(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the first true position of each (H, W) mask in a (B, H, W) batch."""
    flat = mask.reshape(len(mask), -1).argmax(axis=1)
    return np.divmod(flat, mask.shape[-1])


def reaches(mask: np.ndarray, grids: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Whether each output mask links the start to the target position through 4-connected mask positions."""
    mask = np.asarray(mask, dtype=bool)
    start = grids[:, START].astype(bool) & mask
    dist = maze.distance_field(mask, start)
    return ((dist >= 0) & target.astype(bool)).any(axis=(1, 2))


def move_goal(grids: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """A copy of the grids with each instance's goal moved to grid position (rows[b], cols[b]), a cell."""
    cells = np.stack([(rows - 1) // 2, (cols - 1) // 2], axis=1)
    return maze.move_goal(batch_of(grids), cells).grids


def nearest(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Index of the key grid nearest to each query grid in Hamming distance, as the lookup learner picks it."""
    return hamming_distances(queries, keys).argmin(axis=1)


def batch_of(grids: np.ndarray) -> MazeBatch:
    """Wrap grids as a maze batch."""
    return MazeBatch(np.ascontiguousarray(grids))
