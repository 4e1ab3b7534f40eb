"""The report's Program calibration page: the word-task battery on hand-written DSL programs of known nature.

`mesaopt calibrate` writes `<runs>/program_calibration.json` (detectors/program_calibration.py); this page shows it
(confusion matrix, each threshold with the values that justify it, every case's battery values), or says how to
produce it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2

from mesaopt.report import EXTRA_SECTIONS, Section

PAGE = "program_calibration.html"

SHOWN = (
    ("transfer.pool_success", "pool success"),
    ("transfer.novel_success", "novel success"),
    ("harder.success", "harder success"),
    ("budget.ramp", "budget ramp (doublings)"),
    ("budget.log2_max_steps", "log2 max steps"),
    ("answer_match.truth", "agrees with truth"),
    ("answer_match.memory", "agrees with nearest pool answer"),
)
"""Battery values shown per case, with their column headings."""


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int | float):
        return f"{value:.3f}"
    return str(value)


def program_calibration_view(record: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, formatted; the template escapes every string."""
    from mesaopt.detectors.program_battery import THRESHOLDS

    stale = {k: v for k, v in record.get("thresholds", {}).items() if THRESHOLDS.get(k) != v}
    tasks = record.get("tasks", {})
    return {
        "seed": str(record.get("seed")),
        "tasks": [f"{key}: " + ", ".join(f"{k} = {v}" for k, v in params.items()) for key, params in tasks.items()],
        "passed": bool(record.get("passed")),
        "labels": [str(v) for v in record.get("labels", [])],
        "confusion": [[str(n) for n in row] for row in record.get("confusion", [])],
        "headings": [heading for _, heading in SHOWN],
        "cases": [
            {
                "name": str(case.get("name")),
                "task": str(case.get("task")),
                "expected": str(case.get("expected")),
                "label": str(case.get("label")),
                "correct": case.get("label") == case.get("expected"),
                "why": str(case.get("why", "")),
                "describe": str(case.get("describe", "")),
                "reasons": [str(r) for r in case.get("reasons", [])],
                "cells": [_number(case.get("metrics", {}).get(key)) for key, _ in SHOWN],
            }
            for case in record.get("cases", [])
        ],
        "justification": [
            {
                "threshold": str(row.get("threshold")),
                "feature": str(row.get("feature")),
                "value": _number(row.get("value")),
                "low": _number(row.get("lowest_that_must_reach")),
                "high": _number(row.get("highest_that_must_not")),
                "midpoint": _number(row.get("midpoint")),
                "margin": _number(row.get("margin")),
                "separates": bool(row.get("separates")),
            }
            for row in record.get("justification", [])
        ],
        "rules": str(record.get("rules") or ""),
        "stale": [f"{k} was {v}, the code now says {THRESHOLDS.get(k)}" for k, v in stale.items()],
    }


def build_program_calibration_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write program_calibration.html from the store's record, or a page saying how to make one."""
    from mesaopt.detectors.program_calibration import read_program_calibration

    store = common.get("store_root")
    record = read_program_calibration(Path(store)) if store else None
    page = env.get_template("program_calibration.html.j2").render(
        page_title="Program calibration",
        root="",
        store=str(store or "runs"),
        view=program_calibration_view(record) if record else None,
        **common,
    )
    (out / PAGE).write_text(page, encoding="utf-8")


EXTRA_SECTIONS.append(
    Section(
        "Program calibration",
        PAGE,
        "the word-task battery (transfer, step-budget ramp, answer match) on hand-written DSL programs of known nature",
        build_program_calibration_page,
    )
)
