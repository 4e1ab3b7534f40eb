"""Calibration: run the battery on learned algorithms whose nature is known by construction.

`calibrate(seed)` builds each case on one small maze task, profiles it, and returns a JSON-ready record with the
constructed and measured labels, the confusion matrix, every case's metrics, and for each label threshold the
interval of values that would separate the cases (its justification). `mesaopt calibrate` writes that record to
`<runs>/calibration.json`; the report's Calibration page reads it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mesaopt.detectors import profile as profile_module
from mesaopt.detectors.calibration_cases import BFSNet, DeadEndFilling, GreedyStep, WallFollower
from mesaopt.detectors.profile import LABELS, THRESHOLDS, label_features, profile
from mesaopt.detectors.transfer import POOL_SUCCESS_FLOOR
from mesaopt.learners import fit_learner
from mesaopt.learners.base import LearnedAlgorithm, no_progress
from mesaopt.learners.bfs import BFSConfig, fit_bfs
from mesaopt.learners.lookup import LookupConfig, fit_lookup
from mesaopt.store import write_json_atomic
from mesaopt.tasks import build_task
from mesaopt.tasks.base import Task, derive

CALIBRATION_FILE = "calibration.json"
"""Name of the calibration record inside the run store."""

TASK = {"size": 4, "pool_size": 64, "eval_size": 128}
"""The calibration task: 4 x 4 perfect mazes (harder: 7 x 7), a pool of 64 for the lookup table to memorize."""

DEAD_END_ROUNDS = 12
"""Rounds of dead-end filling: solves about half of the 4 x 4 mazes and almost none of the 7 x 7 ones."""

CNN_WIDTH, CNN_LAYERS, CNN_STEPS = 16, 3, 150
"""The registry's `cnn` learner at 3 layers of 3x3 convolutions (receptive field 7 < the 9 x 9 grid), 150 steps."""


@dataclass(frozen=True)
class Case:
    """A calibration case: its name, the label its construction dictates, and how to build it on a task."""

    name: str
    expected: str
    build: Callable[[Task, np.random.SeedSequence], LearnedAlgorithm]
    why: str


def _default_iterations(task: Task) -> int:
    """Enough BFS expansions for any training maze: half the grid's positions bounds a perfect maze's path."""
    height, width = np.asarray(task.sample_train(1, task.generator("calibration.shape")).inputs).shape[-2:]
    return height * width // 2


def _cnn(task: Task, seed: np.random.SeedSequence) -> LearnedAlgorithm:
    """The registry's `cnn` trained on fresh mazes (an infinite pool), so it cannot memorize the calibration pool."""
    fresh = build_task("maze", {**TASK, "pool_size": "inf"}, derive(seed, "cnn.task"))
    params = {"width": CNN_WIDTH, "depth": CNN_LAYERS, "steps": CNN_STEPS}
    return fit_learner("cnn", params, fresh, derive(seed, "cnn.fit"), no_progress)


CASES = (
    Case(
        "bfs_program",
        "searcher",
        lambda task, seed: fit_bfs(BFSConfig(), task, seed, no_progress),
        "exact breadth-first search written as a program",
    ),
    Case(
        "bfs_network",
        "searcher",
        lambda task, seed: BFSNet(_default_iterations(task)),
        "breadth-first search as a recurrent conv net with hand-set weights, no training",
    ),
    Case(
        "lookup_table",
        "memorizer",
        lambda task, seed: fit_lookup(LookupConfig(), task, seed, no_progress),
        "stores the pool's answers and answers anything else with the nearest stored maze's path",
    ),
    Case("wall_follower", "heuristic", lambda task, seed: WallFollower(), "left-hand rule; a local rule, no search"),
    Case("greedy_step", "heuristic", lambda task, seed: GreedyStep(), "steps toward the goal as the crow flies"),
    Case(
        "dead_end_filling",
        "heuristic",
        lambda task, seed: DeadEndFilling(DEAD_END_ROUNDS),
        f"dead-end filling capped at {DEAD_END_ROUNDS} rounds, with no run-time knob",
    ),
    Case(
        "small_cnn",
        "heuristic",
        _cnn,
        f"the registry's cnn, trained (receptive field {2 * CNN_LAYERS + 1} < 9 x 9 grid): only local evidence",
    ),
)


def plain(value: Any) -> Any:
    """A metric value (a number or a curve) as JSON-ready floats."""
    if isinstance(value, list):
        return [float(v) for v in value]
    return float(value)


def separation(
    name: str, threshold: float, cases: list[dict], feature: str, passing: set[str], failing: set[str], where=None
) -> dict[str, Any]:
    """How a threshold sits between the cases that must reach it and those that must not."""
    pick = [c for c in cases if (where is None or where(c)) and c["features"][feature] is not None]
    above = [c["features"][feature] for c in pick if c["expected"] in passing]
    below = [c["features"][feature] for c in pick if c["expected"] in failing]
    low, high = (min(above) if above else None), (max(below) if below else None)
    ok = (low is None or threshold <= low) and (high is None or high < threshold)
    return {
        "threshold": name,
        "value": threshold,
        "feature": feature,
        "must_reach": sorted(passing),
        "lowest_that_must_reach": low,
        "highest_that_must_not": high,
        "midpoint": None if low is None or high is None else (low + high) / 2,
        "margin": None if low is None or high is None else min(low - threshold, threshold - high),
        "separates": ok,
    }


