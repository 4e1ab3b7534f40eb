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


MAZE, WORD, ICL, GAMES = frozenset({"maze"}), frozenset({"word"}), frozenset({"icl"}), frozenset({"games"})
BOOLEAN, VIDEO = frozenset({"boolean"}), frozenset({"video"})
"""Task families (`TaskEntry.family`) a detector can apply to."""


class DetectorEntry:
    """A detector, the metric names it returns, what it measures (`run` and `metrics` may be references), and the
    task families whose instances it can read: a study naming it for a task of another family is refused."""

    run: Callable[[LearnedAlgorithm, Task], dict[str, float | list[float]]] = Lazy()
    metrics: tuple[str, ...] = Lazy()
    summary: str = Lazy(strings=False)

    def __init__(self, run: Any, metrics: Any, summary: str, families: frozenset[str]) -> None:
        self.run, self.metrics, self.summary, self.families = run, metrics, summary, families


POWER_BASELINE = "mesaopt.detectors.power:BASELINE"
"""The power detector's baseline, stated in its summary."""

BUILTIN_DETECTORS: dict[str, DetectorEntry] = {
    "transfer": DetectorEntry(
        "mesaopt.detectors.transfer:transfer",
        "mesaopt.detectors.transfer:METRICS",
        "success on novel instances relative to the training pool",
        MAZE | WORD | BOOLEAN,
    ),
    "extrapolation": DetectorEntry(
        "mesaopt.detectors.extrapolation:extrapolation",
        "mesaopt.detectors.extrapolation:METRICS",
        "success on harder mazes, iterations scaled to them",
        MAZE,
    ),
    "loops": DetectorEntry(
        "mesaopt.detectors.extrapolation:loop_success",
        "mesaopt.detectors.extrapolation:LOOP_METRICS",
        "success on harder-size mazes with loops, where pruning rules fail and search does not",
        MAZE,
    ),
    "compute": DetectorEntry(
        "mesaopt.detectors.compute:compute_scaling",
        "mesaopt.detectors.compute:METRICS",
        "success against run-time iterations: curve, slope, overthinking",
        MAZE,
    ),
    "probe": DetectorEntry(
        "mesaopt.detectors.probe:search_state_probe",
        "mesaopt.detectors.probe:METRICS",
        "which reference state (BFS, dead-end filling, wall following) hidden states encode, above controls",
        MAZE,
    ),
    "retarget": DetectorEntry(
        "mesaopt.detectors.retarget:retarget",
        "mesaopt.detectors.retarget:METRICS",
        "moved goal: outputs that follow it vs go to the old goal",
        MAZE,
    ),
    "match": DetectorEntry(
        "mesaopt.detectors.match:algorithm_match",
        "mesaopt.detectors.match:METRICS",
        "agreement with BFS vs with the nearest memorized answer",
        MAZE,
    ),
    "power": DetectorEntry(
        "mesaopt.detectors.power:optimization_power",
        "mesaopt.detectors.power:METRICS",
        Deferred(lambda: "optimization power in bits on pool and novel mazes; baseline: " + resolve(POWER_BASELINE)),
        MAZE,
    ),
    "profile": DetectorEntry(
        "mesaopt.detectors.profile:profile_detector",
        "mesaopt.detectors.profile:METRICS",
        "the whole maze battery plus a failed/memorizer/heuristic/searcher label",
        MAZE,
    ),
    "description": DetectorEntry(
        "mesaopt.detectors.description:description_length",
        "mesaopt.detectors.description:METRICS",
        "description length: bits of the trained weights, quantized as coarsely as keeps training success",
        MAZE,
    ),
    "label_agreement": DetectorEntry(
        "mesaopt.detectors.agreement:label_agreement",
        "mesaopt.detectors.agreement:METRICS",
        "the task family's battery label vs a program's structural label (1 or 0)",
        MAZE | WORD | BOOLEAN,
    ),
    "step_budget": DetectorEntry(
        "mesaopt.detectors.program_battery:step_budget",
        "mesaopt.detectors.program_battery:BUDGET_METRICS",
        "word tasks: success against the interpreter's step budget; ramp = doublings over which success accrues",
        WORD,
    ),
    "answer_match": DetectorEntry(
        "mesaopt.detectors.program_battery:answer_match",
        "mesaopt.detectors.program_battery:MATCH_METRICS",
        "word tasks: agreement with the ground-truth optimizer vs with the nearest pool instance's answer",
        WORD,
    ),
    "program_profile": DetectorEntry(
        "mesaopt.detectors.program_battery:program_profile_detector",
        "mesaopt.detectors.program_battery:PROFILE_METRICS",
        "word tasks: transfer, step budget, answer match, harder success, and a memorizer/heuristic/searcher label",
        WORD,
    ),
    "exclusion": DetectorEntry(
        "mesaopt.detectors.circuit_battery:exclusion",
        "mesaopt.detectors.circuit_battery:EXCLUSION_METRICS",
        "formulas: share of candidates one internal intervention excludes (the next solution is then returned)",
        BOOLEAN,
    ),
    "circuit_profile": DetectorEntry(
        "mesaopt.detectors.circuit_battery:circuit_profile_detector",
        "mesaopt.detectors.circuit_battery:PROFILE_METRICS",
        "formulas: transfer, exclusion by intervention, and a failed/heuristic/searcher label",
        BOOLEAN,
    ),
    "games_accuracy": DetectorEntry(
        "mesaopt.detectors.games:games_accuracy",
        "mesaopt.detectors.games:ACCURACY_METRICS",
        "games: decisive move accuracy",
        GAMES,
    ),
    "games_probe": DetectorEntry(
        "mesaopt.detectors.games:games_probe",
        "mesaopt.detectors.games:PROBE_METRICS",
        "games: probes of values k plies ahead",
        GAMES,
    ),
    "games_power": DetectorEntry(
        "mesaopt.detectors.games:games_power",
        "mesaopt.detectors.games:POWER_METRICS",
        "games: optimization power in bits",
        GAMES,
    ),
    "games_profile": DetectorEntry(
        "mesaopt.detectors.games_battery:games_profile",
        "mesaopt.detectors.games_battery:METRICS",
        "games: the whole games battery and a label",
        GAMES,
    ),
    "video_profile": DetectorEntry(
        "mesaopt.detectors.video_battery:video_profile",
        "mesaopt.detectors.video_battery:METRICS",
        "video: fit, horizon, compute, moved goal, goal/plan probes, and a failed/memorizer/heuristic/searcher label",
        VIDEO,
    ),
    "icl_baselines": DetectorEntry(
        "mesaopt.detectors.icl:icl_baselines",
        "mesaopt.detectors.icl:BASELINE_METRICS",
        "in-context regression: distance to ridge and to dMMSE",
        ICL,
    ),
    "gd_alignment": DetectorEntry(
        "mesaopt.detectors.icl:gd_alignment",
        "mesaopt.detectors.icl:GD_METRICS",
        "in-context regression: predictions and sensitivities vs tuned GD",
        ICL,
    ),
    "icl_transfer": DetectorEntry(
        "mesaopt.detectors.icl:icl_transfer",
        "mesaopt.detectors.icl:TRANSFER_METRICS",
        "in-context regression: novel-task vs pool-task error",
        ICL,
    ),
}

DETECTORS: Registry[DetectorEntry] = Registry("mesaopt.detectors", DetectorEntry, BUILTIN_DETECTORS)
