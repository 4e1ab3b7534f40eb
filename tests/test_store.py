"""Run directories: atomic writes, checksums that catch corruption, and the catalog derived from them."""

from __future__ import annotations

import numpy as np

from mesaopt.store import (
    RunRecord,
    RunState,
    catalog_frames,
    clean_temporary,
    connect,
    read_run,
    rebuild_catalog,
    run_state,
    write_run,
)


def record(run_id: str = "abc123", status: str = "done", metrics=None) -> RunRecord:
    spec = {
        "id": run_id,
        "study": "s",
        "seed": 0,
        "axes": {"task.pool_size": "inf"},
        "task": {"name": "maze"},
        "learner": {"name": "lookup"},
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


def test_interrupted_writes_are_cleaned(tmp_path):
    (tmp_path / "s" / ".tmp-abc-123").mkdir(parents=True)
    assert clean_temporary(tmp_path) == 1
    assert not list((tmp_path / "s").iterdir())


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
