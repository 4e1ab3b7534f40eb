"""What every task family offers: seeded instances at a diversity level N, novel and harder instances."""

from __future__ import annotations

import hashlib
import math
from typing import Annotated, Any, Protocol

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from mesaopt.limits import MAX_EVAL_SIZE, MAX_POOL_SIZE, bounded

INF = math.inf


def _parse_pool_size(value: Any) -> float:
    """Accept a positive integer, or `inf` written as a TOML float or as the string "inf"."""
    if isinstance(value, str) and value.strip().lower() == "inf":
        return INF
    if isinstance(value, float) and math.isinf(value) and value > 0:
        return INF
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_POOL_SIZE:
        raise ValueError(f"expected a positive integer up to {MAX_POOL_SIZE} (memory, see mesaopt.limits) or inf")
    return float(value)


def _dump_pool_size(value: float) -> int | str:
    return "inf" if math.isinf(value) else int(value)


PoolSize = Annotated[float, BeforeValidator(_parse_pool_size), PlainSerializer(_dump_pool_size)]
"""The diversity knob N: the size of the train pool, or inf for fresh instances every batch."""


class TaskConfig(BaseModel):
    """Knobs shared by every task family; each family extends it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pool_size: PoolSize = Field(default=INF, description="train-pool size N; inf draws fresh instances")
    eval_size: int = Field(
        default=256,
        ge=1,
        le=MAX_EVAL_SIZE,
        description=bounded("instances per evaluation set (novel, harder)", MAX_EVAL_SIZE),
    )


class Task(Protocol):
    """A family of instances. It knows its instances and its ground-truth optimizer, never its learners."""

    config: TaskConfig

    def train_pool(self) -> Any | None:
        """The N training instances as one batch, or None when N is inf."""
        ...

    def sample_train(self, count: int, rng: np.random.Generator) -> Any:
        """A training batch: drawn from the pool, or fresh instances when N is inf."""
        ...

    def novel(self, count: int | None = None) -> Any:
        """Instances like the training ones, from seeds disjoint from the pool's, none of them in the pool."""
        ...

    def harder(self, count: int | None = None) -> Any:
        """Instances harder than the training ones (larger, or with loops)."""
        ...

    def solutions(self, batch: Any) -> np.ndarray:
        """The ground-truth optimizer's answers for a batch."""
        ...

    def success(self, batch: Any, outputs: np.ndarray) -> np.ndarray:
        """Per-instance success (bool) of a learner's outputs."""
        ...

    def generator(self, name: str) -> np.random.Generator:
        """A generator derived from the task's seed and a stable name, for detectors that sample."""
        ...


def derive(seed: np.random.SeedSequence, name: str) -> np.random.SeedSequence:
    """A child seed sequence addressed by a stable name, the same in every process."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "little")
    return np.random.SeedSequence(entropy=seed.entropy, spawn_key=(*seed.spawn_key, key))
