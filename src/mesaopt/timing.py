"""Measured wall-clock time of the sweeps that produced each study's runs, kept beside the runs.

`<out>/<study>/timing.<scale>.json` holds one entry per sweep (one `mesaopt run`) that produced runs of the study at
that scale:

- `elapsed_s`: the wall-clock time during which at least one of this study's jobs was running (the length of the
  union of its runs' [job start, end] intervals). The executor hands jobs out in study order, so in a sweep of
  several studies these times follow one another and overlap only where one study's last jobs share the workers
  with the next study's first ones; a gap in which only other studies ran is not counted. Start-up of the worker
  processes comes before any job and is in `sweep_elapsed_s` only.
- `compute_s`: the summed wall time of the runs (a run group's shared fit split among its seeds).
- `sweep_elapsed_s`: the whole sweep so far; `sweep` names it, `studies_in_sweep` says how many studies it ran.
- `runs`: the ids of the runs this sweep produced for the study, so the report counts only sweeps that produced runs
  it shows.
- `shared_runs`: those of `runs` that were fitted once for several studies in this sweep (the same run id) and paid
  for by another of them: their time is in that study's entry, not in this one's `elapsed_s` or `compute_s`.

The file is rewritten atomically after every finished run: a killed sweep keeps its time up to its last finished
run, and the next sweep adds its own entry. A sweep that runs nothing for a study leaves its file alone, so a rerun
with nothing to do never replaces a measured time with ~0. Each rewrite reads the file again under a lock beside it
and replaces only its own sweep's entry, so writers merge instead of overwriting one another. Entries that do not
have the shape above (a damaged file) are dropped when read, never an error.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mesaopt.locks import file_lock
from mesaopt.store import RunRecord, load_study_file, save_study_file

SCHEMA = 1


class SweepEntry(BaseModel):
    """One sweep's entry in a timing file (the fields the report reads; others are kept as written)."""

    model_config = ConfigDict(extra="allow")

    sweep: str = Field(default="", description="the sweep's id")
    elapsed_s: float = Field(ge=0, allow_inf_nan=False, description="time any of the study's jobs was running")
    sweep_elapsed_s: float | None = Field(default=None, ge=0, allow_inf_nan=False, description="the whole sweep")
    runs: list[str] = Field(default_factory=list, description="ids of the runs the sweep produced for the study")


def _valid(entry: Any) -> bool:
    try:
        SweepEntry.model_validate(entry)
    except ValidationError:
        return False
    return True


def timing_file(scale: str) -> str:
    """Name of a study's timing record at a scale."""
    return f"timing.{scale}.json"


def load_timing(root: Path, study_id: str, scale: str) -> list[dict[str, Any]]:
    """The study's sweep entries at a scale; [] when none were recorded (or the file is unreadable)."""
    data = load_study_file(root, study_id, timing_file(scale))
    if not isinstance(data, dict) or not isinstance(data.get("sweeps"), list):
        return []
    return [e for e in data["sweeps"] if _valid(e)]


@dataclass
class _StudySpan:
    intervals: list[tuple[float, float]] = field(default_factory=list)
    compute_s: float = 0.0
    runs: list[str] = field(default_factory=list)
    shared: list[str] = field(default_factory=list)

    def elapsed(self) -> float:
        """Length of the union of the intervals."""
        total, reach = 0.0, -math.inf
        for start, end in sorted(self.intervals):
            if end > reach:
                total += end - max(start, reach)
                reach = end
        return total


class SweepTimer:
    """Collects, as records arrive, each study's span in one sweep and keeps its timing file up to date."""

    def __init__(self, root: Path, scale: str, study_of: dict[str, str], workers: int, backend: str) -> None:
        self.root, self.scale, self.study_of = root, scale, study_of
        self.sweep = uuid.uuid4().hex[:12]
        self.started = time.time()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds")
        self.workers, self.backend = workers, backend
        self.studies_in_sweep = len(set(study_of.values()))
        self.spans: dict[str, _StudySpan] = {}

    def record(self, record: RunRecord, now: float | None = None) -> None:
        """Account one finished run and rewrite its study's timing file."""
        # The record's own study first: identical specs in two studies share a run id (the id hashes the content).
        study = record.spec.get("study") or self.study_of.get(record.run_id)
        now = time.time() if now is None else now
        start = record.job_started if record.job_started is not None else now - record.wall_s
        start = min(max(start, self.started), now)
        span = self.spans.setdefault(study, _StudySpan())
        if record.run_id in span.runs:
            return
        if record.fitted_for and record.fitted_for != study:
            span.shared.append(record.run_id)  # fitted once, for the study that pays for it
        else:
            span.intervals.append((start, now))
            span.compute_s += record.wall_s
        span.runs.append(record.run_id)
        self._write(study, now)

    def entry(self, study: str, now: float) -> dict[str, Any]:
        """This sweep's entry for a study."""
        span = self.spans[study]
        return {
            "sweep": self.sweep,
            "started_at": self.started_at,
            "elapsed_s": round(span.elapsed(), 3),
            "compute_s": round(span.compute_s, 3),
            "sweep_elapsed_s": round(now - self.started, 3),
            "studies_in_sweep": self.studies_in_sweep,
            "workers": self.workers,
            "backend": self.backend,
            "runs": list(span.runs),
            "shared_runs": list(span.shared),
        }

    def _write(self, study: str, now: float) -> None:
        name = timing_file(self.scale)
        with file_lock(self.root / study / f".{name}.lock"):
            others = [e for e in load_timing(self.root, study, self.scale) if e.get("sweep") != self.sweep]
            sweeps = [*others, self.entry(study, now)]
            save_study_file(self.root, study, name, {"schema": SCHEMA, "sweeps": sweeps})


@dataclass
class MeasuredTime:
    """What the report shows for one study: elapsed time of the sweeps behind its runs."""

    elapsed_s: float = 0.0
    sweeps: list[str] = field(default_factory=list)
    sweep_elapsed_s: dict[str, float] = field(default_factory=dict)
    covered: int = 0
    """How many of the shown runs were produced by a timed sweep (runs from before timing existed are not)."""

    @property
    def measured(self) -> bool:
        return bool(self.sweeps)


def measured_time(entries: list[dict[str, Any]], run_ids: set[str]) -> MeasuredTime:
    """Sum the entries of the sweeps that produced any of `run_ids` (the runs a page shows)."""
    out = MeasuredTime()
    covered: set[str] = set()
    for entry in entries:
        produced = set(entry.get("runs", [])) & run_ids
        if not produced:
            continue
        out.elapsed_s += float(entry["elapsed_s"])
        sweep = str(entry.get("sweep", ""))
        out.sweeps.append(sweep)
        total = entry.get("sweep_elapsed_s")
        total = float(entry["elapsed_s"] if total is None else total)
        out.sweep_elapsed_s[sweep] = max(out.sweep_elapsed_s.get(sweep, 0.0), total)
        covered |= produced
    out.covered = len(covered)
    return out


def duration(seconds: float) -> str:
    """`3 min 05 s` or `42.0 s`."""
    if not math.isfinite(seconds):
        return "n/a"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
