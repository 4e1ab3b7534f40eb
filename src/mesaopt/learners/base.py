"""The one protocol between learners and detectors: a trained artifact is a `LearnedAlgorithm`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
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

    Optional: `trained_instances()` returns the batch a learner stored from its own sample when the task's pool is
    infinite (a lookup table's entries); the transfer detector then evaluates "pool" success on exactly those.
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
