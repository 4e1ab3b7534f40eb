"""The one protocol between learners and detectors: a trained artifact is a `LearnedAlgorithm`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

Progress = Callable[[int, int], None]
"""Called as progress(step, total) while a learner trains; a no-op when nobody watches."""


def no_progress(step: int, total: int) -> None:
    """Ignore progress reports."""


@runtime_checkable
class LearnedAlgorithm(Protocol):
    """What every learner produces and every detector consumes.

    A hand-written BFS, a lookup table, a trained network and a synthesized program all offer these methods;
    detectors use nothing else.

    Optional capabilities beyond these (an iteration knob, an untrained copy, stored instances, a structural label,
    training metrics) are the protocols below; detectors test for them with `isinstance`, never `getattr`.
    """

    def solve(self, batch: Any, iterations: int | None = None) -> np.ndarray:
        """Answer every instance of a task batch; `iterations` sets run-time compute where the learner has it."""
        ...

    def hidden_states(self, batch: Any, iterations: int | None = None) -> Mapping[str, np.ndarray]:
        """Activations by stable hook name ("recur.3", "block.0.attn"), each with the batch as leading axis."""
        ...

    def size_bits(self) -> float:
        """Description length of the learned part, in bits."""
        ...

    def compute_per_call(self) -> float:
        """Elementary operations spent per instance by one `solve` call at the default iterations."""
        ...

    def describe(self) -> str:
        """One line saying what this learned algorithm is."""
        ...

    def artifacts(self) -> dict[str, np.ndarray]:
        """Named arrays that reproduce the learned part, saved as safetensors in the run directory."""
        ...


# Optional capabilities. A detector that needs one checks `isinstance(learned, <Protocol>)` and reports the line of
# evidence as not available when the learner lacks it (the report says which and why).


@runtime_checkable
class Iterative(Protocol):
    """Has a run-time iteration knob: `solve(batch, iterations)` spends more compute when given more iterations.

    `default_iterations` is the count used when none is given; None means the learner has no knob after all (a
    learner class that may or may not be recurrent, such as a hypernetwork's target)."""

    default_iterations: int | None


@runtime_checkable
class SolvesAtCounts(Protocol):
    """Can answer at several iteration counts in one pass, reading out on the way (a recurrent net that resumes its
    state): the cost of the largest count instead of the sum. Answers equal `solve(batch, n)` for each count n."""

    def solve_at(self, batch: Any, counts: Sequence[int]) -> list[np.ndarray]:
        """The answers after each of `counts` iterations, in the order given."""
        ...


@runtime_checkable
class HasUntrained(Protocol):
    """Can build the same architecture at its initialization: the probe's control."""

    def untrained(self) -> LearnedAlgorithm:
        """The same learned algorithm before training."""
        ...


@runtime_checkable
class StoresInstances(Protocol):
    """Stored a sample of its own when trained on an infinite pool (a lookup table, the tabular net)."""

    def trained_instances(self) -> Any | None:
        """The stored instances as a task batch, or None when it stored none."""
        ...


@runtime_checkable
class HasStructuralLabel(Protocol):
    """Knows its own nature from its structure (a synthesized program): memorizer, heuristic or searcher."""

    structural_label: str


@runtime_checkable
class ReportsTraining(Protocol):
    """Reports metrics about its own training (`train.*` in the catalog)."""

    train_metrics: dict[str, Any]


def default_iterations(learned: Any) -> int | None:
    """The learner's default run-time iterations, or None when it has no iteration knob."""
    return learned.default_iterations if isinstance(learned, Iterative) else None


def solve_at(learned: Any, batch: Any, counts: Sequence[int]) -> list[np.ndarray]:
    """The learner's answers at each iteration count: in one pass where it can resume, else one solve per count."""
    if isinstance(learned, SolvesAtCounts):
        return learned.solve_at(batch, counts)
    return [learned.solve(batch, n) for n in counts]


def untrained_copy(learned: Any) -> LearnedAlgorithm | None:
    """The learner at its initialization, or None when it cannot build one."""
    return learned.untrained() if isinstance(learned, HasUntrained) else None


def stored_instances(learned: Any) -> Any | None:
    """The instances a learner stored from its own sample, or None."""
    return learned.trained_instances() if isinstance(learned, StoresInstances) else None


def structural_label(learned: Any) -> str | None:
    """The learner's structural label, or None when it has none."""
    return learned.structural_label if isinstance(learned, HasStructuralLabel) else None


def training_metrics(learned: Any) -> dict[str, Any]:
    """What the learner reports about its own training, or nothing."""
    return dict(learned.train_metrics) if isinstance(learned, ReportsTraining) else {}


CAPABILITIES: dict[str, type] = {
    "iterations": Iterative,
    "untrained": HasUntrained,
    "trained_instances": StoresInstances,
    "structural_label": HasStructuralLabel,
}
"""The optional capabilities by the name a detector declares it needs them under."""
