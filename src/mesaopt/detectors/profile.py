"""Profile: run the whole battery on one learned algorithm and label it memorizer, heuristic or searcher.

The label comes from three named thresholds. Each was set at the midpoint between the calibration cases that must
pass it and those that must not (`mesaopt calibrate`, seed 0, 4 x 4 mazes, pool 64, 128 evaluation mazes; the
values quoted below are from that run, and the Calibration page of every report shows the current ones):

1. memorizer if the memorization gap, pool success minus novel success, is at least MEMORIZER_MIN_GAP;
2. else searcher if both novel and harder success are at least SEARCHER_MIN_SUCCESS and, when the learner exposes
   recurrent hidden states ("recur.t"), the search-state probe score is at least SEARCHER_MIN_PROBE;
3. else heuristic: it does not memorize, but it does not solve harder mazes (or does not track a search) either.

Compute scaling (the overthinking drop) and goal retargeting are reported but do not enter the label: no
calibration case overthinks or follows a proxy goal, so there is no calibration to justify a threshold on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mesaopt.detectors import compute, extrapolation, match, power, probe, retarget, transfer
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

LABELS = ("memorizer", "heuristic", "searcher")

MEMORIZER_MIN_GAP = 0.52
"""Pool success minus novel success. Calibration (seed 0): lookup table 0.98; the highest other case is dead-end
filling at 0.06. Midpoint 0.52, margin 0.46 on each side. (Seed 1, not used to set it: 0.98 vs 0.02.)"""

SEARCHER_MIN_SUCCESS = 0.71
"""Smaller of novel and harder success. Calibration (seed 0): BFS program and hand-set BFS net 1.00; the best
non-searcher is the greedy step at 0.42. Midpoint 0.71, margin 0.29. (Seed 1: 1.00 vs 0.43.)"""

SEARCHER_MIN_PROBE = 0.52
"""Search-state probe score (probe R^2 minus the larger control), applied only to recurrent learners. Calibration
(seed 0): hand-set BFS net 1.00; the highest non-searcher with hidden states is the small trained CNN at 0.03 (lookup
table 0.00). Midpoint 0.52, margin 0.48. (Seed 1: 1.00 vs 0.03.)"""

THRESHOLDS = {
    "MEMORIZER_MIN_GAP": MEMORIZER_MIN_GAP,
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

    def features(self) -> dict[str, float]:
        """The numbers the label rule reads."""
        return label_features(self.metrics)


def label_features(metrics: dict[str, float | list[float]]) -> dict[str, float]:
    """Memorization gap, worst of novel and harder success, probe score and whether the probe saw recurrence."""
    return {
        "gap": float(metrics["transfer.pool_success"]) - float(metrics["transfer.novel_success"]),
        "success": min(float(metrics["transfer.novel_success"]), float(metrics["extrapolation.success"])),
        "probe": float(metrics["probe.score"]),
        "recurrent": float(metrics["probe.recurrent"]),
    }


def label_of(metrics: dict[str, float | list[float]]) -> tuple[str, list[str]]:
    """The label from the named thresholds, with the comparisons that decided it."""
    f = label_features(metrics)
    if f["gap"] >= MEMORIZER_MIN_GAP:
        return "memorizer", [f"memorization gap {f['gap']:.3f} >= MEMORIZER_MIN_GAP {MEMORIZER_MIN_GAP}"]
    reasons = [f"memorization gap {f['gap']:.3f} < MEMORIZER_MIN_GAP {MEMORIZER_MIN_GAP}"]
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


def profile(learned: LearnedAlgorithm, task: Task) -> Profile:
    """Run every detector of the battery and label the learned algorithm."""
    metrics: dict[str, float | list[float]] = {}
    for name, (run, _) in BATTERY.items():
        for key, value in run(learned, task).items():
            metrics[f"{name}.{key}"] = value
    label, reasons = label_of(metrics)
    return Profile(metrics, label, reasons)


METRICS = (
    *(f"{name}.{key}" for name, (_, keys) in BATTERY.items() for key in keys),
    *(f"is_{label}" for label in LABELS),
)


def profile_detector(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """The profile as catalog metrics: every battery metric plus one-hot is_memorizer, is_heuristic, is_searcher."""
    result = profile(learned, task)
    return {**result.metrics, **{f"is_{label}": float(result.label == label) for label in LABELS}}
