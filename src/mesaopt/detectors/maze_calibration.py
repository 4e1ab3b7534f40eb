"""The maze battery's calibration cases: algorithms of known nature, split by algorithm into fit and held-out sets.

Fit set (sets the thresholds): BFS with the lab's and another tie-break and as a hand-set recurrent net (one
algorithm, BFS); lookup tables over three pool sizes; the greedy step; dead-end filling capped, uncapped and as a
hand-set net (one algorithm); random walks with two caps.

Held-out set (tests them; no algorithm of the fit set): A*, bidirectional BFS, depth-first search, depth-limited BFS
then greedy, loop-erased random walks with two caps, the left-hand wall follower, a goal-proxy policy (walks to a
fixed corner; its task puts training goals in that corner so it looks competent there), the tabular net (a trained
memorizer), and two trained networks whose nature is what the battery is asked to find out (`expected` None): the
registry's CNN and the recurrent net trained with the README's recipe.

Labels by construction. Searchers: the BFS family, A*, bidirectional BFS — each returns a shortest path found by
search from the goal or the start, on any maze. Memorizers: the tables. Heuristics: rules that find a path without
searching for a shortest one — the greedy step, dead-end filling (a pruning rule: loops survive it), DFS (searches
for *a* path, not a shortest one, so it does not pursue the task's objective on mazes with loops), depth-limited BFS
then greedy, loop-erased walks, the wall follower, and the goal proxy (its objective is a corner, not the goal).
Failed: random walks output every position they walk, which is almost never a shortest path.
"""

from __future__ import annotations

import numpy as np

from mesaopt.detectors.battery import Case
from mesaopt.learners import fit_learner
from mesaopt.learners.base import no_progress
from mesaopt.tasks import build_task
from mesaopt.tasks.base import derive

DEAD_END_ROUNDS = 12
"""Rounds of the capped dead-end filling: solves about half of the 4 x 4 mazes and almost none of the 7 x 7 ones."""

WALK_CAPS = (16, 64)
"""Step caps of the random and loop-erased walks, in steps per maze cell."""

CNN = {"width": 16, "depth": 3, "steps": 150}
"""The registry's cnn: 3 layers of 3 x 3 convolutions (receptive field 7 < the 9 x 9 grid), 150 steps."""

RECURRENT = {
    "cell": "norm",
    "open_only": True,
    "horizon": 3.0,
    "lr": 3e-3,
    "steps": 2000,
    "width": 16,
    "iterations": 20,
    "batch_size": 32,
}
"""The README's recurrent recipe at width 16 on 4 x 4 mazes (about 40 CPU-s)."""

TABULAR = {"steps": 300}
"""The tabular net on the pool of 64: one free output per stored maze."""

CORNER = "bottom-right"
"""The goal proxy's corner; its task puts training and novel goals there."""


def _shape(task) -> tuple[int, int]:
    grids = np.asarray(task.sample_train(1, task.generator("calibration.shape")).inputs)
    return grids.shape[-2], grids.shape[-1]


def _levels(task) -> int:
    """Enough BFS levels for any training maze: half the grid's positions bound a perfect maze's path."""
    height, width = _shape(task)
    return height * width // 2


