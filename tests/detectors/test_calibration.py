"""Calibration: every case gets its constructed label on a seed the thresholds never saw, the fit never reads the
held-out cases, fit and held-out algorithms are disjoint, and `mesaopt calibrate` writes the records and the page."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mesaopt.cli import app
from mesaopt.detectors.calibration import calibrate, read_record, write_record
from mesaopt.detectors.maze_battery import MAZE_BATTERY
from mesaopt.detectors.program_battery import WORD_BATTERY
from mesaopt.report import _environment
from mesaopt.report.calibration import build_calibration_page

HELD_OUT_SEED = 1
"""The constants were fitted at seed 0; the tests check a seed the fit never saw."""

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture(scope="module", params=[MAZE_BATTERY, WORD_BATTERY], ids=["maze", "word"])
def record(request):
    return request.param, calibrate(request.param, HELD_OUT_SEED, include_slow=False)


def test_every_case_of_known_nature_gets_its_label(record):
    _, result = record
    wrong = [(c["name"], c["expected"], c["label"]) for c in result["cases"] if c["label"] != c["expected"]]
    assert not wrong and result["passed"]
    assert sum(map(sum, result["confusion_held_out"])) > 0


def test_fit_and_held_out_sets_are_disjoint_by_algorithm(record):
    battery, result = record
    assert result["overlap"] == []
    assert {c.split for c in battery.cases()} == {"fit", "held_out"}


def test_thresholds_do_not_depend_on_the_held_out_cases(record):
    battery, result = record
    fit_only = battery.with_(cases=lambda: tuple(c for c in battery.cases() if c.split == "fit"))
    refit = calibrate(fit_only, HELD_OUT_SEED, include_slow=False)
    assert [r["fitted"] for r in refit["justification"]] == [r["fitted"] for r in result["justification"]]


def test_every_threshold_separates_the_fit_cases(record):
    _, result = record
    assert all(row["separates"] for row in result["justification"]), result["justification"]


def test_the_record_round_trips_and_the_page_escapes_it(record, tmp_path):
    battery, result = record
    write_record(tmp_path, battery, result)
    assert read_record(tmp_path, battery) == json.loads(json.dumps(result))
    hostile = json.loads(json.dumps(result))
    hostile["cases"][0]["why"] = HOSTILE
    hostile["rules"] = HOSTILE
    write_record(tmp_path, battery, hostile)
    common = {"version": "0", "built_at": "now", "store_root": str(tmp_path), "nav_links": []}
    build_calibration_page(tmp_path, _environment(), common)
    page = (tmp_path / "calibration.html").read_text()
    assert HOSTILE not in page and "&lt;script&gt;" in page and "Held-out confusion matrix" in page
    assert all(case["name"] in page for case in result["cases"])


def test_a_missing_or_foreign_record_reads_as_none(tmp_path):
    assert read_record(tmp_path, MAZE_BATTERY) is None
    (tmp_path / MAZE_BATTERY.record).write_text('{"family": "word"}')
    assert read_record(tmp_path, MAZE_BATTERY) is None


def test_calibrate_command_writes_every_record_and_the_page(tmp_path):
    proc = CliRunner().invoke(
        app, ["calibrate", "--fast", "--out", str(tmp_path / "runs"), "--report-dir", str(tmp_path / "report")]
    )
    assert proc.exit_code == 0, proc.output
    assert "held-out cases of known nature labelled right" in proc.output
    for battery in (MAZE_BATTERY, WORD_BATTERY):
        assert json.loads((tmp_path / "runs" / battery.record).read_text())["passed"]
    page = (tmp_path / "report" / "calibration.html").read_text()
    assert "maze battery" in page and "word battery" in page and "a_star" in page


def test_calibrate_rejects_a_negative_seed(tmp_path):
    proc = CliRunner().invoke(app, ["calibrate", "--seed", "-1", "--out", str(tmp_path / "runs")])
    assert proc.exit_code == 2 and "--seed" in proc.output and not (tmp_path / "runs").exists()


@pytest.mark.slow
def test_the_constants_are_what_the_seed_0_fit_gives_and_trained_cases_are_reported():
    result = calibrate(MAZE_BATTERY, 0, include_slow=True)
    assert not [row["threshold"] for row in result["justification"] if row["stale"]]
    cases = {c["name"]: c for c in result["cases"]}
    assert cases["tabular_net"]["label"] == "memorizer"
    assert cases["trained_recurrent"]["reasons"] and cases["trained_cnn"]["reasons"]
