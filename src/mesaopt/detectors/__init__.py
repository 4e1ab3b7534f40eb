"""The detector battery, by name. Each detector maps (LearnedAlgorithm, Task) to named metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mesaopt.detectors import (
    compute,
    extrapolation,
    icl,
    match,
    power,
    probe,
    profile,
    program_battery,
    retarget,
    transfer,
    video_battery,
)
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task


@dataclass(frozen=True)
class DetectorEntry:
    """A detector, the metric names it returns, and what it measures."""

    run: Callable[[LearnedAlgorithm, Task], dict[str, float | list[float]]]
    metrics: tuple[str, ...]
    summary: str


DETECTORS: dict[str, DetectorEntry] = {
    "transfer": DetectorEntry(
        transfer.transfer, transfer.METRICS, "success on novel instances relative to the training pool"
    ),
    "extrapolation": DetectorEntry(
        extrapolation.extrapolation, extrapolation.METRICS, "success on harder mazes, iterations scaled to them"
    ),
    "compute": DetectorEntry(
        compute.compute_scaling, compute.METRICS, "success against run-time iterations: curve, slope, overthinking"
    ),
    "probe": DetectorEntry(
        probe.search_state_probe, probe.METRICS, "linear probe of BFS state from hidden states, minus controls"
    ),
    "retarget": DetectorEntry(
        retarget.retarget, retarget.METRICS, "moved goal: outputs that follow it vs go to the old goal"
    ),
    "match": DetectorEntry(
        match.algorithm_match, match.METRICS, "agreement with BFS vs with the nearest memorized answer"
    ),
    "power": DetectorEntry(
        power.optimization_power,
        power.METRICS,
        "optimization power in bits on pool and novel mazes; baseline: " + power.BASELINE,
    ),
    "profile": DetectorEntry(
        profile.profile_detector, profile.METRICS, "the whole battery plus a memorizer/heuristic/searcher label"
    ),
    "label_agreement": DetectorEntry(
        program_battery.label_agreement,
        program_battery.AGREEMENT_METRICS,
        "battery label (profile on mazes, program_profile on word tasks) vs a program's structural label (1 or 0)",
    ),
    "step_budget": DetectorEntry(
        program_battery.step_budget,
        program_battery.BUDGET_METRICS,
        "word tasks: success against the interpreter's step budget; ramp = doublings over which success accrues",
    ),
    "answer_match": DetectorEntry(
        program_battery.answer_match,
        program_battery.MATCH_METRICS,
        "word tasks: agreement with the ground-truth optimizer vs with the nearest pool instance's answer",
    ),
    "program_profile": DetectorEntry(
        program_battery.program_profile_detector,
        program_battery.PROFILE_METRICS,
        "word tasks: transfer, step budget, answer match, harder success, and a memorizer/heuristic/searcher label",
    ),
    "video_profile": DetectorEntry(
        video_battery.video_profile,
        video_battery.METRICS,
        "video: fit, horizon, compute, moved goal, goal/plan probes, and a failed/memorizer/heuristic/searcher label",
    ),
    "icl_baselines": DetectorEntry(
        icl.icl_baselines, icl.BASELINE_METRICS, "in-context regression: distance to ridge and to dMMSE"
    ),
    "gd_alignment": DetectorEntry(
        icl.gd_alignment, icl.GD_METRICS, "in-context regression: predictions and sensitivities vs tuned GD"
    ),
    "icl_transfer": DetectorEntry(
        icl.icl_transfer, icl.TRANSFER_METRICS, "in-context regression: novel-task vs pool-task error"
    ),
}
