"""Effect sizes, bootstrap confidence intervals over seeds, and the verdict for each hypothesis."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

BOOTSTRAP_RESAMPLES = 2000
"""Resamples of seeds behind every confidence interval."""

CONFIDENCE = 0.95
MIN_SEEDS = 2
"""Fewer seeds than this cannot give an interval over seeds, so the verdict is inconclusive."""

TRAIN_SUCCESS_FLOOR = 0.5
"""Least mean success (over seeds) on its own training instances at which a learner counts as having learned them.
A hypothesis about a learner below it in any condition is untestable: the claims are about what training produces,
and a learner that fails most of what it was trained on has produced neither a memorizer nor a searcher. Half is the
plain reading of "learned" (it solves more of its training set than it fails); it is not tuned to any study, and it
sits above the transfer detector's POOL_SUCCESS_FLOOR (0.2), the least at which a transfer ratio is defined at all."""

TRAIN_SUCCESS_METRIC = "transfer.pool_success"
"""Success on the training instances (or fresh draws of the training distribution for learners trained on an
infinite pool), under whatever detector prefix a study runs it ("profile.transfer.pool_success")."""

VERDICTS = ("supported", "contradicted", "inconclusive", "untestable")
"""Every verdict, in the order the report counts them."""

PREMISE_SHOWN = 3
"""Failing conditions named in an untestable verdict's reason; further ones are counted."""

VERDICT_RULES = {
    "increases": (
        "supported when the 95% bootstrap intervals of both Spearman's rho and the endpoint difference lie above 0; "
        "contradicted when both lie below 0; inconclusive otherwise"
    ),
    "decreases": (
        "supported when the 95% bootstrap intervals of both Spearman's rho and the endpoint difference lie below 0; "
        "contradicted when both lie above 0; inconclusive otherwise"
    ),
    "greater": (
        "a named contrast [A, B] on a nominal axis: supported when the 95% bootstrap interval of mean(A) - mean(B) "
        "lies above 0; contradicted when it lies below 0; inconclusive otherwise"
    ),
    "flat": (
        "supported when the 95% bootstrap interval of the endpoint difference lies inside [-tolerance, +tolerance]; "
        "contradicted when it lies wholly outside that band; inconclusive otherwise"
    ),
    "common": (
        f"Intervals come from {BOOTSTRAP_RESAMPLES} resamples of whole seeds with replacement (every run of a "
        "resampled seed comes along). The endpoint difference is the mean metric at the largest axis value minus "
        "the mean at the smallest; a resample in which the metric is constant counts as rho 0 (no trend). "
        f"With fewer than {MIN_SEEDS} seeds or fewer than two axis values the verdict is "
        "inconclusive."
    ),
    "min_effect": (
        "a directional hypothesis (increases, decreases, greater) may declare min_effect, the smallest change of the "
        "metric that would count as the claimed effect: it is then contradicted also when the 95% interval of the "
        "difference lies wholly below +min_effect in the claimed direction (an effect that large is ruled out), "
        "even if the interval lies above 0; supported still needs the intervals on the claimed side of 0"
    ),
    "untestable": (
        "before any interval: untestable when a learner the hypothesis is about solves, on average over seeds, less "
        f"than {TRAIN_SUCCESS_FLOOR} of its training instances in any condition (it did not learn what it was "
        "trained on); when no run reports the metric; when the metric does not vary over the runs (a trend or "
        "contrast cannot be read from a constant); and when a flat hypothesis rests on a metric that is 0 in every "
        "run, unless the study marks it as a control (a control is expected to stay at 0)"
    ),
}


@dataclass(frozen=True)
class HypothesisResult:
    """The measured effect for one hypothesis and the verdict it earns."""

    metric: str
    axis: str
    direction: str
    where: dict[str, Any]
    n_runs: int
    n_seeds: int
    rho: float
    rho_ci: tuple[float, float]
    diff: float
    diff_ci: tuple[float, float]
    verdict: str
    x_low: Any = None
    x_high: Any = None
    reason: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ranks(values: np.ndarray) -> np.ndarray:
    """Ranks starting at 1, ties given their average rank."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    ranked = np.empty(len(values))
    start = 0
    while start < len(values):
        stop = start
        while stop + 1 < len(values) and sorted_values[stop + 1] == sorted_values[start]:
            stop += 1
        ranked[order[start : stop + 1]] = (start + stop) / 2 + 1
        start = stop + 1
    return ranked


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation; NaN when either side is constant."""
    rx, ry = ranks(x), ranks(y)
    if len(rx) < 2 or rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def endpoint_difference(x: np.ndarray, y: np.ndarray) -> float:
    """Mean of y at the largest x minus mean of y at the smallest x."""
    return float(y[x == x.max()].mean() - y[x == x.min()].mean())


