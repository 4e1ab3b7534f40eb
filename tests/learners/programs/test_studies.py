"""Every program study runs at the smoke scale, in process, and every run succeeds."""

from __future__ import annotations

import pytest

from mesaopt.execute import execute_run
from mesaopt.study import load_study
from tests.conftest import STUDIES

PROGRAM_STUDIES = sorted(p.stem for p in STUDIES.glob("programs_*.toml"))


def test_there_are_program_studies():
    assert {"programs_calibration_flip", "programs_deception_priors", "programs_diversity"} <= set(PROGRAM_STUDIES)


@pytest.mark.parametrize("name", PROGRAM_STUDIES)
def test_study_runs_at_smoke_scale(name):
    study = load_study(STUDIES / f"{name}.toml", "smoke")
    for spec in study.runs():
        record = execute_run(spec.to_json())
        assert record.status == "done", record.error
        assert {"train.is_searcher", "train.is_memorizer", "train.is_heuristic"} <= set(record.metrics)
        assert sum(record.metrics[f"train.is_{k}"] for k in ("searcher", "memorizer", "heuristic")) == 1.0
