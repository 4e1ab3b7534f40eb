"""Both in-context regression studies run end to end at the smoke scale, the way a user runs them."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_icl_studies_run_at_smoke_scale(workdir) -> None:
    run_cli("run", "icl_gd_match", "icl_diversity", "--scale", "smoke", "--out", "tmp", "--workers", "2", cwd=workdir)
    done = list((workdir / "tmp").glob("icl_*/*/DONE"))
    assert len(done) == 8
    for marker in done:
        metrics = json.loads((marker.parent / "metrics.json").read_text())
        keys = metrics.get("metrics", metrics)
        assert any(k.startswith("train.novel_delta_ridge") for k in keys)
    page = (workdir / "report" / "studies" / "icl_diversity.html").read_text()
    assert "Over training" in page, "the distances logged over training are not drawn"
    figures = sorted(p.name for p in (workdir / "report" / "studies" / "icl_diversity").glob("train_*.png"))
    assert "train_novel_delta_ridge.png" in figures and "train_novel_delta_dmmse.png" in figures, figures
