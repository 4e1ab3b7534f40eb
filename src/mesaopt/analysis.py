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

VERDICT_RULES = {
    "increases": (
        "supported when the 95% bootstrap intervals of both Spearman's rho and the endpoint difference lie above 0; "
        "contradicted when both lie below 0; inconclusive otherwise"
    ),
    "decreases": (
        "supported when the 95% bootstrap intervals of both Spearman's rho and the endpoint difference lie below 0; "
        "contradicted when both lie above 0; inconclusive otherwise"
    ),
    "flat": (
        "supported when the 95% bootstrap interval of the endpoint difference lies inside [-tolerance, +tolerance]; "
        "contradicted when it lies wholly outside that band; inconclusive otherwise"
    ),
    "common": (
        f"Intervals come from {BOOTSTRAP_RESAMPLES} resamples of whole seeds with replacement (every run of a "
        "resampled seed comes along). The endpoint difference is the mean metric at the largest axis value minus "
        f"the mean at the smallest. With fewer than {MIN_SEEDS} seeds or fewer than two axis values the verdict is "
        "inconclusive."
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


def verdict(direction: str, rho_ci: tuple[float, float], diff_ci: tuple[float, float], tolerance: float | None) -> str:
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
    bounds = [*rho_ci, *diff_ci]
    if any(math.isnan(b) for b in bounds):
        return "inconclusive"
    sign = 1 if direction == "increases" else -1
    if sign * rho_ci[0] > 0 and sign * rho_ci[1] > 0 and sign * diff_ci[0] > 0 and sign * diff_ci[1] > 0:
        return "supported"
    if sign * rho_ci[1] < 0 and sign * rho_ci[0] < 0 and sign * diff_ci[1] < 0 and sign * diff_ci[0] < 0:
        return "contradicted"
    return "inconclusive"


def analyze(
    data: pd.DataFrame,
    metric: str,
    axis: str,
    direction: str,
    where: dict[str, Any] | None = None,
    tolerance: float | None = None,
    seed: int = 0,
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
            rhos.append(spearman(x[idx], y[idx]))
            diffs.append(endpoint_difference(x[idx], y[idx]))
        rho_ci, diff_ci = _interval(rhos), _interval(diffs)
    label = verdict(direction, rho_ci, diff_ci, tolerance) if enough else "inconclusive"
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
    )
