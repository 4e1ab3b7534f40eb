"""The report's Calibration page: every battery on learned algorithms of known nature, read from the run store.

`mesaopt calibrate` writes one record per battery (`detectors/calibration.py`); this page shows each: the held-out
confusion matrix (the honest test), the fit-set one, every threshold's constant beside the value the fit set gives
and the fit cases on either side of it, and every case's features, label and reasons. A battery without a record gets
a line saying how to make one.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2

from mesaopt.report.sections import EXTRA_SECTIONS, Section

PAGE = "calibration.html"


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int | float):
        return f"{value:.3f}"
    return str(value)


def _matrix(rows: Any) -> list[list[str]]:
    return [[str(n) for n in row] for row in rows] if isinstance(rows, list) else []


def record_view(record: dict[str, Any], thresholds: dict[str, float]) -> dict[str, Any]:
    """One battery's record formatted for the template (which escapes every string); `thresholds` are the code's."""
    columns = [str(c) for c in record.get("columns", [])]
    stale = {k: v for k, v in record.get("thresholds", {}).items() if thresholds.get(k) != v}
    cases = [c for c in record.get("cases", []) if isinstance(c, dict)]
    return {
        "family": str(record.get("family")),
        "seed": str(record.get("seed")),
        "passed": bool(record.get("passed")),
        "fast": not record.get("include_slow", True),
        "labels": [str(v) for v in record.get("labels", [])],
        "held_out": _matrix(record.get("confusion_held_out")),
        "fit": _matrix(record.get("confusion_fit")),
        "overlap": [str(a) for a in record.get("overlap", [])],
        "task": ", ".join(f"{k} = {v}" for k, v in record.get("task", {}).items()),
        "columns": columns,
        "cases": [
            {
                "name": str(case.get("name")),
                "algorithm": str(case.get("algorithm")),
                "split": str(case.get("split")),
                "expected": "unknown" if case.get("expected") is None else str(case.get("expected")),
                "label": str(case.get("label")),
                "correct": case.get("expected") is None or case.get("label") == case.get("expected"),
                "why": str(case.get("why", "")),
                "describe": str(case.get("describe", "")),
                "reasons": [str(r) for r in case.get("reasons", [])],
                "cells": [_number(case.get("features", {}).get(key)) for key in columns],
                "wall": _number(case.get("wall_s")),
            }
            for case in cases
        ],
        "justification": [
            {
                "threshold": str(row.get("threshold")),
                "feature": str(row.get("feature")),
                "value": _number(row.get("value")),
                "fitted": _number(row.get("fitted")),
                "low": f"{_number(row.get('lowest_that_must_reach'))} ({row.get('lowest_case') or '-'})",
                "high": f"{_number(row.get('highest_that_must_not'))} ({row.get('highest_case') or '-'})",
                "one_sided": bool(row.get("one_sided")),
                "separates": bool(row.get("separates")),
                "stale": bool(row.get("stale")),
                "doc": str(row.get("doc", "")),
            }
            for row in record.get("justification", [])
            if isinstance(row, dict)
        ],
        "rules": str(record.get("rules") or ""),
        "stale": [f"{k} was {v}, the code now says {thresholds.get(k)}" for k, v in stale.items()],
    }


def build_calibration_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write calibration.html: one section per battery, from the store's records."""
    from mesaopt.detectors.calibration import batteries, read_record

    store = common.get("store_root")
    sections = []
    for family, battery in batteries().items():
        record = read_record(Path(store), battery) if store else None
        view = record_view(record, dict(battery.thresholds)) if record else None
        sections.append({"family": family, "record": battery.record, "view": view})
    html = env.get_template("calibration.html.j2").render(
        page_title="Calibration", root="", store=str(store or "runs"), sections=sections, **common
    )
    (out / PAGE).write_text(html, encoding="utf-8")


EXTRA_SECTIONS.append(
    Section(
        "Calibration",
        PAGE,
        "every detector battery on algorithms of known nature: thresholds fitted on one set, tested on a held-out one",
        build_calibration_page,
    )
)
