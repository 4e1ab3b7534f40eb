"""The detector battery, by name. Each detector maps (LearnedAlgorithm, Task) to named metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mesaopt.detectors import (
    agreement,
    compute,
    extrapolation,
    games,
    games_battery,
    icl,
    match,
    power,
    probe,
    profile,
    program_battery,
    retarget,
    transfer,
)
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

MAZE, WORD, ICL, GAMES = frozenset({"maze"}), frozenset({"word"}), frozenset({"icl"}), frozenset({"games"})


@dataclass(frozen=True)
class DetectorEntry:
    """A detector, the metric names it returns, what it measures, and the task families it applies to."""

    run: Callable[[LearnedAlgorithm, Task], dict[str, float | list[float]]]
    metrics: tuple[str, ...]
    summary: str
    families: frozenset[str]
    """Task families (`TaskEntry.family`) whose instances it can read; a study naming it for another is refused."""


DETECTORS: dict[str, DetectorEntry] = {
    "transfer": DetectorEntry(
        transfer.transfer,
        transfer.METRICS,
        "success on novel instances relative to the training pool",
        MAZE | WORD,
    ),
    "extrapolation": DetectorEntry(
        extrapolation.extrapolation,
        extrapolation.METRICS,
        "success on harder mazes, iterations scaled to them",
        MAZE,
    ),
    "loops": DetectorEntry(
        extrapolation.loop_success,
        extrapolation.LOOP_METRICS,
        "success on novel-size mazes with loops, where pruning rules fail and search does not",
        MAZE,
    ),
    "compute": DetectorEntry(
        compute.compute_scaling,
        compute.METRICS,
        "success against run-time iterations: curve, slope, overthinking",
        MAZE,
    ),
    "probe": DetectorEntry(
        probe.search_state_probe,
        probe.METRICS,
        "which reference state (BFS, dead-end filling, wall following) hidden states encode, above controls",
        MAZE,
    ),
    "retarget": DetectorEntry(
        retarget.retarget,
        retarget.METRICS,
        "moved goal: outputs that follow it vs go to the old goal",
        MAZE,
    ),
    "match": DetectorEntry(
        match.algorithm_match,
        match.METRICS,
        "agreement with BFS vs with the nearest memorized answer",
        MAZE,
    ),
    "power": DetectorEntry(
        power.optimization_power,
        power.METRICS,
        "optimization power in bits on pool and novel mazes; baseline: " + power.BASELINE,
        MAZE,
    ),
    "profile": DetectorEntry(
        profile.profile_detector,
        profile.METRICS,
        "the whole maze battery plus a failed/memorizer/heuristic/searcher label",
        MAZE,
    ),
    "label_agreement": DetectorEntry(
        agreement.label_agreement,
        agreement.METRICS,
        "the task family's battery label vs a program's structural label (1 or 0)",
        MAZE | WORD,
    ),
    "step_budget": DetectorEntry(
        program_battery.step_budget,
        program_battery.BUDGET_METRICS,
        "word tasks: success against the interpreter's step budget; ramp = doublings over which success accrues",
        WORD,
    ),
    "answer_match": DetectorEntry(
        program_battery.answer_match,
        program_battery.MATCH_METRICS,
        "word tasks: agreement with the ground-truth optimizer vs with the nearest pool instance's answer",
        WORD,
    ),
    "program_profile": DetectorEntry(
        program_battery.program_profile_detector,
        program_battery.PROFILE_METRICS,
        "word tasks: transfer, step budget, answer match, harder success, and a memorizer/heuristic/searcher label",
        WORD,
    ),
    "games_accuracy": DetectorEntry(
        games.games_accuracy, games.ACCURACY_METRICS, "games: decisive move accuracy", GAMES
    ),
    "games_probe": DetectorEntry(
        games.games_probe, games.PROBE_METRICS, "games: probes of values k plies ahead", GAMES
    ),
    "games_power": DetectorEntry(games.games_power, games.POWER_METRICS, "games: optimization power in bits", GAMES),
    "games_profile": DetectorEntry(
        games_battery.games_profile, games_battery.METRICS, "games: the whole games battery and a label", GAMES
    ),
    "icl_baselines": DetectorEntry(
        icl.icl_baselines,
        icl.BASELINE_METRICS,
        "in-context regression: distance to ridge and to dMMSE",
        ICL,
    ),
    "gd_alignment": DetectorEntry(
        icl.gd_alignment,
        icl.GD_METRICS,
        "in-context regression: predictions and sensitivities vs tuned GD",
        ICL,
    ),
    "icl_transfer": DetectorEntry(
        icl.icl_transfer,
        icl.TRANSFER_METRICS,
        "in-context regression: novel-task vs pool-task error",
        ICL,
    ),
}
