"""Video predictors: a fixed-depth CNN, the recurrent net and a small transformer, trained to predict an agent.

Each net reads the first k frames (`tasks.video.window_inputs`) and gives h logits per grid position; the loss is the
cross-entropy of the agent's true position at each of the h future steps over the cell positions, through the one
training loop (`sgd.train`). A longer horizon is predicted by rolling out: the predicted positions become the newest
frames of the next window (the goal stays the one last shown). Every `eval_every` steps the loop's evaluation hook
records, on fixed novel episodes, the first-step accuracy (the shallow part), the exact h-step trajectory, the exact
long-horizon trajectory, and the goal and plan probes of the last hidden state minus the same probes on the net at
its initialization: `train.*` curves over training.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from mesaopt.learners.base import Progress
from mesaopt.learners.models.video import VideoCNN, VideoRecurrent, VideoTransformer
from mesaopt.learners.neural import ponder_objective, progressive_counts
from mesaopt.learners.sgd import seeded_module, train
from mesaopt.learners.video_config import (
    VideoNetConfig,
)
from mesaopt.tasks.base import Task
from mesaopt.tasks.video import FIXED_CHANNELS, VideoBatch, VideoTask, step_accuracy, window_inputs

BITS_PER_PARAMETER = 32
"""size_bits counts every trained parameter as one float32."""

WEIGHT_RESOLUTION = 1e-2
"""Step to which `description_bits` rounds each weight: finer than the weights' typical spread (0.1 to 1), coarse
enough that weight decay or L1 pushing a weight near zero shortens its code."""

SOLVE_CHUNK = 256
"""Episodes per forward pass when predicting."""

HOOK_PREFIX = {"video_cnn": "layer", "video_recurrent": "recur", "video_transformer": "block"}


def build_video_model(kind: str, config: VideoNetConfig, context: int, horizon: int) -> Callable[[], nn.Module]:
    """A constructor for a predictor's module (called under a seeded torch generator)."""
    channels = FIXED_CHANNELS + context
    if kind == "video_cnn":
        return lambda: VideoCNN(channels, horizon, config.width, config.depth)
    if kind == "video_recurrent":
        return lambda: VideoRecurrent(
            channels,
            horizon,
            config.width,
            config.depth,
            config.iterations,
            config.cell,
            config.open_only,
            config.ponder_cost is not None,
        )
    if kind == "video_transformer":
        return lambda: VideoTransformer(channels, horizon, config.width, config.depth, config.heads)
    raise ValueError(f"unknown video predictor {kind!r}")


def masked_logits(logits: torch.Tensor) -> torch.Tensor:
    """(B, h, H, W) -> (B, h, H*W) with every position that is not a cell at -inf."""
    height, width = logits.shape[-2:]
    rows, cols = torch.arange(height)[:, None], torch.arange(width)[None, :]
    cells = ((rows % 2 == 1) & (cols % 2 == 1)).reshape(-1)
    flat = logits.flatten(2)
    return flat.masked_fill(~cells, float("-inf"))


