"""The Program calibration page: built from program_calibration.json, escaped, and a hint when there is none."""

from __future__ import annotations

from mesaopt.detectors.program_calibration import calibrate_programs, write_program_calibration
from mesaopt.report import EXTRA_SECTIONS, _environment, build_report
from mesaopt.report.program_calibration import PAGE, build_program_calibration_page

HOSTILE = "<script>alert(1)</script>"


def _common(runs) -> dict:
    return {"version": "0", "built_at": "now", "store_root": str(runs), "nav_links": []}


def test_every_report_links_the_page_and_says_how_to_make_a_record(tmp_path):
    assert any(section.href == PAGE for section in EXTRA_SECTIONS)
    build_report(tmp_path / "runs", tmp_path / "report")
    assert f'href="{PAGE}"' in (tmp_path / "report" / "index.html").read_text()
    assert "mesaopt calibrate --out" in (tmp_path / "report" / PAGE).read_text()


def test_page_shows_a_real_calibration_and_escapes_everything(tmp_path):
    record = calibrate_programs(0)
    record["cases"][0]["why"] = HOSTILE
    record["rules"] = HOSTILE
    write_program_calibration(tmp_path / "runs", record)
    build_program_calibration_page(tmp_path, _environment(), _common(tmp_path / "runs"))
    page = (tmp_path / PAGE).read_text()
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert all(case["name"] in page for case in record["cases"])
    assert "PROGRAM_SEARCHER_MIN_RAMP" in page and "Every program got its constructed label" in page
