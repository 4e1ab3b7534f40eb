"""The one training loop for every torch model: AdamW, a learning-rate schedule, clipping, a NaN guard, early stop.

Task-agnostic. A caller supplies
- `build()`: constructs the module; it is called under `torch.manual_seed` derived from each seed, so a plain
  `nn.Module.__init__` is a seeded init;
- `sample(rng, step)`: a training batch (a tensor, or a tuple/dict of tensors) drawn with the member's own numpy
  generator; pass one sampler per seed to `train_many` when each seed has its own data (its own task's pool);
- `loss_fn(model, batch, step)`: a scalar loss tensor, or `(loss, {name: scalar tensor})` for extra per-step curves.
  `model` is a callable with the module's forward signature (positional and keyword arguments). Randomness that
  the loss draws itself (such as a random iteration count) must be the same for every seed of an ensemble, so derive
  it from `step`, never from the data generator.

`train` fits one seed. `train_many` fits several seeds of the same architecture: with `torch.func` (stacked
parameters, `functional_call`, `vmap`) when the module allows it, else one after another. Both paths use the same
AdamW update, per-member clipping and per-member early stop, so they give the same numbers up to float rounding.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from torch.utils._pytree import tree_map

from mesaopt.learners.base import Progress, no_progress
from mesaopt.limits import MAX_BATCH, bounded
from mesaopt.tasks.base import derive

Batch = Any
Sampler = Callable[[np.random.Generator, int], Batch]
LossFn = Callable[[Callable[..., Any], Batch, int], "torch.Tensor | tuple[torch.Tensor, Mapping[str, torch.Tensor]]"]
Evaluate = Callable[[Callable[..., Any]], float]

CLIP_EPS = 1e-6
"""Added to the gradient norm before dividing, as torch's clip_grad_norm_ does."""


class TrainingDiverged(FloatingPointError):
    """The loss or the gradient became NaN or infinite; the run is recorded as failed with this message."""


class SGDConfig(BaseModel):
    """Every knob of the training loop, shared by all neural learners."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: int = Field(default=1000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(
        default=64, ge=1, le=MAX_BATCH, description=bounded("instances per step and per seed", MAX_BATCH)
    )
    lr: float = Field(default=1e-3, gt=0, description="peak learning rate of AdamW")
    schedule: Literal["constant", "cosine", "linear"] = Field(default="cosine", description="decay after warmup")
    warmup: int = Field(default=0, ge=0, description="steps of linear warmup from 0 to lr")
    weight_decay: float = Field(default=0.0, ge=0, description="AdamW decoupled weight decay")
    l1: float = Field(default=0.0, ge=0, description="L1 penalty on all parameters, added to the loss")
    grad_clip: float | None = Field(default=1.0, gt=0, description="max global gradient norm per seed; None: off")
    patience: int | None = Field(
        default=None, ge=1, description="early stop after this many evaluations without improvement; None: off"
    )
    min_delta: float = Field(default=1e-4, ge=0, description="relative improvement that counts for early stop")
    eval_every: int = Field(default=50, ge=1, description="steps between plateau checks (and `evaluate` calls)")
    device: Literal["cpu", "cuda", "auto"] = Field(default="cpu", description="auto: cuda when available")
    ensemble: Literal["auto", "vmap", "sequential"] = Field(
        default="auto", description="how train_many fits several seeds; auto: vmap where the model allows"
    )


@dataclass
class TrainResult:
    """A trained module and its per-step history (lists keyed by curve name)."""

    module: nn.Module
    history: dict[str, list[float]] = field(default_factory=dict)
    stopped_at: int = 0
    method: str = "sequential"


def resolve_device(name: str) -> torch.device:
    """The torch device for a config's `device` value."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("sgd: device 'cuda' requested but torch sees no CUDA device; use 'cpu' or 'auto'")
    return torch.device(name)


def lr_factor(config: SGDConfig, step: int) -> float:
    """Multiplier of the peak learning rate at a 0-based step: linear warmup, then the chosen decay."""
    if step < config.warmup:
        return (step + 1) / config.warmup
    if config.schedule == "constant":
        return 1.0
    span = max(config.steps - config.warmup, 1)
    progress = min((step - config.warmup) / span, 1.0)
    if config.schedule == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def seeded_module(build: Callable[[], nn.Module], seed: np.random.SeedSequence) -> nn.Module:
    """Construct a module with torch's global generator seeded from `seed`, leaving the global state untouched."""
    torch_seed = int(derive(seed, "init").generate_state(1, dtype=np.uint64)[0] % (2**63))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(torch_seed)
        return build()


def supports_vmap(module: nn.Module) -> bool:
    """Whether a module may be trained as a vmap ensemble; a module opts out with `supports_vmap = False`."""
    return bool(getattr(module, "supports_vmap", True))


def _split_loss(out: Any) -> tuple[torch.Tensor, Mapping[str, torch.Tensor]]:
    if isinstance(out, tuple):
        return out[0], out[1]
    return out, {}


