"""Curves logged over training, drawn against the training step, one line per condition with a band over seeds.

A learner that evaluates itself while it trains stores the steps of those evaluations as the curve `train.eval_step`
and each quantity it tracked as another `train.*` curve of the same length (the in-context learners log their
distance to ridge and to dMMSE this way). Any study whose runs carry such curves gets this panel, whatever the task.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mesaopt.report.plots import plt, seed_band

STEP_CURVE = "train.eval_step"
MAX_CURVES = 6
"""Training curves drawn per study; curves named in a hypothesis come first, then the rest by name."""


def _tracked(curves: pd.DataFrame, preferred: list[str]) -> list[str]:
    """Curve metrics with one value per evaluation step, in every run that has the step curve."""
    lengths = curves.groupby(["run_id", "metric"])["idx"].size().unstack()
    if STEP_CURVE not in lengths:
        return []
    steps = lengths[STEP_CURVE]
    aligned = [
        m
        for m in lengths.columns
        if m != STEP_CURVE and m.startswith("train.") and (lengths[m].dropna() == steps[lengths[m].notna()]).all()
    ]
    first = [m for m in preferred if m in aligned]
    return (first + sorted(m for m in aligned if m not in first))[:MAX_CURVES]


def _preferred(study) -> list[str]:
    """Curves named like a hypothesis's metric (`train.x` for `detector.x` or `train.final_x`) come first."""
    return [
        "train." + h.metric.split(".", 1)[-1].removeprefix("final_") for h in study.body.hypotheses if "." in h.metric
    ]


def training_panel(study, con, frame: pd.DataFrame, figure_dir: Path) -> dict[str, Any] | None:
    """One figure per tracked training curve; None when no run of the study logged curves over training."""
    from mesaopt.store import curves_frame

    done = frame[frame["status"] == "done"]
    if done.empty:
        return None
    curves = curves_frame(con, study.id, done["run_id"].tolist())
    if curves.empty:
        return None
    metrics = _tracked(curves, _preferred(study))
    if not metrics:
        return None
    axes = list(study.axes)
    wide = curves[curves["metric"].isin([STEP_CURVE, *metrics])]
    wide = wide.pivot_table(index=["run_id", "idx"], columns="metric", values="value").reset_index()
    wide = wide.merge(done[["run_id", *axes]], on="run_id")
    figures = []
    for metric in metrics:
        name = f"train_{metric.removeprefix('train.').replace('/', '_')}.png"
        _draw(wide, metric, axes, figure_dir / name)
        figures.append({"src": f"{study.id}/{name}", "caption": f"{metric} against the training step"})
    return {
        "title": "Over training",
        "text": "Quantities the learner tracked while it trained, against the training step: mean over seeds with "
        "a 95% bootstrap band, one line per condition.",
        "link": None,
        "table": None,
        "figures": figures,
    }


def _draw(wide: pd.DataFrame, metric: str, axes: list[str], path: Path) -> None:
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    for key, group in wide.groupby(axes, sort=False) if axes else [((), wide)]:
        key = key if isinstance(key, tuple) else (key,)
        points = []
        for _idx, at in group.groupby("idx"):
            values = at[metric].dropna().to_numpy(dtype=float)
            if len(values):
                points.append((float(at[STEP_CURVE].mean()), *seed_band(values, rng)))
        if not points:
            continue
        points.sort()
        xs, means, los, his = (list(v) for v in zip(*points, strict=True))
        label = ", ".join(f"{a}={v}" for a, v in zip(axes, key, strict=True)) or "all runs"
        (line,) = ax.plot(xs, means, label=label)
        ax.fill_between(xs, los, his, color=line.get_color(), alpha=0.2)
    ax.set_xlabel("training step")
    ax.set_ylabel(metric)
    ax.set_title(f"{metric} over training", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
