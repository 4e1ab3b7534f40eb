"""The task-diversity transition of in-context regression, read off measured runs: the number of pretraining tasks M*
at which a transformer turns from the dMMSE-like predictor (the Bayes estimator over its M training tasks) to the
ridge-like one (the Bayes estimator for the Gaussian prior over all tasks).

Each run reports its ridge position on novel tasks: its predictions projected on the segment from dMMSE (0) to ridge
(1), left out at the M where the two references agree (M = inf). M* is where the mean over seeds first rises through
POSITION_LEVEL between two consecutive swept M, interpolated linearly in log2 M. Its 95% interval comes from
resampling the seeds. The sweep only brackets M* where the curve starts below the level and ends above it, so a
curve (or a resample) already at the level at the smallest M puts M* below the sweep, one that never reaches it puts
M* above the sweep; those are counted, never given a made-up value, and an interval end that falls outside the sweep
is left open (not reported). Published (Raventós et al. 2023): with D = 8, K = 16 and an 8-layer GPT trained 500k
steps the transition lies between about 2^11 and 2^14 tasks, and lower for smaller D.
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


BELOW = 0.0
"""What `crossing` returns when the curve is at or above the level already at the smallest M (M* below the sweep)."""

ABOVE = math.inf
"""What `crossing` returns when the curve never rises through the level (M* above the sweep)."""


def crossing(m: np.ndarray, position: np.ndarray, level: float) -> float:
    """The first M at which the curve (finite M, ascending) rises through `level`, log2-interpolated; BELOW when it
    starts at or above it, ABOVE when it never gets there, nan without points."""
    if not len(m):
        return math.nan
    if position[0] >= level:
        return BELOW
    for (m0, p0), (m1, p1) in zip(zip(m, position, strict=True), zip(m[1:], position[1:], strict=True), strict=False):
        if p0 < level <= p1:
            x0, x1 = math.log2(m0), math.log2(m1)
            return float(2 ** (x0 + (level - p0) * (x1 - x0) / (p1 - p0)))
    return ABOVE


def _bracketed(value: float) -> float:
    """A crossing inside the sweep, or nan for one outside it (BELOW or ABOVE) or none."""
    return value if math.isfinite(value) and value > BELOW else math.nan


def _interval(draws: np.ndarray) -> tuple[float, float]:
    """The 2.5% and 97.5% quantiles of the resampled crossings (no interpolation across the censored ends); an end
    that lands below or above the sweep is nan: the data leave it open."""
    low, high = np.quantile(draws, [0.025, 0.975], method="inverted_cdf")
    return _bracketed(float(low)), _bracketed(float(high))


def transition(frame: pd.DataFrame, level: float, resamples: int, seed: int) -> dict[str, float]:
    """M* of the seed-mean curve and its bootstrap interval, for one study's runs (M, seed, ridge_position).

    `below_share` and `above_share` count the resamples whose curve puts M* below or above the swept M."""
    finite = frame[np.isfinite(frame["M"].astype(float))].dropna(subset=["ridge_position"])
    table = finite.pivot_table(index="seed", columns="M", values="ridge_position", aggfunc="mean").sort_index(axis=1)
    m = table.columns.to_numpy(float)
    values = table.to_numpy(float)
    nan = {"M_star": math.nan, "M_star_lo": math.nan, "M_star_hi": math.nan}
    if not len(m):
        empty = {"below_share": math.nan, "above_share": math.nan, "M_min": math.nan, "M_max": math.nan}
        return nan | empty | {"seeds": float(len(values))}
    point = crossing(m, np.nanmean(values, axis=0), level)
    rng = np.random.default_rng(seed)
    draws = np.array(
        [
            crossing(m, np.nanmean(values[rng.integers(len(values), size=len(values))], axis=0), level)
            for _ in range(resamples)
        ]
    )
    low, high = _interval(draws)
    return {
        "M_star": _bracketed(point),
        "M_star_lo": low,
        "M_star_hi": high,
        "below_share": float(np.mean(draws == BELOW)),
        "above_share": float(np.mean(draws == ABOVE)),
        "seeds": float(len(values)),
        "M_min": float(m[0]),
        "M_max": float(m[-1]),
    }


def _bound(value: float, open_text: str) -> str:
    return f"{value:.3g}" if math.isfinite(value) else open_text


def describe(study: str, found: dict[str, float], level: float) -> str:
    """One sentence on M* for a study: the value and interval, or why the sweep does not bracket it."""
    if not math.isfinite(found["M_min"]):
        return f"{study}: no finite M with a ridge position, so no M*"
    shares = (
        f"over {found['seeds']:g} seeds; {found['below_share']:.0%} of seed resamples put it below the sweep, "
        f"{found['above_share']:.0%} above"
    )
    if math.isfinite(found["M_star"]):
        low = _bound(found["M_star_lo"], f"open (below {found['M_min']:g})")
        high = _bound(found["M_star_hi"], f"open (above {found['M_max']:g})")
        return f"{study}: M* = {found['M_star']:.3g} [{low}, {high}] {shares}"
    where = f"at or above {level:g} already at M = {found['M_min']:g}"
    if found["above_share"] >= found["below_share"]:
        where = f"below {level:g} up to M = {found['M_max']:g}"
    return f"{study}: the mean ridge position stays {where}, so the sweep does not bracket M* ({shares})"


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
            table[f"{study}.position[M={label}]"] = float(row["ridge_position"])
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
        parts.append(describe(str(study), found, params.level))
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
