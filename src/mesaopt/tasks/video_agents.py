"""Agents of known nature walking lattice mazes, in batches: an episode is the sequence of the agent's positions.

Positions are flat indices (row * W + col) into the maze grid (see `maze_grid`); an agent stands on cell positions
and one step moves it to an adjacent cell through an open wall position (two grid positions), or leaves it where it
is. Every agent stays put once it stands on its goal. Agents:

- `planner`: moves to the first neighbour (up, right, down, left) that is one cell closer to its goal by BFS
  distance, so it walks a shortest path;
- `noisy`: draws its move from a softmax over the open neighbours of -distance-to-goal (in cells) / temperature;
- `wall_follower`: keeps its right hand on the wall (try right, straight, left, back, relative to its heading; the
  first heading is up). It does not plan: it only stops when it happens to step on the goal.

The goal may change during an episode (`goals` holds the goal of every step); the move out of step t is chosen
toward the goal of step t. `walk` is batched NumPy, one vectorized update per step; `walk_reference` is the same
definition written per episode in plain Python, the reference the tests and the benchmark compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

import numpy as np

from mesaopt.tasks.maze_grid import MOVES, OPEN
from mesaopt.tasks.maze_truth import distance_field
from mesaopt.tasks.video_config import Agent

AGENTS: tuple[str, ...] = get_args(Agent)

UNREACHED = 10**6
"""Distance given to positions the goal cannot reach, so that no agent steps toward them."""


@dataclass(frozen=True)
class Walk:
    """Episodes of one agent: positions (B, L+1) and the goal of every step (B, L+1), flat grid positions."""

    positions: np.ndarray
    goals: np.ndarray


def goal_distances(open_: np.ndarray, goals: np.ndarray) -> np.ndarray:
    """BFS distance in grid steps of every position from each maze's goal position, (B, H, W); unreached: UNREACHED."""
    batch, height, width = open_.shape
    source = np.zeros(open_.shape, dtype=bool)
    source.reshape(batch, -1)[np.arange(batch), goals] = True
    dist = distance_field(open_, source)
    return np.where(dist < 0, UNREACHED, dist)


