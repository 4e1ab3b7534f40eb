"""A battery: everything that turns a task family's detector metrics into a label, and how it is calibrated.

One `Battery` per task family (mazes, word programs, ...) bundles:
- the detectors it runs (by the prefix their metrics carry, "transfer.ratio");
- `features`: the numbers the label rule reads, computed from those metrics;
- `rule`: features + thresholds -> (label, reasons), each reason one comparison with its numbers;
- `thresholds`: the named constants the rule uses, and `specs`: how each is fitted from calibration cases;
- `cases`: algorithms of known nature, split by algorithm into a fit set (which sets the thresholds) and a held-out
  set (which tests them);
- the calibration task(s) and the report columns.

`fit_thresholds` sets each threshold from the fit cases alone (`ThresholdSpec`), so the held-out confusion matrix
that `mesaopt calibrate` and the Calibration page report is an honest test of the rule. The constants in each
battery's module are the values that fit gave; calibration refits them and says whether they still agree.
A study may replace parts of a battery with `dataclasses.replace` (`Battery.with_`), as a copy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mesaopt.registry import resolve

LABELS = ("failed", "memorizer", "heuristic", "searcher")
"""Every label a battery gives. `failed`: did not learn its training instances, so nothing else can be read."""

Metrics = dict[str, float | list[float]]
Features = dict[str, float | None]
Rule = Callable[[Features, Mapping[str, float]], tuple[str, list[str]]]


@dataclass(frozen=True)
class BatteryDetector:
    """A detector as a battery runs it: the function, the metric names it can return, and what it needs."""

    run: Callable[[Any, Any], Metrics]
    metrics: tuple[str, ...]
    requires: tuple[str, ...] = ()
    """Optional learner capabilities (`learners.base.CAPABILITIES` names) without which it reports 'not available'."""


@dataclass(frozen=True)
class ThresholdSpec:
    """How one threshold is fitted: the cases that must reach it and those that must stay below it.

    Fitted value: the midpoint between the lowest must-reach value and the highest must-not value among the fit
    cases for which `where` holds and the feature is defined. When no fit case must stay below (a necessary condition
    nothing in the fit set violates), the value is half the lowest must-reach value (FALLBACK_FRACTION)."""

    name: str
    feature: str
    must_reach: frozenset[str]
    must_not: frozenset[str]
    where: Callable[[dict], bool] | None = None
    doc: str = ""


FALLBACK_FRACTION = 0.5
"""A one-sided threshold (no fit case below it) sits at this fraction of the weakest case that must reach it."""


@dataclass(frozen=True)
class Case:
    """A calibration case: a learned algorithm whose label is known by construction (or, for trained nets, is what
    the battery is asked to find out: `expected` None)."""

    name: str
    algorithm: str
    """The algorithm family; fit and held-out sets are disjoint by it (two tie-breaks of BFS are one algorithm)."""
    expected: str | None
    split: str
    """'fit' (sets the thresholds) or 'held_out' (tests them)."""
    build: Callable[[Any, Any], Any]
    why: str
    task: Mapping[str, Any] = field(default_factory=dict)
    """Overrides of the battery's calibration task for this case (e.g. goals in one corner)."""
    slow: bool = False
    """Trains a network: left out of quick calibrations (`mesaopt calibrate --fast`, the unit tests)."""


def cases_from(reference: str) -> Callable[[], tuple[Case, ...]]:
    """A battery's `cases`: the case list a "module:function" reference builds, imported only when first asked for
    (calibration modules import learners, which a battery's users need not load)."""
    return lambda: resolve(reference)()


