"""Mazes with solutions per second: mesaopt against maze-dataset's DFS generator, same machine, same run.

Sizes are given as maze-dataset's `grid_n`, the number of cells per side; mesaopt's grid for grid_n = n is
(2n+1) x (2n+1) positions. The defaults cover both readings of "9 x 9 and 19 x 19 grids": grid_n 4 (a 9 x 9 grid of
positions), grid_n 9 (9 x 9 cells, a 19 x 19 grid) and grid_n 19 (19 x 19 cells).

A "maze with a solution" is a perfect DFS maze with random distinct start and goal and its shortest path:
- maze-dataset: `get_maze_with_solution("gen_dfs", (n, n))`, one maze per call (DFS, then A* between random ends);
- mesaopt: `generate` (numba DFS) then `shortest_path` (numba BFS), in batches;
- numpy: the same algorithms written as batched NumPy (a DFS step for every maze in lock step, frontier BFS), to
  show what compiling buys over vectorizing.

Usage: python benchmarks/maze_generation.py [--seconds 3] [--sizes 4 9 19] [--batch 1024]
Exits 1 when maze-dataset is not installed (pip install 'mesaopt[mazes]').
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np

from mesaopt.tasks.maze import GOAL, OPEN, START, generate, shortest_path


def rate(make: Callable[[], int], seconds: float) -> float:
    """Mazes per second of `make` (which returns how many it made), run for about `seconds` after one warm-up."""
    make()
    done, begin = 0, time.perf_counter()
    while time.perf_counter() - begin < seconds:
        done += make()
    return done / (time.perf_counter() - begin)


def numpy_dfs(count: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """Batched NumPy backtracker: every maze takes one push or pop per step, 2n^2 - 1 steps in all."""
    cells, index = n * n, np.arange(count)
    grids = np.zeros((count, 3, 2 * n + 1, 2 * n + 1), dtype=np.uint8)
    visited = np.zeros((count, cells), dtype=bool)
    stack = np.zeros((count, cells), dtype=np.int64)
    stack[:, 0] = rng.integers(cells, size=count)
    visited[index, stack[:, 0]] = True
    top = np.ones(count, dtype=np.int64)
    offsets = np.array([[-1, 0], [0, 1], [1, 0], [0, -1]])
    for _ in range(2 * cells - 1):
        cur = stack[index, top - 1]
        i, j = np.divmod(cur, n)
        ni, nj = i[:, None] + offsets[:, 0], j[:, None] + offsets[:, 1]
        inside = (ni >= 0) & (ni < n) & (nj >= 0) & (nj < n)
        nxt = np.clip(ni, 0, n - 1) * n + np.clip(nj, 0, n - 1)
        free = inside & ~visited[index[:, None], nxt]
        count_free = free.sum(axis=1)
        pick = np.floor(rng.random(count) * count_free).astype(np.int64)
        choice = ((np.cumsum(free, axis=1) == pick[:, None] + 1) & free).argmax(axis=1)
        push = count_free > 0
        b, to = index[push], nxt[push, choice[push]]
        ti, tj = np.divmod(to, n)
        visited[b, to] = True
        grids[b, OPEN, i[push] + ti + 1, j[push] + tj + 1] = 1
        stack[b, top[push]] = to
        top = np.where(push, top + 1, top - 1)
    grids[:, OPEN, 1::2, 1::2] = 1
    ends = np.argsort(rng.random((count, cells)), axis=1)[:, :2]
    for channel, cell in ((START, ends[:, 0]), (GOAL, ends[:, 1])):
        grids[index, channel, 2 * (cell // n) + 1, 2 * (cell % n) + 1] = 1
    return grids


def numpy_shortest_path(grids: np.ndarray) -> np.ndarray:
    """Batched NumPy BFS from the goal by frontier expansion, then a walk downhill from the start."""
    open_ = grids[:, OPEN].astype(bool)
    dist = np.where(grids[:, GOAL] == 1, 0, -1).astype(np.int32)
    frontier, step = grids[:, GOAL].astype(bool), 0
    while frontier.any():
        step += 1
        grown = np.zeros_like(frontier)
        grown[:, 1:] |= frontier[:, :-1]
        grown[:, :-1] |= frontier[:, 1:]
        grown[:, :, 1:] |= frontier[:, :, :-1]
        grown[:, :, :-1] |= frontier[:, :, 1:]
        frontier = grown & open_ & (dist < 0)
        dist[frontier] = step
    batch, height, width = open_.shape
    index = np.arange(batch)
    rows, cols = np.divmod(grids[:, START].reshape(batch, -1).argmax(axis=1), width)
    path = np.zeros_like(open_)
    path[index, rows, cols] = True
    for _ in range(int(dist.max())):
        here = dist[index, rows, cols]
        moving, chosen = here > 0, np.zeros(batch, dtype=bool)
        new_rows, new_cols = rows.copy(), cols.copy()
        for dr, dc in ((-1, 0), (0, 1), (1, 0), (0, -1)):
            r, c = np.clip(rows + dr, 0, height - 1), np.clip(cols + dc, 0, width - 1)
            step_ok = moving & ~chosen & (dist[index, r, c] == here - 1)
            new_rows[step_ok], new_cols[step_ok] = r[step_ok], c[step_ok]
            chosen |= step_ok
        rows, cols = new_rows, new_cols
        path[index, rows, cols] = True
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="timing window per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 9, 19], help="maze-dataset grid_n (cells/side)")
    parser.add_argument("--batch", type=int, default=1024, help="mazes per mesaopt call")
    args = parser.parse_args()
    try:
        from maze_dataset.generation.generators import get_maze_with_solution
    except ImportError as error:
        print(f"maze-dataset is not installed ({error}); install the extra: pip install 'mesaopt[mazes]'")
        return 1

    rng = np.random.default_rng(0)
    compile_begin = time.perf_counter()
    shortest_path(generate(2, 2, rng).grids)
    print(f"first call (numba compile or cache load): {time.perf_counter() - compile_begin:.2f} s, not timed below")
    print(f"{'grid_n (cells)':>14} {'grid (positions)':>16} {'maze-dataset/s':>15} {'mesaopt/s':>12} "
          f"{'numpy/s':>10} {'mesaopt÷maze-dataset':>21} {'mesaopt÷numpy':>14}")  # fmt: skip
    ok = True
    for n in args.sizes:
        theirs = rate(lambda n=n: (get_maze_with_solution("gen_dfs", (n, n)), 1)[1], args.seconds)
        ours = rate(lambda n=n: len(shortest_path(generate(args.batch, n, rng).grids)), args.seconds)
        plain = rate(lambda n=n: len(numpy_shortest_path(numpy_dfs(args.batch, n, rng))), args.seconds)
        ok &= ours / theirs >= 100
        print(f"{n:>14} {f'{2 * n + 1} x {2 * n + 1}':>16} {theirs:>15.0f} {ours:>12.0f} {plain:>10.0f} "
              f"{ours / theirs:>20.0f}x {ours / plain:>13.1f}x")  # fmt: skip
    print("target >= 100x maze-dataset:", "met" if ok else "NOT met", "at every size")
    return 0


if __name__ == "__main__":
    sys.exit(main())
