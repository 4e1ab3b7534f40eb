"""The executor: determinism, failure isolation, corrupt-run repair and resume after SIGKILL."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pytest

from mesaopt import detectors
from mesaopt.execute import execute_plan, execute_run, plan_jobs, plan_sweep
from mesaopt.store import RunState, rebuild_catalog, run_dir, run_state, write_run
from mesaopt.study import RunSpec, load_study
from tests.conftest import STUDIES

TASK = {"name": "maze", "size": 3, "pool_size": 16, "eval_size": 64, "harder_size": None}


def spec(**task) -> RunSpec:
    return RunSpec("s", {**TASK, **task}, {"name": "lookup", "max_entries": 4096}, ("transfer",), seed=3)


def test_the_same_spec_gives_identical_metrics_json(tmp_path):
    first = write_run(tmp_path / "a", execute_run(spec().to_json()))
    second = write_run(tmp_path / "b", execute_run(spec().to_json()))
    assert (first / "metrics.json").read_bytes() == (second / "metrics.json").read_bytes()
    assert (first / "artifacts.safetensors").read_bytes() == (second / "artifacts.safetensors").read_bytes()


def test_a_raising_run_is_recorded_as_failed_and_the_sweep_goes_on(tmp_path):
    bad = spec(size=2, pool_size=1000)  # only 48 distinct 2 x 2 instances exist
    good = spec()
    plan = plan_sweep(tmp_path, [bad, good], retry_failed=False)
    records = execute_plan(tmp_path, plan, workers=2)
    status = {r.run_id: r.status for r in records}
    assert status == {bad.id: "failed", good.id: "done"}
    assert "distinct" in run_state(tmp_path, "s", bad.id)[1]
    again = plan_sweep(tmp_path, [bad, good], retry_failed=False)
    assert (again.done, again.failed, again.to_run) == (1, 1, [])
    assert plan_sweep(tmp_path, [bad, good], retry_failed=True).to_run == [bad]


@pytest.mark.parametrize(("value", "word"), [(math.nan, "NaN"), (math.inf, "infinite"), ([1.0, -math.inf], "infinite")])
def test_a_non_finite_metric_fails_the_run(monkeypatch, value, word):
    entry = detectors.DETECTORS["transfer"]
    monkeypatch.setitem(
        detectors.DETECTORS,
        "transfer",
        detectors.DetectorEntry(lambda la, t: {"ratio": value}, entry.metrics, "", entry.families),
    )
    record = execute_run(spec().to_json())
    assert record.status == "failed" and word in record.error and "transfer.ratio" in record.error


def test_a_corrupt_run_directory_is_detected_and_rerun(tmp_path):
    s = spec()
    path = write_run(tmp_path, execute_run(s.to_json()))
    original = (path / "metrics.json").read_bytes()
    (path / "metrics.json").write_bytes(original[: len(original) // 2])
    plan = plan_sweep(tmp_path, [s], retry_failed=False)
    assert plan.to_run == [s] and plan.corrupt
    execute_plan(tmp_path, plan, workers=1)
    assert run_state(tmp_path, "s", s.id)[0] is RunState.DONE
    assert (path / "metrics.json").read_bytes() == original


RESUME_STUDY = """
claim = "resume"
seeds = [0, 1, 2, 3]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
eval_size = 256
[learners.lookup]
[sweep]
"task.pool_size" = [1024, 2048, 4096]
[scales.smoke]
[scales.quick]
[scales.full]
"""


def _catalog_rows(root):
    rebuild_catalog(root)
    with duckdb.connect(str(root / "catalog.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT run_id, status, seed, config FROM runs ORDER BY run_id").fetchall()
        metrics = con.execute("SELECT run_id, metric, value FROM metrics ORDER BY run_id, metric").fetchall()
    return runs, metrics


def test_sigkill_then_rerun_finishes_every_run_exactly_once(tmp_path):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "resume.toml").write_text(textwrap.dedent(RESUME_STUDY))
    command = [sys.executable, "-m", "mesaopt", "run", "resume", "--workers", "1", "--out", "killed"]
    proc = subprocess.Popen(
        command, cwd=tmp_path, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    study_dir = tmp_path / "killed" / "resume"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(study_dir.glob("*/DONE"))) < 2:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_at_kill = len(list(study_dir.glob("*/DONE")))
    assert 2 <= done_at_kill < 12, "the kill must land partway through the sweep"

    subprocess.run(command, cwd=tmp_path, check=True, capture_output=True)
    run_dirs = [p for p in study_dir.iterdir() if p.is_dir()]
    assert len(run_dirs) == 12 and all((p / "DONE").exists() for p in run_dirs)

    subprocess.run([*command[:-1], "clean"], cwd=tmp_path, check=True, capture_output=True)
    assert _catalog_rows(tmp_path / "killed") == _catalog_rows(tmp_path / "clean")


JOINT_STUDY = """
claim = "joint"
seeds = [0, 1, 2]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
pool_size = 16
eval_size = 32
[learners.cnn]
steps = 5
width = 4
depth = 2
batch_size = 8
[sweep]
"learners.cnn.lr" = [0.01]
[scales.smoke]
[scales.quick]
[scales.full]
"""


def test_a_run_refitted_alone_gets_the_bytes_of_its_joint_fit(tmp_path):
    (tmp_path / "joint.toml").write_text(textwrap.dedent(JOINT_STUDY))
    specs = load_study(tmp_path / "joint.toml", "quick").runs()
    assert [s.fit_with for s in specs] == [(0, 1, 2)] * 3
    execute_plan(tmp_path / "runs", plan_sweep(tmp_path / "runs", specs, retry_failed=False), workers=1)
    lost = specs[1]
    path = run_dir(tmp_path / "runs", "joint", lost.id)
    joint = (path / "metrics.json").read_bytes()
    shutil.rmtree(path)
    plan = plan_sweep(tmp_path / "runs", specs, retry_failed=False)
    assert plan.to_run == [lost]
    (job,) = plan_jobs(plan.to_run)
    assert [s["seed"] for s in job.specs] == [0, 1, 2] and job.wanted == [lost.id]
    records = execute_plan(tmp_path / "runs", plan, workers=1)
    assert [r.run_id for r in records] == [lost.id]
    assert (path / "metrics.json").read_bytes() == joint


def test_a_failing_sweep_cancels_its_queued_runs(tmp_path):
    specs = [RunSpec("s", TASK, {"name": "lookup", "max_entries": 4096}, ("transfer",), seed=i) for i in range(4)]
    plan = plan_sweep(tmp_path, specs, retry_failed=False)

    def broken_disk(record):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        execute_plan(tmp_path, plan, workers=1, on_result=broken_disk)
    assert len(list((tmp_path / "s").glob("*/DONE"))) == 1
    assert multiprocessing.active_children() == []


CONCURRENT_STUDY = RESUME_STUDY.replace('"task.pool_size" = [1024, 2048, 4096]', '"task.pool_size" = [16, 32]')


def test_two_concurrent_runs_on_one_store_compute_each_run_once(tmp_path):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "shared.toml").write_text(textwrap.dedent(CONCURRENT_STUDY))
    command = [sys.executable, "-m", "mesaopt", "run", "shared", "--workers", "1", "--out", "runs"]
    logs = [tmp_path / "first.log", tmp_path / "second.log"]

    def start(log):
        return subprocess.Popen(command, cwd=tmp_path, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True)

    first = start(logs[0])
    deadline = time.monotonic() + 300
    while "to run" not in logs[0].read_text() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    second = start(logs[1])  # the first one is sweeping: it holds the store
    assert [first.wait(timeout=600), second.wait(timeout=600)] == [0, 0], [log.read_text() for log in logs]
    outputs = [log.read_text() for log in logs]
    assert not any("Traceback" in out for out in outputs)
    computed = [sum(line.startswith("[") and " done " in line for line in out.splitlines()) for out in outputs]
    assert computed == [8, 0]
    assert "waiting for it to finish" in outputs[1] and "8 already done" in outputs[1]
    run_dirs = [p for p in (tmp_path / "runs" / "shared").iterdir() if p.is_dir()]
    assert len(run_dirs) == 8 and all((p / "DONE").exists() for p in run_dirs)
    assert not list((tmp_path / "runs").glob("**/.tmp-*"))


def test_a_spec_shared_by_two_studies_is_fitted_once_and_written_to_both(tmp_path):
    """Identical specs in two studies share a run id: one job fits it, and each study's directory gets the run
    under its own study name and axes."""
    study = load_study(STUDIES / "smoke_lookup_vs_bfs.toml", "smoke")
    spec = study.runs()[0]
    twin = RunSpec.from_json({**spec.to_json(), "study": "another_study", "axes": {"other": 1}})
    assert twin.id == spec.id
    (job,) = plan_jobs([spec, twin])
    assert job.wanted == [spec.id]
    records = execute_plan(tmp_path, plan_sweep(tmp_path, [spec, twin], retry_failed=False), workers=1)
    assert sorted(r.spec["study"] for r in records) == sorted([spec.study, "another_study"])
    assert sorted((r.spec["study"], r.fitted_for) for r in records) == [
        ("another_study", spec.study),
        (spec.study, None),
    ]
    for one in (spec, twin):
        assert run_state(tmp_path, one.study, one.id)[0] is RunState.DONE
        written = RunSpec.from_json(json.loads((run_dir(tmp_path, one.study, one.id) / "spec.json").read_text()))
        assert written == one
    first, second = (run_dir(tmp_path, s.study, s.id) / "metrics.json" for s in (spec, twin))
    assert first.read_bytes() == second.read_bytes()


def test_a_run_done_by_another_study_is_copied_not_fitted_again(tmp_path):
    study = load_study(STUDIES / "smoke_lookup_vs_bfs.toml", "smoke")
    spec = study.runs()[0]
    execute_plan(tmp_path, plan_sweep(tmp_path, [spec], retry_failed=False), workers=1)
    twin = RunSpec.from_json({**spec.to_json(), "study": "another_study", "axes": {"other": 1}})
    plan = plan_sweep(tmp_path, [twin], retry_failed=False)
    assert (plan.copied, plan.done, plan.to_run) == (1, 1, [])
    assert run_state(tmp_path, twin.study, twin.id)[0] is RunState.DONE
    source, copy = (run_dir(tmp_path, s.study, s.id) for s in (spec, twin))
    assert RunSpec.from_json(json.loads((copy / "spec.json").read_text())) == twin
    for name in ("metrics.json", "artifacts.safetensors"):
        assert (source / name).read_bytes() == (copy / name).read_bytes()
    assert plan_sweep(tmp_path, [twin], retry_failed=False).copied == 0
