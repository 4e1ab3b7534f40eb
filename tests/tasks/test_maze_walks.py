"""Walks and reference trajectories: a hand-traced wall follower, loop erasure by hand, and properties against the
ground truth of `maze_truth` (distances, frontiers, shortest paths) on generated mazes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesaopt.tasks.maze import (
    GOAL,
    OPEN,
    START,
    MazeBatch,
    distance_field,
    distances,
    frontier_states,
    generate,
    is_shortest_path,
    shortest_path,
)
from mesaopt.tasks.maze_walks import (
    bfs_distance_states,
    loop_erased,
    random_walks,
    visited_states,
    walk_cap,
    walked_masks,
    wall_follower_states,
    wall_follower_walks,
)
from tests.tasks.test_maze_truth import hand_grid

mazes = st.builds(
    lambda seed, rows, cols, loops: generate(5, rows, np.random.default_rng(seed), width=cols, loops=loops),
    st.integers(0, 2**32 - 1), st.integers(2, 6), st.integers(2, 6), st.sampled_from([0.0, 0.3, 1.0]),
)  # fmt: skip
trees = st.builds(
    lambda seed, rows, cols, gen: generate(5, rows, np.random.default_rng(seed), width=cols, generator=gen),
    st.integers(0, 2**32 - 1), st.integers(2, 6), st.integers(2, 6), st.sampled_from(["dfs", "kruskal"]),
)  # fmt: skip

DEAD_LEFT = ["#####", "#..S#", "#.#.#", "#.#G#", "#####"]
"""The goal is straight below the start; facing up, the left hand first leads into the dead end on the left."""


def drawn(rows: list[str]) -> np.ndarray:
    """A batch of one grid from ASCII rows: '#' wall, 'S' start, 'G' goal, anything else open."""
    chars = np.array([list(row) for row in rows])
    return np.stack([chars != "#", chars == "S", chars == "G"]).astype(np.uint8)[None]


def test_wall_follower_states_on_the_hand_maze():
    grids = hand_grid()
    # From S at (1, 1) facing up: left and ahead are wall, so it turns right and runs along the top row, then the
    # left hand leads it down to G at (3, 5); the dead end below S is never entered.
    walked = [(1, 1), (1, 2), (1, 3), (1, 4), (1, 5), (2, 5), (3, 5)]
    states = wall_follower_states(grids, walk_cap(grids))
    assert states.shape == (1, 7, 5, 7)
    for t, (r, c) in enumerate(walked):
        assert states[0, t].sum() == t + 1 and states[0, t, r, c]
    capped = wall_follower_states(grids, 3)
    assert capped.shape == (1, 4, 5, 7) and (capped[0] == states[0, :4]).all()


def test_wall_follower_tours_a_dead_end_on_its_left():
    grids = drawn(DEAD_LEFT)
    walk, length = wall_follower_walks(grids, walk_cap(grids))
    width = grids.shape[-1]
    visits = [(1, 3), (1, 2), (1, 1), (2, 1), (3, 1), (2, 1), (1, 1), (1, 2), (1, 3), (2, 3), (3, 3)]
    assert [tuple(divmod(int(p), width)) for p in walk[0, : length[0]]] == visits
    final = visited_states(walk, length, grids.shape[-2:])[0, -1]
    assert (final == grids[0, OPEN].astype(bool)).all()
    assert (loop_erased(walk, length, grids.shape[-2:]) == shortest_path(grids)).all()


def test_loop_erasure_by_hand():
    # Positions of a 1 x 5 strip: 0 1 2 1 3 erases the loop 1-2-1; 0 1 0 1 2 erases twice.
    walk = np.array([[0, 1, 2, 1, 3], [0, 1, 0, 1, 2], [4, 4, 4, 4, 4]])
    length = np.array([5, 5, 1])
    masks = loop_erased(walk, length, (1, 5))
    assert masks.tolist() == [
        [[True, True, False, True, False]],
        [[True, True, True, False, False]],
        [[False, False, False, False, True]],
    ]
    assert walked_masks(walk, length, (1, 5))[:2].sum() == 4 + 3


def test_visited_states_repeat_the_final_set_of_shorter_walks():
    walk = np.array([[0, 1, 2, 3], [2, 1, 0, 0]])
    states = visited_states(walk, np.array([4, 2]), (1, 4))
    assert states.shape == (2, 4, 1, 4)
    assert states[1, 1:].sum(axis=(1, 2)).tolist() == [2, 2, 2] and not states[1, -1, 0, 0]


def test_bad_step_cap_is_refused():
    with pytest.raises(ValueError, match="max_steps"):
        wall_follower_walks(hand_grid(), -1)


@settings(max_examples=25, deadline=None)
@given(batch=trees)
def test_wall_follower_on_tree_mazes_reaches_the_goal_over_the_path(batch: MazeBatch):
    grids = batch.grids
    states = wall_follower_states(grids, walk_cap(grids))
    first, final = states[:, 0], states[:, -1]
    assert (first == grids[:, START].astype(bool)).all()
    assert (states[:, 1:] >= states[:, :-1]).all()
    assert (np.diff(states.sum(axis=(2, 3)), axis=1) <= 1).all()
    assert (final <= grids[:, OPEN].astype(bool)).all()
    assert (final >= shortest_path(grids)).all()  # in a tree every walk to the goal covers the only path
    walk, length = wall_follower_walks(grids, walk_cap(grids))
    assert (loop_erased(walk, length, grids.shape[-2:]) == shortest_path(grids)).all()


@settings(max_examples=25, deadline=None)
@given(batch=mazes, seed=st.integers(0, 2**32 - 1))
def test_random_walks_step_between_open_neighbours(batch: MazeBatch, seed: int):
    grids = batch.grids
    width = grids.shape[-1]
    walk, length = random_walks(grids, np.random.default_rng(seed).random((len(grids), 60)))
    erased = loop_erased(walk, length, grids.shape[-2:])
    assert (erased <= walked_masks(walk, length, grids.shape[-2:])).all()
    cells = grids[:, OPEN, 1::2, 1::2].sum(axis=(1, 2))
    tree = grids[:, OPEN].sum(axis=(1, 2)) == 2 * cells - 1  # a perfect maze: one passage fewer than cells
    linked = distance_field(erased, grids[:, START].astype(bool))
    for b in range(len(grids)):
        rows, cols = np.divmod(walk[b, : length[b]], width)
        assert (np.abs(np.diff(rows)) + np.abs(np.diff(cols)) == 1).all()
        assert grids[b, OPEN, rows, cols].all() and grids[b, START, rows[0], cols[0]]
        assert not grids[b, GOAL, rows[:-1], cols[:-1]].any()  # it stops on reaching the goal
        reached = bool(grids[b, GOAL, rows[-1], cols[-1]])
        assert reached or length[b] == 61
        assert erased[b, rows[0], cols[0]] and erased[b, rows[-1], cols[-1]]
        assert linked[b, rows[-1], cols[-1]] >= 0  # a path from the start to where the walk ended
        if reached and tree[b]:
            assert is_shortest_path(grids[b : b + 1], erased[b : b + 1])[0]


@settings(max_examples=25, deadline=None)
@given(batch=mazes, source=st.sampled_from(["goal", "start"]))
def test_bfs_distance_states_agree_with_distances_and_frontiers(batch: MazeBatch, source: str):
    grids = batch.grids
    states = bfs_distance_states(grids, source)
    visited = frontier_states(grids, source)
    dist = distances(grids, source)
    steps = states.shape[1]
    assert states.shape == visited.shape
    assert ((states <= np.arange(steps)[None, :, None, None]) == visited).all()
    assert (states[:, -1][dist >= 0] == dist[dist >= 0]).all() and (states[:, -1][dist < 0] == steps).all()
    assert (np.diff(states, axis=1) >= 0).all()
