"""Run directories: atomic writes, checksums that catch corruption, and the catalog derived from them."""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import pytest

from mesaopt.locks import tmp_name
from mesaopt.store import (
    RunRecord,
    RunState,
    catalog_frames,
    clean_temporary,
    connect,
    load_study_documents,
    read_run,
    rebuild_catalog,
    run_state,
    save_study_document,
    write_run,
)
from tests.conftest import dead_pid


def record(run_id: str = "abc123", status: str = "done", metrics=None) -> RunRecord:
    spec = {
        "id": run_id,
        "study": "s",
        "seed": 0,
        "axes": {"task.pool_size": "inf"},
        "task": {"name": "maze"},
        "learner": {"name": "lookup"},
        "detectors": ["transfer"],
        "results_version": 2,
    }
    return RunRecord(
        spec=spec,
        status=status,
        metrics={"transfer.ratio": 0.5, "curve": [1.0, 2.0]} if metrics is None else metrics,
        artifacts={"w": np.arange(6, dtype=np.float32).reshape(2, 3)},
    )


def test_round_trip(tmp_path):
    path = write_run(tmp_path, record())
    assert sorted(p.name for p in path.iterdir()) == [
        "DONE",
        "artifacts.safetensors",
        "log.txt",
        "metrics.json",
        "run.json",
        "spec.json",
    ]
    back = read_run(path)
    assert back.metrics == {"transfer.ratio": 0.5, "curve": [1.0, 2.0]}
    assert run_state(tmp_path, "s", "abc123")[0] is RunState.DONE


def test_a_changed_file_is_corrupt(tmp_path):
    path = write_run(tmp_path, record())
    (path / "metrics.json").write_text('{"transfer.ratio": 0.9}')
    state, reason = run_state(tmp_path, "s", "abc123")
    assert state is RunState.CORRUPT and "checksum" in reason


def test_a_directory_without_done_is_corrupt(tmp_path):
    path = write_run(tmp_path, record())
    (path / "DONE").unlink()
    assert run_state(tmp_path, "s", "abc123")[0] is RunState.CORRUPT


def test_rewrite_replaces_a_corrupt_directory(tmp_path):
    path = write_run(tmp_path, record())
    (path / "DONE").write_text("garbage")
    write_run(tmp_path, record())
    assert run_state(tmp_path, "s", "abc123")[0] is RunState.DONE


def test_only_temporary_entries_of_dead_processes_are_cleaned(tmp_path):
    study = tmp_path / "s"
    (study / f".tmp-p{dead_pid()}-abc-123").mkdir(parents=True)
    (study / ".tmp-abc-456").mkdir()  # an older mesaopt's name, without an owner: stale
    mine = study / tmp_name("abc-789")
    mine.mkdir()
    (tmp_path / f".tmp-p{os.getppid()}-catalog.duckdb").write_text("a live process is writing this")
    assert clean_temporary(tmp_path) == 2
    assert sorted(p.name for p in study.iterdir()) == [mine.name]
    assert (tmp_path / f".tmp-p{os.getppid()}-catalog.duckdb").exists()


def _damage(path, name, content):
    """Replace a file of a run and fix DONE's checksum, so only the file's shape is wrong."""
    (path / name).write_text(content)
    done = json.loads((path / "DONE").read_text())
    done["files"][name] = hashlib.sha256(content.encode()).hexdigest()
    (path / "DONE").write_text(json.dumps(done))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("DONE", '{"files": []}'),
        ("DONE", "[]"),
        ("DONE", '{"files": {"spec.json": "00"}}'),
        ("run.json", "{}"),
        ("run.json", '{"status": "maybe"}'),
        ("run.json", '{"status": "done", "wall_s": "fast"}'),
        ("run.json", '{"status": "done", "host": 3}'),
        ("spec.json", "[1, 2]"),
        ("spec.json", '{"id": "abc123"}'),
        ("metrics.json", '{"a": "high"}'),
        ("metrics.json", "3"),
        ("metrics.json", '{"a": NaN}'),
    ],
)
def test_a_wrong_shape_file_makes_the_run_corrupt_not_a_traceback(tmp_path, name, content):
    path = write_run(tmp_path, record())
    if name == "DONE":
        (path / "DONE").write_text(content)
    else:
        _damage(path, name, content)
    state, reason = run_state(tmp_path, "s", "abc123")
    assert state is RunState.CORRUPT and str(path) in reason
    frames = catalog_frames(tmp_path)
    assert frames["runs"][["run_id", "status"]].values.tolist() == [["abc123", "corrupt"]]
    rebuild_catalog(tmp_path)
    write_run(tmp_path, record())
    assert run_state(tmp_path, "s", "abc123")[0] is RunState.DONE


def test_garbage_study_documents_are_problems_not_errors(tmp_path):
    save_study_document(tmp_path, "good", "quick", {"claim": "c"})
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "study.quick.json").write_text("{not json")
    (tmp_path / "bad" / "study.full.json").write_text("[1]")
    saved = load_study_documents(tmp_path)
    assert saved.documents == {"good": {"quick": {"claim": "c"}}}
    assert sorted(saved.problems) == ["bad"] and len(saved.problems["bad"]) == 2


def test_catalog_holds_runs_axes_metrics_and_curves(tmp_path):
    write_run(tmp_path, record("r1"))
    write_run(tmp_path, record("r2", status="failed", metrics={}))
    frames = catalog_frames(tmp_path)
    assert sorted(frames["runs"]["status"]) == ["done", "failed"]
    assert frames["axes"]["num"].tolist() == [float("inf")] * 2
    rebuild_catalog(tmp_path)
    with connect(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM metrics").fetchone()[0] == 1
        assert con.execute("SELECT count(*) FROM curves").fetchone()[0] == 2
