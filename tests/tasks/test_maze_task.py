"""The maze task: an exact pool of N distinct instances, fresh batches at inf, novel disjoint, harder larger."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mesaopt.tasks import build_task
from mesaopt.tasks.maze import GOAL, OPEN, MazeConfig, cell_position, shortest_path


def task(seed: int = 0, **params):
    return build_task("maze", params, np.random.SeedSequence(seed))


@settings(max_examples=15, deadline=None)
@given(
    pool=st.integers(1, 200),
    seed=st.integers(0, 2**32 - 1),
    generator=st.sampled_from(["dfs", "kruskal"]),
    loops=st.sampled_from([0.0, 0.3]),
)
def test_pool_is_exactly_n_distinct_and_novel_is_disjoint(pool, seed, generator, loops):
    maze = task(seed, size=3, pool_size=pool, eval_size=64, generator=generator, loops=loops)
    keys = maze.train_pool().keys()
    assert len(keys) == pool == len(set(keys))
    novel = maze.novel().keys()
    assert len(set(novel)) == 64 and not set(novel) & set(keys)
    assert not set(maze.harder(16).keys()) & set(keys)


def test_pool_fills_a_small_instance_space_and_says_when_it_cannot():
    # 2 x 2 perfect mazes: 4 trees x 12 ordered start-goal pairs = 48 instances.
    assert len(set(task(size=2, pool_size=48, eval_size=1).train_pool().keys())) == 48
    with pytest.raises(ValueError, match="too small"):
        task(size=2, pool_size=40, eval_size=9).novel()


def test_infinite_pool_draws_fresh_instances_each_batch():
    maze = task(size=5)
    assert maze.train_pool() is None
    rng = np.random.default_rng(0)
    first, second = maze.sample_train(64, rng), maze.sample_train(64, rng)
    assert not set(first.keys()) & set(second.keys())


def test_the_same_seed_gives_the_same_task():
    params = {"size": 4, "pool_size": 32, "eval_size": 16, "loops": 0.2}
    a, b = task(3, **params), task(3, **params)
    assert (a.train_pool().grids == b.train_pool().grids).all()
    assert (a.novel().grids == b.novel().grids).all() and (a.harder().grids == b.harder().grids).all()
    assert not (task(4, **params).novel().grids == a.novel().grids).all()


def test_harder_instances_are_larger_and_can_have_loops():
    maze = task(size=4, width=3, eval_size=8, harder_loops=0.5)
    assert maze.novel().grids.shape == (8, 3, 9, 7)
    harder = maze.harder()
    assert harder.grids.shape == (8, 3, 15, 11)
    assert (harder.grids[:, OPEN].sum(axis=(1, 2)) > 7 * 5 + 7 * 5 - 1).all()
    assert task(size=4, harder_size=6, harder_width=8, eval_size=2).harder().grids.shape == (2, 3, 13, 17)


def test_test_placement_breaks_the_training_proxy():
    maze = task(size=6, pool_size=64, eval_size=64, goal_region="top-right:2", test_goal_region="bottom-left:3")
    pool_goals = cell_position(maze.train_pool().grids, GOAL)
    assert ((pool_goals[:, 0] < 2) & (pool_goals[:, 1] >= 4)).all()
    for batch in (maze.novel(), maze.harder()):
        goals = cell_position(batch.grids, GOAL)
        rows = (batch.grids.shape[-2] - 1) // 2
        assert ((goals[:, 0] >= rows - 3) & (goals[:, 1] < 3)).all()


def test_success_is_exact_path_match():
    maze = task(size=4, eval_size=16)
    novel = maze.novel()
    right = shortest_path(novel.grids)
    wrong = right.copy()
    wrong[:4] = False
    assert maze.success(novel, right).all()
    assert (maze.success(novel, wrong) == (np.arange(16) >= 4)).all()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"goal_region": "centre"}, "corner"),
        ({"start_region": "top-left", "goal_region": "top-left"}, "same single cell"),
        ({"size": 3, "goal_region": "top-right:4"}, "does not fit"),
        ({"loops": 1.5}, "less than or equal"),
        ({"generator": "prim"}, "dfs"),
    ],
)
def test_bad_config_names_the_problem(params, message):
    with pytest.raises(ValidationError, match=message):
        MazeConfig.model_validate(params)


def test_defaults_keep_the_original_square_dfs_task():
    config = MazeConfig()
    assert (config.size, config.cols, config.generator, config.loops, config.harder_shape) == (5, 5, "dfs", 0.0, (9, 9))


def test_any_shortest_path_succeeds_on_loop_mazes_whatever_the_tie_break():
    """On mazes with loops several shortest paths exist; each is correct, and nothing longer or broken is."""
    from mesaopt.tasks import build_task
    from mesaopt.tasks.maze import is_shortest_path, on_shortest_paths, shortest_path

    task = build_task("maze", {"size": 4, "pool_size": 8, "eval_size": 64}, np.random.SeedSequence(3))
    loops = task.loop_mazes(64)
    grids = loops.grids
    assert (grids[:, 0].sum(axis=(1, 2)) > 0).all() and loops.cell_shape == task.config.harder_shape
    lab = shortest_path(grids)
    flipped = shortest_path(grids[:, :, ::-1, ::-1].copy())[:, ::-1, ::-1]  # the same mazes searched mirrored
    assert task.success(loops, lab).all() and task.success(loops, flipped).all()
    assert (lab != flipped).any(axis=(1, 2)).any(), "no maze with two shortest paths: the test would prove nothing"
    assert not task.success(
        loops, lab | on_shortest_paths(grids) & (lab != flipped).any(axis=(1, 2))[:, None, None]
    ).all()
    assert not task.success(loops, grids[:, 0].astype(bool)).any()  # every open position is no path
    detour = lab.copy()
    detour[:, 0, 0] = True  # a wall position: not inside the open maze
    assert not is_shortest_path(grids, detour).any()
