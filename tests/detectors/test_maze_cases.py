"""The maze algorithms of known nature do what their construction says: which give the only path of a tree maze,
which stay shortest on mazes with loops, how their budgets act, and that they are deterministic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesaopt.detectors.maze_cases import (
    AStar,
    BFSThenGreedy,
    BidirectionalBFS,
    DeadEndFiller,
    DFSPath,
    FillingNet,
    GoalProxy,
    LoopErasedWalk,
    RandomWalk,
    TieBreakBFS,
    WallFollowerPath,
)
from mesaopt.detectors.mazetools import reaches
from mesaopt.learners.base import HasUntrained, Iterative, LearnedAlgorithm
from mesaopt.tasks.maze import (
    GOAL,
    OPEN,
    START,
    MazeBatch,
    dead_end_filling_states,
    distances,
    generate,
    is_shortest_path,
    move_goal,
    shortest_path,
)
from mesaopt.tasks.maze_walks import walk_cap, wall_follower_states
from tests.detectors.helpers import LURE, batch, draw

SQUARE = draw(
    "#####",
    "#S..#",
    "#.#.#",
    "#G..#",
    "#####",
)
"""One loop: the goal is two steps below the start, or six steps round the other way (right first)."""


def searches() -> list:
    """The searches that find shortest paths whatever the maze."""
    return [TieBreakBFS("reversed"), TieBreakBFS("random", seed=3), AStar(), BidirectionalBFS()]


def start_goal_distance(grids: np.ndarray) -> np.ndarray:
    """Length in grid steps of each maze's shortest path."""
    return distances(grids, "goal")[grids[:, START] == 1]


@pytest.fixture(scope="module")
def splits(maze4):
    """Novel 4 x 4 tree mazes, 7 x 7 tree mazes and 4 x 4 mazes with loops (0.3)."""
    return {"novel": maze4.novel(64), "harder": maze4.harder(32), "loops": maze4.loop_mazes(64)}


def settled(mazes: MazeBatch) -> FillingNet:
    """The hand-set filling net with as many iterations as filling these mazes takes."""
    return FillingNet(dead_end_filling_states(mazes.grids).shape[1])


def rate(case, mazes: MazeBatch, iterations: int | None = None) -> float:
    return float(is_shortest_path(mazes.grids, case.solve(mazes, iterations)).mean())