def _to_device(batch: Batch, device: torch.device) -> Batch:
    return tree_map(lambda x: x.to(device) if isinstance(x, torch.Tensor) else x, batch)


class _Ensemble:
    """Parameters of M members stacked on a leading axis, trained together or one at a time."""

    def __init__(self, modules: list[nn.Module], use_vmap: bool, device: torch.device) -> None:
        self.modules = [m.to(device) for m in modules]
        self.use_vmap = use_vmap
        self.base = self.modules[0]
        if use_vmap:
            params, buffers = stack_module_state(self.modules)
            self.params = {k: v.detach().requires_grad_(True) for k, v in params.items()}
            self.buffers = buffers
        else:
            self.params = {}
            self.buffers = {}

    def member_call(self, index: int) -> Callable[..., Any]:
        """A forward callable for one member, usable for evaluation."""
        if not self.use_vmap:
            return self.modules[index]
        params = {k: v[index].detach() for k, v in self.params.items()}
        buffers = {k: v[index] for k, v in self.buffers.items()}
        return lambda *a, **kw: functional_call(self.base, (params, buffers), a, kw)

    def write_back(self) -> None:
        """Copy stacked parameters into the member modules."""
        if not self.use_vmap:
            return
        with torch.no_grad():
            for i, module in enumerate(self.modules):
                for name, p in module.named_parameters():
                    p.copy_(self.params[name][i])


def _l1(params: Mapping[str, torch.Tensor]) -> torch.Tensor:
    return sum(p.abs().sum() for p in params.values())


def _clip_(grads: list[torch.Tensor], max_norm: float, stacked: bool) -> torch.Tensor:
    """Scale gradients in place so each member's global norm is at most max_norm; return the norms before."""
    if stacked:
        sq = sum(g.pow(2).reshape(g.shape[0], -1).sum(dim=1) for g in grads)
    else:
        sq = sum(g.pow(2).sum() for g in grads).reshape(1)
    norm = sq.sqrt()
    if max_norm is not None:
        coef = (max_norm / (norm + CLIP_EPS)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.reshape(-1, *([1] * (g.dim() - 1))) if stacked else coef[0])
    return norm


class _Plateau:
    """Per-member early stop: stop after `patience` checks without a relative improvement of `min_delta`."""

    def __init__(self, config: SGDConfig) -> None:
        self.config = config
        self.best = math.inf
        self.bad = 0

    def update(self, value: float) -> bool:
        """Record a monitored value (lower is better); True when the member should stop."""
        if value < self.best - self.config.min_delta * abs(self.best if math.isfinite(self.best) else value):
            self.best, self.bad = value, 0
        else:
            self.bad += 1
        return self.config.patience is not None and self.bad >= self.config.patience