def _interval(samples: list[float]) -> tuple[float, float]:
    finite = np.asarray([s for s in samples if not math.isnan(s)])
    if len(finite) < len(samples) or not len(finite):
        return math.nan, math.nan
    tail = (1 - CONFIDENCE) / 2 * 100
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return float(lo), float(hi)


def _ruled_out(direction: str, diff_ci: tuple[float, float], min_effect: float | None) -> bool:
    """Whether the difference interval excludes every change of at least min_effect in the claimed direction."""
    if min_effect is None:
        return False
    claimed_high = -diff_ci[0] if direction == "decreases" else diff_ci[1]
    return claimed_high < min_effect


def verdict(
    direction: str,
    rho_ci: tuple[float, float],
    diff_ci: tuple[float, float],
    tolerance: float | None,
    min_effect: float | None = None,
) -> str:
    """Apply the rule in VERDICT_RULES to the intervals."""
    if direction == "flat":
        lo, hi = diff_ci
        if math.isnan(lo):
            return "inconclusive"
        if -tolerance <= lo and hi <= tolerance:
            return "supported"
        if lo > tolerance or hi < -tolerance:
            return "contradicted"
        return "inconclusive"
    if math.isnan(diff_ci[0]):
        return "inconclusive"
    if _ruled_out(direction, diff_ci, min_effect):
        return "contradicted"
    if direction == "greater":
        lo, hi = diff_ci
        return "supported" if lo > 0 else "contradicted" if hi < 0 else "inconclusive"
    bounds = [*rho_ci, *diff_ci]
    if any(math.isnan(b) for b in bounds):
        return "inconclusive"
    sign = 1 if direction == "increases" else -1
    if sign * rho_ci[0] > 0 and sign * rho_ci[1] > 0 and sign * diff_ci[0] > 0 and sign * diff_ci[1] > 0:
        return "supported"
    if sign * rho_ci[1] < 0 and sign * rho_ci[0] < 0 and sign * diff_ci[1] < 0 and sign * diff_ci[0] < 0:
        return "contradicted"
    return "inconclusive"


def _span(ci: tuple[float, float]) -> str:
    return f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def verdict_reason(
    label: str,
    direction: str,
    rho_ci: tuple[float, float],
    diff_ci: tuple[float, float],
    tolerance: float | None,
    n_seeds: int,
    min_effect: float | None = None,
) -> str:
    """One sentence saying which intervals gave the verdict (or why there are none)."""
    if n_seeds < MIN_SEEDS:
        return f"{n_seeds} seed(s) < {MIN_SEEDS}: no interval over seeds"
    if math.isnan(diff_ci[0]):
        return "fewer than two axis values in some resample: no interval"
    if direction != "flat" and _ruled_out(direction, diff_ci, min_effect):
        name = "contrast" if direction == "greater" else "difference"
        side = f"-{min_effect:g}" if direction == "decreases" else f"+{min_effect:g}"
        beyond = "above" if direction == "decreases" else "below"
        return f"{name} CI {_span(diff_ci)} lies {beyond} {side}, the smallest effect of interest: ruled out"
    if direction == "flat":
        band = f"[-{tolerance:g}, +{tolerance:g}]"
        where = {"supported": "inside", "contradicted": "wholly outside"}.get(label, "partly outside")
        return f"difference CI {_span(diff_ci)} lies {where} the tolerance band {band}"
    if direction == "greater":
        where = {"supported": "above 0", "contradicted": "below 0"}.get(label, "across 0")
        return f"contrast CI {_span(diff_ci)} lies {where}"
    text = f"difference CI {_span(diff_ci)}, rho CI {_span(rho_ci)}"
    if label == "inconclusive":
        return f"{text}: not both on one side of 0"
    return f"{text}: both {'above' if (label == 'supported') == (direction == 'increases') else 'below'} 0"


def premise_failures(learned: pd.DataFrame, floor: float = TRAIN_SUCCESS_FLOOR) -> list[str]:
    """The conditions whose mean training success over seeds is below the floor, worst first, as reason lines.

    `learned` has one row per run: `condition` (a readable name such as "learner recurrent, task.pool_size=inf")
    and `train` (that run's success on its training instances; NaN when unmeasured, which is left out).
    """
    means = learned.dropna(subset=["train"]).groupby("condition", sort=False)["train"].mean().sort_values()
    return [
        f"{condition}: train success {value:.2f} < {floor:g}" for condition, value in means.items() if value < floor
    ]


