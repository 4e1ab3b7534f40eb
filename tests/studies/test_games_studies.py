"""The games studies: each declares its claim and three seeds at quick scale, and runs end to end at smoke scale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mesaopt.study import load_study
from tests.conftest import STUDIES, run_cli

GAMES_STUDIES = ("games_restriction", "games_capacity", "games_diversity", "games_programs")


@pytest.mark.parametrize("name", GAMES_STUDIES)
def test_games_study_has_claim_seeds_and_hypotheses_at_every_scale(name):
    for scale in ("smoke", "quick", "full"):
        study = load_study(STUDIES / f"{name}.toml", scale)
        assert study.body.claim and study.body.source and study.body.hypotheses, (name, scale)
        assert study.body.detectors == ["games_profile"]
        assert len(study.body.seeds) >= (3 if scale != "smoke" else 2), (name, scale)


@pytest.mark.slow
def test_games_studies_run_at_smoke_scale_with_a_verdict_for_every_hypothesis(tmp_path: Path):
    (tmp_path / "studies").mkdir()
    for name in GAMES_STUDIES:
        shutil.copy(STUDIES / f"{name}.toml", tmp_path / "studies" / f"{name}.toml")
    out = run_cli("run", *GAMES_STUDIES, "--scale", "smoke", cwd=tmp_path, timeout=900)
    assert "runs failed" not in out.stdout, out.stdout
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    for name in GAMES_STUDIES:
        study = load_study(STUDIES / f"{name}.toml", "smoke")
        assert len(summary[name]) == len(study.body.hypotheses), name
        assert all(r is not None for r in summary[name]), name
        page = (tmp_path / "report" / "studies" / f"{name}.html").read_text()
        assert f"{len(study.runs())} runs done" in page, name
