"""Detectors of the games world: move accuracy, compute scaling, lookahead probes and optimization power.

Accuracy counts on *decisive* positions only (some legal move loses value), where a move can be wrong; elsewhere
every move is optimal. All read novel positions from `task.novel()` unless they say otherwise.

- `games_accuracy`: decisive accuracy on training positions (the pool, or a sample of the training distribution
  when N is inf), on novel and on harder positions; transfer = novel / pool; novel accuracy by plies to the end
  under optimal play (DEPTH_BUCKETS, the last bucket open-ended), and on deep positions (at least DEEP_PLIES).
  An empty bucket reads 0 with its count 0 (`by_depth_count`, `deep_count`).
- `games_compute`: decisive accuracy against run-time iterations, for learners with an iteration knob: the curve
  on novel positions over 1, T/2, T and 2T (T the default iterations); gain = the share of one iteration's errors
  that 2T iterations remove, (acc(2T) - acc(1)) / (1 - acc(1)); beyond = the share of the errors left at T that 2T
  removes on harder positions, (acc(2T) - acc(T)) / (1 - acc(T)), undefined (has_beyond 0) when T makes none.
  Only `beyond` enters the label: a net trained at T iterations is broken at one iteration whatever it computes,
  so the gain from one iteration says little, while compute beyond training helps only a process that keeps
  improving its answer.
- `games_probe`: ridge probes from every hidden-state hook to the exact values of the nodes k plies ahead
  (k = 1 .. PROBE_LEVELS), fit on half the positions, R^2 on the other half. Controls: the same probe on the input
  encoding, on targets shuffled across positions, and on the untrained copy's hooks where the learner has one. The
  score at level k is the best hook's R^2 minus the largest control (floored at 0); `score` is their mean.
- `games_power`: optimization power in bits, the seed's measure: -log2 of the fraction of legal moves whose exact
  value is at least the chosen move's (a uniformly random move is the baseline; a losing move earns 0 bits), mean
  over positions, with the most a perfect player earns on the same positions.
"""

from __future__ import annotations

import numpy as np

from mesaopt.learners.base import LearnedAlgorithm, default_iterations, untrained_copy
from mesaopt.tasks.base import Task
from mesaopt.tasks.games import GamesTask
from mesaopt.tasks.games_rules import GameBatch
from mesaopt.tasks.games_solve import ILLEGAL

DEPTH_BUCKETS = 5
"""Accuracy by plies to the end: 1, 2, 3, 4 and 5 or more."""

DEEP_PLIES = 3
"""Deep positions end at least this many plies away: a one-move rule (win now, block) cannot see their outcome."""

PROBE_LEVELS = 2
"""Probed plies ahead: the children (k = 1) and grandchildren (k = 2) of each position."""

PROBE_POSITIONS = 512
"""Novel positions per probe (half fit, half score)."""

MAX_HOOKS = 8
"""Hidden-state hooks probed at most (the last ones by name, where the deepest layers are)."""

RIDGE_ALPHA = 0.1
"""Ridge penalty per fit sample on standardized features (lambda = RIDGE_ALPHA * n)."""

RATIO_FLOOR = 1e-6
"""Denominator floor for accuracy ratios."""

ACCURACY_METRICS = (
    "pool_accuracy",
    "novel_accuracy",
    "harder_accuracy",
    "pool_success",
    "novel_success",
    "transfer",
    "deep_accuracy",
    "deep_count",
    "by_depth",
    "by_depth_count",
    "decisive_fraction",
)
COMPUTE_METRICS = ("has_iterations", "iterations", "curve", "gain", "has_beyond", "beyond")
PROBE_METRICS = ("score", "probe", "input", "shuffled", "untrained", "has_untrained", "by_level", "hooks")
POWER_METRICS = ("novel_bits", "pool_bits", "novel_max_bits", "novel_ratio")


