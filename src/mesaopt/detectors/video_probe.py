"""Probes of a video predictor's hidden states for the agent's goal and its plan, against controls.

Hook read: the last hidden state (B, C, H, W) computed on the first window of novel episodes; for a recurrent
predictor, at the iterations asked for. Features of a grid position are its C channels; one ridge probe is shared by
all positions (`probe.probe_r2`'s spatial probe), fit on the first half of the episodes, scored on the second half.
- goal: the probe predicts "the goal is here" at every cell position; its answer is the argmax over cells, scored as
  the share of held-out episodes where that is the agent's goal (chance is one over the number of cells);
- plan: R^2 of the probe for the plan mask (a shortest path from the agent to its goal, `tasks.video.plan_at`) on
  open positions, against each position's mean (chance 0, floored at 0).
Controls: the same probes with targets shuffled across episodes (a cyclic shift), and the same probes on the
predictor at its initialization where it offers one (when the goal is drawn on the frames, an untrained net keeps it
readable, so only the margin over this control says the predictor computed anything). `*_score` is the probe minus
the larger control.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mesaopt.detectors.probe import _ridge, probe_r2
from mesaopt.learners.base import default_iterations, untrained_copy
from mesaopt.tasks.video import VideoBatch, cell_mask, plan_at

MAX_EPISODES = 128
"""Novel episodes per probe: the first half fits, the second half scores."""

METRICS = (
    "goal",
    "goal_shuffled",
    "goal_untrained",
    "goal_score",
    "plan",
    "plan_shuffled",
    "plan_untrained",
    "plan_score",
    "chance",
)


def last_state(states: dict[str, np.ndarray]) -> np.ndarray | None:
    """The deepest hook's state (highest index after the dot), or None when there is none."""
    if not states:
        return None
    name = max(states, key=lambda n: int(n.rsplit(".", 1)[-1]))
    return np.asarray(states[name], dtype=np.float64)


def goal_accuracy(state: np.ndarray, goals: np.ndarray, order: np.ndarray) -> float:
    """Held-out share of episodes whose goal is the argmax over cells of a ridge probe (episode i gets order[i]'s)."""
    batch, channels, height, width = state.shape
    cells = cell_mask((height, width)).ravel()
    features = np.moveaxis(state, 1, -1).reshape(batch, height * width, channels)[:, cells]
    target = np.zeros((batch, height * width))
    target[np.arange(batch), goals[order]] = 1.0
    target = target[:, cells]
    half = batch // 2
    pred = _ridge(features[:half].reshape(-1, channels), target[:half].ravel(), features[half:].reshape(-1, channels))
    picked = pred.reshape(batch - half, -1).argmax(axis=1)
    return float((picked == target[half:].argmax(axis=1)).mean())


def plan_r2(state: np.ndarray, plan: np.ndarray, open_: np.ndarray, order: np.ndarray) -> float:
    """Held-out R^2 (floored at 0) of a spatial ridge probe for the plan mask; episode i gets order[i]'s plan."""
    half = len(order) // 2
    features = np.moveaxis(state, 1, -1)
    r2 = probe_r2(features, True, plan[order].astype(np.float64), open_, np.arange(half), np.arange(half, len(order)))
    return max(0.0, r2) if np.isfinite(r2) else 0.0


def cyclic_order(n: int, rng: np.random.Generator) -> np.ndarray:
    """A shuffle of each half of range(n) by a random cyclic shift, so no episode keeps its own target."""
    half = n // 2
    shifts = [int(rng.integers(1, m)) if m > 1 else 0 for m in (half, n - half)]
    return np.concatenate(
        [(np.arange(half) + shifts[0]) % max(half, 1), half + (np.arange(n - half) + shifts[1]) % max(n - half, 1)]
    )


def probe_scores(state: np.ndarray, batch: VideoBatch, rng: np.random.Generator) -> dict[str, float]:
    """Goal accuracy and plan R^2 of probes on one state, with the shuffled control."""
    step = batch.context - 1
    goals, plan, open_ = batch.goals[:, step], plan_at(batch, step), batch.open
    identity, shuffled = np.arange(len(batch)), cyclic_order(len(batch), rng)
    return {
        "goal": goal_accuracy(state, goals, identity),
        "goal_shuffled": goal_accuracy(state, goals, shuffled),
        "plan": plan_r2(state, plan, open_, identity),
        "plan_shuffled": plan_r2(state, plan, open_, shuffled),
    }


def video_probe(learned: Any, task: Any) -> dict[str, float]:
    """Goal and plan probes of the last hidden state on novel episodes, minus the larger of their controls."""
    batch = task.novel(min(task.config.eval_size, MAX_EPISODES))
    iterations = default_iterations(learned)
    state = last_state(dict(learned.hidden_states(batch, iterations)))
    cells = int(cell_mask(batch.grids.shape[-2:]).sum())
    if state is None:
        return {"chance": 1.0 / cells}
    out = probe_scores(state, batch, task.generator("video_probe.shuffle"))
    control = untrained_copy(learned)
    if control is not None:
        base = last_state(dict(control.hidden_states(batch, iterations)))
        if base is not None:
            identity = np.arange(len(batch))
            step = batch.context - 1
            out["goal_untrained"] = goal_accuracy(base, batch.goals[:, step], identity)
            out["plan_untrained"] = plan_r2(base, plan_at(batch, step), batch.open, identity)
    for name in ("goal", "plan"):
        controls = [out[f"{name}_shuffled"], out.get(f"{name}_untrained", 0.0)]
        out[f"{name}_score"] = out[name] - max(controls)
    out["chance"] = 1.0 / cells
    return out
