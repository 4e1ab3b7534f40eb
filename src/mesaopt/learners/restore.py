"""Learned algorithms back from a run directory: the one place that knows how a learner's saved artifacts become
a working `LearnedAlgorithm` again (the report's gallery uses it instead of rebuilding networks itself)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SAVED_NETWORK = {
    "tabular": "tabular",
    "mlp": "mlp",
    "cnn": "cnn",
    "recurrent": "recurrent",
    "transformer": "transformer",
    "planner": "planner",
    "planner_costnet": "planner",
    "hypernet": "hypernet",
    "speed_prior": "recurrent",
    "reachability": "recurrent",
}
"""Learners whose artifacts are a neural network's parameters, and the architecture each one saved."""


def load_learned(run_dir: Path, spec: dict[str, Any], metrics: dict[str, Any]) -> tuple[Any, Any] | None:
    """The learned algorithm a run saved and the run's task, or None when its learner cannot be restored from
    artifacts (not a network, or no artifacts file)."""
    from safetensors.numpy import load_file

    from mesaopt.execute import _build_task, _learner_params, _learner_seed
    from mesaopt.learners import LEARNERS
    from mesaopt.learners.config import RecurrentConfig
    from mesaopt.learners.neural import restore_neural
    from mesaopt.study import RunSpec

    name = spec["learner"]["name"]
    kind = SAVED_NETWORK.get(name)
    artifacts = run_dir / "artifacts.safetensors"
    if kind is None or not artifacts.is_file():
        return None
    run = RunSpec.from_json(spec)
    task = _build_task(run)
    config = LEARNERS[name].config.model_validate(_learner_params(run))
    if name == "speed_prior":  # the recurrent net at the iteration count its schedule settled on
        stages = {"start_iterations", "grow_by", "max_iterations", "solved_at"}
        chosen = int(metrics.get("train.chosen_iterations", config.start_iterations))
        config = RecurrentConfig(**config.model_dump(exclude=stages), iterations=chosen)
    return restore_neural(kind, config, task, _learner_seed(run), load_file(str(artifacts))), task
