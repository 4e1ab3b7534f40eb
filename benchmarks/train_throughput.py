"""Training throughput of the maze studies' quick configurations, as a fraction of a matmul measured in the same run.

For each configuration the script trains a run group (several seeds, as the study runner does) twice on the same
seeds: once one seed after another under torch's FLOP counter (the floating-point operations of every forward and
backward pass: the progressive loss draws its iteration counts from the step number, so both passes do the same
work), and once timed the way a study trains it. Throughput is counted FLOPs / seconds; the reference is a float32
matmul of the stated size on the same threads, timed in the same process right before. Both are timed in CPU
seconds of this process (so other work on a shared machine does not count against either) and in wall seconds; on
an idle machine with one thread the two agree. The goal is a fraction of at least 0.5; the script prints what it
gets.

    .venv/bin/python benchmarks/train_throughput.py --threads 2 --steps 200
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from mesaopt.learners import LEARNERS
from mesaopt.learners.neural import fit_neural_many
from mesaopt.tasks import build_task

CONFIGS = {
    "recurrent": {
        "width": 16,
        "iterations": 16,
        "lr": 0.003,
        "cell": "norm",
        "open_only": True,
        "horizon": 3,
        "batch_size": 32,
    },
    "cnn": {"width": 16, "depth": 8, "lr": 0.003, "batch_size": 32},
    "transformer": {"width": 32, "depth": 2, "lr": 0.003, "batch_size": 32},
}
"""The quick configurations of the maze studies (4 x 4 mazes), without their step counts. The transformer's is
maze_algorithmic_range's base table; that study trains it at full scale only, because of this throughput."""

MATMUL_SIZE = 512
"""Side of the square float32 matrices of the reference matmul: large enough to reach the BLAS peak on a CPU core."""


def matmul_flops_per_s(size: int, seconds: float = 1.0) -> tuple[float, float]:
    """FLOP per CPU second and per wall second of repeated size x size float32 matmuls on the current threads."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    count, cpu, wall = 0, time.process_time(), time.perf_counter()
    while time.process_time() - cpu < seconds:
        a @ b
        count += 1
    flops = 2 * size**3 * count
    return flops / (time.process_time() - cpu), flops / (time.perf_counter() - wall)


def training_flops(learner: str, params: dict, tasks, seeds) -> float:
    """FLOPs of training every seed of the group (forward and backward), counted one seed after another."""
    config = LEARNERS[learner].config.model_validate({**params, "ensemble": "sequential"})
    counter = FlopCounterMode(display=False)
    with counter:
        fit_neural_many(learner, config, tasks, seeds)
    return float(counter.get_total_flops())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learner", choices=sorted(CONFIGS), nargs="*", default=sorted(CONFIGS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--size", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [np.random.SeedSequence(s) for s in range(args.seeds)]
    tasks = [build_task("maze", {"size": args.size, "pool_size": 256}, s) for s in seeds]
    for learner in args.learner:
        params = {**CONFIGS[learner], "steps": args.steps}
        flops = training_flops(learner, params, tasks, seeds)
        reference_cpu, reference_wall = matmul_flops_per_s(MATMUL_SIZE)
        config = LEARNERS[learner].config.model_validate(params)
        cpu, wall = time.process_time(), time.perf_counter()
        fit_neural_many(learner, config, tasks, seeds)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        print(
            f"{learner:>11}: {flops / 1e9:.1f} GFLOP in {cpu:.1f} CPU-s ({wall:.1f} s wall) = "
            f"{flops / cpu / 1e9:.2f} GFLOP/CPU-s; matmul {reference_cpu / 1e9:.1f} GFLOP/CPU-s; "
            f"fraction {flops / cpu / reference_cpu:.3f} by CPU time, {flops / wall / reference_wall:.3f} by wall "
            "time (goal >= 0.5)",
            flush=True,
        )


if __name__ == "__main__":
    main()
