"""How fast the program enumerator evaluates candidates, against the one-program-at-a-time interpreter.

    .venv/bin/python benchmarks/enumerate.py            # 60 s of enumeration
    .venv/bin/python benchmarks/enumerate.py --seconds 10

Prints candidates evaluated per second (wall clock and process CPU time), the largest description length (bits)
whose cost level was completed, and the ratio to the reference: the step-counting interpreter run on one program at
a time over the same training instances, measured in the same process. Wall-clock numbers are noisy on a shared
machine; the CPU-time rate and the ratio are the steadier figures.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mesaopt.learners.programs.dsl import Dsl
from mesaopt.learners.programs.enumerate import EnumConfig, Enumerator
from mesaopt.learners.programs.interpret import run
from mesaopt.learners.programs.local import Sampler


def reference_rate(dsl: Dsl, inputs: np.ndarray, seconds: float) -> float:
    """Programs per second through the interpreter, one random program at a time."""
    sampler = Sampler(dsl, dsl.word_bits, None, np.random.default_rng(0))
    programs = [sampler.tree() for _ in range(2000)]
    start, count = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        run(dsl, programs[count % len(programs)], inputs)
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="enumeration time budget")
    parser.add_argument("--bits", type=int, default=8, help="word size W")
    parser.add_argument("--instances", type=int, default=16, help="training instances")
    parser.add_argument("--max-level", type=int, default=400_000, help="programs kept per cost level")
    args = parser.parse_args()
    dsl = Dsl(word_bits=args.bits, n_vars=1)
    secrets = np.random.default_rng(0).choice(1 << args.bits, size=args.instances, replace=False)
    inputs = dsl.h1(secrets)[:, None]
    config = EnumConfig(g=1e6, max_cost=64, widths=(args.bits,), max_level=args.max_level, time_budget_s=args.seconds)
    enumerator = Enumerator(dsl, inputs, secrets, config)
    cpu0 = time.process_time()
    result = enumerator.run()
    cpu = time.process_time() - cpu0
    completed = result.max_cost_reached - (0 if result.exhaustive else 1)
    ref = reference_rate(dsl, inputs, min(5.0, args.seconds / 4))
    wall_rate = result.candidates / result.seconds
    print(f"candidates evaluated: {result.candidates:,} in {result.seconds:.1f} s wall, {cpu:.1f} s CPU")
    print(f"rate: {wall_rate:,.0f} candidates/s wall, {result.candidates / cpu:,.0f} candidates/s CPU")
    print(f"programs kept after equivalence pruning: {result.kept:,}")
    print(f"largest program size (bits) whose level completed: {completed}; level cap hit: {enumerator.truncated}")
    print(f"reference (interpreter, one program at a time): {ref:,.0f} programs/s; ratio {wall_rate / ref:,.1f}x")


if __name__ == "__main__":
    main()
