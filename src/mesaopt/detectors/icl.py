"""Detectors for in-context regression: distance to the Bayes baselines, alignment with GD, and task transfer.

Normalizations follow the literature each metric is compared with: `icl_baselines` and `icl_transfer` report mean
squared errors and distances divided by D (the pretraining-diversity convention), `gd_alignment` reports ½·MSE of
the query prediction (the LSA-as-GD convention). A learner answering every position ('all' mode) is compared with
GD at its last position, whose context is the first K − 1 pairs.
"""

from __future__ import annotations

import numpy as np
import torch

from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.learners.models.lsa import gd_weights, lsa_forward, tokens_of
from mesaopt.tasks.base import Task
from mesaopt.tasks.icl import ICLBatch, ICLTask, targets_of, x_variance
from mesaopt.tasks.icl_baselines import context_view, dmmse, gd_view, ridge, tune_gd
from mesaopt.tasks.icl_baselines import gd_weights as gd_sensitivity

TUNE_SEQUENCES = 4096
"""Sequences on which GD's learning rate is line-searched (a stream disjoint from the evaluation set)."""

SENSITIVITY_STEP = 1e-2
"""Central finite-difference step for ∂ŷ/∂x_query, in units of the x standard deviation."""

INTERPOLATION_POINTS = 11
"""Points α = 0, 0.1, ..., 1 on the path from the trained LSA weights (α = 0) to the GD weights (α = 1)."""

RATIO_FLOOR = 1e-12
"""Denominator floor of loss ratios, so a perfect reference gives a large finite ratio instead of infinity."""

BASELINE_METRICS = tuple(
    f"{where}_{what}"
    for where in ("novel", "pool")
    for what in ("mse", "ridge_mse", "dmmse_mse", "delta_ridge", "delta_dmmse")
) + ("ridge_preference", "novel_gap_ridge_dmmse", "ridge_position")

POSITION_GAP_FLOOR = 1e-3
"""Smallest ridge-to-dMMSE distance (mean squared difference / D) at which `ridge_position` is reported: below it
the two references agree (M large or inf) and a position between them means nothing."""

GD_METRICS = (
    "loss",
    "gd_loss",
    "zero_loss",
    "loss_ratio",
    "gd_lr",
    "pred_diff",
    "sens_diff",
    "sens_cosine",
    "interp_loss",
    "interp_barrier",
)

TRANSFER_METRICS = ("pool_mse", "novel_mse", "harder_mse", "ratio", "gap")


def _icl(task: Task, detector: str) -> ICLTask:
    if not isinstance(task, ICLTask):
        raise ValueError(f"detector '{detector}' applies only to the task 'icl', got {type(task).__name__}")
    return task


def _pool_set(task: ICLTask, stream: str) -> ICLBatch:
    """Sequences of pool tasks with fresh inputs (fresh tasks when M is inf), eval_size of them."""
    return task.sample_train(task.config.eval_size, task.generator(stream))


def _last(answers: np.ndarray) -> np.ndarray:
    """The prediction at the last position, whatever the answer shape."""
    answers = np.asarray(answers, dtype=np.float64)
    return answers if answers.ndim == 1 else answers[:, -1]


