"""A found program as a LearnedAlgorithm, with its structural label known from the program itself."""

from __future__ import annotations

import math

import numpy as np

from mesaopt.dsl import LABELS, Dsl, Node, encode, show, structural_label
from mesaopt.learners.programs.interpret import run

NO_ANSWER = -1
"""What a program answers when its step budget (`iterations`) runs out before it finishes."""


class ProgramAlgorithm:
    """Runs a DSL program on word instances. size_bits is c, compute_per_call is t (mean steps on training)."""

    def __init__(self, dsl: Dsl, program: Node, t_train: float, train_metrics: dict | None = None) -> None:
        self.dsl, self.program, self.t_train = dsl, program, t_train
        self.structural_label = structural_label(program)
        self.train_metrics = {**label_metrics(self.structural_label), **(train_metrics or {})}

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        """Answers; with `iterations`, instances needing more steps than that get NO_ANSWER."""
        values, steps = run(self.dsl, self.program, batch.inputs)
        if iterations is not None:
            values = np.where(steps <= iterations, values, NO_ANSWER)
        return values

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """The interpreter's step count per instance (a program has no other activations)."""
        _, steps = run(self.dsl, self.program, batch.inputs)
        return {"program.steps": steps.astype(np.float64)[:, None]}

    def size_bits(self) -> float:
        return float(self.dsl.cost(self.program))

    def compute_per_call(self) -> float:
        return float(self.t_train)

    def describe(self) -> str:
        return f"{self.structural_label} program: {show(self.program)}"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {
            "program": encode(self.program),
            "dsl": np.array([self.dsl.word_bits, self.dsl.n_vars], dtype=np.int64),
        }


def label_metrics(label: str) -> dict[str, float]:
    """The structural label as one-hot floats: is_searcher, is_memorizer, is_heuristic."""
    return {f"is_{name}": float(label == name) for name in LABELS}


def score(c: float, t: float, g: float) -> float:
    """The prior's score c + g*log2(t)."""
    return c + g * math.log2(t)
