"""Speed of training the seeds of a run group together (torch.func vmap) against one after another.

Both paths run the same steps of the one training loop on the same seeds; the script prints each wall time, the
speedup, and the largest difference between the two paths' loss curves (it should be below 1e-5).

    .venv/bin/python benchmarks/ensemble.py --learner cnn --seeds 8 --steps 100
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from mesaopt.learners import LEARNERS
from mesaopt.learners.neural import fit_neural_many
from mesaopt.tasks import build_task

CONFIGS = {
    "cnn": {"width": 16, "depth": 4},
    "recurrent": {"width": 16, "iterations": 8},
    "mlp": {"width": 128},
    "planner": {"width": 8},
    "transformer": {"width": 32, "heads": 2},
    "tabular": {},
    "hypernet": {"width": 16, "iterations": 8, "code_size": 32},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learner", choices=sorted(CONFIGS), default="cnn")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--size", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [np.random.SeedSequence(s) for s in range(args.seeds)]
    tasks = [build_task("maze", {"size": args.size, "pool_size": 256}, s) for s in seeds]
    entry = LEARNERS[args.learner]
    params = {**CONFIGS[args.learner], "steps": args.steps, "batch_size": args.batch_size}
    times, curves = {}, {}
    for mode in ("sequential", "vmap"):
        config = entry.config.model_validate({**params, "ensemble": mode})
        start = time.perf_counter()
        solvers = fit_neural_many(args.learner, config, tasks, seeds)
        times[mode] = time.perf_counter() - start
        curves[mode] = np.array([s.train_metrics["loss"] for s in solvers])
        print(f"{mode:>10}: {times[mode]:.1f}s for {args.seeds} seeds x {args.steps} steps", flush=True)
    gap = float(np.abs(curves["vmap"] - curves["sequential"]).max())
    print(f"learner {args.learner}: vmap speedup {times['sequential'] / times['vmap']:.2f}x; max loss gap {gap:.2e}")


if __name__ == "__main__":
    main()
