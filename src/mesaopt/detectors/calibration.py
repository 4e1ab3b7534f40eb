"""Calibration: run a battery on learned algorithms whose nature is known by construction, fit set and held-out set.

`calibrate(battery, seed)` builds every case of the battery on its task, profiles it, fits the thresholds from the
fit cases alone (`battery.fit_thresholds`), labels every case with the battery's current thresholds, and returns a
JSON-ready record: the cases, the fit and the held-out confusion matrices (the held-out one is the honest test), each
threshold's fitted value beside the code's constant, and `passed` (every held-out case of known nature labelled
right). `mesaopt calibrate` writes one record per battery to the run store; the report's Calibration page shows them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mesaopt.detectors.battery import LABELS, Battery, confusion, fit_thresholds
from mesaopt.store import write_json_atomic
from mesaopt.tasks import build_task
from mesaopt.tasks.base import derive

CONSTANT_TOLERANCE = 0.02
"""How far a threshold constant may sit from its refitted value before calibration calls it stale (the constants
are written to two decimals)."""


def plain(value: Any) -> Any:
    """A metric value (a number, a curve or None) as JSON-ready floats."""
    if isinstance(value, list):
        return [float(v) for v in value]
    return None if value is None else float(value)


def batteries() -> dict[str, Battery]:
    """Every registered task family's battery, by family."""
    from mesaopt.tasks import TASKS, battery_of

    found: dict[str, Battery] = {}
    for name, entry in TASKS.items():
        if entry.battery is not None and entry.family not in found:
            found[entry.family] = battery_of(name)
    return found


def _task(battery: Battery, overrides: dict[str, Any], root: np.random.SeedSequence, cache: dict):
    params = {**battery.task, **overrides}
    key = json.dumps(params, sort_keys=True)
    if key not in cache:
        name = params.pop("name")
        cache[key] = build_task(name, params, derive(root, f"task:{key}"))
    return cache[key]


def calibrate(
    battery: Battery, seed: int = 0, include_slow: bool = True, on_case: Callable[[dict], None] | None = None
) -> dict[str, Any]:
    """Build and profile every case (slow ones only with `include_slow`); the JSON-ready calibration record."""
    root = np.random.SeedSequence(seed)
    tasks: dict[str, Any] = {}
    cases = []
    for case in battery.cases():
        if case.slow and not include_slow:
            continue
        start = time.perf_counter()
        task = _task(battery, dict(case.task), root, tasks)
        learned = case.build(task, derive(root, f"learner:{case.name}"))
        result = battery.profile(learned, task)
        record = {
            "name": case.name,
            "algorithm": case.algorithm,
            "split": case.split,
            "expected": case.expected,
            "label": result.label,
            "why": case.why,
            "task": {**battery.task, **case.task},
            "describe": learned.describe(),
            "reasons": result.reasons,
            "features": {k: plain(v) for k, v in result.features.items()},
            "metrics": {k: plain(v) for k, v in result.metrics.items()},
            "wall_s": time.perf_counter() - start,
        }
        cases.append(record)
        if on_case is not None:
            on_case(record)
    fit = [c for c in cases if c["split"] == "fit"]
    held = [c for c in cases if c["split"] == "held_out"]
    justification = fit_thresholds(battery, fit)
    for row in justification:
        row["stale"] = row["fitted"] is not None and abs(row["fitted"] - row["value"]) > CONSTANT_TOLERANCE
    return {
        "family": battery.family,
        "version": battery.version,
        "seed": seed,
        "task": dict(battery.task),
        "include_slow": include_slow,
        "thresholds": dict(battery.thresholds),
        "rules": battery.doc,
        "labels": list(LABELS),
        "columns": list(battery.columns),
        "cases": cases,
        "confusion_fit": confusion(fit),
        "confusion_held_out": confusion(held),
        "justification": justification,
        "overlap": sorted({c["algorithm"] for c in fit} & {c["algorithm"] for c in held}),
        "passed": all(c["label"] == c["expected"] for c in held if c["expected"] is not None),
    }


def write_record(runs: Path, battery: Battery, record: dict[str, Any]) -> Path:
    """Write a battery's calibration record atomically to `<runs>/<battery.record>` (strict JSON)."""
    return write_json_atomic(runs / battery.record, record)


def read_record(runs: Path, battery: Battery) -> dict[str, Any] | None:
    """A battery's stored calibration record, or None when `mesaopt calibrate` has not written one (or it is not
    readable as a record of this battery)."""
    path = runs / battery.record
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and record.get("family") == battery.family else None


def case_printer(console, name_width: int = 24) -> Callable[[dict], None]:
    """An `on_case` callback: one console line per finished case, split, constructed vs measured label."""

    def on_case(case: dict) -> None:
        expected = case["expected"] or "(unknown)"
        mark = "" if case["expected"] is None else ("ok" if case["label"] == case["expected"] else "WRONG")
        console.print(
            f"{case['name']:{name_width}} {case['split']:8} constructed {expected:9} measured {case['label']:9} "
            f"{mark:5} ({case['wall_s']:.1f} s)",
            highlight=False,
            markup=False,
        )

    return on_case


def print_justification(console, record: dict[str, Any]) -> None:
    """Each threshold: the code's value, the value the fit set gives, and the fit cases on either side."""
    from rich.table import Table

    table = Table("threshold", "constant", "fitted", "lowest must-reach", "highest must-not", "separates", "stale")
    for row in record["justification"]:
        cells = [row["fitted"], row["lowest_that_must_reach"], row["highest_that_must_not"]]
        shown = ["n/a" if v is None else f"{v:.3f}" for v in cells]
        table.add_row(
            row["threshold"],
            f"{row['value']:.3f}",
            *shown,
            "yes" if row["separates"] else "NO",
            "YES" if row["stale"] else "no",
        )
    console.print(table)


def run_calibration(seed: int, runs: Path, console, include_slow: bool = True) -> bool:
    """`mesaopt calibrate`: every battery, each case as it finishes, the thresholds, the held-out confusion."""
    import torch

    torch.set_num_threads(1)  # the cases are small; more threads only contend for the cores
    passed = True
    for family, battery in batteries().items():
        console.print(f"{family} battery:", highlight=False, markup=False)
        record = calibrate(battery, seed, include_slow, case_printer(console))
        print_justification(console, record)
        path = write_record(runs, battery, record)
        held = sum(sum(row) for row in record["confusion_held_out"])
        right = sum(record["confusion_held_out"][i][i] for i in range(len(LABELS)))
        verdict = "passed" if record["passed"] else "FAILED"
        console.print(
            f"{family}: held-out cases of known nature labelled right: {right} of {held} ({verdict}); wrote {path}",
            highlight=False,
            markup=False,
        )
        passed &= bool(record["passed"])
    return passed
