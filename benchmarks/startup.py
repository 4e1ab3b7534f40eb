"""Start-up time of the quick CLI commands against a bare `python -c pass`, measured in the same run.

Each command runs in a fresh interpreter (as a user types it) against the repository's studies and an empty run
store, `--repeats` times; the best and the median wall time are reported, and the ratio of the median to the
reference's median. The goal is every command under GOAL_S seconds on the machine that runs it; the script exits 1
when a median is over it.

Usage: python benchmarks/startup.py [--repeats 5] [--studies-dir studies]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 1.0
"""Issue 17: `--help`, `studies`, `status`, `show` and `results` start in under a second."""


def wall(argv: list[str], repeats: int) -> list[float]:
    """Wall-clock seconds of `repeats` fresh runs of argv (output discarded; a failing command still counts)."""
    times = []
    for _ in range(repeats):
        begin = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - begin)
    return times


def main() -> int:
    """Time each command; print a table of best, median and ratio to the reference; 1 if any median is over goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--studies-dir", default="studies")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = str(Path(tmp) / "runs")
        cli = [sys.executable, "-m", "mesaopt"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "--help": [*cli, "--help"],
            "studies": [*cli, "studies", "--studies-dir", args.studies_dir],
            "status": [*cli, "status", "--studies-dir", args.studies_dir, "--out", store],
            "show": [*cli, "show", "0000", "--out", store],
            "results": [*cli, "results", "none", "--out", store],
        }
        timings = {name: wall(argv, args.repeats) for name, argv in commands.items()}
    reference = statistics.median(timings["python -c pass"])
    print(f"{'command':16} {'best s':>8} {'median s':>9} {'x python':>9}")
    over = []
    for name, times in timings.items():
        median = statistics.median(times)
        print(f"{name:16} {min(times):8.3f} {median:9.3f} {median / reference:9.1f}")
        if name != "python -c pass" and median > GOAL_S:
            over.append(name)
    if over:
        print(f"over the {GOAL_S} s goal: {', '.join(over)}")
        return 1
    print(f"every command under {GOAL_S} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
