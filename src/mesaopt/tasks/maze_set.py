"""The `maze_set` task: the maze task with any of its splits read from files (`maze_files`), the rest generated.

The pool is `pool_size` mazes of the pool file, drawn without replacement from the task seed (all of them when
pool_size is inf); novel, harder and loops sets are the file's mazes that are not in the pool, in file order, at
most `count` (eval_size) of them: a detector asking for more gets what the file holds. Given solutions are checked
to be shortest paths before anything runs.
"""

from __future__ import annotations

import numpy as np

from mesaopt.tasks.base import INF, derive
from mesaopt.tasks.maze import MazeTask
from mesaopt.tasks.maze_files import MazeFileError, MazeSet, MazeSetConfig, read_maze_set
from mesaopt.tasks.maze_grid import GOAL, START, MazeBatch, cell_position
from mesaopt.tasks.maze_interop import connection_list, grid_from_connections
from mesaopt.tasks.maze_truth import is_shortest_path, path_cells


def batch_of(maze_set: MazeSet) -> MazeBatch:
    """The grids (B, 3, 2*rows+1, 2*cols+1) of a maze set."""
    ends = zip(maze_set.connections, maze_set.starts, maze_set.goals, strict=True)
    grids = [grid_from_connections(links, start, goal) for links, start, goal in ends]
    return MazeBatch(np.stack(grids))


def maze_set_of(batch: MazeBatch, solutions: bool = True) -> MazeSet:
    """A batch of grids as a maze set (connection lists, start and goal cells), with BFS solutions unless asked not."""
    grids = np.asarray(batch.grids)
    return MazeSet(
        np.stack([connection_list(g) for g in grids]),
        cell_position(grids, START),
        cell_position(grids, GOAL),
        tuple(path_cells(grids)) if solutions else None,
    )


def solution_mask(grid: np.ndarray, cells: np.ndarray) -> np.ndarray | None:
    """The grid positions of a path given as cells (both cells and the passages between them); None if two
    consecutive cells are not neighbours."""
    mask = np.zeros(grid.shape[1:], dtype=bool)
    cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
    if len(cells) == 0 or (len(cells) > 1 and (np.abs(np.diff(cells, axis=0)).sum(axis=1) != 1).any()):
        return None
    mask[2 * cells[:, 0] + 1, 2 * cells[:, 1] + 1] = True
    mask[cells[:-1, 0] + cells[1:, 0] + 1, cells[:-1, 1] + cells[1:, 1] + 1] = True
    return mask


def check_solutions(name: str, maze_set: MazeSet, batch: MazeBatch) -> None:
    """Raise MazeFileError naming the first maze whose given solution is not a shortest start-to-goal path."""
    if maze_set.solutions is None:
        return
    for i, (grid, cells) in enumerate(zip(batch.grids, maze_set.solutions, strict=True)):
        if cells is None:
            continue
        mask = solution_mask(grid, cells)
        if mask is None or not is_shortest_path(grid[None], mask[None])[0]:
            raise MazeFileError(
                f"{name}: key 'mazes[{i}].solution' is not a shortest start-to-goal path through open passages "
                "(breadth-first search disagrees); fix or drop it"
            )


class MazeSetTask(MazeTask):
    """A maze task whose pool, novel, harder and loops splits may come from files (see `MazeSetConfig`)."""

    def __init__(self, config: MazeSetConfig, seed: np.random.SeedSequence) -> None:
        self.config = config
        self.seed = seed
        self.sets: dict[str, MazeBatch] = {}
        for split, name in config.files().items():
            maze_set = read_maze_set(name)
            batch = batch_of(maze_set)
            check_solutions(name, maze_set, batch)
            self.sets[split] = batch
        if "pool" in self.sets:
            given = self.sets["pool"]
            count = len(given) if config.pool_size == INF else int(config.pool_size)
            order = np.random.default_rng(derive(seed, "maze_set.pool")).permutation(len(given))[:count]
            self._pool = MazeBatch(given.grids[np.sort(order)])
        else:
            self._pool = None if config.pool_size == INF else self._distinct(int(config.pool_size), "pool", set())
        self._pool_keys = set() if self._pool is None else set(self._pool.keys())

    def _given(self, split: str, count: int | None) -> MazeBatch:
        batch = self.sets[split]
        outside = [i for i, key in enumerate(batch.keys()) if key not in self._pool_keys]
        if not outside:
            raise MazeFileError(f"{self.config.files()[split]}: every {split} maze is also in the training pool")
        return MazeBatch(batch.grids[outside[: count or self.config.eval_size]])

    def novel(self, count: int | None = None) -> MazeBatch:
        return self._given("novel", count) if "novel" in self.sets else super().novel(count)

    def harder(self, count: int | None = None) -> MazeBatch:
        return self._given("harder", count) if "harder" in self.sets else super().harder(count)

    def loop_mazes(self, count: int | None = None) -> MazeBatch:
        return self._given("loops", count) if "loops" in self.sets else super().loop_mazes(count)
