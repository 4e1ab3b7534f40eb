"""Search-state probe: does a linear read-out of the hidden states recover the state of breadth-first search?

For each probed hook a ridge-regularized linear probe is fit on half of a set of novel mazes and scored on the
other half (held out). Targets, both computed from the goal outward as the task's BFS does:
- the visited mask after s expansions (positions at distance <= s from the goal);
- the distance field as known after s expansions (unreached positions read s + 1).

Hook "recur.t" is the state after t + 1 applications of a recurrent block, so it is matched with s = t + 1. Any
other hook is a final state and is matched with the finished search (the full distance field; the finished visited
mask is just the open mask, so it is not scored). Spatial hooks, shaped (B, C, H, W) or (B, H, W) on the maze grid,
get one probe shared by all positions (features: the C channels at a position); other hooks are flattened and probed
as a whole. The score is R^2 on open positions of the held-out mazes, against a baseline that predicts each
position's mean over those held-out mazes; chance is therefore at most 0, and scores are floored at 0.

Controls: the same probe on the same hooks of `learned.untrained()` (the architecture at initialization) where the
learner offers it, and on targets shuffled across mazes (a cyclic shift, so no maze keeps its own target). The
headline `score` is the probe's R^2 minus the larger control, averaged over hooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from mesaopt.detectors.mazetools import capped_distance, goal_distance, require_maze, visited_at
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

MAX_INSTANCES = 128
"""Novel mazes per probe: the first half fits, the second half scores."""

MAX_HOOKS = 8
"""Hooks probed at most; recurrent hooks are thinned evenly, always keeping the last."""

RIDGE_ALPHA = 0.01
"""Ridge penalty per fit sample on standardized features (lambda = RIDGE_ALPHA * n)."""

RECURRENT = re.compile(r"^recur\.(\d+)$")

METRICS = (
    "score",
    "probe",
    "shuffled",
    "untrained",
    "has_untrained",
    "visited",
    "distance",
    "visited_curve",
    "distance_curve",
    "hooks",
    "recurrent",
)


@dataclass(frozen=True)
class Hook:
    """One probed activation and the BFS step it is compared with (None: the finished search)."""

    name: str
    step: int | None


def select_hooks(states: dict[str, np.ndarray]) -> list[Hook]:
    """Recurrent hooks when there are any (thinned to MAX_HOOKS), else every hook up to MAX_HOOKS by name."""
    recurrent = sorted((int(m.group(1)), name) for name in states if (m := RECURRENT.match(name)) is not None)
    if recurrent:
        keep = np.unique(np.linspace(0, len(recurrent) - 1, min(MAX_HOOKS, len(recurrent))).round().astype(int))
        return [Hook(recurrent[i][1], recurrent[i][0] + 1) for i in keep]
    return [Hook(name, None) for name in sorted(states)[:MAX_HOOKS]]


def _features(state: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, bool]:
    """(B, H, W, C) features for a spatial hook, else (B, D); and whether the hook is spatial."""
    state = np.asarray(state, dtype=np.float64)
    if state.ndim == 3 and state.shape[1:] == shape:
        return state[..., None], True
    if state.ndim == 4 and state.shape[2:] == shape:
        return np.moveaxis(state, 1, -1), True
    return state.reshape(len(state), -1), False


def _ridge(x_fit: np.ndarray, y_fit: np.ndarray, x_test: np.ndarray) -> np.ndarray:
    """Ridge predictions for x_test; features standardized on the fit set, intercept unpenalized."""
    mu, sd = x_fit.mean(axis=0), x_fit.std(axis=0)
    sd[sd == 0] = 1.0
    a, b = (x_fit - mu) / sd, (x_test - mu) / sd
    y_mu = y_fit.mean(axis=0)
    lam = RIDGE_ALPHA * len(a)
    if a.shape[1] <= a.shape[0]:
        coef = np.linalg.solve(a.T @ a + lam * np.eye(a.shape[1]), a.T @ (y_fit - y_mu))
        return b @ coef + y_mu
    dual = np.linalg.solve(a @ a.T + lam * np.eye(a.shape[0]), y_fit - y_mu)
    return b @ (a.T @ dual) + y_mu


def probe_r2(
    features: np.ndarray, spatial: bool, target: np.ndarray, open_: np.ndarray, fit: np.ndarray, test: np.ndarray
) -> float:
    """Held-out R^2 of a linear probe from features to target on open positions of the test mazes.

    The baseline predicts each position's mean over the test mazes themselves, so a probe that knows only where a
    position is scores at most 0 (chance). `target` and `open_` are (B, H, W); `fit` and `test` index mazes. NaN
    when the target does not vary beyond position means. Walls of fit mazes are filled with the baseline for the
    flattened probe.
    """
    counts = open_[test].sum(axis=0)
    overall = target[test][open_[test]].mean()
    base = np.where(counts > 0, (target[test] * open_[test]).sum(axis=0) / np.maximum(counts, 1), overall)
    if spatial:
        mask_fit, mask_test = open_[fit], open_[test]
        pred = _ridge(features[fit][mask_fit], target[fit][mask_fit], features[test][mask_test])
        truth, baseline = target[test][mask_test], np.broadcast_to(base, mask_test.shape)[mask_test]
    else:
        fill = np.where(open_[fit], target[fit], 0).sum(axis=0) / np.maximum(open_[fit].sum(axis=0), 1)
        filled = np.where(open_[fit], target[fit], fill).reshape(len(fit), -1)
        full = _ridge(features[fit], filled, features[test]).reshape(target[test].shape)
        mask_test = open_[test]
        pred, truth = full[mask_test], target[test][mask_test]
        baseline = np.broadcast_to(base, mask_test.shape)[mask_test]
    total = float(((truth - baseline) ** 2).sum())
    if total <= 1e-12:
        return float("nan")
    return 1.0 - float(((truth - pred) ** 2).sum()) / total


def _targets(dist: np.ndarray, step: int | None) -> dict[str, np.ndarray]:
    if step is None:
        return {"distance": capped_distance(dist, int(dist.max()))}
    return {"visited": visited_at(dist, step).astype(np.float64), "distance": capped_distance(dist, step)}


def _cyclic(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random cyclic shift of range(n): a permutation with no fixed point (identity when n < 2)."""
    return (np.arange(n) + (int(rng.integers(1, n)) if n > 1 else 0)) % n