def test_cases_offer_the_protocol_and_declare_their_knobs():
    knobbed = [*searches(), DFSPath(), BFSThenGreedy(6), DeadEndFiller(4), RandomWalk(64), LoopErasedWalk(64)]
    knobbed += [GoalProxy(steps=100), FillingNet(20)]
    for case in [*knobbed, DeadEndFiller(None), GoalProxy()]:
        assert isinstance(case, LearnedAlgorithm) and case.describe() and case.size_bits() > 0
        assert case.artifacts() == {} or isinstance(case, FillingNet)
    assert all(isinstance(case.default_iterations, int) for case in knobbed)
    assert DeadEndFiller(None).default_iterations is None and GoalProxy().default_iterations is None
    assert isinstance(FillingNet(20), Iterative) and isinstance(FillingNet(20), HasUntrained)
    with pytest.raises(ValueError, match="tie_break"):
        TieBreakBFS("sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="corner"):
        GoalProxy("middle")


def test_on_tree_mazes_the_searches_and_full_filling_give_the_only_path(splits):
    unique = [*searches(), DFSPath(), DeadEndFiller(None)]
    for name in ("novel", "harder"):
        mazes = splits[name]
        for case in [*unique, settled(mazes)]:
            assert (case.solve(mazes) == shortest_path(mazes.grids)).all(), (case.describe(), name)


def test_on_tree_mazes_capped_filling_and_random_walks_fall_short(splits):
    novel = splits["novel"]
    assert rate(DeadEndFiller(2), novel) < 0.5
    assert rate(RandomWalk(10 * 16, seed=1), novel) < 0.5  # the walk's detours stay in its answer
    erased = LoopErasedWalk(10 * 16, seed=1)
    answers = erased.solve(novel)
    reached = answers[novel.grids[:, GOAL] == 1]
    assert (is_shortest_path(novel.grids, answers) == reached).all()  # in a tree, reaching the goal is solving
    assert 0 < reached.mean() < 1


def test_on_loop_mazes_searches_stay_shortest_and_pruning_or_walking_does_not(splits):
    loops = splits["loops"]
    for case in searches():
        assert rate(case, loops) == 1.0, case.describe()
    lab = shortest_path(loops.grids)
    reversed_answers, random_answers = searches()[0].solve(loops), searches()[1].solve(loops)
    assert (reversed_answers != lab).any(axis=(1, 2)).mean() > 0.1  # the other tie-break is really another path
    assert (random_answers != reversed_answers).any(axis=(1, 2)).any()
    for case in (DFSPath(), DeadEndFiller(None), LoopErasedWalk(64 * 16, seed=1), settled(loops)):
        assert rate(case, loops) < 0.9, case.describe()


def test_dfs_takes_the_first_branch_round_a_loop():
    square = batch(SQUARE)
    taken = DFSPath().solve(square)[0]
    assert taken.sum() == 7 and taken[1, 3] and not taken[2, 1]  # right, down and back left: six steps, not two
    assert (AStar().solve(square) == shortest_path(square.grids)).all()
    assert (BidirectionalBFS().solve(square) == shortest_path(square.grids)).all()


def test_budgets_cap_the_searches(splits):
    novel = splits["novel"]
    length = start_goal_distance(novel.grids)
    for levels in (2, 5, 9):
        solved = is_shortest_path(novel.grids, BidirectionalBFS().solve(novel, levels))
        assert (solved == (length <= 2 * levels)).all()
        solved = is_shortest_path(novel.grids, TieBreakBFS("reversed").solve(novel, levels))
        assert (solved == (length <= levels)).all()
        assert (is_shortest_path(novel.grids, BFSThenGreedy(levels).solve(novel)) >= (length <= levels)).all()
    rates = [rate(AStar(), novel, n) for n in (1, 4, 16, 64)]
    assert rates[0] == 0.0 and rates == sorted(rates) and rates[-1] == 1.0
    assert not DFSPath().solve(novel, 1).any()


def test_bfs_then_greedy_walks_from_where_the_search_stopped():
    lure = batch(LURE)
    # Depth 0: greedy from the start, lured right into the dead end. Depth 2: the frontier is (1, 1) and (1, 5),
    # equally near the goal; from (1, 1), the first in scan order, greedy walks down to the goal, and the answer
    # keeps the BFS path to (1, 1).
    assert not is_shortest_path(lure.grids, BFSThenGreedy(0).solve(lure))[0]
    assert (BFSThenGreedy(2).solve(lure) == shortest_path(lure.grids)).all()
    assert (BFSThenGreedy(0).solve(lure, 2) == shortest_path(lure.grids)).all()


def test_dead_end_filler_rounds_follow_the_ground_truth(splits):
    novel = splits["novel"]
    states = dead_end_filling_states(novel.grids)
    assert (DeadEndFiller(3).solve(novel) == states[:, 3]).all()
    assert (DeadEndFiller(3).solve(novel, 5) == states[:, 5]).all()
    assert (DeadEndFiller(None).solve(novel) == states[:, -1]).all()


def test_hand_set_filling_net_fills_round_by_round(splits):
    for mazes in (splits["novel"], splits["loops"]):
        states = dead_end_filling_states(mazes.grids)
        net = FillingNet(states.shape[1] + 2)
        hidden = net.hidden_states(mazes)
        assert list(hidden) == [f"recur.{t}" for t in range(net.default_iterations)]
        for t, state in enumerate(hidden.values()):
            assert state.shape == (len(mazes), 1, *mazes.grids.shape[-2:])
            assert (state[:, 0] == states[:, min(t + 1, states.shape[1] - 1)]).all()
        assert (net.solve(mazes, 2) == states[:, 2]).all()


def test_untrained_filling_net_is_a_fixed_random_control(splits):
    novel = splits["novel"]
    first, second = FillingNet(20).untrained(), FillingNet(20).untrained()
    assert all(np.array_equal(first.artifacts()[k], v) for k, v in second.artifacts().items())
    assert rate(first, novel) < 0.2
    hidden = first.hidden_states(novel)["recur.3"]
    assert not np.array_equal(hidden, FillingNet(20).hidden_states(novel)["recur.3"])


def test_goal_proxy_reaches_its_corner_and_ignores_the_goal(splits):
    novel = splits["novel"]
    corner = np.zeros(novel.grids[:, OPEN].shape, dtype=bool)
    corner[:, -2, -2] = True
    answers = GoalProxy().solve(novel)
    assert reaches(answers, novel.grids, corner).all()
    elsewhere = novel.grids[:, START, -2, -2] == 0
    to_corner = move_goal(MazeBatch(novel.grids[elsewhere]), np.full((int(elsewhere.sum()), 2), 3))
    assert (answers[elsewhere] == shortest_path(to_corner.grids)).all()  # in a tree, the only path to the corner
    moved = move_goal(novel, np.where(novel.grids[:, START, 1, 1, None] == 1, [[0, 1]], [[0, 0]]))
    assert (GoalProxy().solve(moved) == answers).all()
    top_left = GoalProxy("top-left").solve(novel)
    assert top_left[:, 1, 1].all()


def test_random_cases_are_deterministic_and_answer_per_maze(splits):
    loops = splits["loops"]
    for make in (
        lambda seed: TieBreakBFS("random", seed),
        lambda seed: RandomWalk(200, seed),
        lambda seed: LoopErasedWalk(200, seed),
    ):
        answers = make(5).solve(loops)
        assert (make(5).solve(loops) == answers).all()
        assert (make(6).solve(loops) != answers).any()
        assert (make(5).solve(MazeBatch(loops.grids[10:20])) == answers[10:20]).all()  # whatever the batch


def test_wall_follower_states_end_covering_the_wall_followers_answer(splits):
    for name, mazes in splits.items():
        final = wall_follower_states(mazes.grids, walk_cap(mazes.grids))[:, -1]
        answer = WallFollowerPath().solve(mazes)
        assert not (answer & ~final).any()  # the loop-erased path lies inside what it walked
        if name != "loops":  # on a tree the left hand always finds the goal; with loops it may circle an island
            assert (final & mazes.grids[:, 2].astype(bool)).any(axis=(1, 2)).all()


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(2, 6),
    cols=st.integers(2, 6),
    loops=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_searches_find_shortest_paths_on_any_maze(seed: int, rows: int, cols: int, loops: float):
    mazes = generate(6, rows, np.random.default_rng(seed), width=cols, loops=loops)
    for case in searches():
        assert is_shortest_path(mazes.grids, case.solve(mazes)).all(), case.describe()
    if loops == 0.0:
        assert (DFSPath().solve(mazes) == shortest_path(mazes.grids)).all()
