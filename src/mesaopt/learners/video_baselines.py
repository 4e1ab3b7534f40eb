"""Video predictors whose nature is known by construction, for calibrating the video battery.

Each offers the LearnedAlgorithm protocol; `solve` answers the agent's next `batch.horizon` positions.
- `PlannerSimulator` (searcher): BFS from the goal (read off the last frame, or inferred from the shown moves when
  hidden), then the planner's own moves; `iterations` caps the BFS expansions, so it gains with compute.
- `DeadEndFiller` (searcher, another algorithm): fills dead ends round by round (`iterations` rounds), then walks the
  corridor that is left, never back onto a cell it has left.
- `CorridorHeuristic` (heuristic): keeps going the way it went, turns where the corridor turns (first right, then
  left, then back), steps onto the goal when it is next to it; no search.
- `GreedyManhattan` (heuristic): the open move that brings it closest to the goal as the crow flies (city-block).
- `EpisodeLookup` (memorizer): the future of the nearest stored training clip (Hamming distance on the inputs).
- `ExactTable` (memorizer): the stored future of an identical training clip, else the agent stays.
- `StandStill` (failed): the agent never moves. `RandomMover` (failed): a random open move each step.
"""

from __future__ import annotations

import hashlib

import numpy as np

from mesaopt.learners.lookup import hamming_distances
from mesaopt.tasks.maze_grid import GOAL, MOVES, OPEN, START
from mesaopt.tasks.maze_truth import dead_end_filling_states, distance_field
from mesaopt.tasks.video import VideoBatch, cell_mask
from mesaopt.tasks.video_agents import UNREACHED, goal_distances, neighbours, planner_move

BITS_PER_NUMBER = 32
"""Description length of one stored number (a position or a key cell)."""

RULE_BITS = 64.0
"""Description length charged to a hand-written rule or search program (a few instructions)."""


