"""Ground truth: BFS distances and paths against an independent BFS; frontier and dead-end filling by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesaopt.tasks.maze import (
    GOAL,
    MOVES,
    OPEN,
    START,
    MazeBatch,
    dead_end_filling_states,
    distance_field,
    distances,
    frontier_masks,
    frontier_states,
    generate,
    move_goal,
    move_start,
    path_cells,
    shortest_path,
)
from tests.tasks.helpers import bfs, marked

# A 2 x 3 maze drawn by hand: S on cell (0, 0), G on cell (1, 2); a dead end runs from position (2, 1) down and
# right to (3, 3), covering cells (1, 0) and (1, 1).
HAND_ROWS = [
    "#######",
    "#S    #",
    "# ### #",
    "#   #G#",
    "#######",
]


def hand_grid() -> np.ndarray:
    """The hand-built maze as a batch of one grid."""
    chars = np.array([list(row) for row in HAND_ROWS])
    grid = np.stack([chars != "#", chars == "S", chars == "G"]).astype(np.uint8)
    return grid[None]


def test_frontier_states_on_the_hand_maze():
    grids = hand_grid()
    states = frontier_states(grids, source="goal")
    # Distances from G at (3, 5): (2,5)=1 (1,5)=2 (1,4)=3 (1,3)=4 (1,2)=5 (1,1)=6 (2,1)=7 (3,1)=8 (3,2)=9 (3,3)=10.
    assert states.shape == (1, 11, 5, 7)
    assert states[0, 0].sum() == 1 and states[0, 0, 3, 5]
    assert states[0, 2].sum() == 3 and states[0, 2, 1, 5]
    assert states[0, 6, 1, 1] and not states[0, 5, 1, 1]
    assert (states[0, -1] == grids[0, OPEN].astype(bool)).all()
    fronts = frontier_masks(grids, source="goal")
    assert [tuple(np.argwhere(f)[0]) for f in fronts[0]] == [
        (3, 5), (2, 5), (1, 5), (1, 4), (1, 3), (1, 2), (1, 1), (2, 1), (3, 1), (3, 2), (3, 3),
    ]  # fmt: skip
    from_start = frontier_states(grids, source="start")
    assert from_start.shape == (1, 7, 5, 7) and from_start[0, 1].sum() == 3


def test_dead_end_filling_on_the_hand_maze():
    grids = hand_grid()
    states = dead_end_filling_states(grids)
    # The dead end (2,1)-(3,1)-(3,2)-(3,3) fills from its tip (3,3) one position per round, then nothing changes.
    assert states.shape == (1, 5, 5, 7)
    assert (states[0, 0] == grids[0, OPEN].astype(bool)).all()
    gone = [sorted(map(tuple, np.argwhere(states[0, t] & ~states[0, t + 1]))) for t in range(4)]
    assert gone == [[(3, 3)], [(3, 2)], [(3, 1)], [(2, 1)]]
    assert (states[0, -1] == shortest_path(grids)[0]).all()


def test_dead_end_filling_keeps_loops_and_repeats_settled_mazes():
    looped = generate(6, 4, np.random.default_rng(5), loops=1.0)
    perfect = generate(6, 4, np.random.default_rng(5))
    states = dead_end_filling_states(np.concatenate([looped.grids, perfect.grids]))
    final = states[:, -1]
    assert (final[6:] == shortest_path(perfect.grids)).all()
    assert (final[:6].sum(axis=(1, 2)) > shortest_path(looped.grids).sum(axis=(1, 2))).all()
    assert (states[:, 1:] <= states[:, :-1]).all()


mazes = st.builds(
    lambda seed, rows, cols, loops, gen: generate(6, rows, np.random.default_rng(seed), width=cols, loops=loops,
                                                 generator=gen),
    st.integers(0, 2**32 - 1), st.integers(2, 6), st.integers(2, 6), st.sampled_from([0.0, 0.2, 0.7, 1.0]),
    st.sampled_from(["dfs", "kruskal"]),
)  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(batch=mazes)
def test_bfs_path_is_a_shortest_path_with_the_fixed_tie_break(batch: MazeBatch):
    paths = shortest_path(batch.grids)
    dist = distances(batch.grids, "goal")
    for grid, path, field in zip(batch.grids, paths, dist, strict=True):
        open_ = grid[OPEN].astype(bool)
        start, goal = marked(grid[START]), marked(grid[GOAL])
        reference = bfs(open_, goal)
        assert {k: v for k, v in np.ndenumerate(field) if v >= 0} == reference
        assert path.sum() == reference[start] + 1
        assert path[start] and path[goal] and (path <= open_).all()
        walk, here = [start], start
        while here != goal:
            options = [(here[0] + dr, here[1] + dc) for dr, dc in MOVES]
            here = next(p for p in options if reference.get(p, -2) == reference[here] - 1)
            walk.append(here)
        expected = np.zeros_like(path)
        expected[tuple(np.array(walk).T)] = True
        assert (path == expected).all()
    from_start = distances(batch.grids, "start")
    assert [f[marked(g[GOAL])] for f, g in zip(from_start, batch.grids, strict=True)] == [
        f[marked(g[START])] for f, g in zip(dist, batch.grids, strict=True)
    ]


def test_max_steps_caps_the_search():
    batch = generate(32, 5, np.random.default_rng(2))
    full = distance_field(batch.open, batch.grids[:, GOAL])
    capped = distance_field(batch.open, batch.grids[:, GOAL], max_steps=6)
    assert capped.max() == 6
    assert (capped == np.where(full <= 6, full, -1)).all()
    far = full[np.arange(32), *np.nonzero(batch.grids[:, START])[1:]] > 6
    assert far.any() and not shortest_path(batch.grids, max_steps=6)[far].any()


def test_path_cells_run_from_start_to_goal_between_neighbours():
    batch = generate(8, 5, np.random.default_rng(4), loops=0.3)
    for grid, cells in zip(batch.grids, path_cells(batch.grids), strict=True):
        assert tuple(2 * cells[0] + 1) == marked(grid[START]) and tuple(2 * cells[-1] + 1) == marked(grid[GOAL])
        assert (np.abs(np.diff(cells, axis=0)).sum(axis=1) == 1).all()


def test_moving_the_goal_retargets_the_path():
    batch = generate(4, 4, np.random.default_rng(6), start_region="top-left", goal_region="bottom-right")
    moved = move_goal(batch, np.array([[0, 3]] * 4))
    assert (moved.grids[:, GOAL, 1, 7] == 1).all() and moved.grids[:, GOAL].sum() == 4
    assert (moved.grids[:, [OPEN, START]] == batch.grids[:, [OPEN, START]]).all()
    assert shortest_path(moved.grids)[:, 1, 7].all()
    restarted = move_start(batch, np.array([[3, 0]] * 4))
    assert (restarted.grids[:, START, 7, 1] == 1).all()
    with pytest.raises(ValueError, match="different cells"):
        move_goal(batch, np.array([[0, 0]] * 4))
    with pytest.raises(ValueError, match="must lie"):
        move_goal(batch, np.array([[4, 0]] * 4))