def neighbours(open_: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cell positions one step away in MOVES order (B, 4) and whether the wall between is open (B, 4)."""
    batch, height, width = open_.shape
    rows, cols = np.divmod(positions, width)
    moves = np.array(MOVES)
    wall_r, wall_c = rows[:, None] + moves[:, 0], cols[:, None] + moves[:, 1]
    inside = (wall_r >= 0) & (wall_r < height) & (wall_c >= 0) & (wall_c < width)
    wall_r, wall_c = np.clip(wall_r, 0, height - 1), np.clip(wall_c, 0, width - 1)
    passable = inside & open_[np.arange(batch)[:, None], wall_r, wall_c].astype(bool)
    next_r = np.clip(rows[:, None] + 2 * moves[:, 0], 0, height - 1)
    next_c = np.clip(cols[:, None] + 2 * moves[:, 1], 0, width - 1)
    return next_r * width + next_c, passable


def planner_move(dist: np.ndarray, nxt: np.ndarray, passable: np.ndarray, here: np.ndarray) -> np.ndarray:
    """Index (B,) of the first passable move that lowers the distance to the goal; -1 where none does."""
    closer = passable & (dist[np.arange(len(here))[:, None], nxt] < dist[np.arange(len(here)), here][:, None])
    return np.where(closer.any(axis=1), closer.argmax(axis=1), -1)


def _noisy_step(
    dist: np.ndarray, nxt: np.ndarray, passable: np.ndarray, temperature: float, draw: np.ndarray
) -> np.ndarray:
    """Index (B,) of the move drawn from softmax(-cells to goal / temperature) over the passable moves."""
    cells = dist[np.arange(len(nxt))[:, None], nxt] / 2.0
    logits = np.where(passable, -cells / temperature, -np.inf)
    logits -= logits.max(axis=1, keepdims=True)
    weights = np.exp(logits)
    cumulative = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    last = 3 - passable[:, ::-1].argmax(axis=1)
    return np.minimum((cumulative <= draw[:, None]).sum(axis=1), last)


def _follower_step(passable: np.ndarray, heading: np.ndarray) -> np.ndarray:
    """Index (B,) of the right-hand rule's move: right, straight, left, back relative to the heading."""
    order = (heading[:, None] + np.array([1, 0, 3, 2])) % 4
    ok = passable[np.arange(len(heading))[:, None], order]
    return order[np.arange(len(heading)), ok.argmax(axis=1)]


def walk(
    grids: np.ndarray,
    starts: np.ndarray,
    goals: np.ndarray,
    agent: Agent,
    draws: np.ndarray,
    temperature: float = 1.0,
) -> Walk:
    """Walk every agent for L steps from its start; `goals` (B, L+1) the goal at each step, `draws` (B, L) in [0, 1).

    The draws are the noisy agent's only randomness (the others ignore them), so a seed fixes the episodes."""
    open_ = grids[:, OPEN].astype(bool)
    batch, length = draws.shape
    positions = np.empty((batch, length + 1), dtype=np.int64)
    positions[:, 0] = starts
    heading = np.zeros(batch, dtype=np.int64)
    fields: dict[bytes, np.ndarray] = {}
    index = np.arange(batch)
    for t in range(length):
        here, goal = positions[:, t], goals[:, t]
        key = goal.tobytes()
        if key not in fields:
            fields[key] = goal_distances(open_, goal).reshape(batch, -1)
        dist = fields[key]
        nxt, passable = neighbours(open_, here)
        if agent == "planner":
            move = planner_move(dist, nxt, passable, here)
        elif agent == "noisy":
            move = _noisy_step(dist, nxt, passable, temperature, draws[:, t])
        elif agent == "wall_follower":
            move = _follower_step(passable, heading)
        else:
            raise ValueError(f"unknown agent {agent!r}; expected one of {', '.join(AGENTS)}")
        moving = (here != goal) & (move >= 0) & passable[index, np.maximum(move, 0)]
        heading = np.where(moving, move, heading)
        positions[:, t + 1] = np.where(moving, nxt[index, np.maximum(move, 0)], here)
    return Walk(positions, goals.copy())


def walk_reference(
    grids: np.ndarray,
    starts: np.ndarray,
    goals: np.ndarray,
    agent: Agent,
    draws: np.ndarray,
    temperature: float = 1.0,
) -> Walk:
    """The agents' definitions, one episode and one step at a time in plain Python (the reference for `walk`)."""
    batch, length = draws.shape
    width = grids.shape[-1]
    positions = np.empty((batch, length + 1), dtype=np.int64)
    for b in range(batch):
        open_ = grids[b, OPEN].astype(bool)
        row, col = divmod(int(starts[b]), width)
        heading = 0
        positions[b, 0] = starts[b]
        for t in range(length):
            goal = int(goals[b, t])
            dist = goal_distances(open_[None], np.array([goal]))[0]
            options = []
            for d, (dr, dc) in enumerate(MOVES):
                wr, wc = row + dr, col + dc
                if 0 <= wr < open_.shape[0] and 0 <= wc < open_.shape[1] and open_[wr, wc]:
                    options.append((d, row + 2 * dr, col + 2 * dc))
            if row * width + col != goal and options:
                if agent == "planner":
                    choice = next((o for o in options if dist[o[1], o[2]] < dist[row, col]), None)
                elif agent == "noisy":
                    logits = np.array([-dist[r, c] / 2.0 / temperature for _, r, c in options])
                    probs = np.exp(logits - logits.max())
                    probs /= probs.sum()
                    pick = min(int((np.cumsum(probs) <= draws[b, t]).sum()), len(options) - 1)
                    choice = options[pick]
                else:
                    free = {o[0]: o for o in options}
                    choice = next(free[(heading + turn) % 4] for turn in (1, 0, 3, 2) if (heading + turn) % 4 in free)
                if choice is not None:
                    heading, row, col = choice
            positions[b, t + 1] = row * width + col
    return Walk(positions, np.asarray(goals).copy())