def icl_baselines(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """MSE / D of the learner, ridge and dMMSE, and the distances Δ (mean squared difference / D) to both.

    `ridge_preference` = Δ_dMMSE / (Δ_ridge + Δ_dMMSE) on novel tasks: 1 means ridge-like, 0 dMMSE-like; it is
    0.5 when M is inf, where dMMSE is ridge. `ridge_position` projects the learner's novel-task predictions onto the
    segment from dMMSE (0) to ridge (1), so error orthogonal to both (an undertrained net) does not pull it toward
    0.5; it is left out when the two references nearly agree (`POSITION_GAP_FLOOR`).
    """
    task = _icl(task, "icl_baselines")
    dim, metrics = task.config.dim, {}
    for name, batch in (("novel", task.novel()), ("pool", _pool_set(task, "icl_baselines.pool"))):
        targets = targets_of(batch, task.config)
        out = np.asarray(learned.solve(batch), dtype=np.float64)
        refs = {"ridge": ridge(batch, task.config), "dmmse": dmmse(batch, task.config, task.pool)}
        metrics[f"{name}_mse"] = float(np.mean((out - targets) ** 2) / dim)
        for base, ref in refs.items():
            metrics[f"{name}_{base}_mse"] = float(np.mean((ref - targets) ** 2) / dim)
            metrics[f"{name}_delta_{base}"] = float(np.mean((out - ref) ** 2) / dim)
        if name == "novel":
            gap = refs["ridge"] - refs["dmmse"]
            metrics["novel_gap_ridge_dmmse"] = float(np.mean(gap**2) / dim)
            if metrics["novel_gap_ridge_dmmse"] >= POSITION_GAP_FLOOR:
                metrics["ridge_position"] = float(np.sum((out - refs["dmmse"]) * gap) / np.sum(gap**2))
    total = metrics["novel_delta_ridge"] + metrics["novel_delta_dmmse"]
    metrics["ridge_preference"] = metrics["novel_delta_dmmse"] / total if total > 0 else 0.5
    return metrics


def _sensitivity(learned: LearnedAlgorithm, batch: ICLBatch, step: float) -> np.ndarray:
    """∂ŷ/∂x_query (B, D) of the last prediction by central differences through `solve`."""
    grads = np.empty((len(batch), batch.xs.shape[-1]))
    for d in range(batch.xs.shape[-1]):
        plus, minus = batch.xs.copy(), batch.xs.copy()
        plus[:, -1, d] += step
        minus[:, -1, d] -= step
        up = _last(learned.solve(ICLBatch(plus, batch.ys, batch.ws)))
        down = _last(learned.solve(ICLBatch(minus, batch.ys, batch.ws)))
        grads[:, d] = (up - down) / (2 * step)
    return grads


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    return np.where(norms > 0, (a * b).sum(axis=1) / np.maximum(norms, 1e-300), 0.0)


def _interpolation(arrays: dict[str, np.ndarray], batch: ICLBatch, lr: float) -> list[float]:
    """½·MSE along the straight path from the trained merged weights to GD's, after removing the scale symmetry.

    (c·W_KQ, W_PV / c) computes the same function for any c ≠ 0, so GD's matrices are rescaled per layer to the
    trained W_KQ's norm and sign; otherwise the path would climb a barrier that is only a change of units or sign.
    """
    wkq, wpv = arrays["lsa.wkq"].astype(np.float64), arrays["lsa.wpv"].astype(np.float64)
    layers, heads, width = wkq.shape[0], wkq.shape[1], wkq.shape[-1]
    gkq, gpv = gd_weights(width - 1, layers, heads, lr)
    for layer in range(layers):
        sign = 1.0 if np.sum(wkq[layer] * gkq[layer]) >= 0 else -1.0
        c = sign * np.linalg.norm(wkq[layer]) / np.linalg.norm(gkq[layer])
        gkq[layer], gpv[layer] = c * gkq[layer], gpv[layer] / c
    tokens = tokens_of(batch.xs, batch.ys, dtype=torch.float64)
    targets = torch.as_tensor(batch.ys[:, -1])
    losses = []
    for alpha in np.linspace(0.0, 1.0, INTERPOLATION_POINTS):
        mix_kq = torch.as_tensor((1 - alpha) * wkq + alpha * gkq)
        mix_pv = torch.as_tensor((1 - alpha) * wpv + alpha * gpv)
        losses.append(float(0.5 * ((lsa_forward(tokens, mix_kq, mix_pv) - targets) ** 2).mean()))
    return losses


def gd_alignment(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """How closely the learner's query predictions and sensitivities match L-step GD with a line-searched rate.

    L is the learner's LSA layer count when its artifacts hold merged LSA weights, else 1. The interpolation curve
    (`interp_loss`, `interp_barrier`) is reported only for such learners.
    """
    task = _icl(task, "gd_alignment")
    arrays = learned.artifacts()
    is_lsa = "lsa.wkq" in arrays and "lsa.wpv" in arrays
    steps = int(arrays["lsa.wkq"].shape[0]) if is_lsa else 1
    tune = task.sample_novel(TUNE_SEQUENCES, task.generator("gd_alignment.tune"))
    lr = tune_gd(context_view(tune, "last"), tune.ys[:, -1], steps)
    test = task.novel()
    view, targets = context_view(test, "last"), test.ys[:, -1]
    pred, gd_pred = _last(learned.solve(test)), gd_view(view, steps, lr)
    sens = _sensitivity(learned, test, SENSITIVITY_STEP * np.sqrt(x_variance(task.config)))
    gd_sens = gd_sensitivity(view, steps, lr)
    loss, gd_loss = float(0.5 * np.mean((pred - targets) ** 2)), float(0.5 * np.mean((gd_pred - targets) ** 2))
    metrics: dict[str, float | list[float]] = {
        "loss": loss,
        "gd_loss": gd_loss,
        "zero_loss": float(0.5 * np.mean(targets**2)),
        "loss_ratio": loss / max(gd_loss, RATIO_FLOOR),
        "gd_lr": lr,
        "pred_diff": float(np.mean((pred - gd_pred) ** 2)),
        "sens_diff": float(np.mean(((sens - gd_sens) ** 2).sum(axis=1))),
        "sens_cosine": float(np.mean(_cosine(sens, gd_sens))),
    }
    if is_lsa:
        curve = _interpolation(arrays, test, lr)
        metrics["interp_loss"] = curve
        metrics["interp_barrier"] = max(curve) - max(curve[0], curve[-1])
    return metrics


def icl_transfer(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """MSE / D on pool tasks, novel tasks and harder (larger-norm) tasks; ratio and gap of novel to pool."""
    task = _icl(task, "icl_transfer")
    dim, out = task.config.dim, {}
    for name, batch in (
        ("pool", _pool_set(task, "icl_transfer.pool")),
        ("novel", task.novel()),
        ("harder", task.harder()),
    ):
        answers = np.asarray(learned.solve(batch), dtype=np.float64)
        out[f"{name}_mse"] = float(np.mean((answers - targets_of(batch, task.config)) ** 2) / dim)
    out["ratio"] = out["novel_mse"] / max(out["pool_mse"], RATIO_FLOOR)
    out["gap"] = out["novel_mse"] - out["pool_mse"]
    return out