def untestable_reason(
    data: pd.DataFrame, metric: str, direction: str, learned: pd.DataFrame | None, control: bool
) -> str | None:
    """Why the hypothesis cannot be judged on this data (see VERDICT_RULES["untestable"]), or None if it can."""
    failures = premise_failures(learned) if learned is not None and len(learned) else []
    if failures:
        more = len(failures) - PREMISE_SHOWN
        return "; ".join(failures[:PREMISE_SHOWN]) + (f"; and {more} more condition(s)" if more > 0 else "")
    if not len(data):
        return f"no run reports {metric}"
    y = data["y"].to_numpy(dtype=float)
    if direction != "flat" and np.ptp(y) == 0:
        return f"{metric} is {y[0]:g} in all {len(y)} runs: it does not vary"
    if direction == "flat" and not control and not np.any(y):
        return f"{metric} is 0 in all {len(y)} runs and the hypothesis is not a declared control"
    return None


def judge(
    data: pd.DataFrame,
    metric: str,
    axis: str,
    direction: str,
    where: dict[str, Any] | None = None,
    tolerance: float | None = None,
    learned: pd.DataFrame | None = None,
    control: bool = False,
    min_effect: float | None = None,
) -> HypothesisResult:
    """The verdict of one hypothesis: untestable when its premise fails (untestable_reason), else analyze's."""
    reason = untestable_reason(data, metric, direction, learned, control)
    if reason is None:
        return analyze(data, metric, axis, direction, where, tolerance, min_effect=min_effect)
    nan = (math.nan, math.nan)
    n_seeds = len(np.unique(data["seed"])) if len(data) else 0
    return HypothesisResult(
        metric,
        axis,
        direction,
        dict(where or {}),
        len(data),
        n_seeds,
        math.nan,
        nan,
        math.nan,
        nan,
        "untestable",
        reason=reason,
    )


def analyze(
    data: pd.DataFrame,
    metric: str,
    axis: str,
    direction: str,
    where: dict[str, Any] | None = None,
    tolerance: float | None = None,
    seed: int = 0,
    min_effect: float | None = None,
) -> HypothesisResult:
    """Effect sizes and verdict from a table with columns seed, x (numeric axis position) and y (the metric)."""
    x = data["x"].to_numpy(dtype=float)
    y = data["y"].to_numpy(dtype=float)
    seeds = data["seed"].to_numpy()
    unique_seeds = np.unique(seeds)
    rho = spearman(x, y) if len(x) else math.nan
    diff = endpoint_difference(x, y) if len(x) else math.nan
    rho_ci = diff_ci = (math.nan, math.nan)
    enough = len(unique_seeds) >= MIN_SEEDS and len(np.unique(x)) >= 2
    if enough:
        rng = np.random.default_rng(seed)
        by_seed = {s: np.flatnonzero(seeds == s) for s in unique_seeds}
        rhos, diffs = [], []
        for _ in range(BOOTSTRAP_RESAMPLES):
            chosen = rng.choice(unique_seeds, size=len(unique_seeds), replace=True)
            idx = np.concatenate([by_seed[s] for s in chosen])
            if len(np.unique(x[idx])) < 2:
                rhos.append(math.nan)
                diffs.append(math.nan)
                continue
            rho_b = spearman(x[idx], y[idx])
            rhos.append(0.0 if math.isnan(rho_b) else rho_b)  # a resample with a constant metric has no trend
            diffs.append(endpoint_difference(x[idx], y[idx]))
        rho_ci, diff_ci = _interval(rhos), _interval(diffs)
    label = verdict(direction, rho_ci, diff_ci, tolerance, min_effect) if enough else "inconclusive"
    reason = verdict_reason(label, direction, rho_ci, diff_ci, tolerance, len(unique_seeds), min_effect)
    if len(unique_seeds) >= MIN_SEEDS and not enough:
        reason = "fewer than two axis values: no effect to measure"
    low = data.loc[data["x"].idxmin(), "label"] if len(data) else None
    high = data.loc[data["x"].idxmax(), "label"] if len(data) else None
    return HypothesisResult(
        metric,
        axis,
        direction,
        dict(where or {}),
        len(data),
        len(unique_seeds),
        rho,
        rho_ci,
        diff,
        diff_ci,
        label,
        low,
        high,
        reason,
    )