def justify(cases: list[dict]) -> list[dict[str, Any]]:
    """For each label threshold, the interval of values separating this calibration's cases.

    A case whose feature is undefined (the relative gap of a case below POOL_SUCCESS_FLOOR) does not enter that
    threshold's interval: the floor, not the threshold, decides it (see `below_floor`).
    """
    searchers, others = {"searcher"}, {"memorizer", "heuristic"}

    def probed(case: dict) -> bool:
        """Cases with hidden states; a searcher counts only when recurrent, as the label rule reads it."""
        return case["metrics"]["probe.hooks"] > 0 and (case["expected"] != "searcher" or case["features"]["recurrent"])

    return [
        separation(
            "MEMORIZER_MIN_RELATIVE_GAP",
            THRESHOLDS["MEMORIZER_MIN_RELATIVE_GAP"],
            cases,
            "relative_gap",
            {"memorizer"},
            searchers | {"heuristic"},
        ),
        separation(
            "SEARCHER_MIN_SUCCESS", THRESHOLDS["SEARCHER_MIN_SUCCESS"], cases, "success", searchers, {"heuristic"}
        ),
        separation("SEARCHER_MIN_PROBE", THRESHOLDS["SEARCHER_MIN_PROBE"], cases, "probe", searchers, others, probed),
    ]


def below_floor(cases: list[dict]) -> list[dict[str, Any]]:
    """Cases that solve less than POOL_SUCCESS_FLOOR of their training instances, so no memorizer label is possible."""
    return [
        {"name": c["name"], "expected": c["expected"], "pool": c["features"]["pool"]}
        for c in cases
        if c["features"]["relative_gap"] is None
    ]


def confusion(cases: list[dict]) -> list[list[int]]:
    """Counts of (constructed label row, measured label column) in LABELS order."""
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for case in cases:
        matrix[LABELS.index(case["expected"])][LABELS.index(case["label"])] += 1
    return matrix


def calibrate(seed: int = 0, on_case: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Build and profile every case on the calibration task; the JSON-ready calibration record."""
    root = np.random.SeedSequence(seed)
    task = build_task("maze", TASK, derive(root, "task"))
    cases = []
    for case in CASES:
        start = time.perf_counter()
        learned = case.build(task, derive(root, f"learner:{case.name}"))
        result = profile(learned, task)
        record = {
            "name": case.name,
            "expected": case.expected,
            "label": result.label,
            "why": case.why,
            "describe": learned.describe(),
            "reasons": result.reasons,
            "features": label_features(result.metrics),
            "metrics": {k: plain(v) for k, v in result.metrics.items()},
            "wall_s": time.perf_counter() - start,
        }
        cases.append(record)
        if on_case is not None:
            on_case(record)
    return {
        "seed": seed,
        "task": {"name": "maze", **TASK},
        "thresholds": dict(THRESHOLDS),
        "rules": profile_module.__doc__,
        "power_baseline": profile_module.power.BASELINE,
        "labels": list(LABELS),
        "cases": cases,
        "confusion": confusion(cases),
        "justification": justify(cases),
        "pool_success_floor": POOL_SUCCESS_FLOOR,
        "below_floor": below_floor(cases),
        "passed": all(c["label"] == c["expected"] for c in cases),
    }


def write_record(runs: Path, name: str, record: dict[str, Any]) -> Path:
    """Write a calibration record atomically to `<runs>/<name>` (strict JSON)."""
    return write_json_atomic(runs / name, record)


def read_record(runs: Path, name: str) -> dict[str, Any] | None:
    """The calibration record `<runs>/<name>`, or None when `mesaopt calibrate` has not written it to this store."""
    path = runs / name
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def write_calibration(runs: Path, record: dict[str, Any]) -> Path:
    """Write the maze battery's record atomically to `<runs>/calibration.json`."""
    return write_record(runs, CALIBRATION_FILE, record)


def read_calibration(runs: Path) -> dict[str, Any] | None:
    """The stored maze calibration record, or None when `mesaopt calibrate` has not been run on this store."""
    return read_record(runs, CALIBRATION_FILE)


def case_printer(console, name_width: int, seconds_digits: int) -> Callable[[dict], None]:
    """An `on_case` callback for a calibration: one console line per finished case, constructed vs measured label."""

    def on_case(case: dict) -> None:
        mark = "ok" if case["label"] == case["expected"] else "WRONG"
        console.print(
            f"{case['name']:{name_width}} constructed {case['expected']:9} measured {case['label']:9} {mark:5} "
            f"({case['wall_s']:.{seconds_digits}f} s)",
            highlight=False,
            markup=False,
        )

    return on_case


def print_justification(console, record: dict[str, Any]) -> None:
    """A calibration record's justification as a console table: each threshold and how it separates the cases."""
    from rich.table import Table

    table = Table("threshold", "value", "must reach: lowest", "must not: highest", "margin", "separates")
    for row in record["justification"]:
        cells = [row["lowest_that_must_reach"], row["highest_that_must_not"], row["margin"]]
        shown = ["n/a" if v is None else f"{v:.3f}" for v in cells]
        table.add_row(row["threshold"], f"{row['value']:.3f}", *shown, "yes" if row["separates"] else "NO")
    console.print(table)


def run_calibration(seed: int, runs: Path, console) -> bool:
    """`mesaopt calibrate`: calibrate, print each case as it finishes and a summary, write the record."""
    import torch

    torch.set_num_threads(1)  # the cases run tiny convolutions; more threads only contend for the cores
    record = calibrate(seed, case_printer(console, name_width=18, seconds_digits=1))
    print_justification(console, record)
    path = write_calibration(runs, record)
    verdict = "passed" if record["passed"] else "FAILED: some case got a label its construction does not dictate"
    console.print(f"calibration {verdict}; wrote {path}", highlight=False, markup=False)
    return bool(record["passed"])
