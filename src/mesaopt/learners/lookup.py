"""The memorizer by construction: a table of the training pool's answers, nearest entry elsewhere."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.learners.base import Progress
from mesaopt.limits import MAX_ENTRIES, bounded
from mesaopt.tasks.base import Task


class LookupConfig(BaseModel):
    """A lookup table needs no training; it only stores."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_entries: int = Field(
        default=4096,
        ge=1,
        le=MAX_ENTRIES,
        description=bounded("instances stored when the pool is infinite", MAX_ENTRIES),
    )


def hamming_distances(queries: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Hamming distance between every query and every key (0/1 arrays, one instance per leading index), (Q, K)."""
    q = queries.reshape(len(queries), -1).astype(np.float32)
    k = keys.reshape(len(keys), -1).astype(np.float32)
    return q.sum(axis=1, dtype=np.float64)[:, None] + k.sum(axis=1, dtype=np.float64)[None, :] - 2 * (q @ k.T)


class LookupTable:
    """Answers a stored instance from memory and any other instance with the nearest stored answer."""

    def __init__(self, keys: np.ndarray, answers: np.ndarray, stored: Any = None) -> None:
        self.keys = keys.reshape(len(keys), -1).astype(np.uint8)
        self.answers = answers
        self._stored = stored

    def trained_instances(self) -> Any:
        """The stored instances as a task batch (what it memorized), when it was built from one; else None."""
        return self._stored

    def _distances(self, batch) -> np.ndarray:
        """Hamming distance from every query to every stored key, shape (B, K)."""
        return hamming_distances(np.asarray(batch.inputs), self.keys)

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        return self.answers[self._distances(batch).argmin(axis=1)]

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        distances = self._distances(batch)
        return {"lookup.distance": distances, "lookup.index": distances.argmin(axis=1)}

    def size_bits(self) -> float:
        """Compressed size of the stored keys and answers."""
        payload = self.keys.tobytes() + np.packbits(self.answers.astype(bool)).tobytes()
        return 8.0 * len(zlib.compress(payload, 9))

    def compute_per_call(self) -> float:
        """One comparison per stored key element."""
        return float(self.keys.size)

    def describe(self) -> str:
        return f"lookup table of {len(self.keys)} memorized answers, nearest entry by Hamming distance elsewhere"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {"keys": self.keys, "answers": np.asarray(self.answers)}


def fit_lookup(config: LookupConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> LookupTable:
    """Store the pool, or `max_entries` fresh training instances when the pool is infinite."""
    pool = task.train_pool()
    if pool is None:
        pool = task.sample_train(config.max_entries, np.random.default_rng(seed))
    progress(1, 1)
    return LookupTable(np.asarray(pool.inputs), task.solutions(pool), stored=pool)
