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
from pydantic import BaseModel, ValidationError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from mesaopt.locks import TMP_PREFIX, is_stale, tmp_name
from mesaopt.runfiles import DoneFile, InfoFile, MetricsFile, SpecFile

if TYPE_CHECKING:  # duckdb and pandas load in the functions that query, keeping the CLI quick to start
    import duckdb
    import pandas as pd

CATALOG = "catalog.duckdb"
DONE = "DONE"


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
    fitted_for: str | None = None
    """The study whose timing pays for this run when the same run was fitted once for several studies and this
    record is another study's copy (None: this record's own study); not persisted."""

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
    tmp = study_dir / tmp_name(f"{record.run_id}-{uuid.uuid4().hex[:8]}")
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
        trash = study_dir / tmp_name(f"trash-{record.run_id}-{uuid.uuid4().hex[:8]}")
        target.rename(trash)
        shutil.rmtree(trash)
    tmp.rename(target)
    _fsync_dir(study_dir)
    return target


def _load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _parse(path: Path, model: type[BaseModel], wrap: str | None = None) -> tuple[Any, BaseModel]:
    """A JSON file and its validation by `model` (under key `wrap` when the file is a bare value); CorruptRun when
    it is unreadable or malformed, naming the file and the first problem."""
    try:
        data = _load_json(path)
        return data, model.model_validate({wrap: data} if wrap else data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"][1 if wrap else 0 :]) or "the whole file"
        raise CorruptRun(f"{path}: malformed {path.name} ({where}: {err['msg']})") from None
    except (OSError, ValueError) as exc:
        raise CorruptRun(f"{path}: unreadable ({exc})") from None


def read_run(path: Path) -> RunRecord:
    """Load a complete run directory, validating every file; raise CorruptRun if any is missing or malformed."""
    done = path / DONE
    if not done.is_file():
        raise CorruptRun(f"{path}: no DONE marker (the run was interrupted)")
    _, checksums = _parse(done, DoneFile)
    for name, expected in checksums.files.items():
        try:
            actual = hashlib.sha256((path / name).read_bytes()).hexdigest()
        except OSError as exc:
            raise CorruptRun(f"{path}: unreadable ({exc})") from None
        if actual != expected:
            raise CorruptRun(f"{path}: {name} does not match its checksum")
    spec_json, spec = _parse(path / "spec.json", SpecFile)
    metrics_json, _ = _parse(path / "metrics.json", MetricsFile, wrap="metrics")
    _, info = _parse(path / "run.json", InfoFile)
    if spec.id != path.name or spec.study != path.parent.name:
        raise CorruptRun(f"{path}: spec.json describes run {spec.study}/{spec.id}")
    try:
        environment = info.environment()
        log = (path / "log.txt").read_text(errors="replace")
    except (OSError, ValueError) as exc:
        raise CorruptRun(f"{path}: malformed run.json or log.txt ({exc})") from None
    return RunRecord(
        spec=spec_json,
        status=info.status,
        metrics=metrics_json,
        error=info.error,
        log=log,
        wall_s=info.wall_s,
        environment=environment,
    )


def find_done_elsewhere(root: Path, study: str, run_id: str) -> Path | None:
    """A complete, successful directory of run `run_id` that another study of the store holds (identical specs
    share an id), or None."""
    if not root.is_dir():
        return None
    for other in sorted(p for p in root.iterdir() if p.is_dir() and p.name != study and not p.name.startswith(".")):
        if (other / run_id / DONE).is_file() and run_state(root, other.name, run_id)[0] is RunState.DONE:
            return other / run_id
    return None


def copy_run(source: Path, root: Path, spec: dict[str, Any]) -> Path:
    """Write the run at `source` again under `spec` (another study's name and axes for the same run id)."""
    record = read_run(source)
    if record.spec["id"] != spec["id"]:
        raise ValueError(f"{source} holds run {record.spec['id']}, not {spec['id']}")
    artifacts = source / "artifacts.safetensors"
    if artifacts.is_file():
        record.artifacts = load_safetensors(artifacts.read_bytes())
    record.spec = spec
    record.log += f"\n(copied from {source.parent.name}/{source.name}: the same run, fitted once)\n"
    return write_run(root, record)


def clean_temporary(root: Path) -> int:
    """Remove temporary entries whose owner process is dead (interrupted writes); return how many."""
    leftovers = [p for p in (*root.glob(f"{TMP_PREFIX}*"), *root.glob(f"*/{TMP_PREFIX}*")) if is_stale(p)]
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
        if not path.is_dir() or path.name.startswith(".") or path.parent.name.startswith("."):
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
    tmp = path.parent / tmp_name(f"{path.name}-{uuid.uuid4().hex[:8]}")
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


@dataclass
class StudyDocuments:
    """The study documents saved in a store, and those that could not be read."""

    documents: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """{study: {scale: document}}"""
    problems: dict[str, list[str]] = field(default_factory=dict)
    """{study: [why a saved document was unreadable]}; `mesaopt run` of the study rewrites it."""


def load_study_documents(root: Path) -> StudyDocuments:
    """Saved study documents (`<root>/<study>/study.<scale>.json`); a malformed one is a problem, not an error."""
    out = StudyDocuments()
    for path in sorted(root.glob("*/study.*.json")):
        study = path.parent.name
        if study.startswith("."):
            continue
        scale = path.name.split(".")[1]
        try:
            document = _load_json(path)
        except (OSError, ValueError) as exc:
            out.problems.setdefault(study, []).append(f"{path}: unreadable ({exc})")
            continue
        if not isinstance(document, dict):
            out.problems.setdefault(study, []).append(
                f"{path}: expected a JSON object, found {type(document).__name__}"
            )
            continue
        out.documents.setdefault(study, {})[scale] = document
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
    """The catalog's tables, built from the run directories; a corrupt run is a `runs` row with status corrupt."""
    import pandas as pd

    runs, axes, metrics, curves = [], [], [], []
    for path, record in iter_runs(root):
        if isinstance(record, CorruptRun):
            runs.append({"run_id": path.name, "study": path.parent.name, "status": "corrupt", "error": str(record)})
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
    frames = {name: pd.DataFrame(rows[name], columns=cols) for name, cols in columns.items()}
    frames["runs"] = frames["runs"].astype({"seed": "Int64", "wall_s": "float64"})  # corrupt runs have neither
    return frames


def rebuild_catalog(root: Path) -> Path:
    """Recreate `<root>/catalog.duckdb` from the run directories; the parent process alone calls this."""
    import duckdb

    root.mkdir(parents=True, exist_ok=True)
    frames = catalog_frames(root)
    tmp = root / tmp_name(f"catalog-{uuid.uuid4().hex[:8]}.duckdb")
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


def catalog_stale(root: Path) -> bool:
    """Whether the catalog is absent or older than some file of the run store (a run written, redone or damaged
    since it was built): a reader then rebuilds it first instead of reporting what is no longer true."""
    catalog = root / CATALOG
    if not catalog.is_file():
        return True
    built = catalog.stat().st_mtime
    for study in root.iterdir():
        if not study.is_dir() or study.name.startswith("."):
            continue
        for entry in study.iterdir():
            files = entry.iterdir() if entry.is_dir() else [entry]
            if any(f.stat().st_mtime > built for f in files if f.is_file()):
                return True
    return False


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
