"""The hand-built calibration learners do what their construction says, on hand-drawn and generated mazes."""

from __future__ import annotations

import numpy as np

from mesaopt.detectors.calibration_cases import BFSNet, GreedyStep
from mesaopt.detectors.maze_cases import DeadEndFiller
from mesaopt.tasks.maze import shortest_path
from tests.detectors.helpers import LURE, batch


def test_hand_set_bfs_net_reproduces_bfs(maze4):
    net = BFSNet(40)
    novel, harder = maze4.novel(64), maze4.harder(32)
    assert (net.solve(novel) == shortest_path(novel.grids)).all()
    assert (net.solve(harder, 123) == shortest_path(harder.grids)).all()
    assert (net.solve(novel, 3) == shortest_path(novel.grids, max_steps=3)).all()  # a capped search, like BFS's
    states = net.hidden_states(novel, 5)
    assert list(states) == [f"recur.{t}" for t in range(5)] and states["recur.0"].shape == (64, 2, 9, 9)


def test_untrained_bfs_net_does_not_solve_mazes(maze4):
    novel = maze4.novel(64)
    assert maze4.success(novel, BFSNet(40).untrained().solve(novel)).mean() < 0.2


def test_greedy_step_is_lured_into_a_dead_end():
    walked = GreedyStep().solve(batch(LURE))[0]
    # From S at (1, 3) both ways are 3 steps from G as the crow flies; the tie goes right, into the dead end.
    expected = {(1, 3), (1, 4), (1, 5), (2, 5), (3, 5)}
    assert set(zip(*np.nonzero(walked), strict=True)) == expected


def test_dead_end_filling_needs_as_many_rounds_as_the_deepest_dead_end():
    # The right-hand dead end is 4 positions deep, the left-hand side is the path itself.
    mazes = batch(LURE)
    assert not (DeadEndFiller(3).solve(mazes) == shortest_path(mazes.grids)).all()
    assert (DeadEndFiller(4).solve(mazes) == shortest_path(mazes.grids)).all()
