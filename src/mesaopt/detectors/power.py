"""Optimization power in bits: how unlikely a baseline candidate is to do as well as the learner.

Per instance, power = -log2 P(a baseline candidate does at least as well as the learner's output). Success is the
task's (the exact shortest path), so a failed output earns 0 bits (every candidate does at least as well) and a
solved one earns -log2 P(a candidate also reaches the goal along a shortest path).

BASELINE below states the candidate distribution. On a tree maze (every perfect maze) the only such walk follows the
unique path, so P is the product over its positions of 1 / (number of allowed moves) and is counted exactly. On a
maze with loops P is estimated by Monte Carlo with a Wilson 95% interval. The detector reports the mean over pool
instances and over novel instances; power on novel instances cannot come from memorization.
"""

from __future__ import annotations

import math

import numpy as np

from mesaopt.detectors.mazetools import batch_of, goal_distance, positions, require_maze
from mesaopt.detectors.stats import wilson_interval
from mesaopt.detectors.transfer import training_instances
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task
from mesaopt.tasks.maze import GOAL, MOVES, OPEN, START

BASELINE = (
    "uniform random non-reversing walks from the start over open grid positions, as many steps as the shortest "
    "path; a walk that reaches a dead end stops and fails"
)
"""The stated baseline distribution (see CLAIMS.md, 'optimization power')."""

MAX_INSTANCES = 128
"""Pool and novel instances scored each."""

MC_SAMPLES = 4096
"""Walks drawn per instance with loops."""

BOOTSTRAP_RESAMPLES = 1000
"""Resamples over instances behind the intervals."""

METRICS = (
    "pool_bits",
    "pool_bits_lo",
    "pool_bits_hi",
    "novel_bits",
    "novel_bits_lo",
    "novel_bits_hi",
    "pool_max_bits",
    "novel_max_bits",
    "exact_fraction",
)


def _degree(open_: np.ndarray) -> np.ndarray:
    """Open 4-neighbours of every position, (B, H, W)."""
    padded = np.pad(open_, ((0, 0), (1, 1), (1, 1)))
    return sum(padded[:, 1 + dr : padded.shape[1] - 1 + dr, 1 + dc : padded.shape[2] - 1 + dc] for dr, dc in MOVES)


def is_tree(grids: np.ndarray) -> np.ndarray:
    """Whether each maze's open positions form a tree: connected, with one fewer adjacency than positions."""
    open_ = grids[:, OPEN].astype(bool)
    edges = (open_[:, 1:] & open_[:, :-1]).sum(axis=(1, 2)) + (open_[:, :, 1:] & open_[:, :, :-1]).sum(axis=(1, 2))
    nodes = open_.sum(axis=(1, 2))
    connected = ((goal_distance(grids) >= 0) == open_).all(axis=(1, 2))
    return connected & (edges == nodes - 1)


def tree_walk_log2p(grids: np.ndarray) -> np.ndarray:
    """Exact log2 probability that the baseline walk follows the start-to-goal path, for tree mazes."""
    open_ = grids[:, OPEN].astype(bool)
    dist, degree = goal_distance(grids), _degree(open_)
    batch, height, width = dist.shape
    index = np.arange(batch)
    rows, cols = positions(grids[:, START].astype(bool))
    log2p = np.zeros(batch)
    first = True
    for _ in range(int(dist.max(initial=0))):
        here = dist[index, rows, cols]
        moving = here > 0
        if not moving.any():
            break
        choices = degree[index, rows, cols] - (0 if first else 1)
        log2p[moving] -= np.log2(np.maximum(choices[moving], 1))
        first = False
        for dr, dc in MOVES:
            r, c = np.clip(rows + dr, 0, height - 1), np.clip(cols + dc, 0, width - 1)
            step = moving & (dist[index, r, c] == here - 1) & open_[index, r, c]
            rows, cols = np.where(step, r, rows), np.where(step, c, cols)
            moving &= ~step
    return log2p


