"""Static matplotlib figures for the report."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

BAND_RESAMPLES = 1000
"""Bootstrap resamples of seeds behind each plotted 95% band."""

MAX_SERIES = 8
"""More series than this make a plot unreadable; further ones are left out and the caption says so."""


def seed_band(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Mean of per-seed values with a 95% bootstrap band over seeds."""
    if len(values) < 2:
        mean = float(values.mean())
        return mean, mean, mean
    means = rng.choice(values, size=(BAND_RESAMPLES, len(values)), replace=True).mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return float(values.mean()), float(lo), float(hi)


def metric_vs_axis(
    frame: pd.DataFrame,
    axis: str,
    order: list,
    metric: str,
    series: list[str],
    path: Path,
    title: str,
) -> int:
    """Plot the metric's mean and band over seeds at each axis value, one line per series; return lines left out."""
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    positions = {value: i for i, value in enumerate(order)}
    groups = list(frame.groupby(series, sort=False)) if series else [((), frame)]
    for key, group in groups[:MAX_SERIES]:
        xs, means, los, his = [], [], [], []
        for value in order:
            values = group.loc[group[axis] == value, metric].dropna().to_numpy(dtype=float)
            if not len(values):
                continue
            mean, lo, hi = seed_band(values, rng)
            xs.append(positions[value])
            means.append(mean)
            los.append(lo)
            his.append(hi)
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(f"{s}={k}" for s, k in zip(series, key, strict=True)) or metric
        (line,) = ax.plot(xs, means, marker="o", label=label)
        ax.fill_between(xs, los, his, color=line.get_color(), alpha=0.2)
    ax.set_xticks(range(len(order)), [str(v) for v in order])
    ax.set_xlabel(axis)
    ax.set_ylabel(metric)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    if len(groups) > 1 or series:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return max(0, len(groups) - MAX_SERIES)
