"""Run directories, the unit of truth, and the DuckDB catalog derived from them.

A run lives in `<root>/<study>/<run_id>/` with spec.json, metrics.json, run.json, log.txt, optional
artifacts.safetensors, and DONE. It is written in a temporary directory, fsync'd, and renamed into place; DONE is
written last and holds a checksum of every other file, so a partial or corrupted directory is never read as a result.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from safetensors.numpy import save as save_safetensors

if TYPE_CHECKING:  # duckdb and pandas load in the functions that query, keeping the CLI quick to start
    import duckdb
    import pandas as pd

CATALOG = "catalog.duckdb"
DONE = "DONE"
TMP_PREFIX = ".tmp-"


class RunState(enum.Enum):
    """What a run directory holds."""

    DONE = "done"
    FAILED = "failed"
    CORRUPT = "corrupt"
    MISSING = "missing"


class CorruptRun(Exception):
    """A run directory is partial or its files do not match the checksums in DONE."""


@dataclass
class RunRecord:
    """Everything a run produced; what the parent process persists."""

    spec: dict[str, Any]
    status: str
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log: str = ""
    wall_s: float = 0.0
    artifacts: dict[str, np.ndarray] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    job_started: float | None = None
    """Epoch seconds at which the worker job that produced this record began (a run group's shared fit included);
    used by the sweep's timing record, not persisted in the run directory."""

    @property
    def run_id(self) -> str:
        return self.spec["id"]


def _json_bytes(data: Any, allow_nan: bool = False) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, allow_nan=allow_nan) + "\n").encode()


def _write_synced(path: Path, payload: bytes) -> str:
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    return hashlib.sha256(payload).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def run_dir(root: Path, study: str, run_id: str) -> Path:
    return root / study / run_id


def write_run(root: Path, record: RunRecord) -> Path:
    """Persist a run atomically: temporary directory, fsync, DONE last, rename into place."""
    study_dir = root / record.spec["study"]
    study_dir.mkdir(parents=True, exist_ok=True)
    tmp = study_dir / f"{TMP_PREFIX}{record.run_id}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    files = {
        "spec.json": _json_bytes(record.spec),
        "metrics.json": _json_bytes(record.metrics),
        "run.json": _json_bytes(
            {"status": record.status, "error": record.error, "wall_s": record.wall_s, **record.environment}
        ),
        "log.txt": record.log.encode(),
    }
    if record.artifacts:
        arrays = {k: np.ascontiguousarray(v) for k, v in record.artifacts.items()}
        files["artifacts.safetensors"] = save_safetensors(arrays)
    checksums = {name: _write_synced(tmp / name, payload) for name, payload in files.items()}
    _write_synced(tmp / DONE, _json_bytes({"files": checksums}))
    _fsync_dir(tmp)
    target = study_dir / record.run_id
    if target.exists():
        trash = study_dir / f"{TMP_PREFIX}trash-{record.run_id}-{uuid.uuid4().hex[:8]}"
        target.rename(trash)
        shutil.rmtree(trash)
    tmp.rename(target)
    _fsync_dir(study_dir)
    return target


def read_run(path: Path) -> RunRecord:
    """Load a complete run directory; raise CorruptRun if it is partial or damaged."""
    done = path / DONE
    if not done.is_file():
        raise CorruptRun(f"{path}: no DONE marker (the run was interrupted)")
    try:
        checksums = json.loads(done.read_text())["files"]
        for name, expected in checksums.items():
            if hashlib.sha256((path / name).read_bytes()).hexdigest() != expected:
                raise CorruptRun(f"{path}: {name} does not match its checksum")
        spec = json.loads((path / "spec.json").read_text())
        metrics = json.loads((path / "metrics.json").read_text())
        info = json.loads((path / "run.json").read_text())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CorruptRun(f"{path}: unreadable ({exc})") from None
    if spec.get("id") != path.name:
        raise CorruptRun(f"{path}: spec.json describes run {spec.get('id')!r}")
    return RunRecord(
        spec=spec,
        status=info["status"],
        metrics=metrics,
        error=info.get("error"),
        log=(path / "log.txt").read_text(errors="replace"),
        wall_s=float(info.get("wall_s", 0.0)),
        environment={k: v for k, v in info.items() if k not in {"status", "error", "wall_s"}},
    )


def clean_temporary(root: Path) -> int:
    """Remove directories left by writes that were interrupted; return how many."""
    leftovers = [*root.glob(f"{TMP_PREFIX}*"), *root.glob(f"*/{TMP_PREFIX}*")]
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return len(leftovers)


def run_state(root: Path, study: str, run_id: str) -> tuple[RunState, str | None]:
    """The state of one run directory, with the reason when it is corrupt."""
    path = run_dir(root, study, run_id)
    if not path.exists():
        return RunState.MISSING, None
    try:
        record = read_run(path)
    except CorruptRun as exc:
        return RunState.CORRUPT, str(exc)
    return (RunState.DONE if record.status == "done" else RunState.FAILED), record.error


def iter_runs(root: Path):
    """Every readable run directory under the root, as (path, record); corrupt ones as (path, CorruptRun)."""
    for path in sorted(root.glob("*/*")):
        if not path.is_dir() or path.name.startswith("."):
            continue
        try:
            yield path, read_run(path)
        except CorruptRun as exc:
            yield path, exc