def _fit_group(
    modules: list[nn.Module],
    seeds: list[np.random.SeedSequence],
    samplers: Sequence[Sampler],
    loss_fn: LossFn,
    config: SGDConfig,
    progress: Progress,
    evaluate: Evaluate | None,
    use_vmap: bool,
) -> list[TrainResult]:
    """Train modules in lockstep (vmap) or a single module (sequential, len 1)."""
    device = resolve_device(config.device)
    ens = _Ensemble(modules, use_vmap, device)
    size = len(modules)
    rngs = [np.random.default_rng(derive(s, "data")) for s in seeds]
    leaves = list(ens.params.values()) if use_vmap else [p for p in ens.base.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(leaves, lr=config.lr, weight_decay=config.weight_decay, foreach=False)
    histories: list[dict[str, list[float]]] = [{} for _ in range(size)]
    plateaus = [_Plateau(config) for _ in range(size)]
    stopped: list[int | None] = [None] * size
    frozen: list[dict[str, torch.Tensor] | None] = [None] * size
    window: list[list[float]] = [[] for _ in range(size)]

    def member_loss(params, buffers, batch, step):
        out = loss_fn(lambda *a, **kw: functional_call(ens.base, (params, buffers), a, kw), batch, step)
        loss, extras = _split_loss(out)
        total = loss + config.l1 * _l1(params) if config.l1 else loss
        return total, (loss, dict(extras))

    for step in range(config.steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr * lr_factor(config, step)
        batches = [_to_device(samplers[i](rngs[i], step), device) for i in range(size)]
        if use_vmap:
            stacked = (
                tree_map(lambda *xs: torch.stack(xs), *batches)
                if size > 1
                else tree_map(lambda x: x.unsqueeze(0), batches[0])
            )
            totals, (losses, extras) = vmap(member_loss, in_dims=(0, 0, 0, None))(
                ens.params, ens.buffers, stacked, step
            )
        else:
            params = dict(ens.base.named_parameters())
            total, (loss, extra) = member_loss(params, dict(ens.base.named_buffers()), batches[0], step)
            totals, losses = total.reshape(1), loss.reshape(1)
            extras = {k: v.reshape(1) for k, v in extra.items()}
        optimizer.zero_grad(set_to_none=False)
        totals.sum().backward()
        for p in leaves:
            if p.grad is None:  # unused in this step's graph (e.g. a layer run only without grad)
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in leaves]
        with torch.no_grad():
            norms = _clip_(grads, config.grad_clip, stacked=use_vmap)
        loss_values = losses.detach().cpu().numpy().astype(np.float64)
        norm_values = norms.detach().cpu().numpy().astype(np.float64)
        for i in range(size):
            if stopped[i] is not None:
                continue
            if not (math.isfinite(loss_values[i]) and math.isfinite(norm_values[i])):
                what = "loss" if not math.isfinite(loss_values[i]) else "gradient norm"
                raise TrainingDiverged(
                    f"sgd: {what} is {loss_values[i] if what == 'loss' else norm_values[i]} at step {step} "
                    f"(seed {seeds[i].entropy}); lower lr, raise warmup or set grad_clip"
                )
            hist = histories[i]
            hist.setdefault("loss", []).append(float(loss_values[i]))
            hist.setdefault("grad_norm", []).append(float(norm_values[i]))
            hist.setdefault("lr", []).append(config.lr * lr_factor(config, step))
            for name, value in extras.items():
                hist.setdefault(name, []).append(float(value[i].detach().cpu()))
            window[i].append(float(loss_values[i]))
        optimizer.step()
        done_step = step + 1
        if done_step % config.eval_every == 0 or done_step == config.steps:
            for i in range(size):
                if stopped[i] is not None:
                    continue
                if evaluate is not None:
                    monitor = float(evaluate(ens.member_call(i)))
                    histories[i].setdefault("eval", []).append(monitor)
                    histories[i].setdefault("eval_step", []).append(float(done_step))
                else:
                    monitor = float(np.mean(window[i])) if window[i] else math.inf
                window[i] = []
                if plateaus[i].update(monitor) and done_step < config.steps:
                    stopped[i] = done_step
                    if use_vmap:
                        frozen[i] = {k: v[i].detach().clone() for k, v in ens.params.items()}
        progress(done_step, config.steps)
        if all(s is not None for s in stopped):
            break
    if use_vmap:
        with torch.no_grad():
            for i, snapshot in enumerate(frozen):
                if snapshot is not None:
                    for k, v in snapshot.items():
                        ens.params[k][i].copy_(v)
    ens.write_back()
    method = "vmap" if use_vmap else "sequential"
    results = []
    for i, module in enumerate(ens.modules):
        module.requires_grad_(False)
        results.append(TrainResult(module.cpu(), histories[i], stopped[i] or done_step, method))
    if done_step < config.steps:
        progress(config.steps, config.steps)
    return results


def train(
    build: Callable[[], nn.Module],
    seed: np.random.SeedSequence,
    sample: Sampler,
    loss_fn: LossFn,
    config: SGDConfig,
    progress: Progress = no_progress,
    evaluate: Evaluate | None = None,
) -> TrainResult:
    """Fit one seeded module with AdamW; raise TrainingDiverged on a NaN loss or gradient."""
    module = seeded_module(build, seed)
    return _fit_group([module], [seed], [sample], loss_fn, config, progress, evaluate, use_vmap=False)[0]


def train_many(
    build: Callable[[], nn.Module],
    seeds: list[np.random.SeedSequence],
    sample: Sampler | Sequence[Sampler],
    loss_fn: LossFn,
    config: SGDConfig,
    progress: Progress = no_progress,
    evaluate: Evaluate | None = None,
) -> list[TrainResult]:
    """Fit one module per seed: together with vmap where allowed (config.ensemble), else one after another.

    `sample` is one sampler for all seeds or a list with one per seed. Each member's result equals what `train`
    gives for its seed alone, up to float rounding.
    """
    samplers = list(sample) if isinstance(sample, Sequence) else [sample] * len(seeds)
    if len(samplers) != len(seeds):
        raise ValueError(f"sgd: {len(samplers)} samplers for {len(seeds)} seeds")
    modules = [seeded_module(build, s) for s in seeds]
    use_vmap = config.ensemble == "vmap" or (
        config.ensemble == "auto" and len(modules) > 1 and all(supports_vmap(m) for m in modules)
    )
    if config.ensemble == "vmap" and not all(supports_vmap(m) for m in modules):
        raise ValueError(f"sgd: ensemble='vmap' but {type(modules[0]).__name__} does not support vmap")
    if use_vmap:
        return _fit_group(modules, seeds, samplers, loss_fn, config, progress, evaluate, use_vmap=True)
    results = []
    total = config.steps * len(seeds)
    for i, (module, seed, sampler) in enumerate(zip(modules, seeds, samplers, strict=True)):
        offset = i * config.steps

        def member_progress(step: int, _total: int, offset: int = offset) -> None:
            progress(offset + step, total)

        results.extend(
            _fit_group([module], [seed], [sampler], loss_fn, config, member_progress, evaluate, use_vmap=False)
        )
    return results
