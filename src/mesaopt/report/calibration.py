"""The report's Calibration page: the battery on learned algorithms of known nature, read from the run store.

`mesaopt calibrate` writes `<runs>/calibration.json`; this page shows it (confusion matrix, per-case detector values,
each label threshold with the calibration values that justify it), or says how to produce it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import jinja2

from mesaopt.report import EXTRA_SECTIONS, Section

PAGE = "calibration.html"

SHOWN = (
    ("transfer.pool_success", "pool success"),
    ("transfer.novel_success", "novel success"),
    ("extrapolation.success", "harder success"),
    ("compute.slope", "compute slope / doubling"),
    ("compute.drop", "overthinking drop"),
    ("probe.probe", "probe R²"),
    ("probe.score", "probe − control"),
    ("retarget.new_goal", "to moved goal"),
    ("retarget.old_goal", "to old goal"),
    ("match.bfs", "agrees with BFS"),
    ("match.memory", "agrees with memory"),
    ("power.pool_bits", "power, pool (bits)"),
    ("power.novel_bits", "power, novel (bits)"),
)
"""Detector values shown per case, with their column headings."""


def _number(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, int | float):
        return f"{value:.3f}"
    return str(value)


def calibration_view(record: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, formatted; the template escapes every string."""
    from mesaopt.detectors.profile import THRESHOLDS

    labels = [str(v) for v in record.get("labels", [])]
    cases = []
    for case in record.get("cases", []):
        metrics = case.get("metrics", {})
        cases.append(
            {
                "name": str(case.get("name")),
                "expected": str(case.get("expected")),
                "label": str(case.get("label")),
                "correct": case.get("label") == case.get("expected"),
                "why": str(case.get("why", "")),
                "describe": str(case.get("describe", "")),
                "reasons": [str(r) for r in case.get("reasons", [])],
                "cells": [_number(metrics.get(key)) for key, _ in SHOWN],
                "wall": _number(case.get("wall_s")),
            }
        )
    stale = {k: v for k, v in record.get("thresholds", {}).items() if THRESHOLDS.get(k) != v}
    return {
        "seed": str(record.get("seed")),
        "task": ", ".join(f"{k} = {v}" for k, v in record.get("task", {}).items()),
        "passed": bool(record.get("passed")),
        "labels": labels,
        "confusion": [[str(n) for n in row] for row in record.get("confusion", [])],
        "headings": [heading for _, heading in SHOWN],
        "cases": cases,
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
        "floor": _number(record.get("pool_success_floor")),
        "below_floor": [
            f"{row.get('name')} (pool success {_number(row.get('pool'))})" for row in record.get("below_floor", [])
        ],
        "rules": str(record.get("rules") or ""),
        "baseline": str(record.get("power_baseline", "")),
        "stale": [f"{k} was {v}, the code now says {THRESHOLDS.get(k)}" for k, v in stale.items()],
    }


def build_calibration_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write calibration.html from the store's calibration record, or a page saying how to make one."""
    from mesaopt.detectors.calibration import read_calibration

    store = common.get("store_root")
    record = read_calibration(Path(store)) if store else None
    page = env.get_template("calibration.html.j2").render(
        page_title="Calibration",
        root="",
        store=str(store or "runs"),
        view=calibration_view(record) if record else None,
        **common,
    )
    (out / PAGE).write_text(page, encoding="utf-8")


EXTRA_SECTIONS.append(
    Section(
        "Calibration",
        PAGE,
        "the detector battery on learned algorithms whose nature is known by construction: the confusion matrix",
        build_calibration_page,
    )
)
