"""Neural learners for in-context regression: linear self-attention and a small GPT, trained by `sgd.train`.

Both train on ½·MSE of their predictions (the query in 'last' mode, every position in 'all' mode). Every
`eval_every` steps the loop's evaluation hook measures, on fixed pool-task and novel-task sequences, the distance
Δ to ridge and to dMMSE (mean squared prediction difference / D) and the model's own MSE / D. Those curves, over
training, become `train_metrics` (`train.*` in the catalog), so a transient ridge-like phase is visible.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import torch
from pydantic import Field
from torch import nn

from mesaopt.learners.base import Progress
from mesaopt.learners.models.gpt import GPT
from mesaopt.learners.models.lsa import LSA, tokens_of
from mesaopt.learners.sgd import SGDConfig, resolve_device, train
from mesaopt.limits import MAX_BATCH, MAX_DEPTH, MAX_EVAL_SIZE, MAX_HEADS, MAX_MLP_RATIO, MAX_WIDTH, bounded
from mesaopt.tasks.base import Task
from mesaopt.tasks.icl import ICLBatch, ICLTask, targets_of
from mesaopt.tasks.icl_baselines import dmmse, ridge

FLOAT_BITS = 32
"""Bits per stored float32 parameter in `size_bits`."""


class LSAConfig(SGDConfig):
    """Linear self-attention trained by the shared SGD loop (all SGD knobs apply)."""

    steps: int = Field(default=2000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(default=256, ge=1, le=MAX_BATCH, description=bounded("sequences per step", MAX_BATCH))
    lr: float = Field(default=3e-3, gt=0, description="peak learning rate of AdamW")
    grad_clip: float | None = Field(default=None, gt=0, description="max global gradient norm; None: off")
    layers: int = Field(default=1, ge=1, le=MAX_DEPTH, description=bounded("LSA layers L", MAX_DEPTH))
    heads: int = Field(default=1, ge=1, le=MAX_HEADS, description=bounded("heads per layer", MAX_HEADS))
    tied: bool = Field(default=False, description="one set of weights reused by every layer")
    parametrization: Literal["merged", "factored"] = Field(
        default="merged", description="train W_KQ, W_PV directly, or W_Q, W_K, W_V, W_P"
    )
    init_scale: float = Field(default=0.02, gt=0, description="std of the Gaussian initial weights")
    eval_sequences: int = Field(
        default=256,
        ge=1,
        le=MAX_EVAL_SIZE,
        description=bounded("sequences per training-time evaluation set", MAX_EVAL_SIZE),
    )


class GPTConfig(SGDConfig):
    """A small pre-LN causal transformer trained by the shared SGD loop (all SGD knobs apply)."""

    steps: int = Field(default=2000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(default=64, ge=1, le=MAX_BATCH, description=bounded("sequences per step", MAX_BATCH))
    lr: float = Field(default=1e-3, gt=0, description="peak learning rate of AdamW")
    warmup: int = Field(default=100, ge=0, description="steps of linear warmup from 0 to lr")
    d_model: int = Field(default=32, ge=1, le=MAX_WIDTH, description=bounded("residual stream width", MAX_WIDTH))
    layers: int = Field(default=2, ge=1, le=MAX_DEPTH, description=bounded("transformer blocks L", MAX_DEPTH))
    heads: int = Field(default=2, ge=1, le=MAX_HEADS, description=bounded("attention heads per block", MAX_HEADS))
    mlp_ratio: int = Field(
        default=4, ge=1, le=MAX_MLP_RATIO, description=bounded("MLP hidden width / d_model", MAX_MLP_RATIO)
    )
    eval_sequences: int = Field(
        default=128,
        ge=1,
        le=MAX_EVAL_SIZE,
        description=bounded("sequences per training-time evaluation set", MAX_EVAL_SIZE),
    )


class Tracker:
    """Fixed pool-task and novel-task sequences, their baseline answers, and the curves measured over training."""

    def __init__(self, task: ICLTask, count: int, answer: Callable[[Callable, ICLBatch], np.ndarray]) -> None:
        self.task, self.answer = task, answer
        config = task.config
        self.sets = {
            "pool": task.sample_train(count, task.generator("train_eval.pool")),
            "novel": task.sample_novel(count, task.generator("train_eval.novel")),
        }
        self.baselines = {
            name: {"ridge": ridge(batch, config), "dmmse": dmmse(batch, config, task.pool)}
            for name, batch in self.sets.items()
        }
        self.curves: dict[str, list[float]] = {}

    def __call__(self, model: Callable) -> float:
        """Record Δ to ridge and dMMSE and the MSE on both sets; return the novel MSE / D (the plateau monitor)."""
        dim = self.task.config.dim
        for name, batch in self.sets.items():
            with torch.no_grad():
                out = self.answer(model, batch)
            targets = targets_of(batch, self.task.config)
            self._add(f"{name}_mse", np.mean((out - targets) ** 2) / dim)
            for base, ref in self.baselines[name].items():
                self._add(f"{name}_delta_{base}", np.mean((out - ref) ** 2) / dim)
        return self.curves["novel_mse"][-1]

    def _add(self, name: str, value: float) -> None:
        self.curves.setdefault(name, []).append(float(value))


def _lsa_answer(device: torch.device) -> Callable[[Callable, ICLBatch], np.ndarray]:
    """Query predictions of an LSA forward callable whose weights live on `device`."""

    def answer(model: Callable, batch: ICLBatch) -> np.ndarray:
        return model(tokens_of(batch.xs, batch.ys).to(device)).double().cpu().numpy()

    return answer


def _gpt_answer(query: str, device: torch.device) -> Callable[[Callable, ICLBatch], np.ndarray]:
    """Predictions in the task's answer shape of a GPT forward callable whose weights live on `device`."""

    def answer(model: Callable, batch: ICLBatch) -> np.ndarray:
        xs, ys = (torch.as_tensor(a, dtype=torch.float32, device=device) for a in (batch.xs, batch.ys))
        out = model(xs, ys).double().cpu().numpy()
        return out[:, -1] if query == "last" else out

    return answer


