"""Learned algorithms whose nature is known by construction, for calibrating the detector battery on mazes.

Each class offers the LearnedAlgorithm protocol (solve, hidden_states, size_bits, compute_per_call, describe,
artifacts) plus `default_iterations` (None where there is no run-time iteration knob):
- BFSNet: breadth-first search as a recurrent conv network with hand-set weights (a searcher);
- GreedyStep: a local rule (a heuristic).
The other cases are in `maze_cases`; the case list with its fit/held-out split is `maze_calibration`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mesaopt.detectors.mazetools import positions
from mesaopt.tasks import maze
from mesaopt.tasks.maze import GOAL, MOVES, OPEN, START

BITS_PER_WEIGHT = 32
"""Description length of one float32 parameter."""

DIRECTIONS = np.asarray(MOVES)
CROSS = torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]])


def _grids(batch) -> np.ndarray:
    return np.asarray(batch.inputs)


class BFSCore(nn.Module):
    """State [visited v, visit count c] per position; each step spreads v to open neighbours and adds v to c.

    Hand-set, step t+1 gives v = the BFS visited set after t+1 expansions and c = sum of earlier visited sets, so the
    goal distance of a visited position is (t+1) - c: both targets of the search-state probe are linear in the state.
    """

    def __init__(self) -> None:
        super().__init__()
        self.encode = nn.Conv2d(3, 2, 1)
        self.step = nn.Conv2d(5, 2, 3, padding=1)

    @staticmethod
    def act(z: torch.Tensor) -> torch.Tensor:
        """v is clamped to [0, 1], c is rectified."""
        return torch.cat([z[:, :1].clamp(0.0, 1.0), torch.relu(z[:, 1:])], dim=1)

    def hand_set(self) -> BFSCore:
        """The weights of exact BFS from the goal."""
        with torch.no_grad():
            for p in self.parameters():
                p.zero_()
            self.encode.weight[0, GOAL] = 1.0  # v0 = goal, c0 = 0
            self.step.weight[0, 0] = CROSS  # v spreads to itself and its 4 neighbours ...
            self.step.weight[0, 2 + OPEN, 1, 1] = 5.0  # ... but only onto open positions
            self.step.bias[0] = -5.0
            self.step.weight[1, 1, 1, 1] = 1.0  # c accumulates
            self.step.weight[1, 0, 1, 1] = 1.0  # ... the previous visited set
        return self

    def forward(self, x: torch.Tensor, iterations: int) -> list[torch.Tensor]:
        state = self.act(self.encode(x))
        states = []
        for _ in range(iterations):
            state = self.act(self.step(torch.cat([state, x], dim=1)))
            states.append(state)
        return states


class BFSNet:
    """BFS as a recurrent conv net with hand-set weights; the path is read by descending the decoded distance."""

    def __init__(self, default_iterations: int, core: BFSCore | None = None) -> None:
        self.default_iterations = default_iterations
        self.core = core or BFSCore().hand_set()

    def _states(self, batch, iterations: int | None) -> list[torch.Tensor]:
        x = torch.as_tensor(_grids(batch), dtype=torch.float32)
        with torch.no_grad():
            return self.core(x, iterations or self.default_iterations)

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        steps = iterations or self.default_iterations
        last = self._states(batch, steps)[-1].numpy()
        visited, count = last[:, 0] > 0.5, last[:, 1]
        dist = np.where(visited, np.rint(steps - count), -1).astype(np.int64)
        return maze.descend(dist, _grids(batch))

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {f"recur.{t}": s.numpy() for t, s in enumerate(self._states(batch, iterations))}

    def untrained(self) -> BFSNet:
        """The same architecture at a seeded random initialization (the probe's control)."""
        generator = torch.Generator().manual_seed(0)
        core = BFSCore()
        with torch.no_grad():
            for p in core.parameters():
                p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) / np.sqrt(p[0].numel()))
        return BFSNet(self.default_iterations, core)

    def size_bits(self) -> float:
        return float(BITS_PER_WEIGHT * sum(p.numel() for p in self.core.parameters()))

    def compute_per_call(self) -> float:
        return float(self.default_iterations * self.core.step.weight.numel())

    def describe(self) -> str:
        return f"BFS as a recurrent conv net with hand-set weights, {self.default_iterations} iterations by default"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self.core.state_dict().items()}


class _Rule:
    """Shared plumbing of the hand-written local rules: no knob, no hidden states, no stored weights."""

    default_iterations: int | None = None
    source_bits = 64.0 * 8

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {}

    def size_bits(self) -> float:
        return self.source_bits

    def compute_per_call(self) -> float:
        return 0.0

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


class GreedyStep(_Rule):
    """Step to the unvisited open neighbour nearest the goal (Manhattan); stop at the goal or when stuck."""

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        open_ = grids[:, OPEN].astype(bool)
        size, height, width = open_.shape
        index = np.arange(size)
        rows, cols = positions(grids[:, START].astype(bool))
        goal_rows, goal_cols = positions(grids[:, GOAL].astype(bool))
        walked = np.zeros_like(open_)
        walked[index, rows, cols] = True
        for _ in range(height * width):
            best = np.full(size, np.inf)
            next_rows, next_cols = rows.copy(), cols.copy()
            for dr, dc in MOVES:
                r, c = np.clip(rows + dr, 0, height - 1), np.clip(cols + dc, 0, width - 1)
                free = open_[index, r, c] & ~walked[index, r, c]
                score = np.where(free, np.abs(r - goal_rows) + np.abs(c - goal_cols), np.inf)
                better = score < best
                best = np.where(better, score, best)
                next_rows, next_cols = np.where(better, r, next_rows), np.where(better, c, next_cols)
            moving = np.isfinite(best) & ~((rows == goal_rows) & (cols == goal_cols))
            if not moving.any():
                break
            rows, cols = np.where(moving, next_rows, rows), np.where(moving, next_cols, cols)
            walked[index, rows, cols] = True
        return walked

    def describe(self) -> str:
        return "greedy step: always to the unvisited open neighbour nearest the goal; stops when stuck"
