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