def _hook_scores(
    states: dict[str, np.ndarray], hooks: list[Hook], dist: np.ndarray, open_: np.ndarray, order: np.ndarray
) -> dict[str, dict[str, float]]:
    """R^2 per hook and target; `order` pairs maze i's features with maze order[i]'s target."""
    half = len(order) // 2
    fit, test = np.arange(half), np.arange(half, len(order))
    out: dict[str, dict[str, float]] = {}
    for hook in hooks:
        if hook.name not in states:
            continue
        features, spatial = _features(states[hook.name], dist.shape[1:])
        out[hook.name] = {
            kind: probe_r2(features, spatial, target[order], open_[order], fit, test)
            for kind, target in _targets(dist, hook.step).items()
        }
    return out


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else 0.0


def _floor(value: float) -> float:
    """R^2 floored at chance (0): a probe worse than the per-position mean has found nothing; NaN stays NaN."""
    return max(0.0, value) if np.isfinite(value) else float("nan")


def _clipped(scores: dict[str, float]) -> float:
    """A hook's score: the mean over its targets of the floored R^2."""
    return _mean([_floor(v) for v in scores.values()])


def search_state_probe(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Probe R^2 of BFS state from hidden states, its controls and their difference (`score`)."""
    batch = task.novel(min(task.config.eval_size, MAX_INSTANCES))
    grids = require_maze(batch, "probe")
    dist, open_ = goal_distance(grids), grids[:, 0].astype(bool)
    iterations = getattr(learned, "default_iterations", None)
    states = dict(learned.hidden_states(batch, iterations))
    hooks = select_hooks(states)
    n = len(grids)
    identity = np.arange(n)
    half = n // 2
    rng = task.generator("probe.shuffle")
    shuffled_order = np.concatenate([_cyclic(half, rng), half + _cyclic(n - half, rng)])
    probe = _hook_scores(states, hooks, dist, open_, identity)
    shuffled = _hook_scores(states, hooks, dist, open_, shuffled_order)
    untrained = None
    if callable(getattr(learned, "untrained", None)):
        control_states = dict(learned.untrained().hidden_states(batch, iterations))
        untrained = _hook_scores(control_states, hooks, dist, open_, identity)
    names = [h.name for h in hooks if h.name in probe]
    diffs = []
    for name in names:
        control = _clipped(shuffled[name])
        if untrained is not None and name in untrained:
            control = max(control, _clipped(untrained[name]))
        diffs.append(_clipped(probe[name]) - control)
    recurrent = any(h.step is not None for h in hooks)
    out: dict[str, float | list[float]] = {
        "score": _mean(diffs),
        "probe": _mean([_clipped(probe[n]) for n in names]),
        "shuffled": _mean([_clipped(shuffled[n]) for n in names]),
        "has_untrained": float(untrained is not None),
        "visited": _mean([_floor(probe[n].get("visited", np.nan)) for n in names]),
        "distance": _mean([_floor(probe[n]["distance"]) for n in names]),
        "visited_curve": [_mean([_floor(probe[n].get("visited", np.nan))]) for n in names],
        "distance_curve": [_mean([_floor(probe[n]["distance"])]) for n in names],
        "hooks": float(len(names)),
        "recurrent": float(recurrent),
    }
    if untrained is not None:
        out["untrained"] = _mean([_clipped(untrained[n]) for n in names if n in untrained])
    return out