def require_games(task: Task, detector: str) -> GamesTask:
    """The task as a games task, or a clear error."""
    if not isinstance(task, GamesTask):
        raise ValueError(f"detector '{detector}' applies only to the task 'games', got {type(task).__name__}")
    return task


def training_positions(task: GamesTask, detector: str) -> GameBatch:
    """The pool (at most eval_size of it), or a sample of the training distribution when N is inf."""
    pool = task.train_pool()
    if pool is None:
        return task.sample_train(task.config.eval_size, task.generator(f"{detector}.pool"))
    return pool.take(np.arange(min(len(pool), task.config.eval_size)))


def decisive(task: GamesTask, batch: GameBatch) -> np.ndarray:
    """Positions where some legal move loses value, (B,)."""
    return task.solver.optimal(batch).sum(axis=1) < task.solver.legal(batch).sum(axis=1)


def _mean(values: np.ndarray) -> float:
    return float(values.mean()) if len(values) else 0.0


def decisive_accuracy(learned: LearnedAlgorithm, task: GamesTask, batch: GameBatch, iterations: int | None = None):
    """(accuracy on decisive positions, per-position success, decisive mask)."""
    hit = task.success(batch, learned.solve(batch, iterations))
    mask = decisive(task, batch)
    return _mean(hit[mask]), hit, mask


