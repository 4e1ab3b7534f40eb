"""Profile: the maze battery on one learned algorithm — every detector's metrics and a label with its reasons.

The battery itself (detectors, features, rule, thresholds, calibration cases) is `maze_battery.MAZE_BATTERY`; this
module is the `profile` detector a study names, which stores every battery metric plus one-hot is_<label>.
"""

from __future__ import annotations

from mesaopt.detectors.battery import LABELS, Profile
from mesaopt.detectors.maze_battery import MAZE_BATTERY
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

__all__ = ["LABELS", "METRICS", "Profile", "profile", "profile_detector"]

METRICS = MAZE_BATTERY.metric_names()


def profile(learned: LearnedAlgorithm, task: Task) -> Profile:
    """Run every detector of the maze battery and label the learned algorithm."""
    return MAZE_BATTERY.profile(learned, task)


def profile_detector(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """The profile as catalog metrics: every battery metric plus one-hot is_failed, is_memorizer, ..."""
    return profile(learned, task).catalog()
