"""Search-state probe: which reference algorithm's run-time state does a linear read-out of the hidden states recover?

References, each a trajectory of states on the probed mazes (`REFERENCES`; computed from the maze alone):
- `bfs_goal` / `bfs_start`: breadth-first search from the goal / from the start — the visited set and the distance
  field as known after s expansions (unreached positions read s + 1);
- `dead_end_filling`: the positions still open after r rounds of dead-end filling (a pruning rule, not a search);
- `wall_follower`: the positions a left-hand wall follower has walked after s steps (a local rule).
The first two are searches (`SEARCH_REFERENCES`); the label rule asks that the best-matching reference be one.

Only hooks with room for a search state (at least one number per grid position, `can_hold`) are probed; a learner
without such hooks has no probe evidence.

Time alignment is per hook: a block may move several cells per iteration, so hook "recur.t" is not assumed to be
step t + 1 of any reference. For each hook, reference and target, the step is chosen among ALIGN_STEPS candidates on
the fit half only (fit on its first half, scored on its second: the step where the hook's R^2 most exceeds the
input control's), then the probe is refitted on the whole fit half and
scored on the held-out half. Spatial hooks, shaped (B, C, H, W) or (B, H, W) on the maze grid, get one probe shared by
all positions (features: the C channels at a position); other hooks are flattened and probed as a whole. R^2 is on
open positions of the held-out mazes against a baseline that predicts each position's mean over those mazes, so chance
is at most 0, and scores are floored at 0.

Controls, scored at the hook's aligned step: the same probe on the same hook of the untrained copy (`HasUntrained`)
where the learner offers one; on targets shuffled across mazes (a cyclic shift, so no maze keeps its own target); and
on the input itself (for spatial hooks the input channels of the position's 3 x 3 neighbourhood, else the whole
flattened input), so that a state which merely keeps the maze gets no credit for the early steps of a reference (the
goal position is step 0 of BFS from the goal, and the open mask is round 0 of dead-end filling). A reference's score
is the probe's R^2 minus the largest control, averaged over hooks and targets; `score` is the best reference's score,
`best` its index in REFERENCES, `search` the best search reference's and `other` the best non-search reference's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from mesaopt.detectors.mazetools import require_maze
from mesaopt.learners.base import LearnedAlgorithm, default_iterations, untrained_copy
from mesaopt.tasks import maze
from mesaopt.tasks.base import Task

MAX_INSTANCES = 128
"""Novel mazes per probe: the first half fits, the second half scores."""

MAX_HOOKS = 8
"""Hooks probed at most; recurrent hooks are thinned evenly, always keeping the last."""

ALIGN_STEPS = 8
"""Candidate reference steps per hook and target, spread evenly over the reference's trajectory."""

RIDGE_ALPHA = 0.01
"""Ridge penalty per fit sample on standardized features (lambda = RIDGE_ALPHA * n)."""

RECURRENT = re.compile(r"^recur\.(\d+)$")


def _bfs_states(grids: np.ndarray, source: str) -> dict[str, np.ndarray]:
    dist = maze.distances(grids, source)
    steps = np.arange(int(dist.max(initial=0)) + 1)[None, :, None, None]
    visited = (dist[:, None] >= 0) & (dist[:, None] <= steps)
    return {"visited": visited, "distance": np.where(visited, dist[:, None], steps + 1)}


def _wall_follower(grids: np.ndarray) -> dict[str, np.ndarray]:
    from mesaopt.tasks.maze_walks import wall_follower_states

    height, width = grids.shape[-2:]
    return {"walked": wall_follower_states(grids, 2 * height * width)}


REFERENCES: dict[str, Callable[[np.ndarray], dict[str, np.ndarray]]] = {
    "bfs_goal": lambda grids: _bfs_states(grids, "goal"),
    "bfs_start": lambda grids: _bfs_states(grids, "start"),
    "dead_end_filling": lambda grids: {"open": maze.dead_end_filling_states(grids)},
    "wall_follower": _wall_follower,
}
"""Reference algorithms: grids -> {target name: (B, T, H, W) states over the reference's steps}."""

SEARCH_REFERENCES = ("bfs_goal", "bfs_start")
"""The references that are searches over candidate paths; the others are local rules."""

METRICS = (
    "score",
    "best",
    "search",
    "other",
    *(f"score_{name}" for name in REFERENCES),
    "probe",
    "shuffled",
    "input",
    "untrained",
    "has_untrained",
    "hooks",
    "recurrent",
)


def can_hold(state: np.ndarray, grids: np.ndarray) -> bool:
    """Whether a hook has room for a search state: at least one number per grid position of each maze. A step
    count or a handful of distances to stored keys is bookkeeping, not a state a probe can compare with a search's."""
    state = np.asarray(state)
    return state.ndim >= 2 and state[0].size >= grids.shape[-2] * grids.shape[-1]


def select_hooks(states: dict[str, np.ndarray]) -> list[str]:
    """Recurrent hooks when there are any (thinned evenly to MAX_HOOKS, the last kept), else the first MAX_HOOKS."""
    recurrent = sorted((int(m.group(1)), name) for name in states if (m := RECURRENT.match(name)) is not None)
    if recurrent:
        keep = np.unique(np.linspace(0, len(recurrent) - 1, min(MAX_HOOKS, len(recurrent))).round().astype(int))
        return [recurrent[i][1] for i in keep]
    return sorted(states)[:MAX_HOOKS]


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


