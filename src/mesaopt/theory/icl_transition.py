"""The task-diversity transition of in-context regression, read off measured runs: the number of pretraining tasks M*
at which a transformer turns from the dMMSE-like predictor (the Bayes estimator over its M training tasks) to the
ridge-like one (the Bayes estimator for the Gaussian prior over all tasks).

Each run reports its ridge position on novel tasks: its predictions projected on the segment from dMMSE (0) to ridge
(1), left out at the M where the two references agree (M = inf). M* is where the mean over seeds first crosses
POSITION_LEVEL between two consecutive M, interpolated
linearly in log2 M; its 95% interval comes from resampling the seeds (a resample whose curve never crosses counts
as no crossing, and the share of those is reported). Published (Raventós et al. 2023): with D = 8, K = 16 and an
8-layer GPT trained 500k steps the transition lies between about 2^11 and 2^14 tasks, and lower for smaller D.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.theory.contract import TheoryContext, TheoryOutput
from mesaopt.theory.plots import mark_inf_tick, new_figure, place_inf, save

POSITION_LEVEL = 0.5
"""Ridge position halfway from dMMSE to ridge: the transition's midpoint."""

PUBLISHED = "D = 8: between about 2^11 and 2^14 tasks (8-layer GPT, 500k steps; Raventós et al. 2023)"
"""The published transition, for the page's comparison."""


class ICLTransitionParams(BaseModel):
    """How M* is read off the runs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: float = Field(default=POSITION_LEVEL, gt=0, lt=1, description="ridge position that marks the transition")
    resamples: int = Field(default=1000, ge=10, description="bootstrap resamples of the seeds behind the interval")
    seed: int = Field(default=0, description="seed of the bootstrap")


def crossing(m: np.ndarray, preference: np.ndarray, level: float) -> float:
    """The first M at which the curve (finite M, ascending) rises through `level`, log2-interpolated; nan if never;
    the smallest M when it already starts at or above it."""
    if not len(m):
        return math.nan
    if preference[0] >= level:
        return float(m[0])
    for (m0, p0), (m1, p1) in zip(
        zip(m, preference, strict=True), zip(m[1:], preference[1:], strict=True), strict=False
    ):
        if p0 < level <= p1:
            x0, x1 = math.log2(m0), math.log2(m1)
            return float(2 ** (x0 + (level - p0) * (x1 - x0) / (p1 - p0)))
    return math.nan


def transition(frame: pd.DataFrame, level: float, resamples: int, seed: int) -> dict[str, float]:
    """M* of the seed-mean curve and its bootstrap interval, for one study's runs (M, seed, ridge_position)."""
    finite = frame[np.isfinite(frame["M"].astype(float))].dropna(subset=["ridge_position"])
    table = finite.pivot_table(index="seed", columns="M", values="ridge_position", aggfunc="mean").sort_index(axis=1)
    m = table.columns.to_numpy(float)
    values = table.to_numpy(float)
    point = crossing(m, np.nanmean(values, axis=0), level)
    rng = np.random.default_rng(seed)
    draws = [
        crossing(m, np.nanmean(values[rng.integers(len(values), size=len(values))], axis=0), level)
        for _ in range(resamples)
    ]
    found = np.array([d for d in draws if math.isfinite(d)])
    low, high = np.quantile(np.log2(found), [0.025, 0.975]) if len(found) else (math.nan, math.nan)
    return {
        "M_star": point,
        "M_star_lo": float(2**low) if math.isfinite(low) else math.nan,
        "M_star_hi": float(2**high) if math.isfinite(high) else math.nan,
        "no_crossing_share": 1 - len(found) / resamples,
        "seeds": float(len(values)),
    }


def run(params: ICLTransitionParams, out_dir: Path, context: TheoryContext) -> TheoryOutput:
    """M* with its interval and the distances to ridge and dMMSE per M, per study that measured them."""
    data = context.icl_transition
    figure, (left, right) = new_figure(2)
    table: dict[str, float | str] = {"level": params.level, "published": PUBLISHED}
    if data is None or data.empty:
        text = f"No in-context runs to read the transition from ({context.icl_note}). Published: {PUBLISHED}."
        left.set_title("no in-context diversity runs yet", fontsize="medium")
        return TheoryOutput([save(figure, out_dir, "icl_transition")], table, text)
    parts = []
    finite_max = float(np.nanmax(np.where(np.isfinite(data["M"]), data["M"], np.nan)))
    for index, (study, rows) in enumerate(data.groupby("study", sort=True)):
        found = transition(rows, params.level, params.resamples, params.seed)
        table |= {f"{study}.{key}": value for key, value in found.items()}
        means = rows.groupby("M")[["ridge_position", "delta_ridge", "delta_dmmse"]].mean()
        for m_value, row in means.iterrows():
            label = "inf" if math.isinf(m_value) else f"{m_value:g}"
            table[f"{study}.delta_ridge[M={label}]"] = float(row["delta_ridge"])
            table[f"{study}.delta_dmmse[M={label}]"] = float(row["delta_dmmse"])
        color = f"C{index}"
        x = place_inf(means.index.to_numpy(float), finite_max)
        left.plot(x, means["ridge_position"], marker="o", color=color, label=str(study))
        left.scatter(place_inf(rows["M"].to_numpy(float), finite_max), rows["ridge_position"], color=color, s=8)
        right.plot(x, means["delta_ridge"], marker="o", color=color, label=f"{study}: Δ ridge")
        right.plot(x, means["delta_dmmse"], marker="s", linestyle="--", color=color, label=f"{study}: Δ dMMSE")
        if math.isfinite(found["M_star"]):
            left.axvline(found["M_star"], color=color, linestyle=":")
            parts.append(
                f"{study}: M* = {found['M_star']:.3g} [{found['M_star_lo']:.3g}, {found['M_star_hi']:.3g}] "
                f"over {found['seeds']:g} seeds ({found['no_crossing_share']:.0%} of resamples never cross)"
            )
        else:
            parts.append(f"{study}: the mean ridge position never rises through {params.level:g}, so no M*")
    left.axhline(params.level, color="0.5", linewidth=0.8)
    left.set(xscale="log", xlabel="M (pretraining tasks)", ylabel="ridge position (0 dMMSE, 1 ridge)", ylim=(-0.2, 1.2))
    right.set(xscale="log", yscale="log", xlabel="M (pretraining tasks)", ylabel="distance / D")
    for axes in (left, right):
        mark_inf_tick(axes, finite_max)
        axes.legend(fontsize="small")
    text = (
        f"Transition read off {context.icl_note} at ridge position {params.level:g}: "
        + "; ".join(parts)
        + f". Published: {PUBLISHED}."
    )
    return TheoryOutput([save(figure, out_dir, "icl_transition")], table, text, sorted(data["study"].unique()))