def rollout(model: Callable[..., Any], batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
    """Predicted positions (B, batch.horizon): each window's predictions become the next window's newest frames."""
    open_, goal = batch.grids[:, 0], batch.goals[:, batch.context - 1]
    seen = [batch.positions[:, : batch.context]]
    made = 0
    kwargs = {} if iterations is None else {"iterations": iterations}
    while made < batch.horizon:
        recent = np.concatenate(seen, axis=1)[:, -batch.context :]
        x = torch.from_numpy(window_inputs(open_, goal, recent, batch.goal_shown)).float()
        with torch.no_grad():
            step = masked_logits(model(x, **kwargs)).argmax(dim=-1).numpy()
        seen.append(step)
        made += step.shape[1]
    return np.concatenate(seen[1:], axis=1)[:, : batch.horizon]


def description_bits(module: nn.Module) -> float:
    """Bits of a prefix code of the weights rounded to WEIGHT_RESOLUTION: an Elias-gamma code of n = |w|/step + 1
    and a sign bit per nonzero n - 1, so weights at zero cost one bit and large weights cost more."""
    total = 0.0
    for p in module.parameters():
        n = np.rint(np.abs(p.detach().numpy().astype(np.float64)) / WEIGHT_RESOLUTION) + 1
        total += float((2 * np.floor(np.log2(n)) + 1 + (n > 1)).sum())
    return total


class Tracker:
    """Fixed novel episodes (training horizon and long horizon) and the curves measured on them over training."""

    def __init__(self, task: VideoTask, count: int, initial: nn.Module) -> None:
        from mesaopt.detectors.video_probe import last_state, probe_scores

        self._probe, self._last = probe_scores, last_state
        self.novel = task.novel(count)
        self.long = task.long(count)
        self.rng = task.generator("video_tracker")
        self.base = self._probes(initial)
        self.curves: dict[str, list[float]] = {}

    def _probes(self, model: Callable[..., Any]) -> dict[str, float]:
        x = torch.from_numpy(self.novel.inputs).float()
        with torch.no_grad():
            state = self._last({str(i): s.numpy() for i, s in enumerate(model(x, output="states"))})
        return self._probe(state, self.novel, np.random.default_rng(0))

    def __call__(self, model: Callable[..., Any]) -> float:
        """Record the curves; return one minus the exact novel-trajectory rate (the plateau monitor)."""
        short = rollout(model, self.novel)
        exact = float((short == self.novel.targets).all(axis=1).mean())
        self._add("first_step", float(step_accuracy(self.novel, short)[0]))
        self._add("novel_exact", exact)
        self._add("long_exact", float((rollout(model, self.long) == self.long.targets).all(axis=1).mean()))
        probes = self._probes(model)
        for name in ("goal", "plan"):
            self._add(f"{name}_probe", probes[name] - max(self.base[name], probes[f"{name}_shuffled"]))
        return 1.0 - exact

    def _add(self, name: str, value: float) -> None:
        self.curves.setdefault(name, []).append(value)


class VideoPredictor:
    """A trained video predictor as a LearnedAlgorithm: `solve` gives the agent's next positions (B, horizon)."""

    def __init__(
        self, kind: str, module: nn.Module, initial: nn.Module, shape: tuple[int, ...], metrics: dict[str, Any]
    ) -> None:
        self.kind, self.module, self._initial = kind, module.eval(), initial
        self.shape = shape
        self.train_metrics = metrics
        self.default_iterations: int | None = getattr(module, "default_iterations", None)

    def untrained(self) -> VideoPredictor:
        """The same architecture at its initialization (the probes' control)."""
        return VideoPredictor(self.kind, copy.deepcopy(self._initial), self._initial, self.shape, {})

    def _iterations(self, iterations: int | None) -> int | None:
        return None if self.default_iterations is None else iterations

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        parts = [
            rollout(
                self.module, batch.take(np.arange(lo, min(lo + SOLVE_CHUNK, len(batch)))), self._iterations(iterations)
            )
            for lo in range(0, len(batch), SOLVE_CHUNK)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, batch.horizon), dtype=np.int64)

    def hidden_states(self, batch: VideoBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """The activations on the first window, after each layer, block or iteration, (B, C, H, W)."""
        kwargs = {} if self._iterations(iterations) is None else {"iterations": iterations}
        with torch.no_grad():
            states = self.module(torch.from_numpy(batch.inputs).float(), output="states", **kwargs)
        return {f"{HOOK_PREFIX[self.kind]}.{i}": s.numpy() for i, s in enumerate(states)}

    def size_bits(self) -> float:
        return float(BITS_PER_PARAMETER * sum(p.numel() for p in self.module.parameters()))

    def compute_per_call(self) -> float:
        """Multiply-accumulates for one window of the training maze size at the default iterations."""
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            self.module(torch.zeros((1, *self.shape)))
        return float(max(counter.get_total_flops() / 2, 1))

    def describe(self) -> str:
        params = sum(p.numel() for p in self.module.parameters())
        return f"video predictor: {self.module.describe()}; {params} trained parameters"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {k: v.detach().numpy().copy() for k, v in self.module.state_dict().items()}


def _ponder_loss(model: Callable[..., Any], x: torch.Tensor, y: torch.Tensor, cost: float, steps: int):
    """The maze nets' learned-halting objective (`neural.ponder_objective`) on the video cross-entropy per step."""
    logits, halts = model(x, output="ponder")
    flat = masked_logits(logits.flatten(0, 1)).reshape(steps, len(x), y.shape[1], -1)
    per_step = F.cross_entropy(flat.permute(0, 1, 3, 2).flatten(0, 1), y.repeat(steps, 1), reduction="none")
    loss, expected = ponder_objective(halts, per_step.reshape(steps, len(x), -1).mean(dim=2), cost)
    exact = (flat[-1].argmax(dim=-1) == y).all(dim=1).float().mean()
    return loss, {"exact": exact, "expected_steps": expected}


def _loss(kind: str, config: VideoNetConfig):
    """Cross-entropy of the true future positions; the recurrent net with the maze nets' progressive loss (its
    prefix drawn below a bound that grows to horizon x T: `neural.progressive_counts`) or with learned halting and
    its cost per step, when asked."""
    ponder = kind == "video_recurrent" and config.ponder_cost is not None
    progressive = kind == "video_recurrent" and config.progressive and not ponder

    def loss_fn(model: Callable[..., Any], batch, step: int):
        x, y = batch
        if ponder:
            return _ponder_loss(model, x, y, config.ponder_cost, config.iterations)
        if progressive:
            n, k = progressive_counts(config, step)
            if n == 0:
                logits = model(x, iterations=k)
            else:
                with torch.no_grad():
                    h = model(x, iterations=n, output="state")
                logits = model(x, iterations=k, state=h.detach())
        else:
            logits = model(x)
        flat = masked_logits(logits)
        loss = F.cross_entropy(flat.reshape(-1, flat.shape[-1]), y.reshape(-1))
        exact = (flat.argmax(dim=-1) == y).all(dim=1).float().mean()
        return loss, {"exact": exact}

    return loss_fn


def _summary(result, tracker: Tracker, module: nn.Module) -> dict[str, Any]:
    """Curves at every evaluation and their final values, the loss, and the weights' description length."""
    loss = result.history["loss"]
    out: dict[str, Any] = {
        "eval_step": result.history.get("eval_step", []),
        "final_loss": float(np.mean(loss[-10:])),
        "final_exact": float(np.mean(result.history["exact"][-10:])),
        "steps_run": float(result.stopped_at),
        "description_bits": description_bits(module),
    }
    if "expected_steps" in result.history:
        out["expected_steps"] = float(np.mean(result.history["expected_steps"][-10:]))
    for name, curve in tracker.curves.items():
        out[name] = curve
        out[f"final_{name}"] = curve[-1]
    return out


def fit_video(
    kind: str, config: VideoNetConfig, task: Task, seed: np.random.SeedSequence, progress: Progress
) -> VideoPredictor:
    """Train one video predictor on a video task."""
    if not isinstance(task, VideoTask):
        raise ValueError(f"learner '{kind}' handles only the task 'video', got {type(task).__name__}")
    build = build_video_model(kind, config, task.config.context, task.config.horizon)

    def sample(rng: np.random.Generator, step: int):
        batch = task.sample_train(config.batch_size, rng)
        return torch.from_numpy(batch.inputs).float(), torch.from_numpy(batch.targets)

    initial = seeded_module(build, seed)
    tracker = Tracker(task, config.eval_episodes, initial)
    result = train(build, seed, sample, _loss(kind, config), config, progress, tracker)
    shape = tracker.novel.inputs.shape[1:]
    return VideoPredictor(kind, result.module, initial, shape, _summary(result, tracker, result.module))


def fitter(kind: str) -> Callable[[VideoNetConfig, Task, np.random.SeedSequence, Progress], VideoPredictor]:
    """The registry's fit function for a video predictor."""

    def fit(config: VideoNetConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> VideoPredictor:
        return fit_video(kind, config, task, seed, progress)

    return fit