def write_json_atomic(path: Path, data: Any, allow_nan: bool = False) -> Path:
    """Write JSON to `path` through an fsync'd temporary file renamed into place: a kill leaves the old file or the
    new one, and at worst a `TMP_PREFIX` leftover (`clean_temporary` removes those in a run store). NaN only with
    `allow_nan`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f"{TMP_PREFIX}{path.name}-{uuid.uuid4().hex[:8]}"
    _write_synced(tmp, _json_bytes(data, allow_nan))
    tmp.replace(path)
    return path


def save_study_document(root: Path, study_id: str, scale: str, document: dict[str, Any]) -> None:
    """Keep the resolved study at a scale beside its runs, so reports need only the run store."""
    write_json_atomic(root / study_id / f"study.{scale}.json", document)


def save_study_file(root: Path, study_id: str, name: str, data: Any) -> Path:
    """Write JSON beside a study's runs (`<root>/<study>/<name>`) atomically: a kill leaves the old file or the new."""
    return write_json_atomic(root / study_id / name, data)


def load_study_file(root: Path, study_id: str, name: str) -> Any | None:
    """The JSON written by `save_study_file`, or None when it is absent or unreadable."""
    try:
        return json.loads((root / study_id / name).read_text())
    except (OSError, ValueError):
        return None


def load_study_documents(root: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Saved study documents as {study: {scale: document}}."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted(root.glob("*/study.*.json")):
        scale = path.name.split(".")[1]
        out.setdefault(path.parent.name, {})[scale] = json.loads(path.read_text())
    return out


def _axis_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.lower() == "inf":
        return math.inf
    return None


def catalog_frames(root: Path) -> dict[str, pd.DataFrame]:
    """The catalog's tables, built from the run directories."""
    import pandas as pd

    runs, axes, metrics, curves = [], [], [], []
    for _path, record in iter_runs(root):
        if isinstance(record, CorruptRun):
            continue
        spec = record.spec
        run_id, study = spec["id"], spec["study"]
        runs.append(
            {
                "run_id": run_id,
                "study": study,
                "status": record.status,
                "error": record.error,
                "seed": spec["seed"],
                "task": spec["task"]["name"],
                "learner": spec["learner"]["name"],
                "config": json.dumps(spec, sort_keys=True),
                "wall_s": record.wall_s,
            }
        )
        for axis, value in spec.get("axes", {}).items():
            axes.append({"run_id": run_id, "study": study, "axis": axis, "value": json.dumps(value)})
            axes[-1]["num"] = _axis_number(value)
        for name, value in record.metrics.items():
            if isinstance(value, list):
                curves.extend(
                    {"run_id": run_id, "study": study, "metric": name, "idx": i, "value": float(v)}
                    for i, v in enumerate(value)
                )
            else:
                metrics.append({"run_id": run_id, "study": study, "metric": name, "value": float(value)})
    columns = {
        "runs": ["run_id", "study", "status", "error", "seed", "task", "learner", "config", "wall_s"],
        "axes": ["run_id", "study", "axis", "value", "num"],
        "metrics": ["run_id", "study", "metric", "value"],
        "curves": ["run_id", "study", "metric", "idx", "value"],
    }
    rows = {"runs": runs, "axes": axes, "metrics": metrics, "curves": curves}
    return {name: pd.DataFrame(rows[name], columns=cols) for name, cols in columns.items()}


def rebuild_catalog(root: Path) -> Path:
    """Recreate `<root>/catalog.duckdb` from the run directories; the parent process alone calls this."""
    import duckdb

    root.mkdir(parents=True, exist_ok=True)
    frames = catalog_frames(root)
    tmp = root / f"{TMP_PREFIX}catalog-{uuid.uuid4().hex[:8]}.duckdb"
    with duckdb.connect(str(tmp)) as con:
        for name, frame in frames.items():
            con.register("frame", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
            con.unregister("frame")
    target = root / CATALOG
    tmp.replace(target)
    wal = root / f"{CATALOG}.wal"
    if wal.exists():
        wal.unlink()
    return target


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the catalog, rebuilt first if absent."""
    import duckdb

    path = root / CATALOG
    if not path.exists():
        rebuild_catalog(root)
    return duckdb.connect(str(path), read_only=True)


def metrics_frame(con: duckdb.DuckDBPyConnection, study: str, run_ids: list[str]) -> pd.DataFrame:
    """One row per run of `run_ids` in the catalog: status, error, wall time and every scalar metric as a column."""
    import pandas as pd

    ids = pd.DataFrame({"run_id": run_ids})
    con.register("wanted", ids)
    try:
        runs = con.execute(
            "SELECT r.run_id, r.status, r.error, r.wall_s FROM runs r JOIN wanted w USING (run_id) WHERE r.study = ?",
            [study],
        ).df()
        long = con.execute(
            "SELECT m.run_id, m.metric, m.value FROM metrics m JOIN wanted w USING (run_id) WHERE m.study = ?",
            [study],
        ).df()
    finally:
        con.unregister("wanted")
    if len(long):
        wide = long.pivot(index="run_id", columns="metric", values="value").reset_index()
        runs = runs.merge(wide, on="run_id", how="left")
    return runs


def curves_frame(con: duckdb.DuckDBPyConnection, study: str, run_ids: list[str]) -> pd.DataFrame:
    """Every curve point (run_id, metric, idx, value) of the given runs."""
    import pandas as pd

    con.register("wanted", pd.DataFrame({"run_id": run_ids}))
    try:
        return con.execute(
            "SELECT c.run_id, c.metric, c.idx, c.value FROM curves c JOIN wanted w USING (run_id) "
            "WHERE c.study = ? ORDER BY c.run_id, c.metric, c.idx",
            [study],
        ).df()
    finally:
        con.unregister("wanted")
