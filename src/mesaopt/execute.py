"""Execution: one run function, run by a local process pool or by Ray core tasks; resume and failure isolation.

Workers only compute. They return a RunRecord, and the parent process alone writes run directories and the catalog.
"""

from __future__ import annotations

import functools
import io
import logging
import math
import multiprocessing as mp
import os
import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mesaopt import __version__
from mesaopt.learners.base import Progress, no_progress, training_metrics
from mesaopt.pool import run_pool
from mesaopt.store import RunRecord, RunState, clean_temporary, copy_run, find_done_elsewhere, run_state, write_run
from mesaopt.study import RunSpec
from mesaopt.tasks.base import derive

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.25
"""Shortest gap between two training-progress messages from one worker."""

MAX_POOL_CRASHES = 3
"""A job (one run group) whose worker died this many times is recorded as failed: a run that kills its worker
(out of memory, say) should fail, not hold the sweep forever; two deaths may be bad luck (another process's OOM)."""

RAY_MAX_RETRIES = 2
"""Ray retries a task whose worker died this many times before the run is recorded as failed."""

DEVICES = ("cpu", "cuda", "auto")
"""What `--device` may say: it replaces the `device` of every learner that has one, without changing run ids."""

OnResult = Callable[[RunRecord], None]
OnProgress = Callable[[str, int, int], None]


