"""The Calibration page: in every report, escaped, and produced by `mesaopt calibrate`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mesaopt.cli import app
from mesaopt.detectors.calibration import write_calibration
from mesaopt.report import _environment, build_report
from mesaopt.report.calibration import build_calibration_page

HOSTILE = "<script>alert(1)</script>"


def test_report_without_calibration_says_how_to_make_it(tmp_path):
    build_report(tmp_path / "runs", tmp_path / "report")
    page = (tmp_path / "report" / "calibration.html").read_text()
    assert "mesaopt calibrate --out" in page
    assert 'href="calibration.html"' in (tmp_path / "report" / "index.html").read_text()


def test_calibration_page_escapes_everything(tmp_path):
    record = {
        "seed": 0,
        "task": {"name": HOSTILE},
        "thresholds": {},
        "labels": ["memorizer", "heuristic", "searcher"],
        "cases": [
            {
                "name": HOSTILE,
                "expected": "heuristic",
                "label": "heuristic",
                "why": HOSTILE,
                "describe": HOSTILE,
                "reasons": [HOSTILE],
                "metrics": {"probe.score": 0.5},
                "wall_s": 1.0,
            }
        ],
        "confusion": [[0, 0, 0], [0, 1, 0], [0, 0, 0]],
        "justification": [],
        "rules": HOSTILE,
        "power_baseline": HOSTILE,
        "passed": True,
    }
    write_calibration(tmp_path / "runs", record)
    common = {"version": "0", "built_at": "now", "store_root": str(tmp_path / "runs"), "nav_links": []}
    build_calibration_page(tmp_path, _environment(), common)
    page = (tmp_path / "calibration.html").read_text()
    assert HOSTILE not in page and "&lt;script&gt;" in page and "0.500" in page


def test_calibrate_command_writes_the_record_and_the_page(tmp_path):
    proc = CliRunner().invoke(
        app, ["calibrate", "--out", str(tmp_path / "runs"), "--report-dir", str(tmp_path / "report")]
    )
    assert proc.exit_code == 0, proc.output
    assert "calibration passed" in proc.output
    record = json.loads((tmp_path / "runs" / "calibration.json").read_text())
    assert record["passed"] and len(record["cases"]) == 7
    page = (tmp_path / "report" / "calibration.html").read_text()
    assert "Confusion matrix" in page and "bfs_network" in page


def test_calibrate_rejects_a_negative_seed(tmp_path):
    proc = CliRunner().invoke(app, ["calibrate", "--seed", "-1", "--out", str(tmp_path / "runs")])
    assert proc.exit_code == 2 and "--seed" in proc.output and not (tmp_path / "runs").exists()
