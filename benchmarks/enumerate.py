"""How fast the program enumerator evaluates candidates on 2 cores, against the one-program-at-a-time interpreter.

    .venv/bin/python benchmarks/enumerate.py                 # 60 s, 2 worker processes
    .venv/bin/python benchmarks/enumerate.py --seconds 10 --workers 1

Each worker process runs one word-level enumeration (its own training set: hash inversion, W-bit words) for the
time budget; the workers run at the same time, one per core. The enumerator itself is single-process: two cores are
used by running two enumerations side by side, and the rate on 2 cores is their candidates together divided by the
wall time of the whole parallel run. Printed: that rate, the per-CPU-second rate (candidates over the workers' summed
process CPU time), the load average before and after (the machine is shared: with a load above the core count the
wall rate understates what two idle cores do; the CPU rate is the steadier figure), the largest description length
(bits) whose cost level was completed within the budget, and the ratio to the reference: the step-counting
interpreter on one program at a time over the same instances, measured in this process after the workers finish.
With --maze-seconds > 0 it also prints the rate of the maze enumerator (one process) on one corner-to-corner maze.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from mesaopt.dsl import Dsl
from mesaopt.learners.programs.enumerate import EnumConfig, Enumerator
from mesaopt.learners.programs.interpret import run
from mesaopt.learners.programs.local import Sampler


def training_set(bits: int, instances: int, seed: int) -> tuple[Dsl, np.ndarray, np.ndarray]:
    dsl = Dsl(word_bits=bits, n_vars=1)
    secrets = np.random.default_rng(seed).choice(1 << bits, size=instances, replace=False)
    return dsl, dsl.h1(secrets)[:, None], secrets


def worker(seed: int, bits: int, instances: int, max_level: int, seconds: float) -> dict[str, float]:
    """One enumeration for `seconds`; what it evaluated and what it cost."""
    dsl, inputs, answers = training_set(bits, instances, seed)
    config = EnumConfig(g=1e6, max_cost=64, widths=(bits,), max_level=max_level, time_budget_s=seconds)
    enumerator = Enumerator(dsl, inputs, answers, config)
    cpu0 = time.process_time()
    result = enumerator.run()
    return {
        "candidates": float(result.candidates),
        "cpu": time.process_time() - cpu0,
        "wall": result.seconds,
        "completed": float(result.max_cost_reached - (0 if result.exhaustive else 1)),
        "truncated": float(enumerator.truncated),
        "kept": float(result.kept),
    }


def reference_rate(dsl: Dsl, inputs: np.ndarray, seconds: float) -> float:
    """Programs per second through the interpreter, one random program at a time."""
    sampler = Sampler(dsl, dsl.word_bits, None, np.random.default_rng(0))
    programs = [sampler.tree() for _ in range(2000)]
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        run(dsl, programs[count % len(programs)], inputs)
        count += 1
    return count / (time.perf_counter() - start)


def maze_rate(seconds: float, size: int) -> str:
    from mesaopt.learners.programs.maze import MazeDsl
    from mesaopt.learners.programs.maze_search import MazeEnumConfig, MazeEnumerator
    from mesaopt.tasks.maze import MazeConfig, MazeTask, shortest_path

    config = MazeConfig(size=size, pool_size=1, eval_size=4, start_region="top-left", goal_region="bottom-right")
    grids = np.asarray(MazeTask(config, np.random.SeedSequence(0)).train_pool().grids)
    dsl = MazeDsl((grids.shape[-2] - 1) // 2, (grids.shape[-1] - 1) // 2)
    enumerator = MazeEnumerator(
        dsl, grids, shortest_path(grids), MazeEnumConfig(g=1e6, max_cost=64, time_budget_s=seconds)
    )
    cpu0 = time.process_time()
    result = enumerator.run()
    cpu = time.process_time() - cpu0
    completed = result.max_cost_reached - (0 if result.exhaustive else 1)
    return (
        f"maze ({size}x{size}, one process): {result.candidates:,} candidates in {result.seconds:.1f} s wall, "
        f"{cpu:.1f} s CPU = {result.candidates / cpu:,.0f}/s CPU; {enumerator.skipped:,} depths pruned unevaluated; "
        f"largest completed level {completed} bits"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="enumeration time budget per worker")
    parser.add_argument("--workers", type=int, default=2, help="enumerations run side by side (one per core)")
    parser.add_argument("--bits", type=int, default=8, help="word size W")
    parser.add_argument("--instances", type=int, default=16, help="training instances")
    parser.add_argument("--max-level", type=int, default=400_000, help="programs kept per cost level")
    parser.add_argument("--maze-seconds", type=float, default=0.0, help="also time the maze enumerator this long")
    parser.add_argument("--maze-size", type=int, default=5, help="maze size for --maze-seconds")
    args = parser.parse_args()
    load_before = os.getloadavg()
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers, mp_context=context) as pool:
        futures = [
            pool.submit(worker, seed, args.bits, args.instances, args.max_level, args.seconds)
            for seed in range(args.workers)
        ]
        results = [f.result() for f in futures]
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    total = sum(r["candidates"] for r in results)
    cpu = sum(r["cpu"] for r in results)
    dsl, inputs, _ = training_set(args.bits, args.instances, 0)
    ref = reference_rate(dsl, inputs, min(5.0, args.seconds / 4))
    cores = os.cpu_count()
    print(f"workers: {args.workers} enumerations side by side on a machine with {cores} cores")
    print(f"load average (1, 5, 15 min) before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    print(f"load average (1, 5, 15 min) after:  {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    for i, r in enumerate(results):
        print(
            f"  worker {i}: {r['candidates']:,.0f} candidates, {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, "
            f"{r['candidates'] / r['cpu']:,.0f}/s CPU, level {r['completed']:.0f} bits completed, "
            f"kept {r['kept']:,.0f}, level cap hit: {bool(r['truncated'])}"
        )
    print(f"candidates evaluated: {total:,.0f} in {wall:.1f} s wall, {cpu:.1f} s CPU (all workers)")
    print(f"rate on {args.workers} cores: {total / wall:,.0f} candidates/s wall")
    print(f"rate per CPU second: {total / cpu:,.0f} candidates/s CPU")
    print(
        f"largest program size (bits) whose level completed in {args.seconds:.0f} s: "
        f"{max(r['completed'] for r in results):.0f} (min over workers {min(r['completed'] for r in results):.0f})"
    )
    print(
        f"reference (interpreter, one program at a time): {ref:,.0f} programs/s; "
        f"ratio per CPU second {total / cpu / ref:,.1f}x"
    )
    if args.maze_seconds > 0:
        print(maze_rate(args.maze_seconds, args.maze_size))


if __name__ == "__main__":
    main()
