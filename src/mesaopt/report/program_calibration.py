"""The report's Program calibration page: the word-task battery on hand-written DSL programs of known nature.

`mesaopt calibrate` writes `<runs>/program_calibration.json` (detectors/program_calibration.py); this page shows it
(confusion matrix, each threshold with the values that justify it, every case's battery values), or says how to
produce it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from mesaopt.report.calibration import record_view, write_record_page
from mesaopt.report.sections import EXTRA_SECTIONS, Section

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


def program_calibration_view(record: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, formatted; the template escapes every string."""
    from mesaopt.detectors.program_battery import THRESHOLDS

    tasks = record.get("tasks", {})
    return record_view(record, SHOWN, THRESHOLDS) | {
        "tasks": [f"{key}: " + ", ".join(f"{k} = {v}" for k, v in params.items()) for key, params in tasks.items()],
    }


def build_program_calibration_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write program_calibration.html from the store's record, or a page saying how to make one."""
    from mesaopt.detectors.program_calibration import read_program_calibration

    write_record_page(
        out,
        env,
        common,
        page=PAGE,
        template="program_calibration.html.j2",
        title="Program calibration",
        read=read_program_calibration,
        view=program_calibration_view,
    )


EXTRA_SECTIONS.append(
    Section(
        "Program calibration",
        PAGE,
        "the word-task battery (transfer, step-budget ramp, answer match) on hand-written DSL programs of known nature",
        build_program_calibration_page,
    )
)