class ICLNet:
    """A trained LSA or GPT as a LearnedAlgorithm: `solve` returns its predictions in the task's answer shape."""

    def __init__(
        self,
        module: nn.Module,
        kind: str,
        query: str,
        compute: float,
        train_metrics: dict[str, float | list[float]],
    ) -> None:
        self.module, self.kind, self.query, self.compute = module.eval(), kind, query, compute
        self.train_metrics = train_metrics

    def _run(self, batch: ICLBatch, hidden: bool):
        with torch.no_grad():
            if self.kind == "lsa":
                return self.module(tokens_of(batch.xs, batch.ys), hidden=hidden)
            xs = torch.as_tensor(batch.xs, dtype=torch.float32)
            return self.module(xs, torch.as_tensor(batch.ys, dtype=torch.float32), hidden=hidden)

    def solve(self, batch: ICLBatch, iterations: int | None = None) -> np.ndarray:
        out = self._run(batch, hidden=False).double().numpy()
        return out[:, -1] if self.kind == "gpt" and self.query == "last" else out

    def hidden_states(self, batch: ICLBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """The token stream (LSA) or residual stream (GPT) after each layer, (B, tokens, width)."""
        _, states = self._run(batch, hidden=True)
        return {f"block.{i}": s.numpy() for i, s in enumerate(states)}

    def size_bits(self) -> float:
        return float(FLOAT_BITS * sum(p.numel() for p in self.module.parameters()))

    def compute_per_call(self) -> float:
        return self.compute

    def describe(self) -> str:
        params = sum(p.numel() for p in self.module.parameters())
        return f"{self.kind} with {params} parameters, trained by SGD on in-context regression"

    def artifacts(self) -> dict[str, np.ndarray]:
        arrays = {k: v.detach().numpy().copy() for k, v in self.module.state_dict().items()}
        if self.kind == "lsa":
            wkq, wpv = self.module.effective()
            arrays["lsa.wkq"], arrays["lsa.wpv"] = wkq.detach().numpy().copy(), wpv.detach().numpy().copy()
        return arrays


def _icl_task(task: Task, learner: str) -> ICLTask:
    if not isinstance(task, ICLTask):
        raise ValueError(f"learner '{learner}' handles only the task 'icl', got {type(task).__name__}")
    return task


def _train_metrics(result, tracker: Tracker) -> dict[str, float | list[float]]:
    """Curves at every evaluation (and the training loss averaged between evaluations), plus final values."""
    steps = [int(s) for s in result.history.get("eval_step", [])]
    loss = result.history["loss"]
    windows = [loss[a:b] for a, b in zip([0, *steps[:-1]], steps, strict=True)]
    metrics: dict[str, float | list[float]] = {
        "eval_step": [float(s) for s in steps],
        "loss": [float(np.mean(w)) for w in windows if w],
        "final_loss": float(np.mean(loss[-max(len(loss) // 20, 1) :])),
        "steps": float(result.stopped_at),
    }
    for name, curve in tracker.curves.items():
        metrics[name] = curve
        metrics[f"final_{name}"] = curve[-1]
    return metrics


def fit_lsa(config: LSAConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> ICLNet:
    """Train linear self-attention on query prediction ('last' mode only: an LSA token carries its own y)."""
    task = _icl_task(task, "lsa")
    if task.config.query != "last":
        raise ValueError("learner 'lsa' needs the icl task with query = 'last' (its tokens hold their own y)")
    dim = task.config.dim

    def build() -> nn.Module:
        return LSA(dim, config.layers, config.heads, config.tied, config.parametrization, config.init_scale)

    def sample(rng: np.random.Generator, step: int):
        batch = task.sample_train(config.batch_size, rng)
        return tokens_of(batch.xs, batch.ys), torch.as_tensor(batch.ys[:, -1], dtype=torch.float32)

    def loss_fn(model: Callable, batch, step: int) -> torch.Tensor:
        tokens, targets = batch
        return 0.5 * ((model(tokens) - targets) ** 2).mean()

    tracker = Tracker(task, config.eval_sequences, _lsa_answer(resolve_device(config.device)))
    result = train(build, seed, sample, loss_fn, config, progress, tracker)
    width, n = dim + 1, task.config.points - 1
    compute = config.layers * config.heads * (n * width**2 + 2 * width**3 + (n + 1) * width**2)
    return ICLNet(result.module, "lsa", task.config.query, float(compute), _train_metrics(result, tracker))


def fit_gpt(config: GPTConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> ICLNet:
    """Train the small transformer on every position ('all') or on the last one ('last')."""
    task = _icl_task(task, "gpt")
    dim, points, query = task.config.dim, task.config.points, task.config.query

    def build() -> nn.Module:
        return GPT(dim, points, config.d_model, config.layers, config.heads, config.mlp_ratio)

    def sample(rng: np.random.Generator, step: int):
        batch = task.sample_train(config.batch_size, rng)
        return tuple(torch.as_tensor(a, dtype=torch.float32) for a in (batch.xs, batch.ys))

    def loss_fn(model: Callable, batch, step: int) -> torch.Tensor:
        xs, ys = batch
        out = model(xs, ys)
        if query == "last":
            return 0.5 * ((out[:, -1] - ys[:, -1]) ** 2).mean()
        return 0.5 * ((out - ys) ** 2).mean()

    tracker = Tracker(task, config.eval_sequences, _gpt_answer(query, resolve_device(config.device)))
    result = train(build, seed, sample, loss_fn, config, progress, tracker)
    params = sum(p.numel() for p in result.module.parameters())
    tokens = 2 * points
    compute = 2 * params * tokens + 2 * config.layers * tokens**2 * config.d_model
    return ICLNet(result.module, "gpt", query, float(compute), _train_metrics(result, tracker))
