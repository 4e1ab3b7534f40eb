"""The video studies: every one is declared at three scales with hypotheses on its own axes, and runs end to end at
smoke scale with a verdict (or an 'untestable' reason) for every hypothesis."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mesaopt.study import load_study
from tests.conftest import STUDIES, run_cli

VIDEO_STUDIES = ("video_optimizer_vs_rule", "video_penalties", "video_shallow_first", "video_hidden_goal")


@pytest.mark.parametrize("name", VIDEO_STUDIES)
def test_each_video_study_is_declared_at_every_scale_with_three_seeds_at_quick(name):
    for scale in ("smoke", "quick", "full"):
        study = load_study(STUDIES / f"{name}.toml", scale)
        body = study.body
        assert body.claim and body.source and body.description and body.hypotheses, (name, scale)
        assert body.task.name == "video", name
        assert all(h.axis in study.axes for h in body.hypotheses), (name, scale)
        if scale != "smoke":
            assert len(body.seeds) >= 3, (name, scale)


@pytest.mark.slow
def test_every_video_study_runs_at_smoke_scale(tmp_path: Path):
    (tmp_path / "studies").mkdir()
    for name in VIDEO_STUDIES:
        shutil.copy(STUDIES / f"{name}.toml", tmp_path / "studies" / f"{name}.toml")
    out = run_cli("run", *VIDEO_STUDIES, "--scale", "smoke", cwd=tmp_path, timeout=1200)
    assert "runs failed" not in out.stdout, out.stdout
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    for name in VIDEO_STUDIES:
        study = load_study(STUDIES / f"{name}.toml", "smoke")
        page = (tmp_path / "report" / "studies" / f"{name}.html").read_text()
        assert f"{len(study.runs())} runs done" in page, name
        assert len(summary[name]) == len(study.body.hypotheses), name
