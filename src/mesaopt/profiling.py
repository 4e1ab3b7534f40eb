"""`mesaopt profile`: run a task family's battery on a learned algorithm that may live outside mesaopt.

A solver is named either by import path, `package.module:factory`, where `factory(task)` returns a
`LearnedAlgorithm` (anything with the protocol's methods: `solve`, `hidden_states`, `size_bits`,
`compute_per_call`, `describe`, `artifacts`), or by a learner's registered name (a built-in, or a plugin's
`<distribution>/<name>`), which is then trained on the task with the given parameters. The task is any registered
task; its family's battery (`tasks.battery_of`) gives the label, the comparisons behind it, the features and every
metric.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mesaopt.learners.base import LearnedAlgorithm, no_progress
from mesaopt.registry import resolve
from mesaopt.tasks.base import derive

PROFILE_VERSION = 1
"""Version of the profile record's layout (the JSON written beside the page)."""


class ProfileError(ValueError):
    """The solver, task or battery named for a profile cannot be used; the message says which and why."""


@dataclass(frozen=True)
class ProfileRecord:
    """What profiling found: the label, the reasons and features behind it, every metric, and what was profiled."""

    solver: str
    description: str
    task: dict[str, Any]
    seed: int
    family: str
    battery_version: int
    label: str
    reasons: list[str]
    features: dict[str, Any]
    metrics: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        """A plain-JSON view (non-finite numbers as strings)."""
        return {"version": PROFILE_VERSION, **{k: _plain(v) for k, v in self.__dict__.items()}}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def build_named_task(task: str, params: dict[str, Any], seed: int) -> tuple[Any, dict[str, Any]]:
    """The registered task built from its parameters, and its resolved config (defaults filled in) as JSON."""
    from pydantic import ValidationError

    from mesaopt.tasks import TASKS

    if task not in TASKS:
        raise ProfileError(f"task {task!r} is not registered; known tasks: {', '.join(sorted(TASKS))}")
    entry = TASKS[task]
    try:
        config = entry.config.model_validate(params)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"]) or "(task)"
        raise ProfileError(
            f"task {task!r}: parameter '{key}' has value {error.get('input')!r}: {error['msg']}"
        ) from None
    except ValueError as exc:
        raise ProfileError(f"task {task!r}: {exc}") from None
    return entry.build(config, derive(np.random.SeedSequence(seed), "task")), {
        "name": task,
        **config.model_dump(mode="json"),
    }


def load_solver(solver: str, task_name: str, task: Any, params: dict[str, Any], seed: int) -> LearnedAlgorithm:
    """The learned algorithm a solver name gives on this task (see the module docstring)."""
    if ":" in solver:
        try:
            factory = resolve(solver)
        except (ImportError, AttributeError, ValueError) as exc:
            raise ProfileError(f"solver {solver!r}: cannot import it: {type(exc).__name__}: {exc}") from None
        if params:
            raise ProfileError(
                f"solver {solver!r}: --param applies to registered learners only; a factory gets the task"
            )
        learned = factory(task)
    else:
        learned = _fit_registered(solver, task_name, task, params, seed)
    if not isinstance(learned, LearnedAlgorithm):
        raise ProfileError(
            f"solver {solver!r} gave a {type(learned).__name__}, which lacks the LearnedAlgorithm methods "
            "(solve, hidden_states, size_bits, compute_per_call, describe, artifacts)"
        )
    return learned


def _fit_registered(name: str, task_name: str, task: Any, params: dict[str, Any], seed: int) -> LearnedAlgorithm:
    from pydantic import ValidationError

    from mesaopt.learners import LEARNERS
    from mesaopt.study import handles

    if name not in LEARNERS:
        raise ProfileError(
            f"solver {name!r} is neither 'package.module:factory' nor a registered learner "
            f"(known: {', '.join(sorted(LEARNERS))})"
        )
    entry = LEARNERS[name]
    if not handles(entry.tasks, task_name):
        raise ProfileError(f"learner {name!r} handles only the tasks {', '.join(entry.tasks)}, not {task_name!r}")
    try:
        config = entry.config.model_validate(params)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        raise ProfileError(
            f"learner {name!r}: parameter '{key}' has value {error.get('input')!r}: {error['msg']}"
        ) from None
    return entry.fit(config, task, derive(np.random.SeedSequence(seed), "learner"), no_progress)


def battery_for(task_name: str) -> Any:
    """The battery of the task's family; ProfileError when the family has none (or it cannot be imported)."""
    from mesaopt.tasks import TASKS, battery_of

    try:
        battery = battery_of(task_name)
    except (ImportError, AttributeError) as exc:
        raise ProfileError(
            f"task {task_name!r}: its battery {TASKS[task_name].battery} cannot be loaded: {exc}"
        ) from None
    if battery is None:
        raise ProfileError(f"task {task_name!r} (family {TASKS[task_name].family}) has no detector battery")
    return battery


def profile_solver(
    solver: str, task_name: str, task_params: dict[str, Any], learner_params: dict[str, Any], seed: int
) -> ProfileRecord:
    """Build the task, get the learned algorithm, run the battery and return what it found."""
    task, resolved = build_named_task(task_name, task_params, seed)
    battery = battery_for(task_name)
    learned = load_solver(solver, task_name, task, learner_params, seed)
    profile = battery.profile(learned, task)
    return ProfileRecord(
        solver=solver,
        description=learned.describe(),
        task=resolved,
        seed=seed,
        family=battery.family,
        battery_version=battery.version,
        label=profile.label,
        reasons=list(profile.reasons),
        features=dict(profile.features),
        metrics=dict(profile.metrics),
    )
