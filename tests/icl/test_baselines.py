"""The exact in-context regression baselines against closed forms, and LSA built from GD weights against GD."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.learners.models.lsa import gd_weights, lsa_forward, tokens_of
from mesaopt.tasks.icl import ICLBatch, ICLConfig, ICLTask, sample_sequences
from mesaopt.tasks.icl_baselines import (
    context_view,
    dmmse,
    gd_view,
    gdpp_view,
    least_squares,
    ridge,
    tune_gd,
)


def _batch(config: ICLConfig, count: int = 64, seed: int = 0) -> ICLBatch:
    rng = np.random.default_rng(seed)
    return sample_sequences(config, rng.standard_normal((count, config.dim)), rng)


@pytest.mark.parametrize("query", ["last", "all"])
@pytest.mark.parametrize("noise", [0.25, 2.0])
def test_ridge_equals_normal_equations(query: str, noise: float) -> None:
    config = ICLConfig(dim=4, points=9, noise=noise, query=query)
    batch = _batch(config)
    got = ridge(batch, config)
    positions = [config.points - 1] if query == "last" else range(config.points)
    for b in range(len(batch)):
        for k in positions:
            x, y = batch.xs[b, :k], batch.ys[b, :k]
            w = np.linalg.solve(x.T @ x + noise * np.eye(config.dim), x.T @ y)
            want = w @ batch.xs[b, k]
            assert (got[b] if query == "last" else got[b, k]) == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_least_squares_recovers_noiseless_task() -> None:
    config = ICLConfig(dim=5, points=12, noise=0.0, query="last")
    batch = _batch(config)
    np.testing.assert_allclose(least_squares(batch, config), batch.ys[:, -1], atol=1e-9)


def test_dmmse_with_one_task_returns_the_pool_vector() -> None:
    config = ICLConfig(dim=6, points=10, noise=0.25, query="all", pool_size=1)
    task = ICLTask(config, np.random.SeedSequence(3))
    batch = task.novel(32)
    want = np.einsum("bkd,d->bk", batch.xs, task.pool[0])
    np.testing.assert_allclose(dmmse(batch, config, task.pool), want, rtol=1e-12, atol=1e-12)


def test_dmmse_picks_the_generating_pool_task() -> None:
    config = ICLConfig(dim=4, points=16, noise=0.01, query="last", pool_size=8)
    task = ICLTask(config, np.random.SeedSequence(5))
    batch = task.sample_train(64, np.random.default_rng(1))
    want = np.einsum("bd,bd->b", batch.xs[:, -1], batch.ws)
    np.testing.assert_allclose(dmmse(batch, config, task.pool), want, atol=1e-6)


@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_one_step_gd_with_optimal_rate_matches_the_analytic_loss(noise: float) -> None:
    """x ~ N(0, I_D), w ~ N(0, I): η* = N/(N+D+1+σ²), loss ½(D + σ² − D·N/(N+D+1+σ²))."""
    dim, n = 5, 10
    config = ICLConfig(dim=dim, points=n + 1, noise=noise, query="last")
    tune, test = _batch(config, 50_000, 1), _batch(config, 200_000, 2)
    lr = tune_gd(context_view(tune, "last"), tune.ys[:, -1], steps=1)
    assert lr == pytest.approx(n / (n + dim + 1 + noise), rel=0.03)
    loss = 0.5 * np.mean((gd_view(context_view(test, "last"), 1, lr) - test.ys[:, -1]) ** 2)
    assert loss == pytest.approx(0.5 * (dim + noise - dim * n / (n + dim + 1 + noise)), rel=0.015)


def test_gdpp_without_transform_is_gd() -> None:
    config = ICLConfig(dim=4, points=9, noise=0.1, query="all")
    view = context_view(_batch(config), "all")
    np.testing.assert_allclose(gdpp_view(view, 3, 0.7, 0.0), gd_view(view, 3, 0.7), atol=1e-12)


@pytest.mark.parametrize("layers", [1, 3])
def test_lsa_with_gd_weights_reproduces_gd_exactly(layers: int) -> None:
    config = ICLConfig(dim=10, points=11, noise=0.0, x_dist="uniform", query="last")
    batch = _batch(config, 128)
    wkq, wpv = gd_weights(config.dim, layers, heads=2, lr=6.0)
    tokens = tokens_of(batch.xs, batch.ys, dtype=torch.float64)
    out = lsa_forward(tokens, torch.as_tensor(wkq), torch.as_tensor(wpv)).numpy()
    np.testing.assert_allclose(out, gd_view(context_view(batch, "last"), layers, 6.0), rtol=1e-10, atol=1e-12)


def test_lsa_with_gdpp_weights_reproduces_gdpp() -> None:
    config = ICLConfig(dim=6, points=13, noise=0.0, query="last")
    batch = _batch(config, 64)
    wkq, wpv = gd_weights(config.dim, 3, heads=1, lr=0.5, gamma=0.3)
    tokens = tokens_of(batch.xs, batch.ys, dtype=torch.float64)
    out = lsa_forward(tokens, torch.as_tensor(wkq), torch.as_tensor(wpv)).numpy()
    np.testing.assert_allclose(out, gdpp_view(context_view(batch, "last"), 3, 0.5, 0.3), rtol=1e-10, atol=1e-12)


def test_the_query_target_never_reaches_lsa() -> None:
    config = ICLConfig(dim=3, points=6, query="last")
    batch = _batch(config, 8)
    wkq, wpv = (torch.as_tensor(a) for a in gd_weights(3, 2, 1, 0.4))
    changed = ICLBatch(batch.xs, batch.ys + np.eye(6)[-1] * 100.0, batch.ws)
    a = lsa_forward(torch.as_tensor(batch.inputs), wkq, wpv)
    b = lsa_forward(torch.as_tensor(changed.inputs), wkq, wpv)
    torch.testing.assert_close(a, b)
