"""Success and solve time of the maze algorithms of known nature (`detectors/maze_cases.py`).

Success is the task's own (`is_shortest_path`: any shortest path) on 256 novel 4 x 4 tree mazes, 256 4 x 4 mazes
with loops (0.3) and 128 7 x 7 tree mazes of one maze task (seed 0, pool 64). Time is the median of REPEATS solves
per 256 mazes, after one untimed call that compiles the numba loops, on 4 x 4 and on 7 x 7 mazes (the 128 scaled
to 256), and as a ratio to BFS ground truth (`maze.shortest_path`) timed the same way in the same run. Nothing is
asserted: the table is for reading.

    .venv/bin/python benchmarks/maze_cases.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from mesaopt.detectors import maze_cases as mc
from mesaopt.learners.bfs import BFSSolver
from mesaopt.tasks import build_task
from mesaopt.tasks.maze import MazeBatch, is_shortest_path

REPEATS = 5
"""Timed solves per algorithm and size; the median damps a shared machine's noise."""

CELLS = 16
"""Cells of a 4 x 4 maze: the walks' step caps are multiples of it, as in the issue's calibration cases."""


def cases() -> dict[str, object]:
    """The algorithms measured, by row label."""
    return {
        "BFS, lab tie-break (reference)": BFSSolver(81),
        "BFS, reversed tie-break": mc.TieBreakBFS("reversed"),
        "BFS, random tie-break": mc.TieBreakBFS("random", seed=1),
        "A*, Manhattan": mc.AStar(),
        "bidirectional BFS": mc.BidirectionalBFS(),
        "DFS path": mc.DFSPath(),
        "BFS to depth 6, then greedy": mc.BFSThenGreedy(6),
        "dead-end filling, 4 rounds": mc.DeadEndFiller(4),
        "dead-end filling, uncapped": mc.DeadEndFiller(None),
        "random walk, 4 x cells steps": mc.RandomWalk(4 * CELLS, seed=1),
        "random walk, 64 x cells steps": mc.RandomWalk(64 * CELLS, seed=1),
        "loop-erased walk, 4 x cells steps": mc.LoopErasedWalk(4 * CELLS, seed=1),
        "loop-erased walk, 64 x cells steps": mc.LoopErasedWalk(64 * CELLS, seed=1),
        "goal proxy (bottom-right corner)": mc.GoalProxy(),
        "filling net, hand-set, 40 iterations": mc.FillingNet(40),
        "filling net, untrained, 40 iterations": mc.FillingNet(40).untrained(),
    }


def seconds(case, mazes: MazeBatch) -> float:
    """Median wall time of one solve of the batch, scaled to 256 mazes."""
    times = []
    for _ in range(REPEATS):
        begin = time.perf_counter()
        case.solve(mazes)
        times.append(time.perf_counter() - begin)
    return statistics.median(times) * 256 / len(mazes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the filling nets)")
    torch.set_num_threads(parser.parse_args().threads)
    task = build_task("maze", {"size": 4, "pool_size": 64, "eval_size": 256}, np.random.SeedSequence(0))
    splits = {"novel 4x4": task.novel(256), "loops 4x4": task.loop_mazes(256), "harder 7x7": task.harder(128)}
    timed = {"4x4": splits["novel 4x4"], "7x7": splits["harder 7x7"]}
    rows = []
    for name, case in cases().items():
        for mazes in timed.values():
            case.solve(mazes)  # compile once, untimed
        rates = [float(is_shortest_path(m.grids, case.solve(m)).mean()) for m in splits.values()]
        rows.append((name, rates, [seconds(case, m) for m in timed.values()]))
    reference = rows[0][2]
    print(f"| algorithm | {' | '.join(splits)} | " + " | ".join(f"s / 256 {k} (x BFS)" for k in timed) + " |")
    print("|---|" + "---:|" * (len(splits) + len(timed)))
    for name, rates, times in rows:
        spent = " | ".join(f"{t:.4f} ({t / r:.0f}x)" for t, r in zip(times, reference, strict=True))
        print(f"| {name} | " + " | ".join(f"{r:.2f}" for r in rates) + f" | {spent} |")


if __name__ == "__main__":
    main()
