"""Walks on batches of maze grids and the reference trajectories the search-state probe compares hidden states with.

A walk is recorded as flat grid positions (row * width + col), one per step, in a (B, L) array with a length per
maze; each step moves to a 4-neighbouring open position, as in `maze_truth`. Trajectories are (B, T, H, W) with T
fixed for the batch: mazes that finish early repeat their final state.
"""

from __future__ import annotations

import numba
import numpy as np

from mesaopt.tasks.maze_grid import GOAL, OPEN, START
from mesaopt.tasks.maze_truth import Source, distances, frontier_states

ROW_STEP = np.array([-1, 0, 1, 0], dtype=np.int64)
COL_STEP = np.array([0, 1, 0, -1], dtype=np.int64)
"""The moves up, right, down, left (`maze_grid.MOVES`) as arrays a compiled loop can index by heading."""

LEFT_HAND_TURNS = (3, 0, 1, 2)
"""Headings tried by the left-hand rule, relative to the current one: left, straight on, right, back."""


def walk_cap(grids: np.ndarray) -> int:
    """Steps after which a deterministic walk must be cycling: its state (position, heading) has 4 x H x W values."""
    return 4 * grids.shape[-2] * grids.shape[-1]


def flat_positions(mask: np.ndarray) -> np.ndarray:
    """The flat index (row * width + col) of the first marked position of each (H, W) mask of a (B, H, W) batch."""
    return mask.reshape(len(mask), -1).argmax(axis=1).astype(np.int64)


@numba.njit(cache=True)
def _wall_walk(
    open_: np.ndarray, start: np.ndarray, target: np.ndarray, max_steps: int, walk: np.ndarray, length: np.ndarray
) -> None:
    """Left hand on the wall from each start, facing up, until a target position or `max_steps` moves."""
    _, height, width = open_.shape
    for b in range(open_.shape[0]):
        r, c = start[b] // width, start[b] % width
        heading = 0
        walk[b, 0] = start[b]
        n = 1
        while n <= max_steps and not target[b, r, c]:
            moved = False
            for turn in LEFT_HAND_TURNS:
                d = (heading + turn) % 4
                rr, cc = r + ROW_STEP[d], c + COL_STEP[d]
                if 0 <= rr < height and 0 <= cc < width and open_[b, rr, cc]:
                    heading, r, c, moved = d, rr, cc, True
                    break
            if not moved:
                break
            walk[b, n] = r * width + c
            n += 1
        length[b] = n


@numba.njit(cache=True)
def _random_walk(
    open_: np.ndarray, start: np.ndarray, goal: np.ndarray, uniforms: np.ndarray, walk: np.ndarray, length: np.ndarray
) -> None:
    """From each start, step to an open neighbour drawn by uniforms[b, step] until the goal or the uniforms run out."""
    _, height, width = open_.shape
    options = np.empty(4, dtype=np.int64)
    for b in range(open_.shape[0]):
        r, c = start[b] // width, start[b] % width
        walk[b, 0] = start[b]
        n = 1
        for step in range(uniforms.shape[1]):
            if goal[b, r, c]:
                break
            count = 0
            for d in range(4):
                rr, cc = r + ROW_STEP[d], c + COL_STEP[d]
                if 0 <= rr < height and 0 <= cc < width and open_[b, rr, cc]:
                    options[count] = d
                    count += 1
            if count == 0:
                break
            d = options[min(int(uniforms[b, step] * count), count - 1)]
            r, c = r + ROW_STEP[d], c + COL_STEP[d]
            walk[b, n] = r * width + c
            n += 1
        length[b] = n


@numba.njit(cache=True)
def _loop_erase(walk: np.ndarray, length: np.ndarray, mask: np.ndarray) -> None:
    """Chronological loop erasure of each walk: on revisiting a position, drop everything after its first visit."""
    place = np.full(mask.shape[1], -1, dtype=np.int64)
    path = np.empty(walk.shape[1], dtype=np.int64)
    for b in range(walk.shape[0]):
        place[:] = -1
        n = 0
        for t in range(length[b]):
            p = walk[b, t]
            if place[p] >= 0:
                for j in range(place[p] + 1, n):
                    place[path[j]] = -1
                n = place[p] + 1
            else:
                place[p] = n
                path[n] = p
                n += 1
        for j in range(n):
            mask[b, path[j]] = True


