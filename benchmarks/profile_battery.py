"""Time to profile one learned algorithm at the quick scale (bar: <= 20 s on 2 cores).

The task is the maze studies' quick scale (4 x 4 cells, 64 evaluation mazes, a pool of 64). Each learner is fitted
first (not timed), then `profile(learned, task)` runs the whole maze battery (transfer, harder and loop mazes,
compute scaling on harder mazes, the multi-reference probe, retargeting, match, power). Times are reported in
seconds (wall and CPU) and as a ratio to a reference measured in the same run: BFS ground truth
(`maze.shortest_path`) run 20 times on 4096 fresh mazes of the same size. Wall time on a shared machine is noisy;
the ratio and CPU time are steadier.
(The file is not called profile.py: run as a script, that name would shadow the standard library's `profile`.)

    .venv/bin/python benchmarks/profile_battery.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from mesaopt.detectors.calibration_cases import BFSNet
from mesaopt.detectors.profile import profile
from mesaopt.learners import fit_learner
from mesaopt.learners.base import no_progress
from mesaopt.tasks import build_task
from mesaopt.tasks.maze import generate, shortest_path

TASK = {"size": 4, "eval_size": 64, "pool_size": 64}
"""The maze studies' quick scale."""

LEARNERS = {
    "bfs": {},
    "lookup": {},
    "cnn": {"steps": 50, "width": 16, "depth": 4},
    "transformer": {"steps": 50, "width": 32, "depth": 2},
    "recurrent": {"steps": 50, "width": 16, "iterations": 8},
    "recurrent_recipe": {"steps": 50, "width": 16, "iterations": 20, "cell": "norm", "open_only": True},
}
"""Learners profiled, with short training (training is not what is timed)."""


def _timed(fn) -> tuple[float, float, object]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def reference_seconds(repeats: int = 3, rounds: int = 20) -> float:
    """Best of `repeats` timings of `rounds` BFS ground-truth passes over 4096 fresh 4 x 4 mazes."""
    grids = generate(4096, TASK["size"], np.random.default_rng(0)).grids
    shortest_path(grids)  # compile and warm up
    return min(_timed(lambda: [shortest_path(grids) for _ in range(rounds)])[0] for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    task = build_task("maze", TASK, np.random.SeedSequence(args.seed))
    reference = reference_seconds()
    print(f"reference (20 x BFS on 4096 mazes): {reference:.3f} s")
    learned = {
        name: fit_learner(name.split("_")[0], params, task, np.random.SeedSequence(args.seed), no_progress)
        for name, params in LEARNERS.items()
    }
    learned["bfs_network"] = BFSNet(40)
    rows = []
    for name, algorithm in learned.items():
        wall, cpu, result = _timed(lambda a=algorithm: profile(a, task))
        rows.append({"learner": name, "wall_s": wall, "cpu_s": cpu, "ratio": wall / reference, "label": result.label})
        print(f"{name:12} {wall:6.2f} s wall  {cpu:6.2f} s cpu  {wall / reference:7.1f} x reference  -> {result.label}")
    worst = max(r["wall_s"] for r in rows)
    print(f"slowest profile: {worst:.2f} s (bar: 20 s)")
    print(json.dumps({"reference_s": reference, "rows": rows}))


if __name__ == "__main__":
    main()
