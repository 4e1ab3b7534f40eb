"""`--device`: the learners' device is replaced without touching run ids; local workers take GPUs in turn."""

from __future__ import annotations

import multiprocessing as mp
import os

from mesaopt.execute import _init_worker, _learner_params, trains_on_gpu
from mesaopt.study import RunSpec

CNN = {"name": "cnn", "steps": 2, "device": "cpu"}


def spec(learner: dict) -> RunSpec:
    return RunSpec("s", {"name": "maze", "size": 3}, learner, ("transfer",), seed=0)


def test_the_device_override_changes_the_parameters_not_the_run():
    run = spec(CNN)
    before = run.id
    assert _learner_params(run, "cuda")["device"] == "cuda" and _learner_params(run)["device"] == "cpu"
    assert "device" not in _learner_params(spec({"name": "bfs"}), "cuda")
    assert run.id == before and run.learner["device"] == "cpu"


def test_which_runs_train_on_a_gpu():
    assert trains_on_gpu(spec(CNN), "cuda", 0) and not trains_on_gpu(spec(CNN), None, 4)
    assert trains_on_gpu(spec(CNN), "auto", 1) and not trains_on_gpu(spec(CNN), "auto", 0)
    assert not trains_on_gpu(spec({"name": "bfs"}), "cuda", 4)


def test_local_workers_take_the_gpus_in_turn(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # restored (or removed) after the test
    slots = mp.get_context("spawn").Value("i", 0)
    seen = []
    for _ in range(5):
        _init_worker(None, 2, slots)
        seen.append(os.environ["CUDA_VISIBLE_DEVICES"])
    assert seen == ["0", "1", "0", "1", "0"]
