"""Extrapolation and compute scaling on stand-in learners whose success is known by construction."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.compute import compute_scaling, iteration_counts, slope_per_doubling
from mesaopt.detectors.extrapolation import extrapolation, scaled_iterations
from mesaopt.tasks.maze import shortest_path
from tests.detectors.helpers import Fixed


def _empty(grids, n):
    return np.zeros(grids[:, 0].shape, dtype=bool)


def test_scaled_iterations_by_hand():
    assert scaled_iterations(40, 16, 49) == 123  # ceil(40 * 49 / 16) = ceil(122.5)
    assert scaled_iterations(None, 16, 49) is None


def test_extrapolation_of_bfs_and_of_an_empty_answer(maze4):
    assert extrapolation(Fixed(lambda g, n: shortest_path(g)), maze4)["success"] == 1.0
    empty = extrapolation(Fixed(_empty), maze4)
    assert empty["success"] == 0.0 and empty["ran"] == 1.0 and empty["success_hi"] > 0


def test_iterations_are_scaled_to_the_harder_mazes(maze4):
    seen = []

    def capped_bfs(grids, n):
        seen.append(n)
        return shortest_path(grids, max_steps=n)

    result = extrapolation(Fixed(capped_bfs, default_iterations=40), maze4)
    assert seen == [123] and result["iterations"] == 123 and result["success"] == 1.0


def test_a_learner_of_fixed_input_size_fails_to_extrapolate(maze4):
    def only_small(grids, n):
        if grids.shape[-1] != 9:
            raise ValueError("fixed input size")
        return shortest_path(grids)

    result = extrapolation(Fixed(only_small), maze4)
    assert result["success"] == 0.0 and result["ran"] == 0.0


def test_compute_curve_slope_and_overthinking_by_hand(maze4):
    assert iteration_counts(8) == [1, 2, 4, 8, 16, 32]
    needs_eight = Fixed(lambda g, n: shortest_path(g) if n >= 8 else _empty(g, n), default_iterations=8)
    rising = compute_scaling(needs_eight, maze4)
    assert rising["curve"] == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    # x = 0..5, y = 0,0,0,1,1,1: covariance sum 4.5 over variance sum 17.5
    assert rising["slope"] == pytest.approx(4.5 / 17.5)
    assert rising["drop"] == 0.0 and rising["has_knob"] == 1.0

    overthinks = Fixed(lambda g, n: shortest_path(g) if 8 <= n <= 16 else _empty(g, n), default_iterations=8)
    collapsed = compute_scaling(overthinks, maze4)
    assert collapsed["curve"] == [0.0, 0.0, 0.0, 1.0, 1.0, 0.0]
    assert collapsed["peak"] == 1.0 and collapsed["final"] == 0.0 and collapsed["drop"] == 1.0


def test_no_knob_gives_a_flat_curve(maze4):
    result = compute_scaling(Fixed(lambda g, n: shortest_path(g)), maze4)
    assert result["curve"] == [1.0] * 6 and result["slope"] == 0.0 and result["has_knob"] == 0.0


def test_slope_of_a_single_point_is_zero():
    assert slope_per_doubling([4], [1.0]) == 0.0
