"""Transfer: success on novel instances relative to success on what the learner was trained on.

"Pool" means the instances the learner was actually trained on, where that is known:

1. the task's finite train pool (N < inf);
2. else, the instances the learner itself stored when it drew a finite sample from an infinite pool (a lookup
   table or the tabular net fill their table from such a sample: what they memorized is that sample);
3. else a fresh sample of the training distribution (an infinite-pool network trained on fresh draws: a fresh draw
   is as much "its training data" as any other). `pool_trained` says which: 1 for cases 1-2, 0 for case 3.

The ratio novel / pool is only defined when pool success reaches POOL_SUCCESS_FLOOR. Below it the learner has not
learned its own training instances, and the ratio would divide one small, noisy rate by another (the N = inf tabular
net scored "pool" 0.07 and novel 0.03 on a fresh sample: ratio 0.4 from two rates that are both almost nothing).
When undefined, `ratio`, `ratio_lo` and `ratio_hi` are left out of the metrics (so the analysis skips the run for
hypotheses on the ratio instead of reading a made-up number) and `ratio_defined` is 0.

Memory baseline (mazes, when the training instances are known): a larger pool covers more of the instance space,
so even pure recall solves more novel mazes as N grows (a novel maze whose nearest training maze has the same
shortest path). `memory_success` is the share of novel mazes that the nearest training maze's answer (Hamming
distance, as the lookup learner picks it) solves; `novel_beyond_memory` is the learner's success on the novel mazes
that answer does not solve (left out when recall solves them all). A memorizer scores 0 there at any N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mesaopt.detectors.stats import rate_metrics
from mesaopt.learners.base import LearnedAlgorithm, stored_instances
from mesaopt.tasks.base import Task
from mesaopt.tasks.maze_grid import MazeBatch

BOOTSTRAP_RESAMPLES = 1000
"""Resamples behind the ratio's percentile interval."""

POOL_SUCCESS_FLOOR = 0.2
"""Least pool success at which novel / pool success is defined. Not tuned to any study: at the 64-instance
evaluation sets of the quick scales a rate under 0.2 rests on fewer than 13 successes, and the ratio's 95% interval
then spans about a factor of two or more. In the seed-0 calibration the cases' pool successes are 0.00 (the small CNN,
which solves nothing) and at least 0.39 (every other case), so any floor in (0, 0.39] gives the same labels."""

METRICS = (
    "pool_success",
    "pool_success_lo",
    "pool_success_hi",
    "novel_success",
    "novel_success_lo",
    "novel_success_hi",
    "pool_trained",
    "ratio_defined",
    "ratio",
    "ratio_lo",
    "ratio_hi",
    "memory_success",
    "novel_beyond_memory",
)
"""Every metric the detector can return; `ratio`, `ratio_lo` and `ratio_hi` only when `ratio_defined` is 1, the
memory baseline only on mazes whose training instances are known."""


def training_instances(learned: LearnedAlgorithm, task: Task, count: int, stream: str) -> tuple[Any, bool]:
    """What the learner was trained on, and whether that is exactly known (see the module docstring).

    `count` and `stream` only matter for the fallback, a fresh sample of the training distribution.
    """
    pool = task.train_pool()
    if pool is not None:
        return pool, True
    stored = stored_instances(learned)
    if stored is not None and len(stored):
        return stored, True
    return task.sample_train(count, task.generator(stream)), False


def memory_solves(task: Task, novel: MazeBatch, memory: MazeBatch) -> np.ndarray:
    """Per novel maze: whether the answer of its nearest training maze (Hamming distance) is its shortest path."""
    from mesaopt.detectors.mazetools import nearest

    recalled = task.solutions(memory)[nearest(novel.grids, memory.grids)]
    return task.success(novel, recalled)


def _ratio(novel: float, pool: float) -> float | None:
    """Novel over pool success; None (undefined) when pool success is below POOL_SUCCESS_FLOOR."""
    return novel / pool if pool >= POOL_SUCCESS_FLOOR else None


def transfer(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Pool and novel success rates with Wilson intervals, and their ratio with a bootstrap interval when defined.

    The ratio's interval is the percentile interval over the bootstrap resamples in which the ratio is defined.
    """
    novel = task.novel()
    novel_ok = task.success(novel, learned.solve(novel))
    pool, trained = training_instances(learned, task, len(novel), "transfer.pool")
    pool_ok = task.success(pool, learned.solve(pool))
    out = {
        **rate_metrics("pool_success", pool_ok),
        **rate_metrics("novel_success", novel_ok),
        "pool_trained": float(trained),
    }
    ratio = _ratio(float(novel_ok.mean()), float(pool_ok.mean()))
    if trained and isinstance(novel, MazeBatch) and isinstance(pool, MazeBatch):
        recalled = memory_solves(task, novel, pool)
        out["memory_success"] = float(recalled.mean())
        if not recalled.all():
            out["novel_beyond_memory"] = float(novel_ok[~recalled].mean())
    out["ratio_defined"] = float(ratio is not None)
    if ratio is None:
        return out
    rng = task.generator("transfer.bootstrap")
    ratios = [
        _ratio(
            novel_ok[rng.integers(len(novel_ok), size=len(novel_ok))].mean(),
            pool_ok[rng.integers(len(pool_ok), size=len(pool_ok))].mean(),
        )
        for _ in range(BOOTSTRAP_RESAMPLES)
    ]
    defined = [r for r in ratios if r is not None]
    lo, hi = np.percentile(defined, [2.5, 97.5]) if defined else (ratio, ratio)
    return {**out, "ratio": ratio, "ratio_lo": float(lo), "ratio_hi": float(hi)}