@dataclass(frozen=True)
class Battery:
    """One task family's detectors, label features, rule, fitted thresholds, calibration cases and report columns."""

    family: str
    version: int
    detectors: Mapping[str, BatteryDetector]
    features: Callable[[Metrics], Features]
    rule: Rule
    thresholds: Mapping[str, float]
    specs: tuple[ThresholdSpec, ...]
    cases: Callable[[], tuple[Case, ...]]
    task: Mapping[str, Any]
    """The calibration task: {"name": registered task name, **parameters}."""
    columns: tuple[str, ...]
    """Feature names the report shows beside each label."""
    record: str
    """File name of this battery's calibration record in the run store."""
    doc: str = ""

    def metric_names(self) -> tuple[str, ...]:
        """Catalog names of the battery's metrics: every detector's metrics, then the one-hot is_<label>."""
        return (
            *(f"{name}.{key}" for name, d in self.detectors.items() for key in d.metrics),
            *(f"is_{label}" for label in LABELS),
        )

    def run(self, learned: Any, task: Any) -> Metrics:
        """Every detector of the battery, its metrics under the detector's name ("transfer.ratio")."""
        return {
            f"{name}.{key}": value
            for name, detector in self.detectors.items()
            for key, value in detector.run(learned, task).items()
        }

    def label(self, metrics: Metrics, thresholds: Mapping[str, float] | None = None) -> tuple[str, list[str]]:
        """The label and the comparisons that decided it, at the battery's thresholds unless others are given."""
        return self.rule(self.features(metrics), self.thresholds if thresholds is None else thresholds)

    def profile(self, learned: Any, task: Any) -> Profile:
        """Run every detector and label the learned algorithm."""
        metrics = self.run(learned, task)
        label, reasons = self.label(metrics)
        return Profile(metrics, label, reasons, self.features(metrics))

    def with_(self, **changes: Any) -> Battery:
        """A copy with some parts replaced (a study's own thresholds or detectors)."""
        return dataclasses.replace(self, **changes)


@dataclass
class Profile:
    """Every battery metric, the features the rule read, the label and the comparisons behind it."""

    metrics: Metrics
    label: str
    reasons: list[str]
    features: Features

    def catalog(self) -> Metrics:
        """The metrics plus one-hot is_<label>, as a detector returns them."""
        return {**self.metrics, **one_hot(self.label)}


def one_hot(label: str) -> dict[str, float]:
    """is_<label> = 1 for the given label and 0 for every other."""
    return {f"is_{name}": float(label == name) for name in LABELS}


def fit_threshold(spec: ThresholdSpec, cases: list[dict]) -> dict[str, Any]:
    """Fit one threshold from case records (each with 'expected' and 'features'); its value and justification."""
    pick = [c for c in cases if (spec.where is None or spec.where(c)) and c["features"].get(spec.feature) is not None]
    above = [(c["features"][spec.feature], c["name"]) for c in pick if c["expected"] in spec.must_reach]
    below = [(c["features"][spec.feature], c["name"]) for c in pick if c["expected"] in spec.must_not]
    low, high = (min(above) if above else None), (max(below) if below else None)
    if low is None:
        value = None
    elif high is None:
        value = FALLBACK_FRACTION * low[0]
    else:
        value = (low[0] + high[0]) / 2
    return {
        "threshold": spec.name,
        "feature": spec.feature,
        "fitted": value,
        "must_reach": sorted(spec.must_reach),
        "lowest_that_must_reach": None if low is None else low[0],
        "lowest_case": None if low is None else low[1],
        "highest_that_must_not": None if high is None else high[0],
        "highest_case": None if high is None else high[1],
        "one_sided": high is None,
        "separates": low is not None and (high is None or high[0] < low[0]),
        "doc": spec.doc,
    }


def fit_thresholds(battery: Battery, fit_cases: list[dict]) -> list[dict[str, Any]]:
    """Fit every threshold of a battery from the fit cases' records alone (held-out records must not be passed)."""
    held = [c["name"] for c in fit_cases if c.get("split") != "fit"]
    if held:
        raise ValueError(f"fit_thresholds got cases outside the fit set: {', '.join(held)}")
    rows = [fit_threshold(spec, fit_cases) for spec in battery.specs]
    for row in rows:
        row["value"] = battery.thresholds[row["threshold"]]
    return rows


def confusion(cases: list[dict]) -> list[list[int]]:
    """Counts of (constructed label row, measured label column) in LABELS order, over cases of known nature."""
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for case in cases:
        if case["expected"] is not None:
            matrix[LABELS.index(case["expected"])][LABELS.index(case["label"])] += 1
    return matrix
