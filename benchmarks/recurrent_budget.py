"""The recurrent learner's budget: train on 5x5-cell mazes (fresh instances), then solve novel 5x5, 9x9, 13x13.

Prints wall and CPU time of training and the exact-path accuracy at several iteration counts. The bar (issue 3):
within 3 minutes of training on 2 cores, >= 95% on novel 5x5, and with more iterations >= 80% on 9x9 and >= 50% on
13x13. Wall time on a shared machine is noisy; CPU time is reported beside it.

The defaults are the recipe that meets the bar here: the `norm` cell (state rescaled to unit RMS per grid cell),
the state kept on open cells only, and a progressive loss whose no-grad prefix grows from T to 3T over the last 70%
of training. `--cell relu --no-open-only --horizon 1` gives the plain residual net, which overthinks past T.

    .venv/bin/python benchmarks/recurrent_budget.py --threads 2
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from mesaopt.learners import LEARNERS
from mesaopt.learners.config import CELLS
from mesaopt.tasks import build_task

EVAL_SIZES = {5: (1, 2, 4), 9: (2, 4, 8), 13: (3, 6, 12)}
"""Maze side -> iteration counts to try, as multiples of the training iterations T."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--cell", choices=CELLS, default="norm")
    parser.add_argument("--open-only", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--horizon", type=float, default=3.0, help="no-grad prefix grows to horizon*T")
    parser.add_argument("--horizon-start", type=float, default=0.3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-size", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--deep-supervision", action="store_true", help="loss on the last half of the iterations")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    entry = LEARNERS["recurrent"]
    config = entry.config.model_validate(
        {
            "steps": args.steps,
            "batch_size": args.batch_size,
            "width": args.width,
            "depth": args.depth,
            "iterations": args.iterations,
            "lr": args.lr,
            "warmup": min(50, args.steps // 10),
            "deep_supervision": args.deep_supervision,
            "cell": args.cell,
            "open_only": args.open_only,
            "horizon": args.horizon,
            "horizon_start": args.horizon_start,
        }
    )
    task = build_task("maze", {"size": 5, "eval_size": args.eval_size}, np.random.SeedSequence(args.seed))
    last = [time.perf_counter()]

    def progress(step: int, total: int) -> None:
        if time.perf_counter() - last[0] > 15 or step == total:
            last[0] = time.perf_counter()
            print(f"  step {step}/{total}  {time.perf_counter() - wall0:.0f}s", flush=True)

    wall0, cpu0 = time.perf_counter(), time.process_time()
    solver = entry.fit(config, task, np.random.SeedSequence(args.seed), progress)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    loss = solver.train_metrics["loss"]
    print(f"trained {config.steps} steps: wall {wall:.0f}s, cpu {cpu:.0f}s; loss {loss[0]:.3f} -> {loss[-1]:.4f}")
    results: dict[str, float] = {"train_wall_s": wall, "train_cpu_s": cpu}
    for size, multiples in EVAL_SIZES.items():
        novel = task if size == 5 else build_task("maze", {"size": size, "eval_size": args.eval_size}, task.seed)
        batch = novel.novel()
        for m in multiples:
            k = m * args.iterations
            acc = float(novel.success(batch, solver.solve(batch, iterations=k)).mean())
            results[f"novel_{size}x{size}_T{k}"] = acc
            print(f"novel {size}x{size} at {k} iterations: {acc:.3f}", flush=True)
    print(json.dumps({"config": config.model_dump(mode="json"), "results": results}))


if __name__ == "__main__":
    main()