def _cyclic(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random cyclic shift of range(n): a permutation with no fixed point (identity when n < 2)."""
    return (np.arange(n) + (int(rng.integers(1, n)) if n > 1 else 0)) % n


def _mean(values: list[float]) -> float:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else 0.0


def _floor(value: float) -> float:
    """R^2 floored at chance (0): a probe worse than the per-position mean has found nothing; NaN stays NaN."""
    return max(0.0, value) if np.isfinite(value) else float("nan")


def _steps(states: np.ndarray) -> np.ndarray:
    return np.unique(np.linspace(0, states.shape[1] - 1, min(ALIGN_STEPS, states.shape[1])).round().astype(int))


def align_step(
    features: np.ndarray, spatial: bool, given: np.ndarray, states: np.ndarray, open_: np.ndarray, fit: np.ndarray
) -> int | None:
    """The reference step at which the hook encodes most beyond the input, chosen on the fit half alone."""
    inner_fit, inner_test = fit[: len(fit) // 2], fit[len(fit) // 2 :]
    best, chosen = -np.inf, None
    for step in _steps(states):
        target = states[:, step].astype(np.float64)
        hook = probe_r2(features, spatial, target, open_, inner_fit, inner_test)
        base = probe_r2(given, spatial, target, open_, inner_fit, inner_test)
        if np.isfinite(hook) and _floor(hook) - _floor(base if np.isfinite(base) else 0.0) > best:
            best, chosen = _floor(hook) - _floor(base if np.isfinite(base) else 0.0), int(step)
    return chosen


def hook_scores(
    features: np.ndarray,
    spatial: bool,
    controls: dict[str, np.ndarray],
    states: np.ndarray,
    open_: np.ndarray,
    shuffle: np.ndarray,
) -> dict[str, float]:
    """Floored held-out R^2 of the hook and of each control at the hook's aligned step; NaN when nothing varies.

    `controls` maps a control's name to its features ("input", "untrained"); the shuffled control probes the hook's
    own features against targets permuted across mazes by `shuffle`."""
    half = len(open_) // 2
    fit, test = np.arange(half), np.arange(half, len(open_))
    step = align_step(features, spatial, controls["input"], states, open_, fit)
    if step is None:
        return {"probe": float("nan")}
    target = states[:, step].astype(np.float64)
    out = {"probe": _floor(probe_r2(features, spatial, target, open_, fit, test))}
    for name, control in controls.items():
        out[name] = _floor(probe_r2(control, spatial, target, open_, fit, test))
    out["shuffled"] = _floor(probe_r2(features, spatial, target[shuffle], open_[shuffle], fit, test))
    return out


def input_features(grids: np.ndarray, spatial: bool) -> np.ndarray:
    """The input control's features: each position's 3 x 3 neighbourhood of input channels (B, H, W, 27) for a
    spatial hook, the whole flattened input (B, 3HW) for any other."""
    if not spatial:
        return grids.reshape(len(grids), -1).astype(np.float64)
    padded = np.pad(grids.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    height, width = grids.shape[-2:]
    local = [padded[:, :, dr : dr + height, dc : dc + width] for dr in range(3) for dc in range(3)]
    return np.moveaxis(np.concatenate(local, axis=1), 1, -1)


def search_state_probe(learned: LearnedAlgorithm, task: Task) -> dict[str, float | list[float]]:
    """Which reference's state the hidden states encode best, above the input, untrained and shuffled controls."""
    batch = task.novel(min(task.config.eval_size, MAX_INSTANCES))
    grids = require_maze(batch, "probe")
    open_ = grids[:, 0].astype(bool)
    iterations = default_iterations(learned)
    states = {name: s for name, s in learned.hidden_states(batch, iterations).items() if can_hold(s, grids)}
    hooks = select_hooks(states)
    control_net = untrained_copy(learned)
    if not hooks:
        zeros = {name: 0.0 for name in METRICS if name != "untrained"}
        return {**zeros, "best": -1.0}
    control_states = dict(control_net.hidden_states(batch, iterations)) if control_net is not None else {}
    refs = {name: build(grids) for name, build in REFERENCES.items()}
    n, half = len(grids), len(grids) // 2
    rng = task.generator("probe.shuffle")
    shuffle = np.concatenate([_cyclic(half, rng), half + _cyclic(n - half, rng)])
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in refs}
    for hook in hooks:
        features, spatial = _features(states[hook], open_.shape[1:])
        controls = {"input": input_features(grids, spatial)}
        if hook in control_states:
            controls["untrained"] = _features(control_states[hook], open_.shape[1:])[0]
        for name, targets in refs.items():
            rows[name] += [hook_scores(features, spatial, controls, t, open_, shuffle) for t in targets.values()]

    def diff(row: dict[str, float]) -> float:
        controls = [row.get(k, np.nan) for k in ("input", "untrained", "shuffled")]
        return row["probe"] - max([c for c in controls if np.isfinite(c)], default=0.0)

    scores = {name: _mean([diff(r) for r in rows[name] if np.isfinite(r["probe"])]) for name in refs}
    best = max(REFERENCES, key=lambda name: scores[name])

    def average(key: str) -> float:
        return _mean([r.get(key, np.nan) for name in refs for r in rows[name]])

    out: dict[str, float | list[float]] = {
        "score": scores[best],
        "best": float(list(REFERENCES).index(best)),
        "search": max(scores[name] for name in SEARCH_REFERENCES),
        "other": max(scores[name] for name in REFERENCES if name not in SEARCH_REFERENCES),
        **{f"score_{name}": scores[name] for name in REFERENCES},
        "probe": average("probe"),
        "shuffled": average("shuffled"),
        "input": average("input"),
        "has_untrained": float(bool(control_states)),
        "hooks": float(len(hooks)),
        "recurrent": float(any(RECURRENT.match(h) for h in hooks)),
    }
    if control_states:
        out["untrained"] = average("untrained")
    return out
