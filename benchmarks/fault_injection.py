"""Fault injection on the run store: random kills of `mesaopt run`, then a rerun; count what went wrong.

Each trial starts a sweep of a small study (lookup tables, and a CNN whose three seeds are fitted jointly) into a
fresh store and injects one fault once a random number of its runs have finished:

- `group`: SIGKILL to the whole process group (parent and workers);
- `parent`: SIGKILL to the parent alone; its workers must exit by themselves;
- `worker`: SIGKILL to one worker (to another, a second later, if the first held no job); the sweep must go on and
  finish by itself;
- `concurrent`: two `mesaopt run` on the same store started together; the one that gets the store's lock is
  killed after a random number of runs, and the other (which was waiting for the lock) finishes the sweep.

Then `mesaopt run` is run again until it exits 0, and the store is compared with an uninterrupted reference store.
The figures (all should be 0):

- lost: runs not done at the end, or whose metrics.json differs from the reference's bytes;
- duplicated: run ids present twice in the catalog, or temporary entries left behind;
- recomputed: runs computed again although an earlier process had already finished them (two processes computing
  one run, or a finished run taken for a damaged one);
- failed: runs recorded as failed (a worker death charged to a run that did not cause it);
- orphans: workers still alive `ORPHAN_WAIT_S` after their parent was killed.

Usage: python benchmarks/fault_injection.py [--trials 12] [--seed 0] [--keep DIR]
Exits 1 when any figure is not 0.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

STUDY = """
claim = "fault injection"
seeds = [0, 1, 2]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
pool_size = 16
eval_size = 32
[learners.lookup]
[learners.cnn]
steps = 150
width = 4
depth = 2
batch_size = 8
[sweep]
"task.pool_size" = [4, 8, 16, 32, 64]
[scales.smoke]
[scales.quick]
[scales.full]
"""

FAULTS = ("group", "parent", "worker", "concurrent")
FIGURES = ("lost", "duplicated", "recomputed", "failed", "orphans")

ORPHAN_WAIT_S = 15.0
"""How long a killed parent's workers get to exit (the death signal is immediate; the watchdog polls every 1 s)."""

PLANNED = "to run"
"""Printed by `mesaopt run` once its plan is made; the sweep starts then."""

WORKER_KILL_TRIES = 5
"""Workers killed at most in a `worker` trial until one that held a job is hit."""

DONE_LINE = re.compile(r"^\[\d+/\d+\] done\s+\S+/([0-9a-f]{16})")


def _command(store: Path) -> list[str]:
    return [sys.executable, "-m", "mesaopt", "run", "faults", "--workers", "2", "--out", str(store), "--report-dir"]


