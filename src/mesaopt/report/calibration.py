"""The report's Calibration page: the battery on learned algorithms of known nature, read from the run store.

`mesaopt calibrate` writes `<runs>/calibration.json`; this page shows it (confusion matrix, per-case detector values,
each label threshold with the calibration values that justify it), or says how to produce it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from mesaopt.report.sections import EXTRA_SECTIONS, Section

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


def record_view(
    record: dict[str, Any], shown: tuple[tuple[str, str], ...], thresholds: dict[str, float]
) -> dict[str, Any]:
    """The parts every calibration record shares (cases, confusion, threshold justification, stale thresholds),
    formatted for a template; `shown` picks the per-case metric columns, `thresholds` are the code's current ones."""
    stale = {k: v for k, v in record.get("thresholds", {}).items() if thresholds.get(k) != v}
    return {
        "seed": str(record.get("seed")),
        "passed": bool(record.get("passed")),
        "labels": [str(v) for v in record.get("labels", [])],
        "confusion": [[str(n) for n in row] for row in record.get("confusion", [])],
        "headings": [heading for _, heading in shown],
        "cases": [
            {
                "name": str(case.get("name")),
                "task": str(case.get("task", "")),
                "expected": str(case.get("expected")),
                "label": str(case.get("label")),
                "correct": case.get("label") == case.get("expected"),
                "why": str(case.get("why", "")),
                "describe": str(case.get("describe", "")),
                "reasons": [str(r) for r in case.get("reasons", [])],
                "cells": [_number(case.get("metrics", {}).get(key)) for key, _ in shown],
                "wall": _number(case.get("wall_s")),
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
        "stale": [f"{k} was {v}, the code now says {thresholds.get(k)}" for k, v in stale.items()],
    }


def calibration_view(record: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, formatted; the template escapes every string."""
    from mesaopt.detectors.profile import THRESHOLDS

    return record_view(record, SHOWN, THRESHOLDS) | {
        "task": ", ".join(f"{k} = {v}" for k, v in record.get("task", {}).items()),
        "floor": _number(record.get("pool_success_floor")),
        "below_floor": [
            f"{row.get('name')} (pool success {_number(row.get('pool'))})" for row in record.get("below_floor", [])
        ],
        "baseline": str(record.get("power_baseline", "")),
    }


def write_record_page(
    out: Path,
    env: jinja2.Environment,
    common: dict[str, Any],
    *,
    page: str,
    template: str,
    title: str,
    read: Callable[[Path], dict[str, Any] | None],
    view: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    """Render a calibration-style page from the record `read` finds in the store, or a page saying how to make one."""
    store = common.get("store_root")
    record = read(Path(store)) if store else None
    html = env.get_template(template).render(
        page_title=title, root="", store=str(store or "runs"), view=view(record) if record else None, **common
    )
    (out / page).write_text(html, encoding="utf-8")


def build_calibration_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write calibration.html from the store's calibration record, or a page saying how to make one."""
    from mesaopt.detectors.calibration import read_calibration

    write_record_page(
        out,
        env,
        common,
        page=PAGE,
        template="calibration.html.j2",
        title="Calibration",
        read=read_calibration,
        view=calibration_view,
    )


EXTRA_SECTIONS.append(
    Section(
        "Calibration",
        PAGE,
        "the detector battery on learned algorithms whose nature is known by construction: the confusion matrix",
        build_calibration_page,
    )
)
