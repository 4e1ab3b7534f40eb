"""A run's saved network comes back as the same learned algorithm: the detectors measure on it what they measured
when it was trained."""

from __future__ import annotations

import pytest

from mesaopt.detectors import DETECTORS
from mesaopt.execute import execute_run
from mesaopt.learners.restore import load_learned
from mesaopt.store import write_run
from mesaopt.study import RunSpec

TASK = {"name": "maze", "size": 3, "eval_size": 32}


@pytest.mark.parametrize(
    ("learner", "pool_size"),
    [
        ({"name": "cnn", "steps": 20, "width": 8, "depth": 2}, 8),
        ({"name": "tabular", "steps": 20}, "inf"),
        ({"name": "reachability", "steps": 20, "width": 4, "iterations": 3, "cell": "norm", "open_only": True}, "inf"),
    ],
)
def test_a_restored_network_measures_as_it_did(tmp_path, learner, pool_size):
    from mesaopt.study import study_from_document

    document = {
        "claim": "c",
        "seeds": [1],
        "detectors": ["transfer"],
        "task": {**{k: v for k, v in TASK.items() if k != "name"}, "name": "maze", "pool_size": pool_size},
        "learners": {learner["name"]: {k: v for k, v in learner.items() if k != "name"}},
        "sweep": {"task.size": [3]},
    }
    (spec,) = study_from_document("s", document, "quick").runs()
    record = execute_run(spec.to_json())
    assert record.status == "done", record.error
    path = write_run(tmp_path, record)
    learned, task = load_learned(path, record.spec, record.metrics)
    again = DETECTORS["transfer"].run(learned, task)
    assert {f"transfer.{k}": v for k, v in again.items()} == {
        k: v for k, v in record.metrics.items() if k.startswith("transfer.")
    }


def test_a_learner_without_saved_network_is_not_restored(tmp_path):
    spec = RunSpec("s", {**TASK, "pool_size": 4}, {"name": "bfs"}, ("transfer",), seed=0)
    record = execute_run(spec.to_json())
    assert load_learned(write_run(tmp_path, record), record.spec, record.metrics) is None
