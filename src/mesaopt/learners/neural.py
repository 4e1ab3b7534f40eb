"""Neural learners on mazes: configs, fit functions (one seed or a group of seeds) and the LearnedAlgorithm wrapper.

Every network maps a batch of grids (B,3,H,W) to per-cell path logits (B,H,W) and is trained with per-cell binary
cross-entropy against the shortest-path mask through the one training loop (`sgd.py`). The answer is the logit
map thresholded at 0.
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

from mesaopt.learners.base import Progress, no_progress
from mesaopt.learners.config import NETWORKS, NeuralConfig
from mesaopt.learners.lookup import hamming_distances
from mesaopt.learners.models.planner import ValueIterationPlanner
from mesaopt.learners.models.recurrent import RecurrentNet, halting_step
from mesaopt.learners.sgd import TrainResult, seeded_module, train_many
from mesaopt.tasks.base import Task
from mesaopt.tasks.maze_grid import MazeBatch

BITS_PER_PARAMETER = 32
"""size_bits counts every trained parameter as one float32."""

PROGRESSIVE_STREAM = 0x5EED
"""Seeds the per-step draw of progressive-loss iteration counts; the same for every seed of a run group."""

STATE_STREAM = 0x57A7E
"""Seeds the per-step draw of whether a stateful net's memory is wiped before the batch (the same for every seed)."""

STATE_RESET = 0.5
"""Chance that a stateful net starts a training batch from a wiped memory (its own embedding of the maze) rather
than the state carried from the previous batch. At test the first batch a solver meets has no predecessor, so the
net must know both starts; half and half trains it on each equally, fixed before any run was looked at."""

SOLVE_CHUNK = 256
"""Instances per forward pass when solving, to bound memory on large evaluation sets."""


def as_input(grids: np.ndarray) -> torch.Tensor:
    """uint8 grids (B,3,H,W) -> float tensor."""
    return torch.from_numpy(np.ascontiguousarray(grids)).float()


def grid_shape(task: Task, seed: np.random.SeedSequence) -> tuple[int, int]:
    """(H, W) of the task's training grids."""
    pool = task.train_pool()
    sample = pool if pool is not None else task.sample_train(1, np.random.default_rng(seed))
    return tuple(np.asarray(sample.inputs).shape[-2:])


def build_model(kind: str, config: NeuralConfig, shape: tuple[int, int], entries: int = 0) -> Callable[[], nn.Module]:
    """A constructor for the learner's module (called under a seeded torch generator): the config builds it."""
    if config.kind != kind:
        raise ValueError(f"neural learner {kind!r} got a {type(config).__name__} (a {config.kind or 'no'} network)")
    return config.network(shape, entries)


def _bce(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, target)


