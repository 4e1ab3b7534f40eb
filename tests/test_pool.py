"""The worker pool: a dead worker costs only its own job, queued jobs survive, workers die with their parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mesaopt.pool import run_pool

WAIT_S = 60.0
"""Generous limit on waiting for a process to appear or go (not a speed assertion: the test fails only on a hang)."""


def job(payload, progress):
    """Test job: ("ok", x) -> 2x; ("die", marker, times) kills its worker until `marker` holds `times` lines."""
    kind, *rest = payload
    if kind == "ok":
        progress("step", rest[0])
        return 2 * rest[0]
    if kind == "raise":
        raise ValueError("a bug in the job")
    marker, times = Path(rest[0]), rest[1]
    seen = marker.read_text().count("\n") if marker.exists() else 0
    if seen < times:
        with marker.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        os.kill(os.getpid(), signal.SIGKILL)
    return "survived"


def _run(payloads, workers=2):
    results, given_up, progress = {}, {}, []
    run_pool(
        payloads,
        workers,
        job,
        results.__setitem__,
        given_up.__setitem__,
        lambda *message: progress.append(message),
        max_crashes=3,
    )
    return results, given_up, progress


def test_a_worker_killed_three_times_costs_only_its_own_job(tmp_path):
    payloads = [("ok", 1), ("die", str(tmp_path / "always"), 99), ("ok", 2), ("ok", 3), ("ok", 4), ("ok", 5)]
    results, given_up, progress = _run(payloads)
    assert results == {0: 2, 2: 4, 3: 6, 4: 8, 5: 10}
    assert list(given_up) == [1] and "died 3 times" in given_up[1]
    assert (tmp_path / "always").read_text().count("\n") == 3
    assert sorted(m[1] for m in progress) == [1, 2, 3, 4, 5]


def test_a_job_whose_worker_died_twice_is_retried_and_finishes(tmp_path):
    payloads = [("die", str(tmp_path / "twice"), 2), ("ok", 7)]
    results, given_up, _ = _run(payloads, workers=1)
    assert results == {0: "survived", 1: 14} and not given_up


def test_an_exception_in_a_job_gives_it_up_without_killing_the_pool(tmp_path):
    results, given_up, _ = _run([("raise",), ("ok", 1)], workers=1)
    assert results == {1: 2} and "a bug in the job" in given_up[0]


PARENT = """
import sys, time
from pathlib import Path
from mesaopt.pool import run_pool

def sleeper(payload, progress):
    import os
    Path(payload).write_text(str(os.getpid()))
    time.sleep(600)

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from parent_job import sleeper
    run_pool([sys.argv[1]], 1, sleeper, lambda *a: None, lambda *a: None)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie (exited, not yet reaped by init) counts as gone
        return handle.read().split(")")[-1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_workers_exit_when_their_parent_is_killed(tmp_path):
    (tmp_path / "parent_job.py").write_text(textwrap.dedent(PARENT))
    pid_file = tmp_path / "worker.pid"
    parent = subprocess.Popen([sys.executable, str(tmp_path / "parent_job.py"), str(pid_file)], cwd=tmp_path)
    deadline = time.monotonic() + WAIT_S
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pid_file.read_text())
    assert _alive(worker)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + WAIT_S
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
