"""Batched maze generation: perfect mazes by depth-first backtracking or Kruskal, optional loops, start and goal.

The random numbers are drawn in NumPy from the caller's generator, so a seed fixes the mazes; compiled numba loops
only consume them. Regions say where start and goal may go: "any", a corner ("top-left", "top-right",
"bottom-left", "bottom-right") meaning its single cell, or "corner:k" meaning the k x k block in that corner.
"""

from __future__ import annotations

import numba
import numpy as np

from mesaopt.tasks.maze_config import CORNERS, Generator, parse_region, region_cells
from mesaopt.tasks.maze_grid import GOAL, OPEN, START

__all__ = ["CORNERS", "Generator", "generate_grids", "parse_region", "region_cells"]


@numba.njit(cache=True)
def _carve_dfs(rows: int, cols: int, roots: np.ndarray, choices: np.ndarray, open_: np.ndarray) -> None:
    """Depth-first backtracker per maze: from the top of the stack, step to a random unvisited neighbour or pop."""
    cells = rows * cols
    visited = np.zeros(cells, dtype=np.bool_)
    stack = np.empty(cells, dtype=np.int64)
    options = np.empty(4, dtype=np.int64)
    for b in range(open_.shape[0]):
        visited[:] = False
        cell = roots[b]
        visited[cell] = True
        open_[b, 2 * (cell // cols) + 1, 2 * (cell % cols) + 1] = 1
        stack[0] = cell
        top, used = 1, 0
        while top > 0:
            cell = stack[top - 1]
            i, j = cell // cols, cell % cols
            count = 0
            if i > 0 and not visited[cell - cols]:
                options[count] = cell - cols
                count += 1
            if j < cols - 1 and not visited[cell + 1]:
                options[count] = cell + 1
                count += 1
            if i < rows - 1 and not visited[cell + cols]:
                options[count] = cell + cols
                count += 1
            if j > 0 and not visited[cell - 1]:
                options[count] = cell - 1
                count += 1
            if count == 0:
                top -= 1
                continue
            nxt = options[int(choices[b, used] * count)]
            used += 1
            visited[nxt] = True
            ni, nj = nxt // cols, nxt % cols
            open_[b, i + ni + 1, j + nj + 1] = 1
            open_[b, 2 * ni + 1, 2 * nj + 1] = 1
            stack[top] = nxt
            top += 1


@numba.njit(cache=True)
def _find(parent: np.ndarray, x: int) -> int:
    """Union-find root with path halving."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@numba.njit(cache=True)
def _carve_kruskal(rows: int, cols: int, order: np.ndarray, open_: np.ndarray) -> None:
    """Kruskal per maze: walk the edges in the given random order, join cells that are not yet connected."""
    parent = np.empty(rows * cols, dtype=np.int64)
    across = rows * (cols - 1)
    for b in range(open_.shape[0]):
        for c in range(rows * cols):
            parent[c] = c
            open_[b, 2 * (c // cols) + 1, 2 * (c % cols) + 1] = 1
        joined = 0
        for e in order[b]:
            if e < across:
                i, j = e // (cols - 1), e % (cols - 1)
                a, z, r, c = i * cols + j, i * cols + j + 1, 2 * i + 1, 2 * j + 2
            else:
                i, j = (e - across) // cols, (e - across) % cols
                a, z, r, c = i * cols + j, (i + 1) * cols + j, 2 * i + 2, 2 * j + 1
            ra, rz = _find(parent, a), _find(parent, z)
            if ra != rz:
                parent[ra] = rz
                open_[b, r, c] = 1
                joined += 1
                if joined == rows * cols - 1:
                    break


def wall_positions(rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid positions of every wall that can separate two adjacent cells: across edges first, then down edges."""
    i, j = np.divmod(np.arange(rows * (cols - 1)), max(cols - 1, 1))
    k, m = np.divmod(np.arange((rows - 1) * cols), cols)
    return np.concatenate([2 * i + 1, 2 * k + 2]), np.concatenate([2 * j + 2, 2 * m + 1])


def add_loops(open_: np.ndarray, fraction: float, rng: np.random.Generator) -> None:
    """Open round(fraction x remaining inner walls) random inner walls of each maze, in place."""
    rows, cols = (open_.shape[1] - 1) // 2, (open_.shape[2] - 1) // 2
    wall_r, wall_c = wall_positions(rows, cols)
    closed = open_[:, wall_r, wall_c] == 0
    keys = np.where(closed, rng.random(closed.shape), 2.0)
    counts = np.rint(fraction * closed.sum(axis=1)).astype(np.int64)
    order = np.argsort(keys, axis=1, kind="stable")
    pick = np.arange(closed.shape[1])[None, :] < counts[:, None]
    batch_index = np.broadcast_to(np.arange(len(open_))[:, None], order.shape)[pick]
    chosen = order[pick]
    open_[batch_index, wall_r[chosen], wall_c[chosen]] = 1


def place(count: int, start_cells: np.ndarray, goal_cells: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Start and goal flat cell indices (count, 2), uniform in their regions and distinct (redrawn on a clash)."""
    if len(start_cells) == 1 and len(goal_cells) == 1 and start_cells[0] == goal_cells[0]:
        raise ValueError("start and goal regions are the same single cell")
    start = start_cells[rng.integers(len(start_cells), size=count)]
    goal = goal_cells[rng.integers(len(goal_cells), size=count)]
    clash = start == goal
    while clash.any():
        start[clash] = start_cells[rng.integers(len(start_cells), size=int(clash.sum()))]
        goal[clash] = goal_cells[rng.integers(len(goal_cells), size=int(clash.sum()))]
        clash = start == goal
    return np.stack([start, goal], axis=1)


def generate_grids(
    count: int,
    rows: int,
    cols: int,
    rng: np.random.Generator,
    generator: Generator = "dfs",
    loops: float = 0.0,
    start_region: str = "any",
    goal_region: str = "any",
) -> np.ndarray:
    """`count` mazes of rows x cols cells as grids (count, 3, 2*rows+1, 2*cols+1) uint8."""
    if rows < 1 or cols < 1 or rows * cols < 2:
        raise ValueError(f"a maze needs at least two cells, got {rows} x {cols}")
    grids = np.zeros((count, 3, 2 * rows + 1, 2 * cols + 1), dtype=np.uint8)
    open_ = np.ascontiguousarray(grids[:, OPEN])
    if generator == "dfs":
        roots = rng.integers(rows * cols, size=count)
        _carve_dfs(rows, cols, roots, rng.random((count, rows * cols - 1)), open_)
    elif generator == "kruskal":
        edges = rows * (cols - 1) + (rows - 1) * cols
        _carve_kruskal(rows, cols, np.argsort(rng.random((count, edges)), axis=1), open_)
    else:
        raise ValueError(f"unknown maze generator {generator!r}; expected 'dfs' or 'kruskal'")
    if loops > 0:
        add_loops(open_, loops, rng)
    grids[:, OPEN] = open_
    pairs = place(count, region_cells(start_region, rows, cols), region_cells(goal_region, rows, cols), rng)
    index = np.arange(count)
    for channel, cells in ((START, pairs[:, 0]), (GOAL, pairs[:, 1])):
        i, j = np.divmod(cells, cols)
        grids[index, channel, 2 * i + 1, 2 * j + 1] = 1
    return grids
