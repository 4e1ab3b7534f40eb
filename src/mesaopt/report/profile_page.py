"""The page `mesaopt profile` writes: one learned algorithm's label, the reasons, the features and every metric."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mesaopt import __version__
from mesaopt.profiling import ProfileRecord
from mesaopt.report.sections import EXTRA_SECTIONS, environment

FOLDER = "profiles"
"""Folder of the profile pages and records, relative to the report folder."""

LIST_SHOWN = 8
"""Values of a list metric (a curve) shown on the page; the record holds them all."""


def format_value(value: Any) -> str:
    """A metric for people: numbers to 4 significant digits, long lists cut, None as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.4g}"
    if isinstance(value, list | tuple):
        shown = ", ".join(format_value(v) for v in value[:LIST_SHOWN])
        return f"[{shown}{', …' if len(value) > LIST_SHOWN else ''}] ({len(value)} values)"
    return str(value)


def page_name(record: ProfileRecord) -> str:
    """A file-system-safe name from the solver, the task and the seed."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{record.solver}-{record.task['name']}-seed{record.seed}").strip("_")


def write_profile_page(record: ProfileRecord, report_dir: Path, command: str) -> Path:
    """Write <report_dir>/profiles/<name>.html and its JSON record beside it; return the page's path."""
    folder = report_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    name = page_name(record)
    (folder / f"{name}.json").write_text(json.dumps(record.to_json(), indent=2, allow_nan=False), encoding="utf-8")
    task_text = " ".join(f"{k}={json.dumps(v)}" for k, v in record.task.items())
    page = (
        environment()
        .get_template("profile.html.j2")
        .render(
            p=record,
            task_text=task_text,
            features=[(k, format_value(v)) for k, v in record.features.items()],
            metrics=[(k, format_value(v)) for k, v in sorted(record.metrics.items())],
            command=command,
            record_href=f"{name}.json",
            page_title=f"Profile {record.solver}",
            root="../",
            version=__version__,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            nav_links=[{"href": s.href, "title": s.title} for s in EXTRA_SECTIONS],
        )
    )
    path = folder / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    return path


def print_profile(record: ProfileRecord, console: Any) -> None:
    """The profile on a rich console: what was profiled, the label and its reasons, the features, every metric."""
    from rich.table import Table

    console.print(f"[bold]{record.solver}[/]: {record.description}", highlight=False)
    console.print(f"task {record.task['name']}, seed {record.seed}, {record.family} battery v{record.battery_version}")
    console.print(f"label: [bold]{record.label}[/]")
    for reason in record.reasons:
        console.print(f"  - {reason}", highlight=False, markup=False)
    for column, title, rows in (
        ("feature", "features the rule read", record.features.items()),
        ("metric", "every metric of the battery", sorted(record.metrics.items())),
    ):
        table = Table(column, "value", title=title)
        for name, value in rows:
            table.add_row(name, format_value(value))
        console.print(table)
