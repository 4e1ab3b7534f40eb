"""Optimization power: exact counting agrees with brute-force enumeration of the baseline walks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mesaopt.detectors.mazetools import goal_distance
from mesaopt.detectors.power import (
    MC_SAMPLES,
    instance_bits,
    is_tree,
    optimization_power,
    tree_walk_log2p,
    walk_hits,
)
from mesaopt.detectors.stats import wilson_interval
from mesaopt.learners.base import no_progress
from mesaopt.learners.lookup import LookupConfig, fit_lookup
from mesaopt.tasks.maze import GOAL, MOVES, OPEN, START, generate, shortest_path
from tests.detectors.helpers import BRANCH, Fixed, batch


def brute_force_probability(grid: np.ndarray) -> float:
    """Sum, over every non-reversing walk of the shortest length from the start, of its probability if it ends on G."""
    open_ = grid[OPEN].astype(bool)
    length = int(goal_distance(grid[None])[0][grid[START].astype(bool)][0])
    goal = tuple(int(v[0]) for v in np.nonzero(grid[GOAL]))

    def walk(pos, prev, steps_left, prob):
        if steps_left == 0:
            return prob if pos == goal else 0.0
        options = [(pos[0] + dr, pos[1] + dc) for dr, dc in MOVES]
        options = [p for p in options if open_[p] and p != prev]
        return sum(walk(p, pos, steps_left - 1, prob / len(options)) for p in options)

    start = tuple(int(v[0]) for v in np.nonzero(grid[START]))
    return walk(start, None, length, 1.0)


def test_branch_maze_is_one_bit_by_hand():
    grids = batch(BRANCH).grids
    assert is_tree(grids)[0]
    assert tree_walk_log2p(grids)[0] == pytest.approx(-1.0)  # two ways out of S, one leads on to G
    assert brute_force_probability(grids[0]) == pytest.approx(0.5)


def test_exact_counting_matches_brute_force_on_small_tree_mazes():
    grids = generate(40, 3, np.random.default_rng(11)).grids
    assert is_tree(grids).all()
    exact = np.exp2(tree_walk_log2p(grids))
    brute = np.array([brute_force_probability(g) for g in grids])
    np.testing.assert_allclose(exact, brute, rtol=1e-12)
    assert len(set(np.round(brute, 6))) > 3, "the test mazes should not all be alike"


def test_monte_carlo_interval_covers_brute_force_on_a_maze_with_a_loop():
    grid = generate(1, 3, np.random.default_rng(5)).grids[0].copy()
    walls = [(r, c) for r in range(1, 6) for c in range(1, 6) if (r + c) % 2 == 1 and not grid[OPEN, r, c]]
    grid[OPEN, walls[0][0], walls[0][1]] = 1  # one removed wall makes one loop
    grids = grid[None]
    assert not is_tree(grids)[0]
    truth = brute_force_probability(grid)
    hits = walk_hits(grid, MC_SAMPLES, np.random.default_rng(0))
    lo, hi = wilson_interval(hits, MC_SAMPLES)
    assert lo <= truth <= hi
    bits, bits_lo, bits_hi, exact = instance_bits(grids, np.random.default_rng(0))
    assert not exact[0] and bits_lo[0] <= -math.log2(truth) <= bits_hi[0]


def test_power_of_bfs_empty_and_lookup(maze4):
    bfs = optimization_power(Fixed(lambda g, n: shortest_path(g)), maze4)
    assert bfs["pool_bits"] == pytest.approx(bfs["pool_max_bits"]) and bfs["novel_bits"] == bfs["novel_max_bits"]
    assert bfs["novel_bits"] > 0.5 and bfs["exact_fraction"] == 1.0
    empty = optimization_power(Fixed(lambda g, n: np.zeros(g[:, 0].shape, dtype=bool)), maze4)
    assert empty["pool_bits"] == 0.0 and empty["novel_bits"] == 0.0
    lookup = optimization_power(fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress), maze4)
    assert lookup["pool_bits"] == pytest.approx(bfs["pool_bits"])  # every pool maze is answered from memory
    assert lookup["novel_bits"] < 0.25 * bfs["novel_bits"]
    assert lookup["novel_bits_lo"] <= lookup["novel_bits"] <= lookup["novel_bits_hi"]
