"""The one training loop: it learns, it is deterministic, vmap equals sequential, NaN fails loudly, plateaus stop."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from mesaopt.learners.sgd import SGDConfig, TrainingDiverged, lr_factor, train, train_many

DIM = 6


def _build() -> nn.Module:
    return nn.Sequential(nn.Linear(DIM, 16), nn.Tanh(), nn.Linear(16, 1))


def _sample(rng: np.random.Generator, step: int):
    x = torch.from_numpy(rng.standard_normal((32, DIM)).astype(np.float32))
    y = torch.tanh(x[:, :2].sum(dim=1, keepdim=True)) - 0.5 * x[:, 2:3]
    return x, y


def _loss(model, batch, step):
    x, y = batch
    err = (model(x) - y).pow(2).mean()
    return err, {"abs_err": (model(x) - y).abs().mean()}


def _seeds(n: int) -> list[np.random.SeedSequence]:
    return [np.random.SeedSequence(100 + i) for i in range(n)]


def test_training_lowers_the_loss():
    result = train(_build, _seeds(1)[0], _sample, _loss, SGDConfig(steps=200, lr=1e-2))
    loss = result.history["loss"]
    assert np.mean(loss[-20:]) < 0.5 * np.mean(loss[:20])
    assert len(result.history["abs_err"]) == 200
    assert all(not p.requires_grad for p in result.module.parameters())


def test_same_seed_same_history_and_weights():
    config = SGDConfig(steps=30, lr=1e-2)
    a = train(_build, np.random.SeedSequence(5), _sample, _loss, config)
    b = train(_build, np.random.SeedSequence(5), _sample, _loss, config)
    c = train(_build, np.random.SeedSequence(6), _sample, _loss, config)
    assert a.history["loss"] == b.history["loss"]
    assert a.history["loss"] != c.history["loss"]
    for pa, pb in zip(a.module.parameters(), b.module.parameters(), strict=True):
        assert torch.equal(pa, pb)


@pytest.mark.parametrize("extra", [{}, {"weight_decay": 0.1, "l1": 1e-3, "grad_clip": 0.05, "warmup": 5}])
def test_vmap_and_sequential_agree(extra):
    base = {"steps": 60, "lr": 1e-2, **extra}
    seeds = _seeds(3)
    vm = train_many(_build, seeds, _sample, _loss, SGDConfig(**base, ensemble="vmap"))
    seq = train_many(_build, seeds, _sample, _loss, SGDConfig(**base, ensemble="sequential"))
    assert [r.method for r in vm] == ["vmap"] * 3 and [r.method for r in seq] == ["sequential"] * 3
    for a, b in zip(vm, seq, strict=True):
        for key in ("loss", "grad_norm", "abs_err"):
            np.testing.assert_allclose(a.history[key], b.history[key], atol=1e-5, rtol=0)
        for pa, pb in zip(a.module.parameters(), b.module.parameters(), strict=True):
            torch.testing.assert_close(pa, pb, atol=1e-5, rtol=0)
    # and each member equals the single-seed run
    alone = train(_build, seeds[1], _sample, _loss, SGDConfig(**base))
    np.testing.assert_allclose(alone.history["loss"], vm[1].history["loss"], atol=1e-5, rtol=0)


def test_auto_uses_vmap_unless_the_model_opts_out():
    class NoVmap(nn.Linear):
        supports_vmap = False

    auto = train_many(_build, _seeds(2), _sample, _loss, SGDConfig(steps=2))
    assert auto[0].method == "vmap"
    opted = train_many(lambda: NoVmap(DIM, 1), _seeds(2), _sample, _loss, SGDConfig(steps=2))
    assert opted[0].method == "sequential"
    with pytest.raises(ValueError, match="does not support vmap"):
        train_many(lambda: NoVmap(DIM, 1), _seeds(2), _sample, _loss, SGDConfig(steps=2, ensemble="vmap"))


def test_nan_guard_names_the_step():
    def bad_loss(model, batch, step):
        x, y = batch
        loss = (model(x) - y).pow(2).mean()
        return loss * (float("nan") if step == 3 else 1.0)

    with pytest.raises(TrainingDiverged, match="loss is nan at step 3"):
        train(_build, _seeds(1)[0], _sample, bad_loss, SGDConfig(steps=10))
    with pytest.raises(TrainingDiverged, match="at step 3"):
        train_many(_build, _seeds(2), _sample, bad_loss, SGDConfig(steps=10))


def test_early_stop_on_a_plateau_per_member():
    def flat_loss(model, batch, step):
        x, _ = batch
        return model(x).mean() * 0.0 + 1.0

    config = SGDConfig(steps=500, eval_every=10, patience=3)
    result = train(_build, _seeds(1)[0], _sample, flat_loss, config)
    assert result.stopped_at == 40  # the first check sets the best, three more fail to improve
    assert len(result.history["loss"]) == 40
    vm = train_many(_build, _seeds(2), _sample, flat_loss, config.model_copy(update={"ensemble": "vmap"}))
    assert [r.stopped_at for r in vm] == [40, 40]


def test_evaluate_drives_the_plateau_and_is_recorded():
    calls = []

    def evaluate(model) -> float:
        calls.append(1)
        return 1.0

    config = SGDConfig(steps=100, eval_every=20, patience=2)
    result = train(_build, _seeds(1)[0], _sample, _loss, config, evaluate=evaluate)
    assert result.history["eval_step"] == [20.0, 40.0, 60.0]
    assert result.stopped_at == 60 and len(calls) == 3


def test_lr_schedule_shapes():
    cosine = SGDConfig(steps=100, warmup=10)
    assert lr_factor(cosine, 0) == pytest.approx(0.1)
    assert lr_factor(cosine, 9) == pytest.approx(1.0)
    assert lr_factor(cosine, 10) == pytest.approx(1.0)
    assert lr_factor(cosine, 99) < 0.01
    assert lr_factor(SGDConfig(steps=100, schedule="constant"), 99) == 1.0
    assert lr_factor(SGDConfig(steps=100, schedule="linear"), 50) == pytest.approx(0.5)
    assert all(math.isfinite(lr_factor(cosine, s)) for s in range(100))


def test_progress_reaches_the_total():
    seen = []
    train_many(
        _build,
        _seeds(2),
        _sample,
        _loss,
        SGDConfig(steps=5, ensemble="sequential"),
        progress=lambda s, t: seen.append((s, t)),
    )
    assert seen[-1] == (10, 10)
    seen.clear()
    train_many(_build, _seeds(2), _sample, _loss, SGDConfig(steps=5), progress=lambda s, t: seen.append((s, t)))
    assert seen[-1] == (5, 5)
