"""Episodes per second of the video world: batched `walk` against the agents' plain-Python definition, same run.

Both walk the same agents on the same mazes with the same random draws (the test suite checks that they give the same
positions); maze generation is timed apart, as it is shared. Prints, per agent and maze size, the rate of each and
the batched speed-up as a ratio, so the number does not depend on the machine.

Usage: python benchmarks/video.py [--seconds 2] [--sizes 4 8] [--batch 512] [--steps 12]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from mesaopt.tasks.maze_gen import generate_grids
from mesaopt.tasks.maze_grid import GOAL, START
from mesaopt.tasks.video import marked_positions
from mesaopt.tasks.video_agents import AGENTS, walk, walk_reference


def rate(make: Callable[[], int], seconds: float) -> float:
    """Episodes per second of `make` (which returns how many it made), run for about `seconds` after one warm-up."""
    make()
    done, begin = 0, time.perf_counter()
    while time.perf_counter() - begin < seconds:
        done += make()
    return done / (time.perf_counter() - begin)


def main() -> None:
    """Measure and print the rates and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--sizes", type=int, nargs="+", default=[4, 8], help="cells per maze side")
    parser.add_argument("--batch", type=int, default=512, help="episodes per batched call")
    parser.add_argument("--steps", type=int, default=12, help="steps per episode")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'agent':>14} {'cells':>5} {'mazes/s':>10} {'batched ep/s':>13} {'python ep/s':>12} {'speed-up':>9}")
    for size in args.sizes:
        grids = generate_grids(args.batch, size, size, rng)
        starts, goals = marked_positions(grids, START), marked_positions(grids, GOAL)
        goal_seq = np.repeat(goals[:, None], args.steps + 1, axis=1)
        draws = rng.random((args.batch, args.steps))
        mazes = rate(lambda size=size: len(generate_grids(args.batch, size, size, rng)), args.seconds)
        few = max(args.batch // 16, 1)
        for agent in AGENTS:
            fast = rate(_walker(walk, grids, starts, goal_seq, draws, agent), args.seconds)
            slow = rate(
                _walker(walk_reference, grids[:few], starts[:few], goal_seq[:few], draws[:few], agent), args.seconds
            )
            print(f"{agent:>14} {size:>5} {mazes:>10.0f} {fast:>13.0f} {slow:>12.0f} {fast / slow:>8.1f}x")


def _walker(how: Callable, grids, starts, goals, draws, agent: str) -> Callable[[], int]:
    """A call that walks the given episodes with `how` and returns how many it walked."""
    return lambda: len(how(grids, starts, goals, agent, draws, 0.5).positions)


if __name__ == "__main__":
    main()
