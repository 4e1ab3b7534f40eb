"""Compiled search loops for the maze algorithms of known nature (`maze_cases`): A*, bidirectional BFS, depth-first
search, greedy steps and path descent with another tie-break.

Each loop runs per maze over a batch of open masks (B, H, W) with positions as flat indices (row * width + col)
and writes its answer into a (B, H, W) bool mask; a search that runs out of budget before the goal leaves it empty.
"""

from __future__ import annotations

import numba
import numpy as np

from mesaopt.tasks.maze_walks import COL_STEP, ROW_STEP

FARTHER = np.iinfo(np.int64).max
"""A score no real one reaches: 'nothing chosen yet'."""


@numba.njit(cache=True)
def _mark_parents(parent: np.ndarray, here: int, width: int, path: np.ndarray, b: int) -> None:
    """Mark `here` and its chain of parents (-1 ends it) on the path of maze b."""
    while here >= 0:
        path[b, here // width, here % width] = True
        here = parent[here]


@numba.njit(cache=True)
def astar(open_: np.ndarray, start: np.ndarray, goal: np.ndarray, budget: int, path: np.ndarray) -> None:
    """A* with the Manhattan heuristic, at most `budget` expansions; ties on f go to the smaller heuristic, then to
    the lower flat index. The heuristic is consistent on the grid, so a closed position is never reopened."""
    _, height, width = open_.shape
    size = height * width
    cost = np.empty(size, dtype=np.int64)
    parent = np.empty(size, dtype=np.int64)
    status = np.empty(size, dtype=np.int8)  # 0 unseen, 1 open, 2 closed
    for b in range(open_.shape[0]):
        cost[:], parent[:], status[:] = -1, -1, 0
        goal_r, goal_c = goal[b] // width, goal[b] % width
        cost[start[b]], status[start[b]] = 0, 1
        for _ in range(budget):
            best, best_f, best_h = -1, FARTHER, FARTHER
            for p in range(size):
                if status[p] == 1:
                    h = abs(p // width - goal_r) + abs(p % width - goal_c)
                    if cost[p] + h < best_f or (cost[p] + h == best_f and h < best_h):
                        best, best_f, best_h = p, cost[p] + h, h
            if best < 0:
                break
            status[best] = 2
            if best == goal[b]:
                _mark_parents(parent, best, width, path, b)
                break
            r, c = best // width, best % width
            for d in range(4):
                rr, cc = r + ROW_STEP[d], c + COL_STEP[d]
                q = rr * width + cc
                inside = 0 <= rr < height and 0 <= cc < width and open_[b, rr, cc]
                if inside and status[q] != 2 and (cost[q] < 0 or cost[best] + 1 < cost[q]):
                    cost[q], parent[q], status[q] = cost[best] + 1, best, 1


@numba.njit(cache=True)
def _expand_level(
    open_: np.ndarray,
    b: int,
    queue: np.ndarray,
    bounds: np.ndarray,
    dist: np.ndarray,
    parent: np.ndarray,
    other: np.ndarray,
) -> int:
    """Expand one BFS level (queue[bounds[0]:bounds[1]]) in place; return the first newly reached position that the
    other side has also reached, or -1."""
    _, height, width = open_.shape
    head, tail = bounds[0], bounds[1]
    end = tail
    meet = -1
    for i in range(head, tail):
        p = queue[i]
        r, c = p // width, p % width
        for d in range(4):
            rr, cc = r + ROW_STEP[d], c + COL_STEP[d]
            q = rr * width + cc
            if 0 <= rr < height and 0 <= cc < width and open_[b, rr, cc] and dist[q] < 0:
                dist[q], parent[q] = dist[p] + 1, p
                queue[end] = q
                end += 1
                if meet < 0 and other[q] >= 0:
                    meet = q
    bounds[0], bounds[1] = tail, end
    return meet


@numba.njit(cache=True)
def bidirectional(open_: np.ndarray, start: np.ndarray, goal: np.ndarray, levels: int, path: np.ndarray) -> None:
    """Level-synchronous BFS from start and goal in turn (start first), at most `levels` levels per side, until a
    newly reached position is known to both sides. With the sides at depths a and b then, a + b is the shortest
    length (no meeting at a - 1 and b means a + b <= it), so every meeting position lies on a shortest path and the
    joined parent chains form one."""
    _, height, width = open_.shape
    size = height * width
    dists = np.empty((2, size), dtype=np.int64)
    parents = np.empty((2, size), dtype=np.int64)
    queues = np.empty((2, size), dtype=np.int64)
    bounds = np.empty((2, 2), dtype=np.int64)
    for b in range(open_.shape[0]):
        dists[:], parents[:] = -1, -1
        for side, source in ((0, start[b]), (1, goal[b])):
            dists[side, source] = 0
            queues[side, 0] = source
            bounds[side, 0], bounds[side, 1] = 0, 1
        done = np.zeros(2, dtype=np.int64)
        meet = start[b] if start[b] == goal[b] else -1
        while meet < 0:
            side = 0 if done[0] <= done[1] else 1
            if done[side] >= levels or bounds[side, 0] == bounds[side, 1]:
                break
            meet = _expand_level(open_, b, queues[side], bounds[side], dists[side], parents[side], dists[1 - side])
            done[side] += 1
        if meet >= 0:
            _mark_parents(parents[0], meet, width, path, b)
            _mark_parents(parents[1], meet, width, path, b)


@numba.njit(cache=True)
def depth_first(
    open_: np.ndarray, start: np.ndarray, goal: np.ndarray, order: np.ndarray, budget: int, path: np.ndarray
) -> None:
    """Depth-first search trying neighbours in `order` (indices into the moves), visiting at most `budget`
    positions; the answer is the stack (the current branch) when the goal is reached."""
    _, height, width = open_.shape
    size = height * width
    seen = np.empty(size, dtype=np.bool_)
    stack = np.empty(size, dtype=np.int64)
    tried = np.empty(size, dtype=np.int64)
    for b in range(open_.shape[0]):
        seen[:] = False
        top, visits = 0, 1
        stack[0], tried[0], seen[start[b]] = start[b], 0, True
        found = start[b] == goal[b]
        while top >= 0 and not found:
            if tried[top] == 4:
                top -= 1
                continue
            d = order[tried[top]]
            tried[top] += 1
            r, c = stack[top] // width + ROW_STEP[d], stack[top] % width + COL_STEP[d]
            q = r * width + c
            if 0 <= r < height and 0 <= c < width and open_[b, r, c] and not seen[q]:
                if visits >= budget:
                    break
                seen[q] = True
                visits += 1
                top += 1
                stack[top], tried[top] = q, 0
                found = q == goal[b]
        if found:
            for i in range(top + 1):
                path[b, stack[i] // width, stack[i] % width] = True


@numba.njit(cache=True)
def greedy(open_: np.ndarray, here: np.ndarray, goal: np.ndarray, walked: np.ndarray) -> None:
    """From `here`, step to the unwalked open neighbour nearest the goal (Manhattan, ties in move order) until the
    goal or a dead end; `walked` (B, H, W) holds positions already walked and gains every new one."""
    _, height, width = open_.shape
    for b in range(open_.shape[0]):
        r, c = here[b] // width, here[b] % width
        goal_r, goal_c = goal[b] // width, goal[b] % width
        walked[b, r, c] = True
        while r != goal_r or c != goal_c:
            best, best_d = -1, FARTHER
            for d in range(4):
                rr, cc = r + ROW_STEP[d], c + COL_STEP[d]
                if 0 <= rr < height and 0 <= cc < width and open_[b, rr, cc] and not walked[b, rr, cc]:
                    h = abs(rr - goal_r) + abs(cc - goal_c)
                    if h < best_d:
                        best, best_d = d, h
            if best < 0:
                break
            r, c = r + ROW_STEP[best], c + COL_STEP[best]
            walked[b, r, c] = True


@numba.njit(cache=True)
def descend_by(dist: np.ndarray, start: np.ndarray, order: np.ndarray, uniforms: np.ndarray, path: np.ndarray) -> None:
    """Walk downhill on a distance field from each start to its source, choosing among the neighbours one closer
    the first in `order`, or, where uniforms has columns, the one uniforms[b, step] draws. An unreached start
    (-1) gives an empty path."""
    _, height, width = dist.shape
    options = np.empty(4, dtype=np.int64)
    for b in range(dist.shape[0]):
        r, c = start[b] // width, start[b] % width
        if dist[b, r, c] < 0:
            continue
        path[b, r, c] = True
        step = 0
        while dist[b, r, c] > 0:
            count = 0
            for d in order:
                rr, cc = r + ROW_STEP[d], c + COL_STEP[d]
                if 0 <= rr < height and 0 <= cc < width and dist[b, rr, cc] == dist[b, r, c] - 1:
                    options[count] = d
                    count += 1
            if count == 0:
                break
            pick = 0 if uniforms.shape[1] == 0 else min(int(uniforms[b, step] * count), count - 1)
            r, c = r + ROW_STEP[options[pick]], c + COL_STEP[options[pick]]
            path[b, r, c] = True
            step += 1