def _start(work: Path, store: Path, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(
        [*_command(store), str(work / f"report-{log.stem}")],
        cwd=work,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )


def _children(pid: int) -> list[int]:
    """The worker processes of a parent (spawned `multiprocessing` children, not its resource tracker)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z" and "spawn_main" in cmdline:
            out.append(int(entry.name))
    return out


def _alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _finish(work: Path, store: Path, tag: str) -> None:
    """Run the sweep to completion (a rerun after the fault)."""
    for attempt in range(3):
        proc = _start(work, store, work / f"{tag}-rerun{attempt}.log")
        if proc.wait() == 0:
            return
    raise RuntimeError(f"the rerun after the fault did not finish; see {work}")


def _metrics(store: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in (store / "faults").glob("*/metrics.json")}


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):  # it had finished
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _wait_for(proc: subprocess.Popen, log: Path, text: str) -> float:
    """Wait until `text` appears in the log (or the process ends); the time it appeared."""
    while text not in log.read_text(errors="replace") and proc.poll() is None:
        time.sleep(0.02)
    return time.monotonic()


def _wait_done(proc: subprocess.Popen, log: Path, count: int) -> None:
    """Wait until the process has finished `count` runs (or has ended)."""
    while proc.poll() is None:
        lines = log.read_text(errors="replace").splitlines()
        if sum(bool(DONE_LINE.match(line)) for line in lines) >= count:
            return
        time.sleep(0.02)


def _trial(work: Path, fault: str, rng: random.Random, reference: dict[str, bytes]) -> Counter:
    """One fault, after a random number of the sweep's runs (0 to all but two) have finished."""
    store = work / "runs"
    figures: Counter = Counter()
    first = _start(work, store, work / "first.log")
    if fault == "concurrent":  # both start together; the one that gets the store's lock is killed mid-sweep
        second = _start(work, store, work / "second.log")
        logs = {first: work / "first.log", second: work / "second.log"}
        while not any(PLANNED in log.read_text(errors="replace") for log in logs.values()):
            time.sleep(0.02)
        holder = next(p for p, log in logs.items() if PLANNED in log.read_text(errors="replace"))
        _wait_done(holder, logs[holder], rng.randrange(len(reference) - 1))
        figures["missed"] += holder.poll() is not None
        _kill_group(holder)
        (other,) = [p for p in logs if p is not holder]
        other.wait()
        _finish(work, store, fault)
        return _count(work, store, reference, figures)
    _wait_for(first, work / "first.log", PLANNED)
    _wait_done(first, work / "first.log", rng.randrange(len(reference) - 1))
    time.sleep(rng.uniform(0.0, 1.0))  # between two runs' ends, not just after one
    figures["missed"] += first.poll() is not None
    if fault == "group":
        _kill_group(first)
    elif fault == "parent":
        workers = _children(first.pid)
        figures["workers at the kill"] += len(workers)
        first.send_signal(signal.SIGKILL)
        first.wait()
        deadline = time.monotonic() + ORPHAN_WAIT_S
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        figures["orphans"] += sum(_alive(w) for w in workers)
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
    else:  # kill one worker; an idle one is replaced without a word, so try again until a busy one was hit
        for _ in range(WORKER_KILL_TRIES):
            workers = _children(first.pid)
            if not workers or first.poll() is not None:
                break
            os.kill(rng.choice(workers), signal.SIGKILL)
            time.sleep(1.0)
            if "worker died" in (work / "first.log").read_text(errors="replace"):
                break
        first.wait()
    _finish(work, store, fault)
    return _count(work, store, reference, figures)


def _count(work: Path, store: Path, reference: dict[str, bytes], figures: Counter) -> Counter:
    """The trial's figures, from the processes' logs and the final store against the reference."""
    finished = Counter()
    for log in sorted(work.glob("*.log")):
        for line in log.read_text(errors="replace").splitlines():
            match = DONE_LINE.match(line)
            if match:
                finished[match.group(1)] += 1
            figures["worker deaths"] += "worker died" in line
    figures["recomputed"] += sum(n - 1 for n in finished.values() if n > 1)
    got = _metrics(store)
    figures["lost"] += sum(1 for run_id, data in reference.items() if got.get(run_id) != data)
    figures["duplicated"] += len(list(store.glob("**/.tmp-*")))
    results = subprocess.run(
        [sys.executable, "-m", "mesaopt", "results", "faults", "--out", str(store)],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = results.stdout.splitlines()[1:]
    ids = Counter(row.split(",")[0] for row in rows)
    figures["duplicated"] += sum(n - 1 for n in ids.values())
    figures["lost"] += len(set(reference) - set(ids))
    figures["failed"] += sum(",failed," in row or ",corrupt," in row for row in rows)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=12, help="faults injected (cycling through the kinds)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill moments")
    parser.add_argument("--keep", type=Path, default=None, help="keep the work folders here")
    args = parser.parse_args()
    if not Path("/proc").is_dir():
        print("needs Linux (/proc) to find worker processes", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    base = args.keep or Path(tempfile.mkdtemp(prefix="mesaopt-faults-"))
    (base / "studies").mkdir(parents=True, exist_ok=True)
    (base / "studies" / "faults.toml").write_text(STUDY)
    started = time.perf_counter()
    log = base / "reference.log"
    ref = _start(base, base / "reference", log)
    if ref.wait() != 0:
        print(log.read_text(), file=sys.stderr)
        return 2
    reference = _metrics(base / "reference")
    print(f"reference sweep: {len(reference)} runs, {time.perf_counter() - started:.0f} s")
    total: Counter = Counter()
    for i in range(args.trials):
        fault = FAULTS[i % len(FAULTS)]
        work = base / f"trial{i:02d}-{fault}"
        work.mkdir()
        shutil.copytree(base / "studies", work / "studies")
        figures = _trial(work, fault, rng, reference)
        total.update(figures)
        shown = ", ".join(f"{k} {figures[k]}" for k in FIGURES)
        missed = " (the sweep had finished before the fault)" if figures["missed"] else ""
        note = {
            "worker": f"; worker deaths reported: {figures['worker deaths']}",
            "parent": f"; workers alive when the parent was killed: {figures['workers at the kill']}",
        }.get(fault, "")
        print(f"trial {i:2d} {fault:10s}: {shown}{missed}{note}", flush=True)
        if not args.keep and not any(figures[k] for k in FIGURES):
            shutil.rmtree(work)
    summary = {k: total[k] for k in FIGURES}
    landed = args.trials - total["missed"]
    elapsed = time.perf_counter() - started
    print(f"{args.trials} faults ({landed} landed mid-sweep), {elapsed:.0f} s: {json.dumps(summary)}")
    if not args.keep and not any(summary.values()):
        shutil.rmtree(base)
    return 1 if any(summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
