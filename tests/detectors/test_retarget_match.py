"""Goal retargeting and algorithm match, on hand-drawn mazes and on a searcher and a memorizer."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.match import algorithm_match, jaccard
from mesaopt.detectors.mazetools import reaches
from mesaopt.detectors.retarget import new_goals, retarget
from mesaopt.learners.base import no_progress
from mesaopt.learners.lookup import LookupConfig, fit_lookup
from mesaopt.tasks.maze import GOAL, shortest_path
from tests.detectors.helpers import BRANCH, Fixed, batch

SEED = np.random.SeedSequence(0)


def test_new_goal_prefers_unseen_cells_then_the_farthest():
    grids = batch(BRANCH).grids
    # goal distances from G at (1, 3): cell (3, 1) is 4 steps away, cell (3, 3) is 6
    rows, cols, unseen = new_goals(grids, np.ones((5, 5), dtype=bool))
    assert (rows[0], cols[0], unseen[0]) == (3, 3, False)
    seen = np.zeros((5, 5), dtype=bool)
    seen[3, 3] = True
    rows, cols, unseen = new_goals(grids, seen)
    assert (rows[0], cols[0], unseen[0]) == (3, 1, True)


def test_reaches_follows_the_output_mask_from_the_start():
    grids = batch(BRANCH).grids
    to_old = shortest_path(grids)
    target = np.zeros_like(to_old)
    target[0, 3, 3] = True
    assert reaches(to_old, grids, grids[:, GOAL])[0] and not reaches(to_old, grids, target)[0]
    gap = to_old.copy()
    gap[0, 1, 2] = False  # broken path: the goal is no longer linked to the start
    assert not reaches(gap, grids, grids[:, GOAL])[0]


def test_bfs_follows_the_moved_goal(maze4):
    result = retarget(Fixed(lambda g, n: shortest_path(g)), maze4)
    assert result["new_goal"] == 1.0 and result["old_goal"] == 0.0 and result["exact"] == 1.0


def test_lookup_table_goes_to_the_old_goal(maze4):
    lookup = fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress)
    result = retarget(lookup, maze4)
    # The stored answer of each pool maze is its old path; it reaches the new goal only if that goal lies on it.
    pool = maze4.train_pool().grids
    rows, cols, _ = new_goals(pool, pool[:, GOAL].astype(bool).any(axis=0))
    on_old_path = shortest_path(pool)[np.arange(len(pool)), rows, cols]
    assert result["new_goal"] == pytest.approx(on_old_path.mean())
    assert result["old_goal"] == pytest.approx(1 - on_old_path.mean())


def test_jaccard_by_hand():
    a = np.zeros((1, 2, 2), dtype=bool)
    b = np.zeros((1, 2, 2), dtype=bool)
    a[0, 0, :] = True
    b[0, :, 1] = True
    assert jaccard(a, b)[0] == pytest.approx(1 / 3)
    assert jaccard(a & False, b & False)[0] == 1.0


def test_match_of_bfs_and_lookup_mirror_each_other(maze4):
    lookup = fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress)
    searcher = algorithm_match(Fixed(lambda g, n: shortest_path(g)), maze4)
    memorizer = algorithm_match(lookup, maze4)
    assert searcher["bfs"] == 1.0 and searcher["bfs_exact"] == 1.0
    assert memorizer["memory"] == 1.0 and memorizer["memory_exact"] == 1.0
    # Each agrees with the other's reference exactly as much as BFS's and the memory's answers agree.
    assert memorizer["bfs"] == pytest.approx(searcher["memory"]) and searcher["memory"] < 0.7
    assert searcher["margin"] == pytest.approx(-memorizer["margin"])


def test_fresh_training_mazes_with_a_confined_goal_see_only_that_region():
    from mesaopt.detectors.retarget import fresh_goal_cells
    from mesaopt.tasks import build_task

    corner = build_task("maze", {"size": 3, "goal_region": "top-right:1", "test_goal_region": "any"}, SEED)
    seen = fresh_goal_cells(corner, (7, 7))
    assert seen.sum() == 1 and seen[1, 5]
    assert fresh_goal_cells(build_task("maze", {"size": 3}, SEED), (7, 7))[1::2, 1::2].all()
    result = retarget(Fixed(lambda g, n: shortest_path(g)), corner)
    assert result["unseen"] == 1.0 and result["new_goal"] == 1.0
