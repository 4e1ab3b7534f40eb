"""Profile: run the whole battery on one learned algorithm and label it memorizer, heuristic or searcher.

The label comes from three named thresholds. Each was set at the midpoint between the calibration cases that must
pass it and those that must not (`mesaopt calibrate`, seed 0, 4 x 4 mazes, pool 64, 128 evaluation mazes; the
values quoted below are from that run, and the Calibration page of every report shows the current ones):

1. memorizer if it solves at least POOL_SUCCESS_FLOOR of what it was trained on (see detectors/transfer.py) and the
   relative memorization gap, (pool success - novel success) / pool success = 1 - transfer ratio, is at least
   MEMORIZER_MIN_RELATIVE_GAP: most of what it can do on its training instances does not carry over to novel ones;
2. else searcher if both novel and harder success are at least SEARCHER_MIN_SUCCESS and, when the learner exposes
   recurrent hidden states ("recur.t"), the search-state probe score is at least SEARCHER_MIN_PROBE;
3. else heuristic: it does not memorize, but it does not solve harder mazes (or does not track a search) either.

A learner that solves neither its training instances (below POOL_SUCCESS_FLOOR) nor novel mazes has memorized
nothing and searches for nothing: rule 1 cannot call it a memorizer (its relative gap is undefined), rule 2 fails,
and it is labelled heuristic, which in this battery means "neither memorizer nor searcher" (the calibration's small
CNN, which solves nothing, is such a case). The gap is relative, not absolute, so that a memorizer that has filled
only part of its table (the tabular net at N = inf, trained on about half of its 4096 stored mazes) is still one.

Compute scaling (the overthinking drop) and goal retargeting are reported but do not enter the label: no
calibration case overthinks or follows a proxy goal, so there is no calibration to justify a threshold on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mesaopt.detectors import compute, extrapolation, match, power, probe, retarget, transfer
from mesaopt.detectors.transfer import POOL_SUCCESS_FLOOR
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

LABELS = ("memorizer", "heuristic", "searcher")

MEMORIZER_MIN_RELATIVE_GAP = 0.54
"""Relative memorization gap, 1 - novel/pool success, defined when pool success reaches POOL_SUCCESS_FLOOR.
Calibration (seed 0): lookup table 0.98; the highest other defined case is dead-end filling at 0.11 (the small CNN
solves nothing, so its gap is undefined). Midpoint 0.54, margin 0.44 on each side. (Seed 1: 0.98 vs 0.04.)"""

SEARCHER_MIN_SUCCESS = 0.71
"""Smaller of novel and harder success. Calibration (seed 0): BFS program and hand-set BFS net 1.00; the best
non-searcher is the greedy step at 0.42. Midpoint 0.71, margin 0.29. (Seed 1: 1.00 vs 0.43.)"""

SEARCHER_MIN_PROBE = 0.52
"""Search-state probe score (probe R^2 minus the larger control), applied only to recurrent learners. Calibration
(seed 0): hand-set BFS net 1.00; the highest non-searcher with hidden states is the small trained CNN at 0.03 (lookup
table 0.00). Midpoint 0.52, margin 0.48. (Seed 1: 1.00 vs 0.03.)"""

THRESHOLDS = {
    "MEMORIZER_MIN_RELATIVE_GAP": MEMORIZER_MIN_RELATIVE_GAP,
    "SEARCHER_MIN_SUCCESS": SEARCHER_MIN_SUCCESS,
    "SEARCHER_MIN_PROBE": SEARCHER_MIN_PROBE,
}

BATTERY = {
    "transfer": (transfer.transfer, transfer.METRICS),
    "extrapolation": (extrapolation.extrapolation, extrapolation.METRICS),
    "compute": (compute.compute_scaling, compute.METRICS),
    "probe": (probe.search_state_probe, probe.METRICS),
    "retarget": (retarget.retarget, retarget.METRICS),
    "match": (match.algorithm_match, match.METRICS),
    "power": (power.optimization_power, power.METRICS),
}
"""The detectors a profile runs, by the name under which their metrics appear ("transfer.ratio")."""


@dataclass
class Profile:
    """Every battery metric, the label, the rule that gave it, and the stated power baseline."""

    metrics: dict[str, float | list[float]]
    label: str
    reasons: list[str] = field(default_factory=list)
    baseline: str = power.BASELINE

    def features(self) -> dict[str, float | None]:
        """The numbers the label rule reads."""
        return label_features(self.metrics)


def relative_gap(pool: float, novel: float) -> float | None:
    """(pool - novel) / pool success, or None when pool success is below POOL_SUCCESS_FLOOR (nothing learned)."""
    return (pool - novel) / pool if pool >= POOL_SUCCESS_FLOOR else None


def label_features(metrics: dict[str, float | list[float]]) -> dict[str, float | None]:
    """Pool success, relative memorization gap (None when undefined), worst of novel and harder success, probe
    score and whether the probe saw recurrence."""
    pool, novel = float(metrics["transfer.pool_success"]), float(metrics["transfer.novel_success"])
    return {
        "pool": pool,
        "relative_gap": relative_gap(pool, novel),
        "success": min(novel, float(metrics["extrapolation.success"])),
        "probe": float(metrics["probe.score"]),
        "recurrent": float(metrics["probe.recurrent"]),
    }


def label_of(metrics: dict[str, float | list[float]]) -> tuple[str, list[str]]:
    """The label from the named thresholds, with the comparisons that decided it."""
    f = label_features(metrics)
    gap = f["relative_gap"]
    if gap is None:
        reasons = [
            f"pool success {f['pool']:.3f} < POOL_SUCCESS_FLOOR {POOL_SUCCESS_FLOOR}: it has not learned its "
            "training instances, so it memorized nothing (relative gap undefined)"
        ]
    elif gap >= MEMORIZER_MIN_RELATIVE_GAP:
        return "memorizer", [
            f"pool success {f['pool']:.3f} >= POOL_SUCCESS_FLOOR {POOL_SUCCESS_FLOOR} and relative memorization gap "
            f"{gap:.3f} >= MEMORIZER_MIN_RELATIVE_GAP {MEMORIZER_MIN_RELATIVE_GAP}"
        ]
    else:
        reasons = [f"relative memorization gap {gap:.3f} < MEMORIZER_MIN_RELATIVE_GAP {MEMORIZER_MIN_RELATIVE_GAP}"]
    if f["success"] < SEARCHER_MIN_SUCCESS:
        reasons.append(f"min(novel, harder) success {f['success']:.3f} < SEARCHER_MIN_SUCCESS {SEARCHER_MIN_SUCCESS}")
        return "heuristic", reasons
    reasons.append(f"min(novel, harder) success {f['success']:.3f} >= SEARCHER_MIN_SUCCESS {SEARCHER_MIN_SUCCESS}")
    if f["recurrent"] and f["probe"] < SEARCHER_MIN_PROBE:
        reasons.append(f"recurrent probe score {f['probe']:.3f} < SEARCHER_MIN_PROBE {SEARCHER_MIN_PROBE}")
        return "heuristic", reasons
    if f["recurrent"]:
        reasons.append(f"recurrent probe score {f['probe']:.3f} >= SEARCHER_MIN_PROBE {SEARCHER_MIN_PROBE}")
    else:
        reasons.append("no recurrent hidden states: the probe does not enter the label")
    return "searcher", reasons


def run_battery(battery: dict[str, tuple], learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Every detector of a battery, its metrics under the detector's name ("transfer.ratio")."""
    return {f"{name}.{key}": value for name, (run, _) in battery.items() for key, value in run(learned, task).items()}


def battery_metric_names(battery: dict[str, tuple]) -> tuple[str, ...]:
    """The catalog names of a labelled battery's metrics: every detector's metrics, then one-hot is_<label>."""
    return (
        *(f"{name}.{key}" for name, (_, keys) in battery.items() for key in keys),
        *(f"is_{label}" for label in LABELS),
    )


def profile(learned: LearnedAlgorithm, task: Task) -> Profile:
    """Run every detector of the battery and label the learned algorithm."""
    metrics = run_battery(BATTERY, learned, task)
    label, reasons = label_of(metrics)
    return Profile(metrics, label, reasons)


METRICS = battery_metric_names(BATTERY)


def profile_detector(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """The profile as catalog metrics: every battery metric plus one-hot is_memorizer, is_heuristic, is_searcher."""
    result = profile(learned, task)
    return {**result.metrics, **{f"is_{label}": float(result.label == label) for label in LABELS}}
