"""Every program study reports how often the battery's label agrees with the found program's structural label."""

from __future__ import annotations

import pytest

from mesaopt.detectors.battery import LABELS
from mesaopt.execute import execute_run
from mesaopt.study import load_study
from tests.conftest import STUDIES

PROGRAM_STUDIES = sorted(p.stem for p in STUDIES.glob("programs_*.toml"))
WORD_STUDIES = [name for name in PROGRAM_STUDIES if name != "programs_compression"]
"""The program studies on word tasks (hash_inversion, deploy); programs_compression is on mazes."""


def test_every_program_study_lists_the_agreement_detector():
    assert len(PROGRAM_STUDIES) >= 5 and "programs_compression" in PROGRAM_STUDIES
    for name in PROGRAM_STUDIES:
        assert "label_agreement" in load_study(STUDIES / f"{name}.toml", "smoke").body.detectors, name


_RECORDS: dict[str, list] = {}


def smoke_records(name: str) -> list:
    """Every smoke-scale run of one program study, run once in process (cached across tests)."""
    if name not in _RECORDS:
        study = load_study(STUDIES / f"{name}.toml", "smoke")
        _RECORDS[name] = [execute_run(spec.to_json()) for spec in study.runs()]
    return _RECORDS[name]


@pytest.mark.parametrize("name", WORD_STUDIES)
def test_agreement_metric_is_reported_at_smoke_scale(name):
    """The maze study (programs_compression) is run end to end, agreement included, by test_maze.py."""
    records = smoke_records(name)
    assert records
    for record in records:
        assert record.status == "done", record.error
        assert record.metrics["label_agreement.known"] == 1.0
        assert record.metrics["label_agreement.agrees"] in (0.0, 1.0)
        battery = [record.metrics[f"label_agreement.battery_is_{k}"] for k in LABELS]
        assert sorted(battery) == [0.0, 0.0, 0.0, 1.0]
        structural = max(("memorizer", "heuristic", "searcher"), key=lambda k: record.metrics[f"train.is_{k}"])
        battery_label = LABELS[battery.index(1.0)]
        assert record.metrics["label_agreement.agrees"] == float(structural == battery_label)


@pytest.mark.parametrize("name", WORD_STUDIES)
def test_word_studies_carry_the_battery_and_a_hypothesis_on_agreement(name):
    study = load_study(STUDIES / f"{name}.toml", "smoke")
    assert "program_profile" in study.body.detectors
    assert any(h.metric == "label_agreement.agrees" for h in study.body.hypotheses)
    for record in smoke_records(name):
        labels = [record.metrics[f"program_profile.is_{k}"] for k in LABELS]
        assert labels == [record.metrics[f"label_agreement.battery_is_{k}"] for k in LABELS]
        assert {"program_profile.budget.ramp", "program_profile.answer_match.truth"} <= set(record.metrics)


def test_word_battery_is_deterministic():
    study = load_study(STUDIES / "programs_diversity.toml", "smoke")
    spec = study.runs()[0].to_json()
    first, second = execute_run(spec), execute_run(spec)
    timed = {name for name in first.metrics if name.endswith("_per_s")}  # wall-clock rates, not results
    assert {k: v for k, v in first.metrics.items() if k not in timed} == {
        k: v for k, v in second.metrics.items() if k not in timed
    }
    assert any(name.startswith("label_agreement.") for name in first.metrics)
