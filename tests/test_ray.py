"""The Ray backend runs the same study against a local Ray instance with 2 CPUs."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_cli

pytest.importorskip("ray")


@pytest.mark.ray
def test_smoke_study_on_ray(workdir):
    out = run_cli(
        "run", "smoke_lookup_vs_bfs", "--scale", "smoke", "--backend", "ray", "--workers", "2", cwd=workdir, timeout=600
    )
    assert "report:" in out.stdout
    summary = json.loads((workdir / "report" / "summary.json").read_text())
    assert {r["where"]["learner"]: r["verdict"] for r in summary["smoke_lookup_vs_bfs"]} == {
        "lookup": "supported",
        "bfs": "supported",
    }
    assert len(list((workdir / "runs" / "smoke_lookup_vs_bfs").glob("*/DONE"))) == 12


@pytest.mark.ray
def test_gpu_runs_ask_ray_for_gpus_and_stay_on_the_cpu_without_one():
    import ray
    import torch

    from mesaopt.execute import run_ray
    from mesaopt.study import study_from_document

    if torch.cuda.is_available():
        pytest.skip("this test declares GPUs the machine does not have")
    document = {
        "claim": "c",
        "seeds": [0],
        "detectors": ["transfer"],
        "task": {"name": "maze", "size": 3, "eval_size": 16},
        "learners": {"cnn": {"steps": 2, "width": 4, "depth": 1}, "bfs": {}},
        "sweep": {"task.pool_size": [4]},
    }
    specs = study_from_document("gpu", document, "smoke").runs()
    records = []
    ray.init(num_cpus=2, num_gpus=2, include_dashboard=False, log_to_driver=False, _node_ip_address="127.0.0.1")
    try:
        run_ray(specs, 2, None, records.append, device="auto", gpus_per_run=0.5)
    finally:
        ray.shutdown()
    by_learner = {r.spec["learner"]["name"]: r for r in records}
    assert {name: r.status for name, r in by_learner.items()} == {"cnn": "done", "bfs": "done"}
    assert by_learner["cnn"].environment["ray_gpus"] == "0.5" and by_learner["cnn"].environment["device"] == "auto"
    assert by_learner["bfs"].environment["ray_gpus"] == "0.0"
    assert by_learner["cnn"].spec["learner"]["device"] == "cpu"  # the spec, and so the run id, is as written
