"""Execution: one run function, run by a local process pool or by Ray core tasks; resume and failure isolation.

Workers only compute. They return a RunRecord, and the parent process alone writes run directories and the catalog.
"""

from __future__ import annotations

import io
import logging
import math
import multiprocessing as mp
import os
import platform
import queue as queue_module
import time
import traceback
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mesaopt import __version__
from mesaopt.learners.base import Progress, no_progress
from mesaopt.store import RunRecord, RunState, clean_temporary, run_state, write_run
from mesaopt.study import RunSpec
from mesaopt.tasks.base import derive

PROGRESS_INTERVAL_S = 0.25
"""Shortest gap between two training-progress messages from one worker."""

MAX_POOL_CRASHES = 3
"""A run in flight when the process pool died this many times is recorded as failed."""

RAY_MAX_RETRIES = 2
"""Ray retries a task whose worker died this many times before the run is recorded as failed."""

OnResult = Callable[[RunRecord], None]
OnProgress = Callable[[str, int, int], None]


def _environment() -> dict[str, str]:
    import torch

    return {
        "mesaopt": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "host": platform.node(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _clean_metrics(metrics: dict[str, Any]) -> dict[str, float | list[float]]:
    """Plain floats (or lists of floats) only; raise on NaN so the run is recorded as failed."""
    out: dict[str, float | list[float]] = {}
    for name, value in metrics.items():
        values = [float(v) for v in np.ravel(value)] if np.ndim(value) else [float(value)]
        if any(math.isnan(v) for v in values):
            raise FloatingPointError(f"metric {name!r} is NaN")
        out[name] = values if np.ndim(value) else values[0]
    return out


def execute_run(spec_json: dict[str, Any], progress: Progress = no_progress) -> RunRecord:
    """Build the task, fit the learner, run the detectors. Never raises: failures come back as records."""
    from mesaopt.detectors import DETECTORS
    from mesaopt.learners import fit_learner
    from mesaopt.tasks import build_task

    spec = RunSpec.from_json(spec_json)
    buffer = io.StringIO()
    logger = logging.getLogger(f"mesaopt.run.{spec.id}")
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    start = time.perf_counter()
    record = RunRecord(spec=spec.to_json(), status="done")
    try:
        root = np.random.SeedSequence(spec.seed)
        task_params = {k: v for k, v in spec.task.items() if k != "name"}
        learner_params = {k: v for k, v in spec.learner.items() if k != "name"}
        task = build_task(spec.task["name"], task_params, derive(root, "task"))
        logger.info("task %s built", spec.task["name"])
        learned = fit_learner(spec.learner["name"], learner_params, task, derive(root, "learner"), progress)
        logger.info("learner %s fitted: %s", spec.learner["name"], learned.describe())
        metrics: dict[str, Any] = {f"train.{k}": v for k, v in getattr(learned, "train_metrics", {}).items()}
        for name in spec.detectors:
            for key, value in DETECTORS[name].run(learned, task).items():
                metrics[f"{name}.{key}"] = value
            logger.info("detector %s done", name)
        record.metrics = _clean_metrics(metrics)
        record.artifacts = learned.artifacts()
    except Exception as exc:
        record.status, record.metrics, record.artifacts = "failed", {}, {}
        record.error = f"{type(exc).__name__}: {exc}"
        logger.error("run failed\n%s", traceback.format_exc())
    finally:
        logger.removeHandler(handler)
    record.wall_s = time.perf_counter() - start
    record.log = buffer.getvalue()
    record.environment = _environment()
    return record


_progress_queue: Any = None


def _init_worker(progress_queue: Any) -> None:
    """Each worker uses one thread, so N workers use N cores."""
    import torch

    torch.set_num_threads(1)
    global _progress_queue
    _progress_queue = progress_queue


def _pool_task(spec_json: dict[str, Any]) -> RunRecord:
    run_id, last = spec_json["id"], [0.0]

    def report(step: int, total: int) -> None:
        now = time.monotonic()
        if _progress_queue is not None and (step >= total or now - last[0] >= PROGRESS_INTERVAL_S):
            last[0] = now
            _progress_queue.put((run_id, step, total))

    return execute_run(spec_json, report)


def _failed(spec: RunSpec, error: str) -> RunRecord:
    return RunRecord(spec=spec.to_json(), status="failed", error=error, environment=_environment())


def run_local(specs: list[RunSpec], workers: int, on_result: OnResult, on_progress: OnProgress) -> None:
    """Run specs in a spawn-context process pool; a dead worker costs at most its runs, never the sweep."""
    context = mp.get_context("spawn")
    progress_queue = context.Queue()
    crashes = dict.fromkeys((s.id for s in specs), 0)
    remaining = list(specs)
    while remaining:
        with ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_worker, initargs=(progress_queue,)
        ) as pool:
            futures = {pool.submit(_pool_task, s.to_json()): s for s in remaining}
            remaining = []
            while futures:
                done, _ = wait(futures, timeout=PROGRESS_INTERVAL_S, return_when=FIRST_COMPLETED)
                _drain(progress_queue, on_progress)
                for future in done:
                    spec = futures.pop(future)
                    try:
                        on_result(future.result())
                    except BrokenProcessPool as exc:
                        crashes[spec.id] += 1
                        if crashes[spec.id] >= MAX_POOL_CRASHES:
                            on_result(_failed(spec, f"worker process died: {exc}"))
                        else:
                            remaining.append(spec)
    _drain(progress_queue, on_progress)


def _drain(progress_queue: Any, on_progress: OnProgress) -> None:
    while True:
        try:
            run_id, step, total = progress_queue.get_nowait()
        except queue_module.Empty:
            return
        on_progress(run_id, step, total)


def _ray_task(spec_json: dict[str, Any]) -> RunRecord:
    import torch

    torch.set_num_threads(1)
    return execute_run(spec_json)


def run_ray(specs: list[RunSpec], workers: int, address: str | None, on_result: OnResult) -> None:
    """Run specs as Ray core tasks on an existing cluster (`address`) or on a local instance started here."""
    import ray

    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        remote = ray.remote(num_cpus=1, max_retries=RAY_MAX_RETRIES)(_ray_task)
        pending = {remote.remote(s.to_json()): s for s in specs}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                spec = pending.pop(ref)
                try:
                    record = ray.get(ref)
                except Exception as exc:
                    record = _failed(spec, f"ray task failed after {RAY_MAX_RETRIES} retries: {exc}")
                on_result(record)
    finally:
        if started:
            ray.shutdown()


@dataclass
class SweepPlan:
    """Which runs to execute and which the store already holds."""

    to_run: list[RunSpec] = field(default_factory=list)
    done: int = 0
    failed: int = 0
    corrupt: list[str] = field(default_factory=list)


def plan_sweep(root: Path, specs: list[RunSpec], retry_failed: bool) -> SweepPlan:
    """Skip DONE runs (and failed ones unless retrying); re-run anything partial or corrupt."""
    clean_temporary(root)
    plan = SweepPlan()
    for spec in specs:
        state, reason = run_state(root, spec.study, spec.id)
        if state is RunState.DONE:
            plan.done += 1
        elif state is RunState.FAILED and not retry_failed:
            plan.failed += 1
        else:
            if state is RunState.CORRUPT:
                plan.corrupt.append(reason or spec.id)
            plan.to_run.append(spec)
    return plan


def execute_plan(
    root: Path,
    plan: SweepPlan,
    backend: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    on_result: OnResult | None = None,
    on_progress: OnProgress | None = None,
) -> list[RunRecord]:
    """Execute the planned runs; the parent writes each run directory as its record arrives."""
    workers = workers or os.cpu_count() or 1
    records: list[RunRecord] = []

    def persist(record: RunRecord) -> None:
        write_run(root, record)
        records.append(record)
        if on_result:
            on_result(record)

    if not plan.to_run:
        return records
    if backend == "local":
        run_local(plan.to_run, workers, persist, on_progress or (lambda *_: None))
    elif backend == "ray":
        run_ray(plan.to_run, workers, ray_address, persist)
    else:
        raise ValueError(f"unknown backend {backend!r}; allowed: local, ray")
    return records
