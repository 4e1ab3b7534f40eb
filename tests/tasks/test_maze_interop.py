"""Round trips with maze-dataset's SolvedMaze; skipped when the `mazes` extra is not installed."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.tasks.maze import generate, path_cells
from mesaopt.tasks.maze_interop import from_solved_mazes, to_solved_mazes

maze_dataset = pytest.importorskip("maze_dataset")


@pytest.mark.parametrize(("rows", "cols", "loops"), [(4, 4, 0.0), (3, 6, 0.0), (5, 5, 0.4)])
def test_our_mazes_survive_a_round_trip(rows, cols, loops):
    batch = generate(12, rows, np.random.default_rng(rows), width=cols, loops=loops)
    solved = to_solved_mazes(batch)
    assert all(isinstance(m, maze_dataset.SolvedMaze) for m in solved)
    assert [tuple(m.grid_shape) for m in solved] == [(rows, cols)] * 12
    for maze, cells, grid in zip(solved, path_cells(batch.grids), batch.grids, strict=True):
        assert (maze.solution == cells).all()
        pixels = maze.as_pixels(show_endpoints=False, show_solution=False)
        assert ((pixels.sum(axis=-1) > 0) == grid[0].astype(bool)).all()
    assert (from_solved_mazes(solved).grids == batch.grids).all()


def test_maze_dataset_mazes_survive_a_round_trip_and_agree_on_the_path():
    from maze_dataset.generation.generators import get_maze_with_solution

    theirs = [get_maze_with_solution("gen_dfs", (5, 5)) for _ in range(10)]
    ours = from_solved_mazes(theirs)
    back = to_solved_mazes(ours)
    for mine, their in zip(back, theirs, strict=True):
        assert (mine.connection_list == their.connection_list).all()
        assert (mine.start_pos == their.start_pos).all() and (mine.end_pos == their.end_pos).all()
        assert (mine.solution == their.solution).all()  # a perfect maze has one path between two cells
