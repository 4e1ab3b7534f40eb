"""A process pool that knows which job each worker holds.

`concurrent.futures.ProcessPoolExecutor` breaks as a whole when one worker dies: every queued future fails and
nothing says which job was running where. Here each worker is a spawned process with its own pipe, and the parent
keeps the queue, so

- a worker that dies costs only the job it held: that job is charged one crash and queued again, a fresh worker
  takes the dead one's place, and the queued jobs are untouched; a job is given up after `max_crashes` crashes;
- an exception in the parent (a failed write, Ctrl-C) kills the workers, so the queued jobs are cancelled with the
  sweep instead of being computed and thrown away;
- workers exit when the parent dies. On Linux each worker asks the kernel for SIGKILL when its parent goes
  (`prctl(PR_SET_PDEATHSIG)`, through ctypes), which also covers a parent killed with SIGKILL; elsewhere a daemon
  thread polls `os.getppid()` every `WATCHDOG_INTERVAL_S`. The pool must be driven from the thread that lives as
  long as the pool (the death signal follows the thread that started the worker); `run_pool` starts every worker
  itself, so this holds.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing as mp
import os
import signal
import sys
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

WATCHDOG_INTERVAL_S = 1.0
"""How often a worker without PR_SET_PDEATHSIG checks that its parent is alive."""

WAIT_S = 0.25
"""Longest wait for a message or a worker's exit before the parent looks again."""

SHUTDOWN_S = 5.0
"""How long idle workers get to exit after being told to, before they are killed."""

PR_SET_PDEATHSIG = 1
"""From <linux/prctl.h>."""

Target = Callable[[Any, Callable[..., None]], Any]
"""A job function: (payload, progress) -> result; `progress(*message)` reaches the parent's `on_progress`."""


def _die_with_parent(parent_pid: int) -> None:
    """Make this process exit when `parent_pid`, its parent, dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
            if os.getppid() != parent_pid:  # the parent died before the request was made
                os._exit(1)
            return

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(WATCHDOG_INTERVAL_S)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def _worker_main(conn: Connection, parent_pid: int, target: Target, initializer: Callable[[], None] | None) -> None:
    _die_with_parent(parent_pid)
    if initializer is not None:
        initializer()

    def progress(*message: Any) -> None:
        conn.send(("progress", None, message))

    while True:
        try:
            item = conn.recv()
        except EOFError:
            return
        if item is None:
            return
        key, payload = item
        try:
            result = target(payload, progress)
        except Exception:
            conn.send(("error", key, traceback.format_exc(limit=5)))
            continue
        conn.send(("result", key, result))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: int | None = None


def run_pool(
    payloads: list[Any],
    workers: int,
    target: Target,
    on_result: Callable[[int, Any], None],
    on_give_up: Callable[[int, str], None],
    on_progress: Callable[..., None] = lambda *_: None,
    initializer: Callable[[], None] | None = None,
    max_crashes: int = 3,
    on_crash: Callable[[int, int, int | None], None] = lambda *_: None,
) -> None:
    """Run `target(payload, progress)` for every payload in `workers` processes; report each by its index.

    `on_result(i, result)` for each job that finished; `on_give_up(i, reason)` for a job whose worker died
    `max_crashes` times or whose target raised; `on_crash(i, crashes so far, exit code)` each time a worker dies.
    """
    context = mp.get_context("spawn")
    queue = deque(range(len(payloads)))
    crashes: Counter[int] = Counter()
    pool: list[_Worker] = []

    def start() -> _Worker:
        parent_end, child_end = context.Pipe()
        process = context.Process(target=_worker_main, args=(child_end, os.getpid(), target, initializer), daemon=True)
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def drain(worker: _Worker) -> bool:
        """Handle the worker's waiting messages; False when its pipe is closed. The callbacks' own exceptions
        propagate (they fail the sweep); only the pipe's count as the worker's death."""
        messages, open_ = [], True
        try:
            while worker.conn.poll():
                messages.append(worker.conn.recv())
        except (EOFError, OSError):
            open_ = False
        for kind, key, body in messages:
            if kind == "progress":
                on_progress(*body)
                continue
            worker.job = None
            (on_result if kind == "result" else on_give_up)(key, body)
        return open_

    finished = False
    try:
        pool = [start() for _ in range(min(workers, len(queue)))]
        while queue or any(w.job is not None for w in pool):
            for worker in pool:
                if worker.job is None and queue:
                    job = queue.popleft()
                    try:
                        worker.conn.send((job, payloads[job]))
                        worker.job = job
                    except OSError:  # it died idle: the job never reached it
                        queue.appendleft(job)
            wait([w.conn for w in pool] + [w.process.sentinel for w in pool], timeout=WAIT_S)
            dead = []
            for worker in pool:
                alive = worker.process.is_alive()  # before draining, so nothing it sent before dying is missed
                if not (drain(worker) and alive):
                    dead.append(worker)
            for worker in dead:
                pool.remove(worker)
                worker.process.kill()  # a no-op unless only its pipe broke
                worker.process.join()
                worker.conn.close()
                job = worker.job
                if job is not None:
                    crashes[job] += 1
                    code = worker.process.exitcode
                    on_crash(job, crashes[job], code)
                    if crashes[job] >= max_crashes:
                        on_give_up(job, f"worker process died {crashes[job]} times (last exit code {code})")
                    else:
                        queue.appendleft(job)
            pool.extend(start() for _ in range(min(len(dead), len(queue))))
        finished = True
    finally:
        _stop(pool, graceful=finished)


def _stop(pool: list[_Worker], graceful: bool) -> None:
    """Tell idle workers to exit (graceful) or kill them at once (the sweep failed: its queue is dropped)."""
    for worker in pool:
        if graceful:
            with contextlib.suppress(OSError):  # it died idle
                worker.conn.send(None)
        else:
            worker.process.kill()
    deadline = time.monotonic() + SHUTDOWN_S
    for worker in pool:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.conn.close()
