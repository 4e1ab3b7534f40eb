"""Ground truth on batches of maze grids: BFS distances, shortest paths, BFS frontiers, dead-end filling.

Every step here is one grid position: moving from one cell to the next takes two steps (through the position
between them), which is also what one 3 x 3 convolution can propagate.
"""

from __future__ import annotations

from typing import Literal

import numba
import numpy as np

from mesaopt.tasks.maze_grid import GOAL, OPEN, START

Source = Literal["goal", "start"]


@numba.njit(cache=True)
def _bfs(open_: np.ndarray, source: np.ndarray, max_steps: int, dist: np.ndarray) -> None:
    """Queue-based BFS per maze over open positions, in place into `dist` (pre-filled with -1)."""
    _, height, width = open_.shape
    queue = np.empty(height * width, dtype=np.int64)
    for b in range(open_.shape[0]):
        head, tail = 0, 0
        for r in range(height):
            for c in range(width):
                if source[b, r, c]:
                    dist[b, r, c] = 0
                    if open_[b, r, c]:
                        queue[tail] = r * width + c
                        tail += 1
        while head < tail:
            r, c = divmod(queue[head], width)
            head += 1
            here = dist[b, r, c]
            if max_steps >= 0 and here >= max_steps:
                continue
            for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < height and 0 <= cc < width and open_[b, rr, cc] and dist[b, rr, cc] < 0:
                    dist[b, rr, cc] = here + 1
                    queue[tail] = rr * width + cc
                    tail += 1


@numba.njit(cache=True)
def _descend(dist: np.ndarray, rows: np.ndarray, cols: np.ndarray, path: np.ndarray) -> None:
    """From each start, step to the first neighbour (up, right, down, left) one closer to the source.

    A field that is not an exact BFS field (one read off a network, say) may have no such neighbour: the walk stops
    there and keeps the part of the path it drew.
    """
    _, height, width = dist.shape
    for b in range(dist.shape[0]):
        r, c = rows[b], cols[b]
        if dist[b, r, c] < 0:
            continue
        path[b, r, c] = True
        while dist[b, r, c] > 0:
            here = dist[b, r, c]
            moved = False
            for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
                rr, cc = r + dr, c + dc
                if 0 <= rr < height and 0 <= cc < width and dist[b, rr, cc] == here - 1:
                    r, c = rr, cc
                    moved = True
                    break
            if not moved:
                break
            path[b, r, c] = True