def wall_follower_walks(
    grids: np.ndarray, max_steps: int, target: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Left-hand wall-follower walks from the start, facing up, until the target (the goal by default) or
    `max_steps` moves: flat positions (B, max_steps + 1) and the number recorded per maze."""
    if max_steps < 0:
        raise ValueError(f"max_steps must be at least 0, got {max_steps}")
    target = np.ascontiguousarray(grids[:, GOAL] if target is None else target, dtype=np.bool_)
    walk = np.zeros((len(grids), max_steps + 1), dtype=np.int64)
    length = np.zeros(len(grids), dtype=np.int64)
    open_ = np.ascontiguousarray(grids[:, OPEN], dtype=np.bool_)
    _wall_walk(open_, flat_positions(grids[:, START]), target, max_steps, walk, length)
    return walk, length


def random_walks(grids: np.ndarray, uniforms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Random walks from the start until the goal, one uniform draw in [0, 1) per step (B, steps): positions
    (B, steps + 1) and the number recorded per maze."""
    uniforms = np.ascontiguousarray(uniforms, dtype=np.float64)
    walk = np.zeros((len(grids), uniforms.shape[1] + 1), dtype=np.int64)
    length = np.zeros(len(grids), dtype=np.int64)
    open_ = np.ascontiguousarray(grids[:, OPEN], dtype=np.bool_)
    goal = np.ascontiguousarray(grids[:, GOAL], dtype=np.bool_)
    _random_walk(open_, flat_positions(grids[:, START]), goal, uniforms, walk, length)
    return walk, length


def walked_masks(walk: np.ndarray, length: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Every position each walk visited, (B, H, W) bool."""
    mask = np.zeros((len(walk), shape[0] * shape[1]), dtype=bool)
    rows = np.repeat(np.arange(len(walk)), length)
    mask[rows, walk[np.arange(walk.shape[1])[None, :] < length[:, None]]] = True
    return mask.reshape(len(walk), *shape)


def loop_erased(walk: np.ndarray, length: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The loop-erased walks as (B, H, W) masks: a simple path from each walk's first position to its last."""
    mask = np.zeros((len(walk), shape[0] * shape[1]), dtype=np.bool_)
    _loop_erase(np.ascontiguousarray(walk), np.ascontiguousarray(length), mask)
    return mask.reshape(len(walk), *shape)


def visited_states(walk: np.ndarray, length: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Positions visited so far after each step t = 0..T-1, (B, T, H, W) bool, T = the longest walk's length."""
    size = shape[0] * shape[1]
    steps = int(length.max(initial=1))
    first = np.full((len(walk), size), steps, dtype=np.int64)
    rows, times = np.nonzero(np.arange(walk.shape[1])[None, :] < length[:, None])
    np.minimum.at(first, (rows, walk[rows, times]), times)
    states = first[:, None, :] <= np.arange(steps)[None, :, None]
    return states.reshape(len(walk), steps, *shape)


def wall_follower_states(grids: np.ndarray, max_steps: int) -> np.ndarray:
    """Positions a left-hand wall follower from the start has visited after each step, (B, T, H, W) bool.

    T is one more than the most steps any maze took to reach its goal, at most `max_steps` + 1.
    """
    walk, length = wall_follower_walks(grids, max_steps)
    return visited_states(walk, length, grids.shape[-2:])


def bfs_distance_states(grids: np.ndarray, source: Source = "goal") -> np.ndarray:
    """The distance field a BFS from the goal or the start knows after each step t = 0..T-1, (B, T, H, W) int32.

    Positions not reached by step t read t + 1 (walls and cut-off positions included); T is as in `frontier_states`,
    so at the last step every reachable position holds its `distances` value.
    """
    dist = distances(grids, source)
    visited = frontier_states(grids, source)
    steps = np.arange(visited.shape[1], dtype=np.int32)[None, :, None, None]
    return np.where(visited, dist[:, None], steps + 1).astype(np.int32)
