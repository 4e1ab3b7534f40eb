"""Generator properties: connected, trees without loops, cycles with loops, determinism, placement regions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesaopt.tasks.maze import GOAL, OPEN, START, generate
from mesaopt.tasks.maze_gen import parse_region, region_cells
from tests.tasks.helpers import bfs, edges, marked

shapes = st.tuples(st.integers(1, 7), st.integers(2, 7))
generators = st.sampled_from(["dfs", "kruskal"])
seeds = st.integers(0, 2**32 - 1)
quick = settings(max_examples=40, deadline=None)


@quick
@given(shape=shapes, generator=generators, loops=st.sampled_from([0.0, 0.1, 0.5, 1.0]), seed=seeds)
def test_every_maze_is_connected_and_well_formed(shape, generator, loops, seed):
    rows, cols = shape
    batch = generate(8, rows, np.random.default_rng(seed), width=cols, generator=generator, loops=loops)
    assert batch.grids.shape == (8, 3, 2 * rows + 1, 2 * cols + 1)
    for grid in batch.grids:
        open_ = grid[OPEN].astype(bool)
        assert open_[1::2, 1::2].all()
        assert not open_[0].any() and not open_[-1].any() and not open_[:, 0].any() and not open_[:, -1].any()
        assert not open_[::2, ::2].any()
        assert len(bfs(open_, (1, 1))) == open_.sum()
        start, goal = marked(grid[START]), marked(grid[GOAL])
        assert start != goal and open_[start] and open_[goal]


@quick
@given(shape=shapes, generator=generators, seed=seeds)
def test_a_perfect_maze_is_a_tree(shape, generator, seed):
    rows, cols = shape
    batch = generate(8, rows, np.random.default_rng(seed), width=cols, generator=generator)
    assert [edges(g[OPEN]) for g in batch.grids] == [rows * cols - 1] * 8


@quick
@given(shape=st.tuples(st.integers(2, 7), st.integers(2, 7)), generator=generators, seed=seeds, loops=st.floats(0, 1))
def test_loops_open_the_stated_fraction_of_remaining_walls(shape, generator, seed, loops):
    rows, cols = shape
    walls = rows * (cols - 1) + (rows - 1) * cols - (rows * cols - 1)
    batch = generate(4, rows, np.random.default_rng(seed), width=cols, generator=generator, loops=loops)
    expected = rows * cols - 1 + int(np.rint(loops * walls))
    assert [edges(g[OPEN]) for g in batch.grids] == [expected] * 4


def test_loops_add_cycles():
    batch = generate(16, 5, np.random.default_rng(0), loops=0.3)
    assert all(edges(g[OPEN]) > 5 * 5 - 1 for g in batch.grids)


@quick
@given(generator=generators, seed=seeds, loops=st.sampled_from([0.0, 0.4]))
def test_the_same_seed_gives_the_same_mazes(generator, seed, loops):
    first = generate(16, 4, np.random.default_rng(seed), width=6, generator=generator, loops=loops)
    second = generate(16, 4, np.random.default_rng(seed), width=6, generator=generator, loops=loops)
    other = generate(16, 4, np.random.default_rng(seed + 1), width=6, generator=generator, loops=loops)
    np.testing.assert_array_equal(first.grids, second.grids)
    assert not np.array_equal(first.grids, other.grids)


@pytest.mark.parametrize("generator", ["dfs", "kruskal"])
def test_generators_reach_many_distinct_mazes(generator):
    batch = generate(500, 4, np.random.default_rng(3), generator=generator)
    assert len({g[OPEN].tobytes() for g in batch.grids}) > 450


def test_regions_cover_the_named_corner_block():
    assert sorted(region_cells("top-right:2", 3, 4)) == [2, 3, 6, 7]
    assert sorted(region_cells("bottom-left", 3, 4)) == [8]
    assert len(region_cells("any", 3, 4)) == 12
    with pytest.raises(ValueError, match="corner"):
        parse_region("middle:2")
    with pytest.raises(ValueError, match="does not fit"):
        region_cells("top-left:5", 3, 4)


@quick
@given(seed=seeds, side=st.integers(1, 3))
def test_start_and_goal_stay_in_their_regions(seed, side):
    batch = generate(64, 5, np.random.default_rng(seed), start_region="bottom-left:3", goal_region=f"top-right:{side}")
    for grid in batch.grids:
        (sr, sc), (gr, gc) = marked(grid[START]), marked(grid[GOAL])
        assert (sr - 1) // 2 >= 2 and (sc - 1) // 2 < 3
        assert (gr - 1) // 2 < side and (gc - 1) // 2 >= 5 - side


def test_corners_place_start_and_goal_on_fixed_cells():
    batch = generate(8, 3, np.random.default_rng(0), width=4, start_region="top-left", goal_region="bottom-right")
    assert (batch.grids[:, START, 1, 1] == 1).all() and (batch.grids[:, GOAL, 5, 7] == 1).all()