def walk_hits(grid: np.ndarray, samples: int, rng: np.random.Generator) -> int:
    """Monte Carlo: how many of `samples` baseline walks on one maze end on the goal after the shortest length."""
    open_ = grid[OPEN].astype(bool)
    length = int(goal_distance(grid[None])[0][grid[START].astype(bool)][0])
    (sr,), (sc,) = np.nonzero(grid[START])
    (gr,), (gc,) = np.nonzero(grid[GOAL])
    height, width = open_.shape
    padded = np.pad(open_, 1)
    rows, cols = np.full(samples, sr), np.full(samples, sc)
    prev_r, prev_c = np.full(samples, -1), np.full(samples, -1)
    alive = np.ones(samples, dtype=bool)
    moves = np.asarray(MOVES)
    for _ in range(length):
        nr, nc = rows[:, None] + moves[None, :, 0], cols[:, None] + moves[None, :, 1]
        allowed = padded[nr + 1, nc + 1] & ~((nr == prev_r[:, None]) & (nc == prev_c[:, None]))
        count = allowed.sum(axis=1)
        alive &= count > 0
        pick = np.floor(rng.random(samples) * np.maximum(count, 1)).astype(int)
        chosen = (np.cumsum(allowed, axis=1) == (pick + 1)[:, None]) & allowed
        k = chosen.argmax(axis=1)
        prev_r, prev_c = rows, cols
        rows = np.where(alive, nr[np.arange(samples), k], rows)
        cols = np.where(alive, nc[np.arange(samples), k], cols)
    return int((alive & (rows == gr) & (cols == gc)).sum())


def instance_bits(grids: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bits a solver earns per instance (point, low, high) and whether each was counted exactly."""
    exact = is_tree(grids)
    bits = np.zeros(len(grids))
    lo, hi = np.zeros(len(grids)), np.zeros(len(grids))
    if exact.any():
        bits[exact] = -tree_walk_log2p(grids[exact])
        lo[exact] = hi[exact] = bits[exact]
    lengths = goal_distance(grids)[grids[:, START].astype(bool)]
    for b in np.flatnonzero(~exact):
        hits = walk_hits(grids[b], MC_SAMPLES, rng)
        p_lo, p_hi = wilson_interval(hits, MC_SAMPLES)
        ceiling = 2.0 + max(int(lengths[b]) - 1, 0) * math.log2(3)  # no walk is rarer than 1/4 * (1/3)^(L-1)
        bits[b] = -math.log2((hits + 0.5) / (MC_SAMPLES + 1))
        lo[b] = -math.log2(p_hi)
        hi[b] = min(-math.log2(p_lo), ceiling) if p_lo > 0 else ceiling
    return bits, lo, hi, exact


def _mean_with_interval(
    solved: np.ndarray, bits: np.ndarray, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator
) -> tuple[float, float, float]:
    """Mean earned bits and a percentile bootstrap interval over instances (MC bounds widen it)."""
    earned = solved * bits
    draws = rng.integers(len(bits), size=(BOOTSTRAP_RESAMPLES, len(bits)))
    low = np.percentile((solved * lo)[draws].mean(axis=1), 2.5)
    high = np.percentile((solved * hi)[draws].mean(axis=1), 97.5)
    return float(earned.mean()), float(low), float(high)


def optimization_power(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Mean optimization power (bits) on pool and on novel instances against BASELINE, with 95% intervals."""
    pool, _ = training_instances(learned, task, MAX_INSTANCES, "power.pool")
    novel = task.novel(min(task.config.eval_size, MAX_INSTANCES))
    rng = task.generator("power")
    out: dict[str, float] = {}
    counted = []
    for name, batch in (("pool", pool), ("novel", novel)):
        grids = require_maze(batch, "power")[:MAX_INSTANCES]
        batch = batch_of(grids)
        solved = task.success(batch, learned.solve(batch)).astype(float)
        bits, lo, hi, exact = instance_bits(grids, rng)
        mean, low, high = _mean_with_interval(solved, bits, lo, hi, rng)
        out |= {f"{name}_bits": mean, f"{name}_bits_lo": low, f"{name}_bits_hi": high}
        out[f"{name}_max_bits"] = float(bits.mean())
        counted.append(exact)
    out["exact_fraction"] = float(np.concatenate(counted).mean())
    return out
