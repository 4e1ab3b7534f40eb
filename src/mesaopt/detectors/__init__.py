"""The detector battery, by name. Each detector maps (LearnedAlgorithm, Task) to named metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mesaopt.detectors import transfer
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
}
