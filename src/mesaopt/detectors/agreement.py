"""Label agreement: the battery's label against a learner's structural label, for any task family with a battery.

A synthesized program knows its own nature from its structure (`HasStructuralLabel`: memorizer, heuristic or
searcher); the battery of the task's family (`tasks.battery_for`) judges the same program by behaviour alone.
`agrees` is 1 when they give the same label; `known` is 0 (and `agrees` 0) for a learner without a structural label.
"""

from __future__ import annotations

from mesaopt.detectors.battery import LABELS
from mesaopt.learners.base import LearnedAlgorithm, structural_label
from mesaopt.tasks.base import Task

METRICS = ("agrees", *(f"battery_is_{label}" for label in LABELS), "known")


def label_agreement(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """The task family's battery label vs the learner's structural label (1 or 0), and the battery's label."""
    from mesaopt.tasks import battery_for

    label = battery_for(task).profile(learned, task).label
    structural = structural_label(learned)
    return {
        "agrees": float(structural is not None and label == structural),
        **{f"battery_is_{name}": float(label == name) for name in LABELS},
        "known": float(structural is not None),
    }