def _environment() -> dict[str, str]:
    import torch

    from mesaopt.provenance import provenance

    return {
        **provenance(),
        "mesaopt": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "host": platform.node(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _clean_metrics(metrics: dict[str, Any]) -> dict[str, float | list[float]]:
    """Plain floats (or lists of floats) only; raise on NaN or infinity so the run is recorded as failed."""
    out: dict[str, float | list[float]] = {}
    for name, value in metrics.items():
        values = [float(v) for v in np.ravel(value)] if np.ndim(value) else [float(value)]
        bad = next((v for v in values if not math.isfinite(v)), None)
        if bad is not None:
            kind = "NaN" if math.isnan(bad) else "infinite"
            raise FloatingPointError(f"metric {name!r} is {kind}: metrics must be finite numbers")
        out[name] = values if np.ndim(value) else values[0]
    return out


def _start_log(spec: RunSpec) -> tuple[logging.Logger, logging.Handler, io.StringIO]:
    buffer = io.StringIO()
    logger = logging.getLogger(f"mesaopt.run.{spec.id}")
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, handler, buffer


def _build_task(spec: RunSpec) -> Any:
    from mesaopt.tasks import build_task

    task_params = {k: v for k, v in spec.task.items() if k != "name"}
    return build_task(spec.task["name"], task_params, derive(np.random.SeedSequence(spec.seed), "task"))


def _learner_seed(spec: RunSpec) -> np.random.SeedSequence:
    return derive(np.random.SeedSequence(spec.seed), "learner")


def _learner_params(spec: RunSpec, device: str | None = None) -> dict[str, Any]:
    """The learner's parameters; `device` replaces its `device` when it has one (the spec and its id stay as they
    are: where a run trains changes its numbers by float rounding only, and run.json records the device)."""
    params = {k: v for k, v in spec.learner.items() if k != "name"}
    if device is not None and "device" in params:
        params["device"] = device
    return params


def _finish_run(spec: RunSpec, task: Any, learned: Any, logger: logging.Logger) -> RunRecord:
    """Run the detectors on a fitted learner and collect its metrics and artifacts."""
    from mesaopt.detectors import DETECTORS

    logger.info("learner %s fitted: %s", spec.learner["name"], learned.describe())
    metrics: dict[str, Any] = {f"train.{k}": v for k, v in training_metrics(learned).items()}
    for name in spec.detectors:
        for key, value in DETECTORS[name].run(learned, task).items():
            metrics[f"{name}.{key}"] = value
        logger.info("detector %s done", name)
    record = RunRecord(spec=spec.to_json(), status="done")
    record.metrics = _clean_metrics(metrics)
    record.artifacts = learned.artifacts()
    return record


def _run_guarded(
    spec: RunSpec,
    body: Callable[[logging.Logger], RunRecord],
    extra_s: float = 0.0,
    job_started: float | None = None,
    device: str | None = None,
) -> RunRecord:
    """Run `body` with the run's log captured; any exception becomes a failed record with the reason."""
    logger, handler, buffer = _start_log(spec)
    job_started = time.time() if job_started is None else job_started
    start = time.perf_counter()
    try:
        record = body(logger)
    except Exception as exc:
        record = RunRecord(spec=spec.to_json(), status="failed", error=f"{type(exc).__name__}: {exc}")
        logger.error("run failed\n%s", traceback.format_exc())
    finally:
        logger.removeHandler(handler)
    record.wall_s = time.perf_counter() - start + extra_s
    record.log = buffer.getvalue()
    record.environment = _environment()
    if device is not None:
        record.environment["device"] = device
    record.job_started = job_started
    return record


def execute_run(
    spec_json: dict[str, Any],
    progress: Progress = no_progress,
    job_started: float | None = None,
    device: str | None = None,
) -> RunRecord:
    """Build the task, fit the learner, run the detectors. Never raises: failures come back as records.

    `job_started` (epoch seconds): when the work that produced this run began, if before this call. `device`: the
    torch device every learner with a `device` parameter trains on instead of its own (see `_learner_params`).
    """
    from mesaopt.learners import fit_learner

    spec = RunSpec.from_json(spec_json)

    def body(logger: logging.Logger) -> RunRecord:
        task = _build_task(spec)
        logger.info("task %s built", spec.task["name"])
        params = _learner_params(spec, device)
        learned = fit_learner(spec.learner["name"], params, task, _learner_seed(spec), progress)
        return _finish_run(spec, task, learned, logger)

    return _run_guarded(spec, body, job_started=job_started, device=device)


@dataclass
class Job:
    """One unit of work: a run group fitted together, which of its runs the sweep wants, and under which studies.

    A run id can belong to several studies (identical task, learner, detectors and seed: the study name and axes are
    not part of it). Such a run is fitted once; `deliver` maps each wanted id to the specs (study and axes) its record
    is written under."""

    specs: list[dict[str, Any]]
    deliver: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def wanted(self) -> list[str]:
        """The ids of the group's runs that some study asked for, in the order they were asked."""
        return list(self.deliver)

    def records_for(self, records: list[RunRecord]) -> list[RunRecord]:
        """Each wanted record once per study that asked for it, carrying that study's spec; the first study pays its
        time, the others' copies name it in `fitted_for`."""
        out = []
        for record in records:
            first, *others = self.deliver.get(record.run_id) or [record.spec]
            out.append(replace(record, spec=first))
            out.extend(replace(record, spec=target, fitted_for=first["study"]) for target in others)
        return out


def _members(spec: RunSpec) -> list[RunSpec]:
    """Every run of the spec's run group (the seeds in its `fit_with`), in the group's order."""
    group = spec.fit_with
    if not group:
        return [spec]
    return [
        RunSpec(spec.study, spec.task, spec.learner, spec.detectors, seed, spec.axes, spec.results_version, group)
        for seed in group
    ]


def plan_jobs(specs: list[RunSpec]) -> list[Job]:
    """The jobs that produce `specs`: each spec's whole run group (as its study formed it), fitted even when only some
    members are wanted, so a run's numbers never depend on which of its siblings a sweep still had to do. A group
    wanted by several studies is one job whose records go to each of them."""
    jobs: dict[str, Job] = {}
    for spec in specs:
        members = _members(spec)
        job = jobs.setdefault(members[0].id, Job([m.to_json() for m in members]))
        targets = job.deliver.setdefault(spec.id, [])
        if all(t["study"] != spec.study for t in targets):
            targets.append(spec.to_json())
    return list(jobs.values())


def execute_group(
    specs_json: list[dict[str, Any]], progress: Progress = no_progress, device: str | None = None
) -> list[RunRecord]:
    """Fit the seeds of a run group together, then run each spec's detectors; one record per spec, in order.

    If the joint fit fails (a NaN in one member, say), every spec is rerun alone; that happens every time the group
    is fitted, so the records are still a function of the group.
    """
    from mesaopt.learners import LEARNERS

    if len(specs_json) == 1:
        return [execute_run(specs_json[0], progress, device=device)]
    specs = [RunSpec.from_json(s) for s in specs_json]
    entry = LEARNERS[specs[0].learner["name"]]
    job_started = time.time()
    start = time.perf_counter()
    try:
        tasks = [_build_task(s) for s in specs]
        config = entry.config.model_validate(_learner_params(specs[0], device))
        learned = entry.fit_many(config, tasks, [_learner_seed(s) for s in specs], progress)
    except Exception:
        # the failed joint fit was part of producing them
        return [execute_run(s, progress, job_started, device) for s in specs_json]
    fit_share = (time.perf_counter() - start) / len(specs)
    records = []
    for spec, task, one in zip(specs, tasks, learned, strict=True):
        records.append(
            _run_guarded(
                spec,
                lambda logger, s=spec, t=task, o=one: _finish_run(s, t, o, logger),
                extra_s=fit_share,
                job_started=job_started,
                device=device,
            )
        )
    return records


def _init_worker(progress_queue: Any = None, gpus: int = 0, slots: Any = None) -> None:
    """Each worker uses one thread, so N workers use N cores; with `gpus` GPUs, workers take them in turn (worker k
    sees only GPU k mod gpus), so a sweep spreads over every GPU of the machine. (`progress_queue` is unused: the
    pool carries progress over each worker's pipe.)"""
    if gpus and slots is not None:
        with slots.get_lock():
            slot, slots.value = slots.value, slots.value + 1
        os.environ["CUDA_VISIBLE_DEVICES"] = str(slot % gpus)
    import torch

    torch.set_num_threads(1)


def run_job(job: Job, progress: Callable[..., None] = lambda *_: None, device: str | None = None) -> list[RunRecord]:
    """Fit a job's run group; the records of its wanted runs. `progress(run_id, step, total)`, throttled."""
    last = [0.0]

    def report(step: int, total: int) -> None:
        now = time.monotonic()
        if step >= total or now - last[0] >= PROGRESS_INTERVAL_S:
            last[0] = now
            for run_id in job.wanted:
                progress(run_id, step, total)

    wanted = set(job.wanted)
    return job.records_for([r for r in execute_group(job.specs, report, device) if r.run_id in wanted])


def _failed(spec: RunSpec, error: str) -> RunRecord:
    return RunRecord(spec=spec.to_json(), status="failed", error=error, environment=_environment())


def _wanted_specs(job: Job) -> list[RunSpec]:
    """Every spec the job was to deliver, one per study that asked for its run."""
    return [RunSpec.from_json(target) for targets in job.deliver.values() for target in targets]


def visible_gpus(device: str | None) -> int:
    """CUDA devices this machine has, counted only when a run may use one (`device` cuda or auto)."""
    if device not in ("cuda", "auto"):
        return 0
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def run_local(
    specs: list[RunSpec], workers: int, on_result: OnResult, on_progress: OnProgress, device: str | None = None
) -> None:
    """Run the specs' jobs in spawned worker processes; a dead worker costs only its own job, which is retried."""
    jobs = plan_jobs(specs)

    def done(index: int, records: list[RunRecord]) -> None:
        for record in records:
            on_result(record)

    def give_up(index: int, reason: str) -> None:
        for spec in _wanted_specs(jobs[index]):
            on_result(_failed(spec, reason))

    def crashed(index: int, crashes: int, code: int | None) -> None:
        runs = ", ".join(jobs[index].wanted)
        then = "recorded as failed" if crashes >= MAX_POOL_CRASHES else "queued again"
        log.warning(
            "worker died (exit code %s) running %s: crash %d of %d, %s", code, runs, crashes, MAX_POOL_CRASHES, then
        )

    gpus = visible_gpus(device)
    slots = mp.get_context("spawn").Value("i", 0) if gpus else None
    run_pool(
        jobs,
        workers,
        functools.partial(run_job, device=device),
        done,
        give_up,
        on_progress,
        initializer=functools.partial(_init_worker, None, gpus, slots),
        max_crashes=MAX_POOL_CRASHES,
        on_crash=crashed,
    )


def _ray_task(job: Job, device: str | None = None) -> list[RunRecord]:
    import ray

    _init_worker()
    records = run_job(job, device=device)
    gpus = ray.get_runtime_context().get_assigned_resources().get("GPU", 0.0)
    for record in records:
        record.environment["ray_gpus"] = str(gpus)
    return records


def trains_on_gpu(spec: RunSpec, device: str | None, cluster_gpus: float) -> bool:
    """Whether a run's learner trains on a GPU: its device (or the override) is cuda, or auto on a cluster with
    GPUs. Learners without a `device` parameter run on the CPU."""
    if "device" not in spec.learner:
        return False
    chosen = device or spec.learner["device"]
    return chosen == "cuda" or (chosen == "auto" and cluster_gpus > 0)


def run_ray(
    specs: list[RunSpec],
    workers: int,
    address: str | None,
    on_result: OnResult,
    device: str | None = None,
    gpus_per_run: float = 1.0,
) -> None:
    """Run specs as Ray core tasks on an existing cluster (`address`) or on a local instance started here; a task
    whose runs train on a GPU asks Ray for `gpus_per_run` GPUs (a fraction lets several share one)."""
    import ray

    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        remote = ray.remote(num_cpus=1, max_retries=RAY_MAX_RETRIES)(_ray_task)
        cluster_gpus = ray.cluster_resources().get("GPU", 0.0)
        pending = {}
        for job in plan_jobs(specs):
            first = RunSpec.from_json(job.specs[0])
            gpus = gpus_per_run if trains_on_gpu(first, device, cluster_gpus) else 0
            pending[remote.options(num_gpus=gpus).remote(job, device)] = job
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    records = ray.get(ref)
                except Exception as exc:
                    error = f"ray task failed after {RAY_MAX_RETRIES} retries: {exc}"
                    records = [_failed(s, error) for s in _wanted_specs(job)]
                for record in records:
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
    copied: int = 0
    """Runs another study of the store had already done (the same id): copied, not fitted again."""
    corrupt: list[str] = field(default_factory=list)


def plan_sweep(root: Path, specs: list[RunSpec], retry_failed: bool) -> SweepPlan:
    """Skip DONE runs (and failed ones unless retrying); copy a run another study already did; re-run anything partial
    or corrupt."""
    clean_temporary(root)
    plan = SweepPlan()
    for spec in specs:
        state, reason = run_state(root, spec.study, spec.id)
        source = find_done_elsewhere(root, spec.study, spec.id) if state is not RunState.DONE else None
        if source is not None:
            copy_run(source, root, spec.to_json())
            plan.copied += 1
            plan.done += 1
        elif state is RunState.DONE:
            plan.done += 1
        elif state is RunState.FAILED and not retry_failed:
            plan.failed += 1
        else:
            if state is RunState.CORRUPT:
                plan.corrupt.append(reason or spec.id)
            plan.to_run.append(spec)
    return plan


def worker_count(workers: int | None) -> int:
    """The parallel runs a sweep uses: `workers` when given, else one per CPU core."""
    return workers or os.cpu_count() or 1


def execute_plan(
    root: Path,
    plan: SweepPlan,
    backend: str = "local",
    workers: int | None = None,
    ray_address: str | None = None,
    on_result: OnResult | None = None,
    on_progress: OnProgress | None = None,
    device: str | None = None,
    gpus_per_run: float = 1.0,
) -> list[RunRecord]:
    """Execute the planned runs; the parent writes each run directory as its record arrives. `device` overrides
    the learners' device (None: as each study says); `gpus_per_run`: Ray's GPU request for a run on a GPU."""
    workers = worker_count(workers)
    records: list[RunRecord] = []

    def persist(record: RunRecord) -> None:
        write_run(root, record)
        records.append(record)
        if on_result:
            on_result(record)

    if not plan.to_run:
        return records
    if backend == "local":
        run_local(plan.to_run, workers, persist, on_progress or (lambda *_: None), device)
    elif backend == "ray":
        run_ray(plan.to_run, workers, ray_address, persist, device, gpus_per_run)
    else:
        raise ValueError(f"unknown backend {backend!r}; allowed: local, ray")
    return records
