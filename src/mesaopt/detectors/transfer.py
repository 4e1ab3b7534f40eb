"""Transfer: success on novel instances relative to success on the training pool."""

from __future__ import annotations

import numpy as np

from mesaopt.detectors.stats import rate_metrics
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

BOOTSTRAP_RESAMPLES = 1000
"""Resamples behind the ratio's percentile interval."""

METRICS = (
    "pool_success",
    "pool_success_lo",
    "pool_success_hi",
    "novel_success",
    "novel_success_lo",
    "novel_success_hi",
    "ratio",
    "ratio_lo",
    "ratio_hi",
)


def _ratio(novel: float, pool: float) -> float:
    """Novel over pool success; defined as 0 when nothing in the pool is solved (nothing to transfer)."""
    return novel / pool if pool > 0 else 0.0


def transfer(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Pool and novel success rates with Wilson intervals, and their ratio with a bootstrap interval."""
    novel = task.novel()
    novel_ok = task.success(novel, learned.solve(novel))
    pool = task.train_pool()
    if pool is None:
        pool = task.sample_train(len(novel), task.generator("transfer.pool"))
    pool_ok = task.success(pool, learned.solve(pool))
    rng = task.generator("transfer.bootstrap")
    ratios = [
        _ratio(
            novel_ok[rng.integers(len(novel_ok), size=len(novel_ok))].mean(),
            pool_ok[rng.integers(len(pool_ok), size=len(pool_ok))].mean(),
        )
        for _ in range(BOOTSTRAP_RESAMPLES)
    ]
    lo, hi = np.percentile(ratios, [2.5, 97.5])
    return {
        **rate_metrics("pool_success", pool_ok),
        **rate_metrics("novel_success", novel_ok),
        "ratio": _ratio(float(novel_ok.mean()), float(pool_ok.mean())),
        "ratio_lo": float(lo),
        "ratio_hi": float(hi),
    }