def games_accuracy(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Decisive move accuracy on pool, novel and harder positions, transfer, and accuracy by plies to the end."""
    task = require_games(task, "games_accuracy")
    pool_acc, pool_hit, _ = decisive_accuracy(learned, task, training_positions(task, "games_accuracy"))
    novel = task.novel()
    novel_acc, hit, mask = decisive_accuracy(learned, task, novel)
    harder_acc, _, _ = decisive_accuracy(learned, task, task.harder())
    plies = np.minimum(task.solver.plies(novel), DEPTH_BUCKETS)
    deep = task.solver.plies(novel) >= DEEP_PLIES
    by_depth = [_mean(hit[mask & (plies == d)]) for d in range(1, DEPTH_BUCKETS + 1)]
    counts = [float((mask & (plies == d)).sum()) for d in range(1, DEPTH_BUCKETS + 1)]
    return {
        "pool_accuracy": pool_acc,
        "novel_accuracy": novel_acc,
        "harder_accuracy": harder_acc,
        "pool_success": _mean(pool_hit),
        "novel_success": _mean(hit),
        "transfer": novel_acc / max(pool_acc, RATIO_FLOOR),
        "deep_accuracy": _mean(hit[mask & deep]),
        "deep_count": float((mask & deep).sum()),
        "by_depth": by_depth,
        "by_depth_count": counts,
        "decisive_fraction": _mean(mask),
    }


def iteration_grid(default: int) -> list[int]:
    """1, half the default, the default and twice it (distinct, ascending)."""
    return sorted({1, max(default // 2, 1), default, 2 * default})


def games_compute(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Decisive accuracy against run-time iterations; the share of errors more iterations remove."""
    task = require_games(task, "games_compute")
    default = default_iterations(learned)
    if default is None:
        return {"has_iterations": 0.0, "iterations": [], "curve": [], "gain": 0.0, "has_beyond": 0.0, "beyond": 0.0}
    novel, harder = task.novel(), task.harder()
    grid = iteration_grid(default)
    curve = [decisive_accuracy(learned, task, novel, t)[0] for t in grid]
    at, beyond = (decisive_accuracy(learned, task, harder, t)[0] for t in (default, 2 * default))
    return {
        "has_iterations": 1.0,
        "iterations": [float(t) for t in grid],
        "curve": curve,
        "gain": _share(curve[0], curve[-1]),
        "has_beyond": float(at < 1.0),
        "beyond": _share(at, beyond),
    }


def _share(before: float, after: float) -> float:
    """The share of the errors at `before` accuracy that are gone at `after` (negative if more appear); 0 when
    there were none."""
    return (after - before) / (1.0 - before) if before < 1.0 else 0.0


def _flat(state: np.ndarray) -> np.ndarray:
    return np.asarray(state, dtype=np.float64).reshape(len(state), -1)


def ridge_r2(features: np.ndarray, target: np.ndarray) -> float:
    """Held-out R^2 (pooled over target columns) of a ridge probe fit on the first half of the rows."""
    n = len(features) // 2
    x, y = _flat(features), np.asarray(target, dtype=np.float64)
    mu, sd = x[:n].mean(axis=0), x[:n].std(axis=0) + 1e-8
    x = (x - mu) / sd
    ym = y[:n].mean(axis=0)
    a, b = x[:n], y[:n] - ym
    if a.shape[1] <= n:
        w = np.linalg.solve(a.T @ a + RIDGE_ALPHA * n * np.eye(a.shape[1]), a.T @ b)
    else:
        w = a.T @ np.linalg.solve(a @ a.T + RIDGE_ALPHA * n * np.eye(n), b)
    pred = x[n:] @ w + ym
    total = ((y[n:] - y[n:].mean(axis=0)) ** 2).sum()
    if total <= 0:
        return 0.0
    return max(0.0, 1.0 - float(((y[n:] - pred) ** 2).sum()) / float(total))


def _best(states: dict[str, np.ndarray], target: np.ndarray) -> float:
    hooks = sorted(states)[-MAX_HOOKS:]
    return max((ridge_r2(states[h], target) for h in hooks), default=0.0)


def games_probe(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Probe R^2 of node values k plies ahead from hidden states, minus the largest control, per level and mean."""
    task = require_games(task, "games_probe")
    batch = task.avoiding_pool(PROBE_POSITIONS, task.generator("games_probe"))
    states = learned.hidden_states(batch)
    untrained = untrained_copy(learned)
    raw = untrained.hidden_states(batch) if untrained is not None else {}
    rows: dict[str, list[float]] = {"probe": [], "input": [], "shuffled": [], "untrained": [], "score": []}
    for k in range(1, PROBE_LEVELS + 1):
        values, exists = task.solver.ahead(batch, k)
        target = np.where(exists, values, 0.0)
        probe = _best(states, target)
        controls = {
            "input": ridge_r2(batch.inputs, target),
            "shuffled": _best(states, np.roll(target, 1, axis=0)),
            "untrained": _best(raw, target),
        }
        for name, value in controls.items():
            rows[name].append(value)
        rows["probe"].append(probe)
        rows["score"].append(max(0.0, probe - max(controls.values())))
    out: dict[str, float | list[float]] = {name: float(np.mean(v)) for name, v in rows.items()}
    out["by_level"] = rows["score"]
    out["has_untrained"] = float(untrained is not None)
    out["hooks"] = float(min(len(states), MAX_HOOKS))
    return out


def power_bits(task: GamesTask, batch: GameBatch, moves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bits per position of the chosen moves, and the most any move earns there."""
    values = task.solver.move_values(batch)
    legal = values != ILLEGAL
    chosen = values[np.arange(len(batch)), np.clip(moves, 0, values.shape[1] - 1)]
    chosen = np.where(legal[np.arange(len(batch)), np.clip(moves, 0, values.shape[1] - 1)], chosen, ILLEGAL)
    count = legal.sum(axis=1)
    at_least = (legal & (values >= chosen[:, None])).sum(axis=1)
    best = (legal & (values == values.max(axis=1, keepdims=True))).sum(axis=1)
    return -np.log2(at_least / count), -np.log2(best / count)


def games_power(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Optimization power in bits against uniformly random moves, on novel and training positions."""
    task = require_games(task, "games_power")
    novel = task.novel()
    bits, best = power_bits(task, novel, learned.solve(novel))
    pool = training_positions(task, "games_power")
    pool_bits, _ = power_bits(task, pool, learned.solve(pool))
    return {
        "novel_bits": _mean(bits),
        "pool_bits": _mean(pool_bits),
        "novel_max_bits": _mean(best),
        "novel_ratio": _mean(bits) / max(_mean(best), RATIO_FLOOR),
    }
