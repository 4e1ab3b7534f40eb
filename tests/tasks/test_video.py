"""The video world: agents move as defined, episodes are deterministic, splits are disjoint, frames are honest."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.tasks.maze_gen import generate_grids
from mesaopt.tasks.maze_grid import GOAL, OPEN, START
from mesaopt.tasks.video import VideoConfig, VideoTask, field_at, marked_positions, plan_at, step_accuracy
from mesaopt.tasks.video_agents import AGENTS, walk, walk_reference
from tests.tasks.helpers import bfs


def _mazes(count: int, cells: int, seed: int, loops: float = 0.0):
    rng = np.random.default_rng(seed)
    grids = generate_grids(count, cells, cells, rng, "dfs", loops)
    return grids, marked_positions(grids, START), marked_positions(grids, GOAL), rng


@pytest.mark.parametrize("agent", AGENTS)
@pytest.mark.parametrize("loops", [0.0, 0.4])
def test_batched_walk_equals_the_plain_definition(agent, loops):
    grids, starts, goals, rng = _mazes(60, 5, 3, loops)
    steps = 14
    goal_seq = np.repeat(goals[:, None], steps + 1, axis=1)
    goal_seq[:, 6:] = marked_positions(generate_grids(60, 5, 5, rng), GOAL)[:, None]  # a switch in mid-episode
    draws = rng.random((60, steps))
    fast = walk(grids, starts, goal_seq, agent, draws, 0.7)
    slow = walk_reference(grids, starts, goal_seq, agent, draws, 0.7)
    np.testing.assert_array_equal(fast.positions, slow.positions)


def test_planner_walks_a_shortest_path_by_independent_bfs():
    grids, starts, goals, rng = _mazes(40, 5, 4, loops=0.3)
    steps = 40
    done = walk(grids, starts, np.repeat(goals[:, None], steps + 1, axis=1), "planner", rng.random((40, steps)))
    width = grids.shape[-1]
    for b in range(40):
        dist = bfs(grids[b, OPEN].astype(bool), divmod(int(goals[b]), width))
        cells = [dist[divmod(int(p), width)] // 2 for p in done.positions[b]]
        length = cells[0]
        assert cells[: length + 1] == list(range(length, -1, -1))
        assert all(c == 0 for c in cells[length:])


def test_noisy_agent_is_the_planner_when_cold_and_near_uniform_when_hot():
    grids, starts, goals, rng = _mazes(200, 5, 5)
    steps = 10
    goal_seq = np.repeat(goals[:, None], steps + 1, axis=1)
    draws = rng.random((200, steps))
    cold = walk(grids, starts, goal_seq, "noisy", draws, 1e-3).positions
    np.testing.assert_array_equal(cold, walk(grids, starts, goal_seq, "planner", draws).positions)
    hot = walk(grids, starts, goal_seq, "noisy", draws, 1e6).positions
    planner = walk(grids, starts, goal_seq, "planner", draws).positions
    moved = (hot[:, 1] != hot[:, 0]) & (starts != goals)
    assert 0.2 < (hot[moved, 1] != planner[moved, 1]).mean() < 0.8


def test_wall_follower_ignores_its_goal_until_it_steps_on_it():
    grids, starts, goals, rng = _mazes(50, 4, 6)
    steps = 30
    draws = rng.random((50, steps))
    far = np.zeros_like(goals)  # position 0 is a wall corner: the follower never reaches it
    free = walk(grids, starts, np.repeat(far[:, None], steps + 1, axis=1), "wall_follower", draws).positions
    aimed = walk(grids, starts, np.repeat(goals[:, None], steps + 1, axis=1), "wall_follower", draws).positions
    for b in range(50):
        hit = np.flatnonzero(aimed[b] == goals[b])
        until = hit[0] if len(hit) else steps
        np.testing.assert_array_equal(aimed[b, : until + 1], free[b, : until + 1])
        assert (aimed[b, until:] == aimed[b, until]).all()


def test_wall_follower_visits_every_cell_of_a_perfect_maze():
    grids, starts, _, rng = _mazes(20, 4, 7)
    steps = 4 * 16
    never = np.zeros(20, dtype=np.int64)
    done = walk(grids, starts, np.repeat(never[:, None], steps + 1, axis=1), "wall_follower", rng.random((20, steps)))
    for b in range(20):
        assert len(set(done.positions[b].tolist())) == 16


@pytest.mark.parametrize("agent", AGENTS)
def test_same_seed_same_episodes_and_novel_mazes_are_not_in_the_pool(agent):
    config = VideoConfig(agent=agent, pool_size=32, eval_size=24)
    one, two = (VideoTask(config, np.random.SeedSequence(9)) for _ in range(2))
    for split in ("train_pool", "novel", "long", "harder"):
        a, b = getattr(one, split)(), getattr(two, split)()
        np.testing.assert_array_equal(a.grids, b.grids)
        np.testing.assert_array_equal(a.positions, b.positions)
    pool = set(one.train_pool().keys())
    assert not pool & set(one.novel().keys())
    assert len(pool) == 32
    other = VideoTask(config, np.random.SeedSequence(10)).novel()
    assert not np.array_equal(other.grids, one.novel().grids)


def test_splits_have_their_sizes_and_horizons():
    task = VideoTask(VideoConfig(size=4, context=2, horizon=3, eval_size=8), np.random.SeedSequence(0))
    assert task.novel().horizon == 3 and task.novel().grids.shape[-1] == 9
    assert task.long().horizon == 9 and task.long().grids.shape[-1] == 9
    assert task.harder().horizon == 9 and task.harder().grids.shape[-1] == 15


def test_frames_show_the_agent_on_an_open_cell_and_hide_the_goal_when_asked():
    task = VideoTask(VideoConfig(eval_size=16, goal_shown=False), np.random.SeedSequence(1))
    batch = task.novel()
    frames = batch.frames()
    assert (frames[:, :, 1].sum(axis=(2, 3)) == 1).all()
    assert (frames[:, :, 1] <= frames[:, :, 0]).all()
    assert frames[:, :, 2].sum() == 0 and batch.inputs[:, 1].sum() == 0
    shown = VideoTask(VideoConfig(eval_size=16), np.random.SeedSequence(1)).novel()
    np.testing.assert_array_equal(shown.inputs[:, 2:], np.moveaxis(shown.frames()[:, :2, 1], 1, 1))
    assert (shown.inputs[:, 1].reshape(16, -1).argmax(axis=1) == shown.goals[:, 1]).all()


def test_moved_goal_appears_in_the_last_frame_and_the_planner_turns_to_it():
    config = VideoConfig(size=5, eval_size=64, context=2, horizon=4)
    moved, still = VideoTask(config, np.random.SeedSequence(2)).moved()
    np.testing.assert_array_equal(moved.positions[:, :2], still.positions[:, :2])
    assert (moved.goals[:, 1] != still.goals[:, 1]).all()
    width = moved.grids.shape[-1]
    for b in range(64):
        dist = bfs(moved.grids[b, OPEN].astype(bool), divmod(int(moved.goals[b, 1]), width))
        here, after = (dist[divmod(int(p), width)] for p in moved.positions[b, 1:3])
        assert after == max(here - 2, 0)
    assert (moved.targets[:, 0] != still.targets[:, 0]).any()


def test_ground_truth_plan_and_field_agree_with_independent_bfs():
    batch = VideoTask(VideoConfig(eval_size=20, loops=0.3), np.random.SeedSequence(3)).novel()
    plan, field = plan_at(batch, 1), field_at(batch, 1)
    width = batch.grids.shape[-1]
    for b in range(20):
        dist = bfs(batch.grids[b, OPEN].astype(bool), divmod(int(batch.goals[b, 1]), width))
        assert field[b][divmod(int(batch.positions[b, 1]), width)] == dist[divmod(int(batch.positions[b, 1]), width)]
        assert plan[b].sum() == dist[divmod(int(batch.positions[b, 1]), width)] + 1
    assert step_accuracy(batch, batch.targets).tolist() == [1.0] * batch.horizon
