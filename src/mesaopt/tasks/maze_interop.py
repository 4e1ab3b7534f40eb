"""Import and export of maze-dataset's `SolvedMaze`; needs the optional extra `mazes` (imported lazily).

maze-dataset keeps a connection list shaped (2, rows, cols): [0][i, j] joins cell (i, j) to the cell below, [1][i, j]
to the cell on its right. Its `grid_n` is the number of cells per side, so its grid_n = n is our (2n+1)-wide grid.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mesaopt.tasks.maze_grid import GOAL, OPEN, START, MazeBatch
from mesaopt.tasks.maze_truth import path_cells


def _maze_dataset() -> Any:
    """The maze_dataset module, or a clear error naming the extra to install."""
    try:
        import maze_dataset
    except ImportError as error:
        raise ImportError(
            "maze-dataset interop needs the optional extra: pip install 'mesaopt[mazes]' "
            f"(maze-dataset 1.4.2 with muutils < 0.9); import failed with: {error}"
        ) from error
    return maze_dataset


def connection_list(grid: np.ndarray) -> np.ndarray:
    """maze-dataset's (2, rows, cols) bool connection list of one grid (3, H, W)."""
    open_ = np.asarray(grid)[OPEN].astype(bool)
    rows, cols = (open_.shape[0] - 1) // 2, (open_.shape[1] - 1) // 2
    links = np.zeros((2, rows, cols), dtype=bool)
    links[0, :-1, :] = open_[2 : 2 * rows : 2, 1::2]
    links[1, :, :-1] = open_[1::2, 2 : 2 * cols : 2]
    return links


def grid_from_connections(links: np.ndarray, start: np.ndarray, goal: np.ndarray) -> np.ndarray:
    """One grid (3, 2*rows+1, 2*cols+1) uint8 from a connection list and start and goal cells."""
    links = np.asarray(links, dtype=bool)
    _, rows, cols = links.shape
    grid = np.zeros((3, 2 * rows + 1, 2 * cols + 1), dtype=np.uint8)
    grid[OPEN, 1::2, 1::2] = 1
    grid[OPEN, 2 : 2 * rows : 2, 1::2] = links[0, :-1, :]
    grid[OPEN, 1::2, 2 : 2 * cols : 2] = links[1, :, :-1]
    grid[START, 2 * int(start[0]) + 1, 2 * int(start[1]) + 1] = 1
    grid[GOAL, 2 * int(goal[0]) + 1, 2 * int(goal[1]) + 1] = 1
    return grid


def to_solved_mazes(batch: MazeBatch) -> list[Any]:
    """Each instance as a maze-dataset `SolvedMaze` whose solution is our shortest path, start to goal."""
    solved_maze = _maze_dataset().SolvedMaze
    paths = path_cells(batch.grids)
    return [
        solved_maze(connection_list=connection_list(g), solution=p) for g, p in zip(batch.grids, paths, strict=True)
    ]


def from_solved_mazes(mazes: list[Any]) -> MazeBatch:
    """A batch from maze-dataset mazes with endpoints (`SolvedMaze` or `TargetedLatticeMaze`) of one shape.

    Reads only their `connection_list`, `start_pos` and `end_pos` arrays, so maze-dataset need not be installed."""
    grids = [grid_from_connections(m.connection_list, m.start_pos, m.end_pos) for m in mazes]
    shapes = {g.shape for g in grids}
    if len(shapes) > 1:
        raise ValueError(f"all mazes in a batch must have one shape, got {sorted(shapes)}")
    return MazeBatch(np.stack(grids))
