"""Reuse report pieces that are slow to redo (analysis bootstraps, plots, the maze gallery) when nothing changed.

A piece is cached as `<dir>/.cache/<name>.json`, beside the PNG files it drew: the key it was built under, its value
(JSON only, never pickle) and the sha256 of each of its files. A build reuses it when the key is the same and every
file is still there with its checksum; otherwise it builds the piece again and rewrites the record atomically.

The key of a study's pieces is `study_fingerprint`: the resolved study document, the scale, each run's DONE file
(which holds the checksum of every file of the run, so any rerun or changed artifact changes it) or its absence, and
`code_fingerprint`, a hash of the package's own source files and templates (so a code change redraws everything).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import mesaopt
from mesaopt.store import DONE, write_json_atomic

CACHE_DIR = ".cache"
SCHEMA = 1


@functools.cache
def code_fingerprint() -> str:
    """sha256 over the package's Python sources and report templates (computed once per process)."""
    package = Path(mesaopt.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2") and p.is_file()):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def study_fingerprint(root: Path, study_id: str, scale: str, document: Any, run_ids: Iterable[str]) -> str:
    """What a study's report pieces depend on: its document, scale, runs (by their DONE files) and the code."""
    digest = hashlib.sha256()
    digest.update(json.dumps([study_id, scale, document], sort_keys=True, default=str).encode())
    for run_id in sorted(run_ids):
        done = root / study_id / run_id / DONE
        digest.update(run_id.encode() + b"\0" + (done.read_bytes() if done.is_file() else b"pending") + b"\0")
    digest.update(code_fingerprint().encode())
    return digest.hexdigest()


def _sha(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _record_path(directory: Path, name: str) -> Path:
    return directory / CACHE_DIR / f"{name}.json"


def load(directory: Path, name: str, key: str) -> Any | None:
    """The cached value of piece `name` if it was built under `key` and its files are intact; else None."""
    try:
        record = json.loads(_record_path(directory, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("schema") != SCHEMA or record.get("key") != key:
        return None
    files = record.get("files")
    if not isinstance(files, dict) or any(_sha(directory / f) != sha for f, sha in files.items()):
        return None
    return record.get("value")


def store(directory: Path, name: str, key: str, value: Any, files: Iterable[str]) -> None:
    """Record piece `name` (its value and the checksums of its files, relative to `directory`) atomically."""
    record = {"schema": SCHEMA, "key": key, "value": value, "files": {f: _sha(directory / f) for f in files}}
    write_json_atomic(_record_path(directory, name), record, allow_nan=True)  # NaN is valid for Python's json reader


def cached(directory: Path, name: str, key: str, build: Callable[[], Any], files: Callable[[Any], list[str]]) -> Any:
    """The value of piece `name`: reused when cached under `key`, else built and cached with the files it names."""
    value = load(directory, name, key)
    if value is not None:
        return value
    value = build()
    if value is not None:
        store(directory, name, key, value, files(value))
    return value
