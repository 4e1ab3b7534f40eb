"""Hand-drawn mazes for detector tests: '#' wall, '.' open, 'S' start, 'G' goal."""

from __future__ import annotations

import numpy as np

from mesaopt.tasks.maze import GOAL, OPEN, START, MazeBatch


def draw(*rows: str) -> np.ndarray:
    """One grid (3, H, W) from ASCII rows."""
    grid = np.zeros((3, len(rows), len(rows[0])), dtype=np.uint8)
    for r, line in enumerate(rows):
        for c, ch in enumerate(line):
            grid[OPEN, r, c] = ch != "#"
            grid[START, r, c] = ch == "S"
            grid[GOAL, r, c] = ch == "G"
    return grid


def batch(*grids: np.ndarray) -> MazeBatch:
    """A batch of hand-drawn grids."""
    return MazeBatch(np.stack(grids))


BRANCH = draw(
    "#####",
    "#S.G#",
    "#.###",
    "#...#",
    "#####",
)
"""A 2 x 2 tree maze: from S the walk may go right (to G, 2 steps) or down (a dead-end branch)."""


class Fixed:
    """A stand-in learned algorithm answering with a given function of the grids (and iterations)."""

    def __init__(self, answer, default_iterations=None) -> None:
        self.answer = answer
        self.default_iterations = default_iterations

    def solve(self, batch, iterations=None):
        return self.answer(np.asarray(batch.inputs), iterations)

    def hidden_states(self, batch, iterations=None):
        return {}

    def size_bits(self):
        return 0.0

    def compute_per_call(self):
        return 0.0

    def describe(self):
        return "test stand-in"

    def artifacts(self):
        return {}


LURE = draw(
    "#######",
    "#..S..#",
    "#.###.#",
    "#..G#.#",
    "#######",
)
"""A 2 x 3 tree maze whose right-hand branch (4 positions deep) is a dead end; the path goes left and down."""

DEAD_LEFT = draw(
    "#####",
    "#..S#",
    "#.#.#",
    "#.#G#",
    "#####",
)
"""The goal is straight below the start; a left-hand wall follower first tours the dead-end branch on its left."""
