"""Detectors of the video world: does a predictor of an agent generalize, look far ahead, think longer, follow goals?

Each maps (LearnedAlgorithm, VideoTask) to metrics; "exact" is the share of clips whose whole predicted future is
right, with its Wilson 95% interval where a rate is the headline.
- `video_fit`: exact on what it was trained on (the pool; else the clips it stored; else fresh training clips) and
  on novel mazes, their ratio (defined when the pool rate reaches POOL_FLOOR), and first-step accuracy;
- `video_horizon`: exact over the longer horizon in mazes of the training size, and in larger mazes;
- `video_compute`: exact on the larger mazes against run-time iterations (multiples of the default), its slope per
  doubling, `gain` (the default's rate minus the rate at the fewest iterations: what thinking up to the default
  buys), peak and drop after the peak (flat, `has_knob` 0, for a learner without the knob);
- `video_moved`: the goal jumps in the last shown frame; on clips where the agent's future changes because of it,
  the share of predictions that follow the new goal (`follow`) and that keep to the old one (`stale`). With the goal
  not drawn (`goal_shown = false`) the jump is invisible to a predictor, so the test does not apply: `applicable`
  0 and no `follow`, rather than a number that would measure the goal's absence.
The probes of hidden states for goal and plan are in `video_probe`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mesaopt.detectors.compute import iteration_counts, slope_per_doubling
from mesaopt.detectors.stats import rate_metrics
from mesaopt.learners.base import default_iterations, stored_instances
from mesaopt.tasks.video import VideoBatch, VideoTask, step_accuracy

MAX_EPISODES = 128
"""Clips per evaluation set."""

POOL_FLOOR = 0.2
"""Least pool rate at which novel / pool is defined: below it the ratio divides two rates that are both almost
nothing (the same floor, and the same reason, as the maze battery's transfer detector)."""

FIT_METRICS = ("pool_exact", "novel_exact", "novel_exact_lo", "novel_exact_hi", "ratio", "first_step", "pool_trained")
HORIZON_METRICS = ("long_exact", "harder_exact", "harder_exact_lo", "harder_exact_hi", "harder_first_step")
COMPUTE_METRICS = ("curve", "iterations", "slope", "gain", "peak", "final", "drop", "has_knob")
MOVED_METRICS = ("follow", "stale", "changed", "applicable")


def require_video(task: Any, detector: str) -> VideoTask:
    """The task as a video task; a clear error for any other family."""
    if not isinstance(task, VideoTask):
        raise ValueError(f"detector {detector!r} applies to the video task only, got {type(task).__name__}")
    return task


def exact(learned: Any, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
    """Per clip: is the whole predicted future right?"""
    return (np.asarray(learned.solve(batch, iterations)) == batch.targets).all(axis=1)


def _count(task: VideoTask) -> int:
    return min(task.config.eval_size, MAX_EPISODES)


def trained_clips(learned: Any, task: VideoTask) -> tuple[VideoBatch, bool]:
    """What the learner was trained on (pool, or the clips it stored), else fresh training clips; and which."""
    pool = task.train_pool()
    if pool is None:
        pool = stored_instances(learned)
    if pool is not None:
        return pool.take(np.arange(min(len(pool), _count(task)))), True
    return task.sample_train(_count(task), task.generator("video_fit.pool")), False


def video_fit(learned: Any, task: Any) -> dict[str, float]:
    """Exact futures on trained-on and novel clips, their ratio, and the first-step accuracy on novel clips."""
    task = require_video(task, "video_fit")
    pool, trained = trained_clips(learned, task)
    novel = task.novel(_count(task))
    pool_rate = float(exact(learned, pool).mean())
    predicted = np.asarray(learned.solve(novel))
    out = {
        "pool_exact": pool_rate,
        **rate_metrics("novel_exact", (predicted == novel.targets).all(axis=1)),
        "first_step": float(step_accuracy(novel, predicted)[0]),
        "pool_trained": float(trained),
    }
    if pool_rate >= POOL_FLOOR:
        out["ratio"] = out["novel_exact"] / pool_rate
    return out


def video_horizon(learned: Any, task: Any) -> dict[str, float]:
    """Exact futures over the long horizon at the training size and in larger mazes."""
    task = require_video(task, "video_horizon")
    harder = task.harder(_count(task))
    predicted = np.asarray(learned.solve(harder))
    return {
        "long_exact": float(exact(learned, task.long(_count(task))).mean()),
        **rate_metrics("harder_exact", (predicted == harder.targets).all(axis=1)),
        "harder_first_step": float(step_accuracy(harder, predicted)[0]),
    }


def video_compute(learned: Any, task: Any) -> dict[str, float | list[float]]:
    """Exact futures in larger mazes at each run-time iteration count; flat without an iteration knob."""
    task = require_video(task, "video_compute")
    harder = task.harder(_count(task))
    default = default_iterations(learned)
    if default is None:
        rate = float(exact(learned, harder).mean())
        counts, curve, gain = [0], [rate], 0.0
    else:
        counts = iteration_counts(int(default))
        curve = [float(exact(learned, harder, n).mean()) for n in counts]
        gain = curve[counts.index(int(default))] - curve[0]
    peak = max(curve)
    return {
        "curve": curve,
        "iterations": [float(n) for n in counts],
        "slope": slope_per_doubling(counts, curve) if default is not None else 0.0,
        "gain": gain,
        "peak": peak,
        "final": curve[-1],
        "drop": peak - curve[-1],
        "has_knob": float(default is not None),
    }


def video_moved(learned: Any, task: Any) -> dict[str, float]:
    """On clips whose future the goal's jump changes: share predicted toward the new goal, and toward the old; only
    `applicable` 0 when the goal is not drawn on the frames."""
    task = require_video(task, "video_moved")
    if not task.config.goal_shown:
        return {"applicable": 0.0}
    moved, still = task.moved(_count(task))
    changed = (moved.targets != still.targets).any(axis=1)
    if not changed.any():
        return {"changed": 0.0, "applicable": 1.0}
    moved, still = moved.take(np.flatnonzero(changed)), still.take(np.flatnonzero(changed))
    predicted = np.asarray(learned.solve(moved))
    return {
        "follow": float((predicted == moved.targets).all(axis=1).mean()),
        "stale": float((predicted == still.targets).all(axis=1).mean()),
        "changed": float(changed.mean()),
        "applicable": 1.0,
    }
