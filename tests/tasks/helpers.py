"""Independent reference code for the maze tests: plain-Python BFS on one grid, written apart from the library."""

from __future__ import annotations

from collections import deque

import numpy as np

STEPS = ((-1, 0), (0, 1), (1, 0), (0, -1))


def bfs(open_: np.ndarray, source: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Distance of every reachable open position of one (H, W) grid from one source position."""
    height, width = open_.shape
    seen = {source: 0}
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        for dr, dc in STEPS:
            nxt = (r + dr, c + dc)
            if 0 <= nxt[0] < height and 0 <= nxt[1] < width and open_[nxt] and nxt not in seen:
                seen[nxt] = seen[(r, c)] + 1
                queue.append(nxt)
    return seen


def marked(channel: np.ndarray) -> tuple[int, int]:
    """The one marked position of a (H, W) channel."""
    (r,), (c,) = np.nonzero(channel)
    return int(r), int(c)


def edges(open_: np.ndarray) -> int:
    """Passages between adjacent cells: open positions that are not cells."""
    return int(open_.astype(bool).sum() - open_[1::2, 1::2].astype(bool).sum())