def exact_rate(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Fraction of instances whose thresholded logits match the target on every cell."""
    return ((logits > 0) == (target > 0.5)).flatten(1).all(dim=1).float().mean()


def ponder_objective(halts: torch.Tensor, per_step: torch.Tensor, cost: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Expected per-step loss (T, B) under the halting distribution of the logits `halts` (T, B), plus `cost` times
    the expected number of steps over T; and that expected number (the learned-halting loss of every recurrent net)."""
    steps = halts.shape[0]
    lam = torch.sigmoid(halts)
    keep = torch.cumprod(torch.cat([torch.ones_like(lam[:1]), 1 - lam[:-1]]), dim=0)
    stop = keep * lam
    stop = torch.cat([stop[:-1], keep[-1:]])  # the last step takes whatever probability is left
    expected_steps = (stop * torch.arange(1, steps + 1, dtype=stop.dtype)[:, None]).sum(dim=0).mean()
    return (stop * per_step).sum(dim=0).mean() + cost * expected_steps / steps, expected_steps


def _ponder_loss(model, x: torch.Tensor, y: torch.Tensor, cost: float):
    """Expected loss under the learned halting distribution plus `cost` times the expected number of steps."""
    logits, halts = model(x, output="ponder")
    per_step = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none").mean(dim=(2, 3))
    loss, expected_steps = ponder_objective(halts, per_step, cost)
    return loss, {"expected_steps": expected_steps, "exact": exact_rate(logits[-1], y)}


def prefix_bound(config: NeuralConfig, step: int) -> int:
    """Exclusive bound on the progressive loss's no-grad prefix n at this optimizer step.

    T for the first `horizon_start` of training, then growing linearly to horizon*T at the last step. Past T the
    loss asks a net that has (nearly) finished to keep its answer: k = 1 step with grad after n >= T - 1.
    """
    total = config.iterations
    horizon = getattr(config, "horizon", 1.0)
    start = getattr(config, "horizon_start", 0.0)
    grown = max(0.0, (step / config.steps - start) / (1 - start))
    return int(total + grown * (horizon - 1) * total)


def progressive_counts(config: NeuralConfig, step: int) -> tuple[int, int]:
    """The progressive loss's draw at this step: n iterations without grad, then k in [1, T - n] with grad."""
    total = config.iterations
    rng = np.random.default_rng([PROGRESSIVE_STREAM, step])
    n = int(rng.integers(0, prefix_bound(config, step)))
    return n, int(rng.integers(1, total - min(n, total - 1) + 1))


def make_loss(config: NeuralConfig):
    """The loss function for sgd: per-cell BCE, with the variants the config's LossPlan asks for (progressive,
    ponder, stateful, deep supervision)."""
    plan = config.loss_plan()
    progressive, stateful, deep = plan.progressive, plan.stateful, plan.deep
    ponder = plan.ponder_cost is not None
    carry: dict[str, torch.Tensor] = {}

    def loss_fn(model, batch, step):
        x, y = batch
        if ponder:
            return _ponder_loss(model, x, y, plan.ponder_cost)
        if stateful:
            if step == 0:  # a new member of a group fitted one after another starts with no memory
                carry.clear()
            previous = carry.get("h")
            wiped = np.random.default_rng([STATE_STREAM, step]).random() < STATE_RESET
            fits = previous is not None and previous.shape[0] == x.shape[0] and previous.shape[2:] == x.shape[2:]
            state = previous if fits and not wiped else None
            n, k = progressive_counts(config, step) if progressive else (0, config.iterations)
            if progressive:
                with torch.no_grad():
                    state = model(x, iterations=n, state=state, output="state").detach()
            h = model(x, iterations=k, state=state, start=n, output="state")
            carry["h"] = RecurrentNet.carry(h)
            logits = model(x, iterations=0, state=h)
        elif deep:  # replaces the progressive loss: every late read-out is trained
            states = model(x, output="states")
            late = torch.stack([model(x, iterations=0, state=h) for h in states[len(states) // 2 :]])
            return _bce(late, y.expand_as(late)), {"exact": exact_rate(late[-1], y)}
        elif progressive:
            n, k = progressive_counts(config, step)
            with torch.no_grad():
                h = model(x, iterations=n, output="state")
            logits = model(x, iterations=k, state=h.detach(), start=n)
        else:
            logits = model(x)
        return _bce(logits, y), {"exact": exact_rate(logits, y)}

    return loss_fn


class NeuralSolver:
    """A trained network as a LearnedAlgorithm: the path is the cells whose logit is positive."""

    def __init__(
        self,
        kind: str,
        module: nn.Module,
        initial: nn.Module,
        train_shape: tuple[int, int],
        train_metrics: dict[str, Any] | None = None,
        keys: np.ndarray | None = None,
        stateful_chunk: int | None = None,
    ) -> None:
        self.kind = kind
        network = NETWORKS[kind]
        self.fixed_shape, self.hook_prefix = network.fixed_shape, network.hook_prefix
        self.module = module.eval()
        self._initial = initial
        self.train_shape = train_shape
        self.train_metrics = train_metrics or {}
        self.keys = keys
        self.stateful_chunk = stateful_chunk
        self.default_iterations: int | None = getattr(module, "default_iterations", None)

    def untrained(self) -> NeuralSolver:
        """The same architecture at its initialization (for probe controls)."""
        return NeuralSolver(
            self.kind, copy.deepcopy(self._initial), self._initial, self.train_shape, {}, self.keys, self.stateful_chunk
        )

    def trained_instances(self) -> MazeBatch | None:
        """The mazes of the tabular net's rows (its own sample when the pool is infinite); None for other nets."""
        return None if self.keys is None else MazeBatch(self.keys)

    def _inputs(self, grids: np.ndarray) -> torch.Tensor:
        if self.keys is None:
            return as_input(grids)
        return torch.from_numpy(hamming_distances(grids, self.keys).argmin(axis=1))

    def _fits(self, grids: np.ndarray) -> bool:
        return not self.fixed_shape or tuple(grids.shape[-2:]) == self.train_shape

    def _kwargs(self, iterations: int | None) -> dict[str, Any]:
        return {} if iterations is None or self.default_iterations is None else {"iterations": iterations}

    @torch.no_grad()
    def _logits(self, grids: np.ndarray, iterations: int | None) -> torch.Tensor:
        if getattr(self.module, "ponder", False):
            return self._ponder_logits(grids, iterations)
        chunk = self.stateful_chunk or SOLVE_CHUNK
        out, state = [], None
        for lo in range(0, len(grids), chunk):
            x = self._inputs(grids[lo : lo + chunk])
            if self.stateful_chunk:
                h = self.module(
                    x, state=None if state is None else state[: len(x)], output="state", **self._kwargs(iterations)
                )
                state = RecurrentNet.carry(h)
                out.append(self.module.readout(h))
            else:
                out.append(self.module(x, **self._kwargs(iterations)))
        return torch.cat(out)

    def _ponder_logits(self, grids: np.ndarray, iterations: int | None) -> torch.Tensor:
        """Each instance answers at the first step where its probability of having halted reaches one half."""
        out = []
        for lo in range(0, len(grids), SOLVE_CHUNK):
            logits, halts = self.module(
                self._inputs(grids[lo : lo + SOLVE_CHUNK]), output="ponder", **self._kwargs(iterations)
            )
            step = halting_step(halts)
            out.append(logits[step, torch.arange(logits.shape[1])])
        return torch.cat(out)

    def logits(self, batch, iterations: int | None = None) -> torch.Tensor:
        """Per-cell path logits (B,H,W) for a batch of the training grid size."""
        return self._logits(np.asarray(batch.inputs), iterations)

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = np.asarray(batch.inputs)
        if not self._fits(grids):
            return np.zeros((len(grids), *grids.shape[-2:]), dtype=bool)
        return (self._logits(grids, iterations) > 0).numpy()

    @torch.no_grad()
    def solve_at(self, batch, counts) -> list[np.ndarray]:
        """Answers after each iteration count; a plain recurrent net resumes its state between counts, chunk by chunk
        as `solve` runs, so each answer equals `solve(batch, n)`."""
        grids = np.asarray(batch.inputs)
        resumable = isinstance(self.module, RecurrentNet) and not self.module.ponder and not self.stateful_chunk
        if not resumable or not self._fits(grids):
            return [self.solve(batch, n) for n in counts]
        wanted = sorted(set(int(n) for n in counts))
        parts: dict[int, list[np.ndarray]] = {n: [] for n in wanted}
        for lo in range(0, len(grids), SOLVE_CHUNK):
            x, h, done = self._inputs(grids[lo : lo + SOLVE_CHUNK]), None, 0
            for n in wanted:
                h = self.module(x, iterations=n - done, state=h, start=done, output="state") if n > done else h
                done = max(done, n)
                parts[n].append((self.module.readout(h) > 0).numpy())
        return [np.concatenate(parts[int(n)]) for n in counts]

    @torch.no_grad()
    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        grids = np.asarray(batch.inputs)
        if not self._fits(grids):
            return {}
        states = self.module(self._inputs(grids), output="states", **self._kwargs(iterations))
        prefix = self.hook_prefix or ("recur" if self.default_iterations is not None else "layer")
        return {f"{prefix}.{i}": s.numpy() for i, s in enumerate(states)}

    def trained_parameters(self) -> int:
        return sum(p.numel() for p in self.module.parameters())

    def size_bits(self) -> float:
        """Trained parameters x 32 bits (float32); a hypernet counts only its code."""
        return float(self.trained_parameters() * BITS_PER_PARAMETER)

    def compute_per_call(self) -> float:
        """Multiply-accumulates per instance of the training grid size at the default iterations."""
        x = self._inputs(np.zeros((1, 3, *self.train_shape), dtype=np.uint8))
        counter = FlopCounterMode(display=False)
        with counter, torch.no_grad():
            self.module(x)
        macs = counter.get_total_flops() / 2
        if isinstance(self.module, ValueIterationPlanner):
            macs += 2 * 6 * self.module.iterations * self.train_shape[0] * self.train_shape[1]
        return float(max(macs, self.train_shape[0] * self.train_shape[1]))

    def describe(self) -> str:
        return f"{self.module.describe()}; {self.trained_parameters()} trained parameters"

    def artifacts(self) -> dict[str, np.ndarray]:
        """The trained state as numpy arrays; a hypernet's fixed projection is left out (it follows from the seed)."""
        return {
            k: v.detach().cpu().numpy()
            for k, v in self.module.state_dict().items()
            if not k.startswith(("theta0_", "proj_"))
        }


def train_summary(result: TrainResult) -> dict[str, Any]:
    """The training metrics of one fitted net: its loss curve, final loss and exact rate, the steps run, and
    `weight_norm`, the L2 norm of all trained parameters (what weight decay shrinks)."""
    history = result.history
    out: dict[str, Any] = {"loss": history["loss"], "final_loss": float(np.mean(history["loss"][-10:]))}
    if "exact" in history:
        out["final_exact"] = float(np.mean(history["exact"][-10:]))
    if "expected_steps" in history:
        out["expected_steps"] = float(np.mean(history["expected_steps"][-10:]))
    out["steps_run"] = float(result.stopped_at)
    out["weight_norm"] = float(torch.sqrt(sum(p.detach().pow(2).sum() for p in result.module.parameters())))
    return out


def _table_rows(task: Task, seed: np.random.SeedSequence, config: NeuralConfig):
    """The mazes the tabular net keeps a row for: the train pool, or its own sample when the pool is infinite."""
    pool = task.train_pool()
    return pool if pool is not None else task.sample_train(config.max_entries, np.random.default_rng(seed))


def restore_neural(
    kind: str, config: NeuralConfig, task: Task, seed: np.random.SeedSequence, arrays: dict[str, np.ndarray]
) -> NeuralSolver:
    """A trained network from its saved parameters (`artifacts`), built as `fit_neural_many` built it."""
    shape = grid_shape(task, seed)
    keys, entries = None, 0
    if config.stores_rows:
        keys = np.asarray(_table_rows(task, seed, config).inputs)
        entries = len(keys)
    module = seeded_module(build_model(kind, config, shape, entries), seed)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in arrays.items()}, strict=False)
    return NeuralSolver(kind, module, module, shape, keys=keys)


def fit_neural_many(
    kind: str,
    config: NeuralConfig,
    tasks: list[Task],
    seeds: list[np.random.SeedSequence],
    progress: Progress = no_progress,
) -> list[NeuralSolver]:
    """Train one network per (task, seed) pair of a run group, together where the model allows."""
    shape = grid_shape(tasks[0], seeds[0])
    keys_per_task: list[np.ndarray | None] = []
    targets_per_task: list[np.ndarray | None] = []
    entries = 0
    if config.stores_rows:
        for task, seed in zip(tasks, seeds, strict=True):
            pool = _table_rows(task, seed, config)
            keys_per_task.append(np.asarray(pool.inputs))
            targets_per_task.append(task.solutions(pool).astype(np.float32))
        entries = len(keys_per_task[0])

    def sampler(i: int):
        task = tasks[i]

        def sample(rng: np.random.Generator, step: int):
            if config.stores_rows:
                index = rng.integers(entries, size=config.batch_size)
                return torch.from_numpy(index), torch.from_numpy(targets_per_task[i][index])
            batch = task.sample_train(config.batch_size, rng)
            return as_input(np.asarray(batch.inputs)), torch.from_numpy(task.solutions(batch).astype(np.float32))

        return sample

    build = build_model(kind, config, shape, entries)
    initials = [seeded_module(build, s) for s in seeds]
    results = train_many(build, seeds, [sampler(i) for i in range(len(tasks))], make_loss(config), config, progress)
    stateful = config.loss_plan().stateful
    return [
        NeuralSolver(
            kind,
            result.module,
            initial,
            shape,
            train_summary(result),
            keys_per_task[i] if config.stores_rows else None,
            config.batch_size if stateful else None,
        )
        for i, (result, initial) in enumerate(zip(results, initials, strict=True))
    ]


def fitter(kind: str):
    """The registry's fit (one seed) and fit_many (a run group) functions for a neural learner."""

    def fit(config: NeuralConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> NeuralSolver:
        return fit_neural_many(kind, config, [task], [seed], progress)[0]

    def fit_many(
        config: NeuralConfig, tasks: list[Task], seeds: list[np.random.SeedSequence], progress: Progress
    ) -> list[NeuralSolver]:
        return fit_neural_many(kind, config, tasks, seeds, progress)

    return fit, fit_many