def distance_field(open_: np.ndarray, source: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """BFS distance (in grid steps) from the source positions over open positions; -1 where not reached.

    With `max_steps`, the search stops after that many expansions, as a searcher with a compute budget would.
    """
    open_ = np.ascontiguousarray(open_, dtype=np.bool_)
    dist = np.full(open_.shape, -1, dtype=np.int32)
    budget = -1 if max_steps is None else max(int(max_steps), 0)
    _bfs(open_, np.ascontiguousarray(source, dtype=np.bool_), budget, dist)
    return dist


def distances(grids: np.ndarray, source: Source = "goal", max_steps: int | None = None) -> np.ndarray:
    """BFS distances of every position from the goal or from the start, (B, H, W) int32, -1 where unreachable."""
    channel = {"goal": GOAL, "start": START}[source]
    return distance_field(grids[:, OPEN], grids[:, channel], max_steps)


def shortest_path(grids: np.ndarray, max_steps: int | None = None) -> np.ndarray:
    """The shortest start-to-goal path as a mask, ties broken by the fixed move order; empty if not reached."""
    return descend(distances(grids, "goal", max_steps), grids)


def descend(dist: np.ndarray, grids: np.ndarray) -> np.ndarray:
    """The path mask read off a goal-distance field (-1 = unreached): walk downhill from each start, ties in MOVES
    order. An unreached start gives an empty mask; on an exact BFS field this is the shortest path."""
    batch, _, width = dist.shape
    rows, cols = np.divmod(grids[:, START].reshape(batch, -1).argmax(axis=1), width)
    path = np.zeros(dist.shape, dtype=bool)
    _descend(np.ascontiguousarray(dist, dtype=np.int64), rows.astype(np.int64), cols.astype(np.int64), path)
    return path


def path_cells(grids: np.ndarray, path: np.ndarray | None = None) -> list[np.ndarray]:
    """Each maze's path as (row, col) cell coordinates in order from start to goal; shortest path by default."""
    path = shortest_path(grids) if path is None else np.asarray(path, dtype=bool)
    dist = distances(grids, "goal")
    out = []
    for b in range(len(grids)):
        r, c = np.nonzero(path[b, 1::2, 1::2])
        order = np.argsort(-dist[b, 2 * r + 1, 2 * c + 1], kind="stable")
        out.append(np.stack([r[order], c[order]], axis=1))
    return out


def frontier_states(grids: np.ndarray, source: Source = "goal") -> np.ndarray:
    """BFS visited set after each step t = 0..T-1, (B, T, H, W) bool; T is the largest finite distance + 1.

    Mazes that finish earlier repeat their final set.
    """
    dist = distances(grids, source)
    steps = np.arange(int(dist.max(initial=0)) + 1)[None, :, None, None]
    return (dist[:, None] >= 0) & (dist[:, None] <= steps)


def frontier_masks(grids: np.ndarray, source: Source = "goal") -> np.ndarray:
    """The BFS frontier at each step: positions first reached at step t, (B, T, H, W) bool."""
    dist = distances(grids, source)
    steps = np.arange(int(dist.max(initial=0)) + 1)[None, :, None, None]
    return dist[:, None] == steps


def _open_neighbours(mask: np.ndarray) -> np.ndarray:
    """How many of the four neighbours of each position are set, (B, H, W)."""
    count = np.zeros(mask.shape, dtype=np.int8)
    count[:, 1:] += mask[:, :-1]
    count[:, :-1] += mask[:, 1:]
    count[:, :, 1:] += mask[:, :, :-1]
    count[:, :, :-1] += mask[:, :, 1:]
    return count


def dead_end_filling_states(grids: np.ndarray) -> np.ndarray:
    """Still-open positions after each round of dead-end filling, (B, T, H, W) bool; round 0 is the maze itself.

    A round fills, all at once, every open position other than start and goal with at most one open neighbour.
    T counts rounds until no maze in the batch changes; mazes that settle earlier repeat their final set. On a perfect
    maze the final set is the start-goal path; loops survive filling.
    """
    alive = grids[:, OPEN].astype(bool)
    keep = grids[:, START].astype(bool) | grids[:, GOAL].astype(bool)
    states = [alive]
    while True:
        fill = alive & ~keep & (_open_neighbours(alive) <= 1)
        if not fill.any():
            return np.stack(states, axis=1)
        alive = alive & ~fill
        states.append(alive)


def is_shortest_path(grids: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per maze: is the mask a shortest start-to-goal path over open positions, whatever the tie-break?

    A mask of open positions that links start to goal through its own 4-connected positions holds at least
    distance + 1 positions; with exactly that many it is a shortest path and nothing else, so the test is:
    inside the open positions, start and goal included, connected from start to goal, and distance + 1 positions.
    """
    masks = np.asarray(masks, dtype=bool)
    open_ = grids[:, OPEN].astype(bool)
    start, goal = grids[:, START].astype(bool), grids[:, GOAL].astype(bool)
    dist = distances(grids, "goal")
    length = np.where(start, dist, -1).max(axis=(1, 2))
    inside = ~(masks & ~open_).any(axis=(1, 2)) & (masks & start).any(axis=(1, 2)) & (masks & goal).any(axis=(1, 2))
    sized = masks.sum(axis=(1, 2)) == length + 1
    within = distance_field(masks, start & masks)
    linked = ((within >= 0) & goal).any(axis=(1, 2))
    return inside & sized & linked & (length >= 0)


def on_shortest_paths(grids: np.ndarray) -> np.ndarray:
    """Positions lying on at least one shortest start-to-goal path, (B, H, W) bool (the union of all of them)."""
    from_goal, from_start = distances(grids, "goal"), distances(grids, "start")
    length = np.where(grids[:, START].astype(bool), from_goal, -1).max(axis=(1, 2))
    return (from_goal >= 0) & (from_start >= 0) & (from_goal + from_start == length[:, None, None])
