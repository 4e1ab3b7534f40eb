"""The shapes of a run directory's files, checked by the store's one reader (`store.read_run`).

A file that parses as JSON but has another shape (a DONE of `{"files": []}`, a run.json of `{}`) makes its run
corrupt, exactly like a file whose checksum does not match.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

REQUIRED_FILES = ("spec.json", "metrics.json", "run.json", "log.txt")
"""Files every run has; DONE must list a checksum for each."""


class _Strict(BaseModel):
    """A file whose keys are all known."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class DoneFile(_Strict):
    """DONE: the sha256 of every other file of the run, written last."""

    files: dict[str, str] = Field(description="file name -> sha256 hex digest of its bytes")

    @field_validator("files")
    @classmethod
    def _complete(cls, files: dict[str, str]) -> dict[str, str]:
        missing = [name for name in REQUIRED_FILES if name not in files]
        if missing:
            raise ValueError(f"lists no checksum for {missing}")
        bad = [name for name, digest in files.items() if "/" in name or len(digest) != 64]
        if bad:
            raise ValueError(f"has malformed entries for {bad}")
        return files


class NamedConfig(BaseModel):
    """A resolved task or learner config: its registered name and its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(description="registered name")


class SpecFile(_Strict):
    """spec.json: the resolved run (see study.RunSpec.to_json)."""

    id: str = Field(description="content hash, also the directory's name")
    study: str = Field(description="the study the run was made for, also the parent directory's name")
    axes: dict[str, Any] = Field(default_factory=dict, description="the sweep point")
    task: NamedConfig = Field(description="resolved task config")
    learner: NamedConfig = Field(description="resolved learner config")
    detectors: list[str] = Field(default_factory=list, description="detectors run on the learned algorithm")
    seed: int = Field(ge=0, description="the run's seed")
    results_version: int | None = Field(default=None, description="study.RESULTS_VERSION when the run was made")
    fit_with: list[int] = Field(default_factory=list, description="seeds fitted together with this one, if several")


class InfoFile(BaseModel):
    """run.json: status, error, wall time and the environment (strings)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    status: Literal["done", "failed"] = Field(description="how the run ended")
    error: str | None = Field(default=None, description="why it failed")
    wall_s: float = Field(default=0.0, ge=0, allow_inf_nan=False, description="seconds the run took")

    def environment(self) -> dict[str, str]:
        """The extra keys: versions, host, finish time."""
        extra = self.model_extra or {}
        bad = [k for k, v in extra.items() if not isinstance(v, str)]
        if bad:
            raise ValueError(f"environment keys {bad} are not strings")
        return dict(extra)


Finite = Annotated[float, Field(allow_inf_nan=False)]
Metric = Finite | list[Finite]


class MetricsFile(BaseModel):
    """metrics.json, under the key `metrics`: every metric a finite float or a list of them."""

    model_config = ConfigDict(frozen=True)

    metrics: dict[str, Metric] = Field(description="metric name -> value or curve")
