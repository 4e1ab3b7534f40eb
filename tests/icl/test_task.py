"""The icl task: seeded pools, novel tasks from the prior, the success rule, and fixed-sequence pools."""

from __future__ import annotations

import numpy as np

from mesaopt.tasks import build_task
from mesaopt.tasks.icl import ICLTask


def _task(**params) -> ICLTask:
    return build_task("icl", {"dim": 4, "points": 8, "eval_size": 32, **params}, np.random.SeedSequence(11))


def test_same_seed_same_instances() -> None:
    a, b = _task(pool_size=8), _task(pool_size=8)
    np.testing.assert_array_equal(a.pool, b.pool)
    np.testing.assert_array_equal(a.novel().xs, b.novel().xs)
    np.testing.assert_array_equal(
        a.sample_train(5, np.random.default_rng(0)).ys, b.sample_train(5, np.random.default_rng(0)).ys
    )


def test_train_draws_only_pool_tasks_and_novel_tasks_are_new() -> None:
    task = _task(pool_size=3)
    ws = task.sample_train(200, np.random.default_rng(0)).ws
    assert {tuple(w) for w in ws} <= {tuple(w) for w in task.pool}
    assert not {tuple(w) for w in task.novel().ws} & {tuple(w) for w in task.pool}
    assert task.train_pool() is not None and _task().train_pool() is None


def test_sequence_pool_repeats_whole_sequences() -> None:
    task = _task(pool_size=4, pool_kind="sequences")
    batch = task.sample_train(50, np.random.default_rng(0))
    assert len({row.tobytes() for row in batch.xs}) <= 4


def test_uniform_inputs_stay_in_range_and_noise_is_off() -> None:
    task = _task(x_dist="uniform", x_range=0.5, noise=0.0, query="last")
    batch = task.novel()
    assert np.abs(batch.xs).max() <= 0.5
    np.testing.assert_allclose(batch.ys, np.einsum("bkd,bd->bk", batch.xs, batch.ws))


def test_success_accepts_ridge_and_rejects_zero() -> None:
    task = _task(points=16, noise=0.01, query="last")
    batch = task.novel()
    assert task.success(batch, task.solutions(batch)).all()
    assert task.success(batch, np.zeros(len(batch))).mean() < 0.5