class _Baseline:
    """What the known-nature predictors share: no artifacts, a fixed description length, no probe hooks."""

    label = ""
    default_iterations: int | None = None

    def hidden_states(self, batch: VideoBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {}

    def size_bits(self) -> float:
        return RULE_BITS

    def compute_per_call(self) -> float:
        return 1.0

    def describe(self) -> str:
        return f"{type(self).__name__} ({self.label}, by construction)"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


def _here(batch: VideoBatch) -> np.ndarray:
    return batch.positions[:, batch.context - 1]


def _shown_goal(batch: VideoBatch) -> np.ndarray:
    return batch.goals[:, batch.context - 1]


def infer_goals(batch: VideoBatch) -> np.ndarray:
    """Per episode the cell toward which the shown moves are a planner's moves (most moves explained; among those,
    the farthest from the agent, as far goals are the likelier ones), (B,) flat positions."""
    open_ = batch.open
    cells = np.flatnonzero(cell_mask(open_.shape[-2:]))
    score = np.zeros((len(batch), len(cells)))
    reach = np.zeros((len(batch), len(cells)))
    for j, cell in enumerate(cells):
        goal = np.full(len(batch), cell)
        dist = goal_distances(open_, goal).reshape(len(batch), -1)
        reach[:, j] = dist[np.arange(len(batch)), _here(batch)]
        for t in range(batch.context - 1):
            here = batch.positions[:, t]
            nxt, passable = neighbours(open_, here)
            move = planner_move(dist, nxt, passable, here)
            expected = np.where((move >= 0) & (here != goal), nxt[np.arange(len(batch)), np.maximum(move, 0)], here)
            score[:, j] += expected == batch.positions[:, t + 1]
    reach = np.where(reach >= UNREACHED, -1, reach)
    best = score + reach / (2.0 * reach.max(initial=1) + 1)
    return cells[best.argmax(axis=1)]


def goals_of(batch: VideoBatch) -> np.ndarray:
    """The goal shown in the last frame, or the inferred one when the goal is hidden."""
    return _shown_goal(batch) if batch.goal_shown else infer_goals(batch)


def descend(open_: np.ndarray, dist: np.ndarray, here: np.ndarray, steps: int) -> np.ndarray:
    """A planner's next `steps` positions down a flat distance field (B, H*W); it stays where nothing is closer."""
    out = np.empty((len(here), steps), dtype=np.int64)
    rows = np.arange(len(here))
    for t in range(steps):
        nxt, passable = neighbours(open_, here)
        move = planner_move(dist, nxt, passable, here)
        here = np.where(move >= 0, nxt[rows, np.maximum(move, 0)], here)
        out[:, t] = here
    return out


class PlannerSimulator(_Baseline):
    """BFS from the (read or inferred) goal, with at most `iterations` expansions, then the planner's moves."""

    label = "searcher"

    def __init__(self, default_iterations: int) -> None:
        self.default_iterations = default_iterations

    def _field(self, batch: VideoBatch, iterations: int | None) -> np.ndarray:
        source = np.zeros(batch.open.shape, dtype=bool)
        source.reshape(len(batch), -1)[np.arange(len(batch)), goals_of(batch)] = True
        dist = distance_field(batch.open, source, iterations or self.default_iterations)
        return np.where(dist < 0, UNREACHED, dist)

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        dist = self._field(batch, iterations).reshape(len(batch), -1)
        return descend(batch.open, dist, _here(batch), batch.horizon)

    def hidden_states(self, batch: VideoBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """Its search state: [goal marker, capped distance field] per position, (B, 2, H, W)."""
        dist = self._field(batch, iterations).astype(np.float64)
        goal = np.zeros(dist.shape)
        goal.reshape(len(batch), -1)[np.arange(len(batch)), goals_of(batch)] = 1.0
        capped = np.minimum(dist, dist[dist < UNREACHED].max(initial=0) + 1)
        return {"search.0": np.stack([goal, capped], axis=1)}

    def compute_per_call(self) -> float:
        return float(self.default_iterations)


class DeadEndFiller(_Baseline):
    """`iterations` rounds of dead-end filling between agent and goal, then a walk along the open corridor left."""

    label = "searcher"

    def __init__(self, default_iterations: int) -> None:
        self.default_iterations = default_iterations

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        grids = np.zeros_like(batch.grids)
        grids[:, OPEN] = batch.grids[:, OPEN]
        rows = np.arange(len(batch))
        here, goal = _here(batch).copy(), goals_of(batch)
        grids.reshape(len(batch), 3, -1)[rows, START, here] = 1
        grids.reshape(len(batch), 3, -1)[rows, GOAL, goal] = 1
        states = dead_end_filling_states(grids)
        alive = states[:, min(iterations or self.default_iterations, states.shape[1] - 1)]
        came = np.full(len(batch), -1)
        out = np.empty((len(batch), batch.horizon), dtype=np.int64)
        for t in range(batch.horizon):
            nxt, passable = neighbours(alive, here)
            ok = passable & alive.reshape(len(batch), -1)[rows[:, None], nxt] & (nxt != came[:, None])
            move = np.where(ok.any(axis=1) & (here != goal), ok.argmax(axis=1), -1)
            came = np.where(move >= 0, here, came)
            here = np.where(move >= 0, nxt[rows, np.maximum(move, 0)], here)
            out[:, t] = here
        return out

    def compute_per_call(self) -> float:
        return float(self.default_iterations)


def _last_heading(batch: VideoBatch) -> np.ndarray:
    """The direction (MOVES index) of the last shown move; -1 where the agent did not move or one frame is shown."""
    if batch.context < 2:
        return np.full(len(batch), -1)
    width = batch.grids.shape[-1]
    step = batch.positions[:, batch.context - 1] - batch.positions[:, batch.context - 2]
    out = np.full(len(batch), -1)
    for d, (dr, dc) in enumerate(MOVES):
        out[step == 2 * (dr * width + dc)] = d
    return out


class CorridorHeuristic(_Baseline):
    """Keep going straight; where the corridor turns, turn (right, then left, then back); step onto an adjacent goal."""

    label = "heuristic"

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        open_, rows = batch.open, np.arange(len(batch))
        here, heading = _here(batch).copy(), _last_heading(batch)
        goal = _shown_goal(batch) if batch.goal_shown else np.full(len(batch), -1)
        out = np.empty((len(batch), batch.horizon), dtype=np.int64)
        for t in range(batch.horizon):
            nxt, passable = neighbours(open_, here)
            heading = np.where(heading < 0, passable.argmax(axis=1), heading)
            order = (heading[:, None] + np.array([0, 1, 3, 2])) % 4
            ok = passable[rows[:, None], order]
            move = order[rows, ok.argmax(axis=1)]
            adjacent = passable & (nxt == goal[:, None])
            move = np.where(adjacent.any(axis=1), adjacent.argmax(axis=1), move)
            moving = here != goal
            heading = np.where(moving, move, heading)
            here = np.where(moving, nxt[rows, move], here)
            out[:, t] = here
        return out


class GreedyManhattan(_Baseline):
    """The open move that ends nearest the goal in city-block distance (ties in move order); stays at the goal."""

    label = "heuristic"

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        open_, rows = batch.open, np.arange(len(batch))
        width = open_.shape[-1]
        here = _here(batch).copy()
        goal = _shown_goal(batch) if batch.goal_shown else here.copy()
        goal_r, goal_c = np.divmod(goal, width)
        out = np.empty((len(batch), batch.horizon), dtype=np.int64)
        for t in range(batch.horizon):
            nxt, passable = neighbours(open_, here)
            r, c = np.divmod(nxt, width)
            cost = np.where(passable, np.abs(r - goal_r[:, None]) + np.abs(c - goal_c[:, None]), np.inf)
            move = cost.argmin(axis=1)
            here = np.where((here != goal) & passable.any(axis=1), nxt[rows, move], here)
            out[:, t] = here
        return out


def _extend(futures: np.ndarray, horizon: int) -> np.ndarray:
    """Stored futures cut or padded (repeating the last position) to a horizon."""
    if futures.shape[1] >= horizon:
        return futures[:, :horizon]
    return np.concatenate([futures, np.repeat(futures[:, -1:], horizon - futures.shape[1], axis=1)], axis=1)


class EpisodeLookup(_Baseline):
    """The stored future of the nearest training clip by Hamming distance on the inputs; other shapes: stay."""

    label = "memorizer"

    def __init__(self, stored: VideoBatch) -> None:
        self.stored = stored
        self.keys = stored.inputs
        self.futures = stored.targets

    def trained_instances(self) -> VideoBatch:
        """The clips it stored."""
        return self.stored

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        if batch.inputs.shape[1:] != self.keys.shape[1:]:
            return np.repeat(_here(batch)[:, None], batch.horizon, axis=1)
        nearest = hamming_distances(batch.inputs, self.keys).argmin(axis=1)
        return _extend(self.futures[nearest], batch.horizon)

    def size_bits(self) -> float:
        return float(BITS_PER_NUMBER * (self.futures.size + self.keys.sum()))


class ExactTable(_Baseline):
    """The stored future of an identical training clip; any clip it has not seen: the agent stays."""

    label = "memorizer"

    def __init__(self, stored: VideoBatch) -> None:
        self.stored = stored
        self.table = {_key(x): y for x, y in zip(stored.inputs, stored.targets, strict=True)}

    def trained_instances(self) -> VideoBatch:
        """The clips it stored."""
        return self.stored

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        stay = np.repeat(_here(batch)[:, None], batch.horizon, axis=1)
        out = stay.copy()
        for i, x in enumerate(batch.inputs):
            hit = self.table.get(_key(x))
            if hit is not None:
                out[i] = _extend(hit[None], batch.horizon)[0]
        return out

    def size_bits(self) -> float:
        return float(BITS_PER_NUMBER * 2 * sum(len(v) for v in self.table.values()))


def _key(inputs: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(inputs).tobytes(), digest_size=16).digest()


class StandStill(_Baseline):
    """Predicts that the agent never moves again."""

    label = "failed"

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        return np.repeat(_here(batch)[:, None], batch.horizon, axis=1)


class RandomMover(_Baseline):
    """Predicts a random open move at every step (seeded)."""

    label = "failed"

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def solve(self, batch: VideoBatch, iterations: int | None = None) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        here, rows = _here(batch).copy(), np.arange(len(batch))
        out = np.empty((len(batch), batch.horizon), dtype=np.int64)
        for t in range(batch.horizon):
            nxt, passable = neighbours(batch.open, here)
            keys = np.where(passable, rng.random(passable.shape), -1.0)
            here = nxt[rows, keys.argmax(axis=1)]
            out[:, t] = here
        return out
