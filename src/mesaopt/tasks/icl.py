"""In-context linear regression: sequences of K pairs (x, y) with y = wᵀx + noise. Ground truth is ridge regression.

One batch format throughout (`ICLBatch`): inputs xs (B, K, D), targets ys (B, K) and the task vectors ws (B, D).
With `query = "last"` a learner sees the first K - 1 pairs as context and predicts y at the last x (the setting of
the one-layer LSA = one GD step result). With `query = "all"` it predicts every y_k from the pairs before k and x_k
(the pretraining-diversity setting), so answers are shaped (B,) or (B, K).

The diversity knob `pool_size` is M, the number of distinct task vectors w in the train pool; each training
sequence draws one of them and fresh inputs and noise. `inf` draws a fresh w ~ N(0, I) for every sequence. With
`pool_kind = "sequences"` the pool instead holds M whole sequences (inputs and noise fixed too), a fixed training
set of M examples.
Novel tasks are fresh w ~ N(0, I) from seeds disjoint from the pool's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from mesaopt.limits import MAX_ICL_DIM, MAX_ICL_POINTS, bounded
from mesaopt.tasks.base import INF, TaskConfig, derive
from mesaopt.tasks.icl_baselines import ridge

SUCCESS_TOLERANCE = 0.05
"""An answer succeeds when its squared error exceeds ridge's by at most this fraction of the zero predictor's
expected squared error E[y²] (the prior predictive variance). 5% leaves room for float and finite-training noise
while a memorizer answering with the wrong task vector (excess ≈ E[y²]·(distance between tasks)) fails."""

HARDER_SCALE = 2.0
"""Harder instances draw task vectors from N(0, HARDER_SCALE² I): out of the prior's typical set, same shapes."""


class ICLConfig(TaskConfig):
    """Linear regression in context; pool_size is the number M of distinct training task vectors."""

    dim: int = Field(default=8, ge=1, le=MAX_ICL_DIM, description=bounded("input dimension D", MAX_ICL_DIM))
    points: int = Field(
        default=16,
        ge=2,
        le=MAX_ICL_POINTS,
        description=bounded("pairs per sequence K (in query='last' mode the last is the query)", MAX_ICL_POINTS),
    )
    noise: float = Field(default=0.25, ge=0, description="noise variance σ² of y given x and w")
    x_dist: Literal["gaussian", "uniform"] = Field(default="gaussian", description="distribution of each x coordinate")
    x_range: float = Field(default=0.5, gt=0, description="uniform x: each coordinate ~ U(-x_range, x_range)")
    pool_kind: Literal["tasks", "sequences"] = Field(
        default="tasks", description="pool of M task vectors (fresh inputs each draw) or of M fixed whole sequences"
    )
    query: Literal["last", "all"] = Field(default="all", description="predict only the last y, or every y_k")


@dataclass(frozen=True)
class ICLBatch:
    """Sequences of K pairs: xs (B, K, D), ys (B, K), and the task vector ws (B, D) that generated each."""

    xs: np.ndarray
    ys: np.ndarray
    ws: np.ndarray

    def __len__(self) -> int:
        return len(self.xs)

    @property
    def inputs(self) -> np.ndarray:
        """What a learner sees, as one array: x and y side by side, (B, K, D + 1); y of a query must be ignored."""
        return np.concatenate([self.xs, self.ys[..., None]], axis=-1)


def x_variance(config: ICLConfig) -> float:
    """Variance of each x coordinate."""
    return 1.0 if config.x_dist == "gaussian" else config.x_range**2 / 3.0


def sample_sequences(config: ICLConfig, ws: np.ndarray, rng: np.random.Generator) -> ICLBatch:
    """Fresh inputs and noise for the given task vectors, one sequence per row of ws."""
    shape = (len(ws), config.points, config.dim)
    if config.x_dist == "gaussian":
        xs = rng.standard_normal(shape)
    else:
        xs = rng.uniform(-config.x_range, config.x_range, size=shape)
    ys = np.einsum("bkd,bd->bk", xs, ws)
    if config.noise > 0:
        ys = ys + np.sqrt(config.noise) * rng.standard_normal(ys.shape)
    return ICLBatch(xs, ys, np.asarray(ws, dtype=np.float64))


class ICLTask:
    """In-context linear regression at task diversity M, with novel tasks from the prior N(0, I)."""

    def __init__(self, config: ICLConfig, seed: np.random.SeedSequence) -> None:
        self.config = config
        self.seed = seed
        self.pool = None
        if config.pool_size != INF:
            rng = np.random.default_rng(derive(seed, "pool"))
            self.pool = rng.standard_normal((int(config.pool_size), config.dim))
        self._sequences = None
        if self.pool is not None and config.pool_kind == "sequences":
            self._sequences = self.train_pool()

    def train_pool(self) -> ICLBatch | None:
        """One sequence per pool task vector, inputs from a fixed stream; None when M is inf."""
        if self.pool is None:
            return None
        return sample_sequences(self.config, self.pool, np.random.default_rng(derive(self.seed, "pool.inputs")))

    def sample_train(self, count: int, rng: np.random.Generator) -> ICLBatch:
        """Sequences whose task vectors come from the pool (uniformly), or fresh ones when M is inf.

        With pool_kind 'sequences', whole stored sequences are drawn instead.
        """
        if self._sequences is not None:
            rows = rng.integers(len(self._sequences), size=count)
            return ICLBatch(self._sequences.xs[rows], self._sequences.ys[rows], self._sequences.ws[rows])
        if self.pool is None:
            ws = rng.standard_normal((count, self.config.dim))
        else:
            ws = self.pool[rng.integers(len(self.pool), size=count)]
        return sample_sequences(self.config, ws, rng)

    def sample_novel(self, count: int, rng: np.random.Generator, scale: float = 1.0) -> ICLBatch:
        """Sequences of fresh task vectors w ~ N(0, scale² I) drawn with the caller's generator."""
        return sample_sequences(self.config, scale * rng.standard_normal((count, self.config.dim)), rng)

    def novel(self, count: int | None = None) -> ICLBatch:
        return self.sample_novel(count or self.config.eval_size, np.random.default_rng(derive(self.seed, "novel")))

    def harder(self, count: int | None = None) -> ICLBatch:
        rng = np.random.default_rng(derive(self.seed, "harder"))
        return self.sample_novel(count or self.config.eval_size, rng, HARDER_SCALE)

    def solutions(self, batch: ICLBatch) -> np.ndarray:
        """Ridge regression's predictions (λ = σ²): the Bayes-optimal answer under the prior N(0, I)."""
        return ridge(batch, self.config)

    def success(self, batch: ICLBatch, outputs: np.ndarray) -> np.ndarray:
        """Squared error at most ridge's plus SUCCESS_TOLERANCE · E[y²] (averaged over positions in 'all' mode)."""
        targets = targets_of(batch, self.config)
        excess = (np.asarray(outputs) - targets) ** 2 - (self.solutions(batch) - targets) ** 2
        if excess.ndim > 1:
            excess = excess.mean(axis=1)
        return excess <= SUCCESS_TOLERANCE * self.prior_variance()

    def prior_variance(self) -> float:
        """E[y²] under w ~ N(0, I): the zero predictor's expected squared error."""
        return self.config.dim * x_variance(self.config) + self.config.noise

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))


def targets_of(batch: ICLBatch, config: ICLConfig) -> np.ndarray:
    """The y values a learner is asked for: the last one (B,) or all of them (B, K)."""
    return batch.ys[:, -1] if config.query == "last" else batch.ys