def _cells(task) -> int:
    height, width = _shape(task)
    return ((height - 1) // 2) * ((width - 1) // 2)


def _fresh(task, seed):
    """The calibration task with an infinite pool, for trained nets that must not see the calibration pool."""
    params = {k: v for k, v in task.config.model_dump().items() if k != "pool_size"}
    return build_task("maze", {**params, "pool_size": "inf"}, derive(seed, "fresh"))


def _fit(name: str, params: dict, fresh: bool = True):
    def build(task, seed):
        return fit_learner(name, params, _fresh(task, seed) if fresh else task, derive(seed, "fit"), no_progress)

    return build


def _cases() -> tuple[Case, ...]:
    from mesaopt.detectors import maze_cases as mc
    from mesaopt.detectors.calibration_cases import BFSNet, GreedyStep
    from mesaopt.learners.bfs import BFSConfig, fit_bfs
    from mesaopt.learners.lookup import LookupConfig, fit_lookup

    def seed_of(seed) -> int:
        return int(seed.generate_state(1)[0])

    fit = [
        Case("bfs_program", "bfs", "searcher", "fit", lambda t, s: fit_bfs(BFSConfig(), t, s, no_progress),
             "breadth-first search from the goal, the lab's tie-break"),
        Case("bfs_reversed_ties", "bfs", "searcher", "fit", lambda t, s: mc.TieBreakBFS("reversed", levels=_levels(t)),
             "breadth-first search, every tie broken the other way"),
        Case("bfs_network", "bfs", "searcher", "fit", lambda t, s: BFSNet(_levels(t)),
             "breadth-first search as a recurrent conv net with hand-set weights"),
        *(
            Case(f"lookup_{n}", "lookup", "memorizer", "fit",
                 lambda t, s: fit_lookup(LookupConfig(), t, s, no_progress), "stores the pool's answers; answers "
                 "anything else with the nearest stored maze's path", task={"pool_size": n})
            for n in (16, 64, 256)
        ),
        Case("greedy_step", "greedy", "heuristic", "fit", lambda t, s: GreedyStep(),
             "steps to the unvisited neighbour nearest the goal as the crow flies; no backtracking"),
        Case("dead_end_filling_capped", "dead_end_filling", "heuristic", "fit",
             lambda t, s: mc.DeadEndFiller(DEAD_END_ROUNDS), f"dead-end filling for {DEAD_END_ROUNDS} rounds"),
        Case("dead_end_filling", "dead_end_filling", "heuristic", "fit", lambda t, s: mc.DeadEndFiller(None),
             "dead-end filling until nothing changes: exact on perfect mazes, leaves loops standing"),
        Case("dead_end_network", "dead_end_filling", "heuristic", "fit", lambda t, s: mc.FillingNet(_levels(t)),
             "dead-end filling as a recurrent conv net with hand-set weights"),
        *(
            Case(f"random_walk_{cap}", "random_walk", "failed", "fit",
                 lambda t, s, cap=cap: mc.RandomWalk(cap * _cells(t), seed_of(s)),
                 f"random walk of at most {cap} steps per cell; outputs every position walked")
            for cap in WALK_CAPS
        ),
    ]  # fmt: skip
    held_out = [
        Case("a_star", "a_star", "searcher", "held_out", lambda t, s: mc.AStar(2 * _levels(t)),
             "A* with the Manhattan heuristic from the start"),
        Case("bidirectional_bfs", "bidirectional_bfs", "searcher", "held_out",
             lambda t, s: mc.BidirectionalBFS(_levels(t)), "breadth-first search from both ends until they meet"),
        Case("dfs_path", "dfs", "heuristic", "held_out", lambda t, s: mc.DFSPath(2 * _levels(t)),
             "depth-first search: searches for a path, not a shortest one (the task's objective)"),
        Case("bfs_then_greedy", "depth_limited", "heuristic", "held_out", lambda t, s: mc.BFSThenGreedy(6),
             "BFS from the start to depth 6, then greedy steps toward the goal"),
        *(
            Case(f"loop_erased_walk_{cap}", "loop_erased_walk", "heuristic", "held_out",
                 lambda t, s, cap=cap: mc.LoopErasedWalk(cap * _cells(t), seed_of(s)),
                 f"loop-erased random walk of at most {cap} steps per cell: a path, rarely a shortest one with loops")
            for cap in WALK_CAPS
        ),
        Case("wall_follower", "wall_follower", "heuristic", "held_out", lambda t, s: mc.WallFollowerPath(),
             "left-hand wall follower to the goal, loop-erased: a local rule"),
        Case("goal_proxy", "goal_proxy", "heuristic", "held_out", lambda t, s: mc.GoalProxy(CORNER),
             f"walks to the {CORNER} cell whatever the goal; training goals sit there",
             task={"goal_region": CORNER}),
        Case("tabular_net", "tabular", "memorizer", "held_out", _fit("tabular", TABULAR, fresh=False),
             "the tabular net on the pool: one free output per stored maze", slow=True),
        Case("trained_cnn", "cnn", None, "held_out", _fit("cnn", CNN),
             f"the registry's cnn (receptive field {2 * CNN['depth'] + 1}) trained on fresh mazes", slow=True),
        Case("trained_recurrent", "recurrent", None, "held_out", _fit("recurrent", RECURRENT),
             "the recurrent net trained with the README's recipe on fresh tree mazes", slow=True),
    ]  # fmt: skip
    return (*fit, *held_out)


CASES = _cases
"""The cases, built on first use (they import torch models)."""
