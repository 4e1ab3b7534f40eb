"""Training steps per second of the in-context regression learners on this machine, through the shared SGD loop.

Prints steps/s of the one-layer LSA (icl_gd_match's setup) and of the 2-layer GPT (icl_diversity's quick setup),
each also as a ratio to a reference measured in the same run: a plain torch loop (forward, backward, AdamW step)
on the same module and batch, without the loop's sampling, clipping, history and evaluation. The ratio is what
to compare across machines and loads; the absolute numbers move with whatever else shares the CPU.

    .venv/bin/python benchmarks/icl.py [--steps 200] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from mesaopt.learners.icl import GPTConfig, LSAConfig, fit_gpt, fit_lsa
from mesaopt.learners.models.gpt import GPT
from mesaopt.learners.models.lsa import LSA, tokens_of
from mesaopt.tasks import build_task

LSA_TASK = {"dim": 10, "points": 11, "noise": 0.0, "x_dist": "uniform", "query": "last", "pool_size": "inf"}
GPT_TASK = {"dim": 8, "points": 16, "noise": 0.25, "query": "all", "pool_size": "inf"}


def _reference(module: torch.nn.Module, inputs: tuple, targets: torch.Tensor, steps: int) -> float:
    """Steps/s of a bare forward-backward-AdamW loop on one fixed batch."""
    optimizer = torch.optim.AdamW(module.parameters(), lr=1e-3)
    start = time.perf_counter()
    for _ in range(steps):
        loss = 0.5 * ((module(*inputs) - targets) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return steps / (time.perf_counter() - start)


def _through_sgd(fit, config, task_params: dict, steps: int) -> float:
    """Steps/s of a full fit (sampling, loop, one evaluation at the end) of `steps` steps."""
    task = build_task("icl", task_params, np.random.SeedSequence(0))
    start = time.perf_counter()
    fit(config, task, np.random.SeedSequence(1), lambda *_: None)
    return steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps per measurement")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the executor's workers use 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.optim.AdamW([torch.zeros(1, requires_grad=True)])  # pay torch's one-time optimizer import up front
    rng = np.random.default_rng(0)

    lsa_task = build_task("icl", LSA_TASK, np.random.SeedSequence(0))
    batch = lsa_task.sample_train(256, rng)
    lsa_ref = _reference(LSA(10), (tokens_of(batch.xs, batch.ys),), torch.as_tensor(batch.ys[:, -1]).float(), 200)
    lsa_config = LSAConfig(steps=args.steps, eval_every=args.steps, eval_sequences=64)
    lsa_sgd = _through_sgd(fit_lsa, lsa_config, LSA_TASK, args.steps)

    gpt_task = build_task("icl", GPT_TASK, np.random.SeedSequence(0))
    batch = gpt_task.sample_train(32, rng)
    xs, ys = torch.as_tensor(batch.xs).float(), torch.as_tensor(batch.ys).float()
    gpt_ref = _reference(GPT(8, 16, d_model=32, layers=2, heads=2), (xs, ys), ys, max(args.steps // 4, 10))
    gpt_config = GPTConfig(steps=args.steps, batch_size=32, eval_every=args.steps, eval_sequences=32)
    gpt_sgd = _through_sgd(fit_gpt, gpt_config, GPT_TASK, args.steps)

    print(f"torch threads: {args.threads}")
    print(f"{'learner':8} {'sgd.train steps/s':>18} {'bare loop steps/s':>18} {'ratio':>6}")
    for name, sgd, ref in (("lsa", lsa_sgd, lsa_ref), ("gpt", gpt_sgd, gpt_ref)):
        print(f"{name:8} {sgd:18.1f} {ref:18.1f} {sgd / ref:6.2f}")


if __name__ == "__main__":
    main()
