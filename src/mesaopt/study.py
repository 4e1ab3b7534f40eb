"""Study files: TOML -> validated Study -> RunSpec list with content-hashed ids.

A study names a task, one or more learners, sweep axes, seeds, detectors, hypotheses and three scales. A scale is
a partial study document merged over the base one, so it can override any parameter.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mesaopt.detectors import DETECTORS
from mesaopt.hypothesis import Hypothesis, json_scalar, nominal
from mesaopt.learners import LEARNERS
from mesaopt.tasks import TASKS

SCALES = ("smoke", "quick", "full")
RESULTS_VERSION = 3
"""Part of every run id. Bump it when a change alters results, so stored runs are recomputed."""

TRAIN_METRIC_PREFIX = "train."
"""Metrics a learner reports about its own training, allowed in hypotheses without a detector."""

MAX_SWEEP_RUNS = 10_000
"""Most runs a study may have at the scale being run without `--allow-large`: 15 times the largest study in the
project (programs_calibration_flip, 650 runs at full scale). Planning alone costs about 0.15 ms and 1 kB per run
(10^6 runs: 151 s and 887 MB for `status`), so a larger sweep is far more likely a typo (an extra zero, a wrong axis)
than a plan."""

MAX_SEED = 2**63 - 1
"""Largest seed: the catalog stores seeds as signed 64-bit integers."""

MAX_GROUP_SIZE = 16
"""Most seeds of one run group fitted together in one job (memory of a joint fit grows with its members)."""

Scalar = str | int | float | bool
STUDY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
"""A study id (its file's name, its folder in the run store): letters, digits, '_' and '-', starting with a letter or
digit, so it can never be '.', '..', a hidden name or a temporary entry's name (`.tmp-...`)."""


class StudyError(Exception):
    """A study file is invalid. The message names the file, the key, the value and what is allowed."""


class TaskSection(BaseModel):
    """The task's registered name; every other key is one of its parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str


class StudyBody(BaseModel):
    """One study at one scale, after the scale's overrides are merged in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, description="display name; the file name when absent")
    claim: str = Field(description="the essay's claim this study tests")
    source: str = Field(default="", description="where the claim is made")
    description: str = Field(default="", description="what is varied and measured")
    predicted: str = Field(
        default="", description="what the essay predicts, in words; the report sets it beside the measured verdicts"
    )
    suite: bool = Field(default=False, description="part of the quick suite run by `mesaopt run`")
    seeds: list[Annotated[int, Field(ge=0, le=MAX_SEED)]] = Field(
        min_length=1, description="non-negative integer seeds, one run per seed at every sweep point"
    )
    detectors: list[str] = Field(min_length=1)
    task: TaskSection
    learners: dict[str, dict[str, Any]] = Field(min_length=1)
    sweep: dict[str, Any] = Field(default_factory=dict)
    hypotheses: list[Hypothesis] = Field(default_factory=list)


class StudyFile(StudyBody):
    """The file as written: the body plus one override table per scale."""

    scales: dict[Literal["smoke", "quick", "full"], dict[str, Any]]

    @model_validator(mode="after")
    def _all_scales(self) -> StudyFile:
        missing = [s for s in SCALES if s not in self.scales]
        if missing:
            raise ValueError(f"missing scales {missing}; every study declares smoke, quick and full")
        return self


@dataclass(frozen=True)
class RunSpec:
    """One run: a fully resolved task, learner, detectors and seed. Its id is a hash of exactly that."""

    study: str
    task: dict[str, Any]
    learner: dict[str, Any]
    detectors: tuple[str, ...]
    seed: int
    axes: dict[str, Any] = field(default_factory=dict)
    results_version: int = RESULTS_VERSION
    fit_with: tuple[int, ...] = ()
    """The seeds whose learners are fitted together with this one (itself included) when there are several: a joint
    fit's numbers depend on its members (batched kernels round differently), so they are part of the identity."""

    def identity(self) -> dict[str, Any]:
        """What determines the results; axes and the study name do not."""
        out = {
            "task": self.task,
            "learner": self.learner,
            "detectors": list(self.detectors),
            "seed": self.seed,
            "results_version": self.results_version,
        }
        if self.fit_with:
            out["fit_with"] = list(self.fit_with)
        return out

    @property
    def id(self) -> str:
        canonical = json.dumps(self.identity(), sort_keys=True, separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "study": self.study, "axes": self.axes, **self.identity()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSpec:
        return cls(
            study=data["study"],
            task=data["task"],
            learner=data["learner"],
            detectors=tuple(data["detectors"]),
            seed=data["seed"],
            axes=data.get("axes", {}),
            results_version=data["results_version"],
            fit_with=tuple(data.get("fit_with", ())),
        )


@dataclass(frozen=True)
class Study:
    """A validated study at one scale."""

    id: str
    path: Path
    scale: str
    body: StudyBody
    document: dict[str, Any]
    axes: dict[str, list[Any]]
    groups: list[list[str]]

    @property
    def title(self) -> str:
        return self.body.name or self.id

    def size(self) -> int:
        """Runs of the sweep counted without expanding it (identical points are counted twice)."""
        points = math.prod(len(self.axes[group[0]]) for group in self.groups)
        return points * len(set(self.body.seeds))

    def runs(self) -> list[RunSpec]:
        """Every run of the sweep at this scale, in a stable order, without duplicates."""
        group_values = [list(zip(*(self.axes[a] for a in group), strict=True)) for group in self.groups]
        specs: dict[str, RunSpec] = {}
        for combo in itertools.product(*group_values):
            point = {
                a: v
                for group, values in zip(self.groups, combo, strict=True)
                for a, v in zip(group, values, strict=True)
            }
            task, learner = _resolve_point(self.body, point, self.path)
            for seed, fit_with in _fit_groups(learner, self.body.seeds):
                spec = RunSpec(self.id, task, learner, tuple(self.body.detectors), seed, dict(point), fit_with=fit_with)
                specs.setdefault(spec.id, spec)
        return list(specs.values())


def _fit_groups(learner: dict[str, Any], seeds: list[int]) -> list[tuple[int, tuple[int, ...]]]:
    """Each seed with the seeds fitted together with it: for a learner that fits many seeds at once, consecutive
    chunks of at most MAX_GROUP_SIZE of the study's seeds; () for a seed fitted alone (also when the resolved config
    says its seeds gain nothing from a joint fit: `fits_jointly()`). Decided by the study alone, never by which runs a
    sweep happens to have left to do."""
    unique = list(dict.fromkeys(seeds))
    entry = LEARNERS.get(learner["name"])
    if entry is None or not entry.fits_many() or len(unique) == 1:
        return [(seed, ()) for seed in unique]
    config = entry.config.model_validate({k: v for k, v in learner.items() if k != "name"})
    if not getattr(config, "fits_jointly", lambda: True)():
        return [(seed, ()) for seed in unique]
    out = []
    for start in range(0, len(unique), MAX_GROUP_SIZE):
        chunk = tuple(unique[start : start + MAX_GROUP_SIZE])
        out.extend((seed, chunk if len(chunk) > 1 else ()) for seed in chunk)
    return out


def _fail(path: Path, key: str, value: Any, allowed: str) -> StudyError:
    shown = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return StudyError(f"{path}: key '{key}' has value {shown}: {allowed}")


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at `loc`, for listing the keys it allows."""
    for part in loc:
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        annotation = info.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if not models:
            return None
        model = models[0]
    return model


def _pydantic_error(path: Path, exc: ValidationError, model: type[BaseModel], prefix: str = "") -> StudyError:
    """Turn the first pydantic error into one sentence naming the file, key, value and what is allowed."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = ".".join(p for p in (prefix, _dotted(loc)) if p)
    if err["type"] == "extra_forbidden":
        owner = _model_at(model, loc[:-1])
        allowed = ", ".join(sorted(owner.model_fields)) if owner else "none"
        return _fail(path, key, err["input"], f"unknown key; allowed keys here: {allowed}")
    if err["type"] == "missing":
        return StudyError(f"{path}: key '{key}' is missing: {err['msg'].lower()}")
    return _fail(path, key, err.get("input"), err["msg"])


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge tables; any other value in `override` replaces the base value."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _axis_lists(path: Path, sweep: dict[str, Any]) -> tuple[dict[str, list[Any]], list[list[str]]]:
    """Split the sweep table into axes and groups: one group per plain axis, one per zip table."""
    axes: dict[str, list[Any]] = {}
    groups: list[list[str]] = []
    for key, values in sweep.items():
        if key == "zip":
            if not isinstance(values, list) or not all(isinstance(t, dict) for t in values):
                raise _fail(path, "sweep.zip", values, "expected an array of tables ([[sweep.zip]])")
            for i, table in enumerate(values):
                lengths = {len(v) if isinstance(v, list) else -1 for v in table.values()}
                if not table or len(lengths) != 1 or -1 in lengths:
                    raise _fail(path, f"sweep.zip[{i}]", table, "expected lists of equal length, one per axis")
                for axis, axis_values in table.items():
                    axes[axis] = _axis_values(path, f"sweep.zip[{i}].{axis}", axis_values)
                groups.append(list(table))
            continue
        axes[key] = _axis_values(path, f"sweep.{key}", values)
        groups.append([key])
    return axes, groups


def _axis_values(path: Path, key: str, values: Any) -> list[Any]:
    if not isinstance(values, list) or not values:
        raise _fail(path, key, values, "expected a non-empty list of values (an empty sweep runs nothing)")
    for value in values:
        if isinstance(value, dict | list):
            raise _fail(path, key, value, "expected scalar axis values (numbers, strings, booleans)")
    return [json_scalar(v) for v in values]


def _check_axis_name(path: Path, body: StudyBody, axis: str, key: str) -> None:
    """An axis is `learner`, `task.<param>`, `learner.<param>` or `learners.<name>.<param>`."""
    task_fields = set(TASKS[body.task.name].config.model_fields)
    parts = axis.split(".")
    if axis == "learner":
        return
    if parts[0] == "task" and len(parts) == 2 and parts[1] in task_fields:
        return
    if parts[0] == "learner" and len(parts) == 2:
        missing = [n for n in body.learners if parts[1] not in LEARNERS[n].config.model_fields]
        if not missing:
            return
        raise _fail(path, key, axis, f"learner(s) {missing} have no parameter '{parts[1]}'")
    if parts[0] == "learners" and len(parts) == 3 and parts[1] in body.learners:
        if parts[2] in LEARNERS[parts[1]].config.model_fields:
            return
        allowed = ", ".join(sorted(LEARNERS[parts[1]].config.model_fields)) or "none"
        raise _fail(path, key, axis, f"learner '{parts[1]}' has no such parameter; allowed: {allowed}")
    raise _fail(
        path,
        key,
        axis,
        "not an axis; allowed: learner, task.<param> "
        f"(params: {', '.join(sorted(task_fields))}), learner.<param>, learners.<name>.<param>",
    )


def _resolve_point(body: StudyBody, point: dict[str, Any], path: Path) -> tuple[dict, dict]:
    """The fully resolved task and learner configs (defaults filled in) at one sweep point."""
    task_params = {k: v for k, v in body.task.model_extra.items()}
    learner_name = point.get("learner", next(iter(body.learners)))
    learner_params = dict(body.learners[learner_name])
    for axis, value in point.items():
        parts = axis.split(".")
        if parts[0] == "task":
            task_params[parts[1]] = value
        elif parts[0] == "learner" and len(parts) == 2:
            learner_params[parts[1]] = value
        elif parts[0] == "learners" and parts[1] == learner_name:
            learner_params[parts[2]] = value
    task_model = TASKS[body.task.name].config
    learner_model = LEARNERS[learner_name].config
    try:
        task = task_model.model_validate(task_params).model_dump(mode="json")
    except ValidationError as exc:
        raise _pydantic_error(path, exc, task_model, "task") from None
    try:
        learner = learner_model.model_validate(learner_params).model_dump(mode="json")
    except ValidationError as exc:
        raise _pydantic_error(path, exc, learner_model, f"learners.{learner_name}") from None
    return {"name": body.task.name, **task}, {"name": learner_name, **learner}


def handles(learner_tasks: tuple[str, ...], task: str) -> bool:
    """Whether a learner that names these tasks handles a task: by its name, or by its family (a learner of "maze"
    handles every task of the maze family, such as `maze_set`)."""
    return task in learner_tasks or TASKS[task].family in learner_tasks


def _check_body(
    path: Path, body: StudyBody, check_metrics: bool = True
) -> tuple[dict[str, list[Any]], list[list[str]]]:
    """Every semantic rule a study must meet beyond its types (hypothesis metrics only with `check_metrics`: naming
    a detector's metrics imports the detector, which listing studies and their run ids does not need)."""
    if body.task.name not in TASKS:
        raise _fail(path, "task.name", body.task.name, f"not a known task; allowed: {', '.join(sorted(TASKS))}")
    for name in body.learners:
        if name not in LEARNERS:
            raise _fail(path, "learners", name, f"not a known learner; allowed: {', '.join(sorted(LEARNERS))}")
        if not handles(LEARNERS[name].tasks, body.task.name):
            handled = ", ".join(LEARNERS[name].tasks)
            raise _fail(path, f"learners.{name}", name, f"this learner handles only the tasks: {handled}")
    for i, det in enumerate(body.detectors):
        if det not in DETECTORS:
            allowed = ", ".join(sorted(DETECTORS))
            raise _fail(path, f"detectors[{i}]", det, f"not a known detector; allowed: {allowed}")
        family = TASKS[body.task.name].family
        if family not in DETECTORS[det].families:
            supported = ", ".join(sorted(n for n, d in DETECTORS.items() if family in d.families))
            raise _fail(
                path,
                f"detectors[{i}]",
                det,
                f"detector {det!r} does not apply to task {body.task.name!r} (family {family}); "
                f"detectors for it: {supported}",
            )
    axes, groups = _axis_lists(path, body.sweep)
    for axis in axes:
        _check_axis_name(path, body, axis, f"sweep.{axis}")
    if "learner" in axes:
        for value in axes["learner"]:
            if value not in body.learners:
                raise _fail(path, "sweep.learner", value, f"not one of the study's learners: {list(body.learners)}")
    elif len(body.learners) > 1:
        axes["learner"] = list(body.learners)
        groups.append(["learner"])
    if not axes:
        raise _fail(path, "sweep", body.sweep, "empty sweep; name at least one axis with a non-empty list")
    metrics = {f"{d}.{m}" for d in body.detectors for m in DETECTORS[d].metrics} if check_metrics else set()
    for i, hyp in enumerate(body.hypotheses):
        if hyp.axis not in axes:
            raise _fail(path, f"hypotheses[{i}].axis", hyp.axis, f"not an axis of this study; allowed: {list(axes)}")
        if check_metrics and hyp.metric not in metrics and not hyp.metric.startswith(TRAIN_METRIC_PREFIX):
            shown = ", ".join(sorted(metrics))
            raise _fail(
                path,
                f"hypotheses[{i}].metric",
                hyp.metric,
                f"not a metric of the detectors; allowed: {shown}",
            )
        _check_contrast(path, i, hyp, axes[hyp.axis])
        for axis, value in hyp.where.items():
            if axis not in axes:
                raise _fail(path, f"hypotheses[{i}].where", axis, f"not an axis of this study; allowed: {list(axes)}")
            if value not in axes[axis]:
                raise _fail(path, f"hypotheses[{i}].where.{axis}", value, f"not a value of the axis: {axes[axis]}")
    return axes, groups


def _check_contrast(path: Path, i: int, hyp: Hypothesis, values: list[Any]) -> None:
    """Contrast values belong to the axis; a nominal axis is judged only by named contrasts, never by a trend."""
    for value in hyp.contrast or ():
        if value not in values:
            raise _fail(path, f"hypotheses[{i}].contrast", value, f"not a value of the axis {hyp.axis}: {values}")
    if nominal(values) and hyp.contrast is None:
        raise _fail(
            path,
            f"hypotheses[{i}].direction",
            hyp.direction,
            f"the axis {hyp.axis} is nominal ({values}), so its order says nothing; "
            'compare two named values with direction = "greater" and contrast = [A, B]',
        )


def load_study(path: Path | str, scale: str = "quick", check_metrics: bool = True, allow_large: bool = False) -> Study:
    """Read, validate and resolve a study file at one scale; raise StudyError on any problem.

    `check_metrics=False` skips checking the hypotheses' metric names against the detectors (see `_check_body`); a
    sweep of more than MAX_SWEEP_RUNS runs at `scale` is refused unless `allow_large` (other scales are never refused
    for their size)."""
    if scale not in SCALES:
        raise StudyError(f"{path}: scale {scale!r} is unknown; allowed: {', '.join(SCALES)}")
    return load_scales(path, check_metrics, large={scale} if allow_large else set(), only=scale)[scale]


def load_scales(
    path: Path | str, check_metrics: bool = True, large: set[str] | None = None, only: str | None = None
) -> dict[str, Study]:
    """Read and validate a study file once and resolve it at every scale (each scale is validated either way).

    A scale over MAX_SWEEP_RUNS runs is refused only when it is `only` (the scale about to run) and not in `large`;
    any other scale is validated without being expanded."""
    path = Path(path)
    if not STUDY_ID.fullmatch(path.stem):
        raise StudyError(
            f"{path}: the file name {path.stem!r} is the study id: expected letters, digits, '_' and '-', "
            "starting with a letter or digit"
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StudyError(f"{path}: no such study file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StudyError(f"{path}: not valid TOML: {exc}") from None
    try:
        StudyFile.model_validate(raw)
    except ValidationError as exc:
        raise _pydantic_error(path, exc, StudyFile) from None
    base = {k: v for k, v in raw.items() if k != "scales"}
    study_from_document(path.stem, base, "base", path, check_metrics=check_metrics, allow_large=True)
    scales = {}
    for name in SCALES:
        merged = _merge(base, raw["scales"][name])
        lenient = name != only or name in (large or set())
        scales[name] = study_from_document(path.stem, merged, name, path, f"scales.{name}", check_metrics, lenient)
    return scales


def study_from_document(
    study_id: str,
    document: dict[str, Any],
    scale: str,
    path: Path | None = None,
    prefix: str = "",
    check_metrics: bool = True,
    allow_large: bool = False,
) -> Study:
    """Validate one merged study document (the base with a scale's overrides) and expand it once.

    A sweep of more than MAX_SWEEP_RUNS runs is refused unless `allow_large`; then it is not expanded here (its
    points are validated when its runs are listed)."""
    path = path or Path(f"{study_id}.toml")
    if not STUDY_ID.fullmatch(study_id):
        raise StudyError(f"{path}: study id {study_id!r}: expected letters, digits, '_' and '-', starting with one")
    try:
        body = StudyBody.model_validate(document)
    except ValidationError as exc:
        raise _pydantic_error(path, exc, StudyBody, prefix) from None
    axes, groups = _check_body(path, body, check_metrics)
    study = Study(study_id, path, scale, body, document, axes, groups)
    size = study.size()
    if size > MAX_SWEEP_RUNS:
        if not allow_large:
            raise _fail(
                path,
                ".".join(p for p in (prefix, "sweep") if p),
                f"{size} runs at scale {scale}",
                f"more than {MAX_SWEEP_RUNS} runs; pass --allow-large to run a sweep this large",
            )
        return study
    study.runs()
    return study


def find_study(name_or_path: str, studies_dir: Path) -> Path:
    """A study argument is a path to a .toml file or the name of a file in the studies folder."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    path = studies_dir / f"{name_or_path}.toml"
    if not path.exists():
        known = ", ".join(p.stem for p in sorted(studies_dir.glob("*.toml"))) or "none"
        raise StudyError(f"study {name_or_path!r} not found in {studies_dir}; known studies: {known}")
    return path


def list_studies(studies_dir: Path) -> list[Path]:
    """Every study file in the folder, sorted by name."""
    return sorted(studies_dir.glob("*.toml"))
