"""The detector battery, by name. Each detector maps (LearnedAlgorithm, Task) to named metrics.

Entries name their function and metric names as "module:attribute" and import them on first use (see
`mesaopt.registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mesaopt.registry import Deferred, Lazy, Registry, resolve

if TYPE_CHECKING:
    from mesaopt.learners.base import LearnedAlgorithm
    from mesaopt.tasks.base import Task


class DetectorEntry:
    """A detector, the metric names it returns, and what it measures (`run` and `metrics` may be references)."""

    run: Callable[[LearnedAlgorithm, Task], dict[str, float | list[float]]] = Lazy()
    metrics: tuple[str, ...] = Lazy()
    summary: str = Lazy(strings=False)

    def __init__(self, run: Any, metrics: Any, summary: str) -> None:
        self.run, self.metrics, self.summary = run, metrics, summary


POWER_BASELINE = "mesaopt.detectors.power:BASELINE"
"""The power detector's baseline, stated in its summary."""

BUILTIN_DETECTORS: dict[str, DetectorEntry] = {
    "transfer": DetectorEntry(
        "mesaopt.detectors.transfer:transfer",
        "mesaopt.detectors.transfer:METRICS",
        "success on novel instances relative to the training pool",
    ),
    "extrapolation": DetectorEntry(
        "mesaopt.detectors.extrapolation:extrapolation",
        "mesaopt.detectors.extrapolation:METRICS",
        "success on harder mazes, iterations scaled to them",
    ),
    "compute": DetectorEntry(
        "mesaopt.detectors.compute:compute_scaling",
        "mesaopt.detectors.compute:METRICS",
        "success against run-time iterations: curve, slope, overthinking",
    ),
    "probe": DetectorEntry(
        "mesaopt.detectors.probe:search_state_probe",
        "mesaopt.detectors.probe:METRICS",
        "linear probe of BFS state from hidden states, minus controls",
    ),
    "retarget": DetectorEntry(
        "mesaopt.detectors.retarget:retarget",
        "mesaopt.detectors.retarget:METRICS",
        "moved goal: outputs that follow it vs go to the old goal",
    ),
    "match": DetectorEntry(
        "mesaopt.detectors.match:algorithm_match",
        "mesaopt.detectors.match:METRICS",
        "agreement with BFS vs with the nearest memorized answer",
    ),
    "power": DetectorEntry(
        "mesaopt.detectors.power:optimization_power",
        "mesaopt.detectors.power:METRICS",
        Deferred(lambda: "optimization power in bits on pool and novel mazes; baseline: " + resolve(POWER_BASELINE)),
    ),
    "profile": DetectorEntry(
        "mesaopt.detectors.profile:profile_detector",
        "mesaopt.detectors.profile:METRICS",
        "the whole battery plus a memorizer/heuristic/searcher label",
    ),
    "label_agreement": DetectorEntry(
        "mesaopt.detectors.program_battery:label_agreement",
        "mesaopt.detectors.program_battery:AGREEMENT_METRICS",
        "battery label (profile on mazes, program_profile on word tasks) vs a program's structural label (1 or 0)",
    ),
    "step_budget": DetectorEntry(
        "mesaopt.detectors.program_battery:step_budget",
        "mesaopt.detectors.program_battery:BUDGET_METRICS",
        "word tasks: success against the interpreter's step budget; ramp = doublings over which success accrues",
    ),
    "answer_match": DetectorEntry(
        "mesaopt.detectors.program_battery:answer_match",
        "mesaopt.detectors.program_battery:MATCH_METRICS",
        "word tasks: agreement with the ground-truth optimizer vs with the nearest pool instance's answer",
    ),
    "program_profile": DetectorEntry(
        "mesaopt.detectors.program_battery:program_profile_detector",
        "mesaopt.detectors.program_battery:PROFILE_METRICS",
        "word tasks: transfer, step budget, answer match, harder success, and a memorizer/heuristic/searcher label",
    ),
    "icl_baselines": DetectorEntry(
        "mesaopt.detectors.icl:icl_baselines",
        "mesaopt.detectors.icl:BASELINE_METRICS",
        "in-context regression: distance to ridge and to dMMSE",
    ),
    "gd_alignment": DetectorEntry(
        "mesaopt.detectors.icl:gd_alignment",
        "mesaopt.detectors.icl:GD_METRICS",
        "in-context regression: predictions and sensitivities vs tuned GD",
    ),
    "icl_transfer": DetectorEntry(
        "mesaopt.detectors.icl:icl_transfer",
        "mesaopt.detectors.icl:TRANSFER_METRICS",
        "in-context regression: novel-task vs pool-task error",
    ),
}

DETECTORS: Registry[DetectorEntry] = Registry("mesaopt.detectors", DetectorEntry, BUILTIN_DETECTORS)
