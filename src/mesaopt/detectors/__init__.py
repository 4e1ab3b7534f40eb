"""The detector battery, by name. Each detector maps (LearnedAlgorithm, Task) to named metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mesaopt.detectors import icl, transfer
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
