"""Seed 001 §2.1's toy model: a base optimizer splits its bits between tuning a policy and building a searcher.

Assumptions, all the essay's or made explicit here:
- The base optimizer applies x bits in all. Building a learned algorithm that applies x_mesa bits of its own per
  instance costs f(x_mesa) of them; f is increasing with f(0) = 0. The remaining x - f(x_mesa) bits tune the policy.
- Each of the N training instances needs a policy of its own, so the tuning bits are shared equally among them,
  while the learned search spends all its x_mesa bits on the one instance in front of it.
- Per-instance power is P(x_mesa) = (x - f(x_mesa))/N + x_mesa, and the base optimizer picks the x_mesa with
  f(x_mesa) <= x that maximizes it. N = inf means fresh instances every time, so only x_mesa counts.
- A novel instance gets nothing from the tuning, so the power measured on novel instances is x_mesa* alone.
- Mesa-optimization is "chosen" once the learned search supplies at least DOMINANCE_SHARE of the per-instance
  power; `critical_n` is the N where that happens and `onset_n` the N where x_mesa* first exceeds zero.

Cost functions: linear f = a*m, power law f = a*m^k, exponential f = a*(exp(b*m) - 1). x_mesa* has a closed form
for all three, and so has the critical N (for the exponential through the Lambert W function, evaluated by Halley's
iteration); `critical_n_numeric` and `optimal_mesa_bits_numeric` solve the same problems by bisection and search for
any cost, and the tests hold the closed forms against them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.theory.contract import DIVERSITY_COLUMNS, TheoryContext, TheoryOutput
from mesaopt.theory.plots import mark_inf_tick, new_figure, place_inf, save

CostKind = Literal["linear", "power", "exponential"]

DOMINANCE_SHARE = 0.5
"""Share of per-instance power the learned search must supply for mesa-optimization to count as chosen."""

LAMBERT_STEPS = 60
"""Most Halley iterations for the Lambert W function; it converges in a handful from log1p(z)."""

BISECTION_STEPS = 100
"""Halvings used by every bisection here; far below float resolution on any sane bracket."""

GOLDEN = (math.sqrt(5) - 1) / 2
"""Golden-section ratio for the numeric maximizer."""

NUMERIC_GRID = 2001
"""Points of the coarse grid the numeric maximizer scans before refining."""


@dataclass(frozen=True)
class CostFunction:
    """f(x_mesa): base-optimizer bits spent to build a learned optimizer of x_mesa bits."""

    kind: CostKind
    scale: float
    shape: float = 1.0

    def __call__(self, m: np.ndarray | float) -> np.ndarray:
        """The cost of an x_mesa-bit learned optimizer."""
        return _cost(self.kind, np.asarray(m, dtype=float), self.scale, self.shape)

    def inverse(self, bits: np.ndarray | float) -> np.ndarray:
        """The largest x_mesa whose cost is at most `bits`."""
        return _inverse(self.kind, np.asarray(bits, dtype=float), self.scale, self.shape)

    def describe(self) -> str:
        """The formula with its numbers filled in."""
        a, s = f"{self.scale:.3g}", f"{self.shape:.3g}"
        return {"linear": f"f(m) = {a}*m", "power": f"f(m) = {a}*m^{s}", "exponential": f"f(m) = {a}*(e^({s}m)-1)"}[
            self.kind
        ]


def _cost(kind: CostKind, m: np.ndarray, a: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
    if kind == "linear":
        return a * m
    if kind == "power":
        return a * m**s
    return a * np.expm1(s * m)


def _inverse(kind: CostKind, bits: np.ndarray, a: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
    if kind == "linear":
        return bits / a
    if kind == "power":
        return (bits / a) ** (1 / s)
    return np.log1p(bits / a) / s


def _optimal(kind: CostKind, x: np.ndarray, n: np.ndarray, a: np.ndarray, s: np.ndarray) -> np.ndarray:
    """x_mesa* for arrays of parameters that broadcast together."""
    m_max = _inverse(kind, x, a, s)
    if kind == "exponential":
        with np.errstate(divide="ignore"):
            interior = np.log(n / (a * s)) / s
        return np.clip(interior, 0.0, m_max)
    exponent = s if kind == "power" else np.ones_like(np.asarray(s, dtype=float))
    convex = exponent > 1
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        interior = (n / (a * exponent)) ** (1 / (exponent - 1))
    # A convex cost gives an interior optimum; a linear or concave one makes P convex, so an endpoint wins.
    endpoint = np.where(m_max > x / n, m_max, 0.0)
    return np.where(convex, np.minimum(interior, m_max), endpoint)


def optimal_mesa_bits(x: float | np.ndarray, n: float | np.ndarray, cost: CostFunction) -> np.ndarray:
    """The x_mesa that maximizes per-instance power, in closed form; broadcasts over x and n."""
    x, n = np.asarray(x, dtype=float), np.asarray(n, dtype=float)
    return _optimal(cost.kind, x, n, np.asarray(cost.scale), np.asarray(cost.shape))


def per_instance_power(
    m: float | np.ndarray, x: float | np.ndarray, n: float | np.ndarray, cost: CostFunction
) -> np.ndarray:
    """(x - f(m))/N + m, or -inf where the learned optimizer costs more than x."""
    m, x, n = (np.asarray(v, dtype=float) for v in (m, x, n))
    spent = cost(m)
    return np.where(spent <= x * (1 + 1e-12), (x - spent) / n + m, -np.inf)


def mesa_share(x: float | np.ndarray, n: float | np.ndarray, cost: CostFunction) -> np.ndarray:
    """The fraction of the optimal per-instance power that the learned search supplies."""
    m = optimal_mesa_bits(x, n, cost)
    return m / per_instance_power(m, x, n, cost)


def onset_n(x: float, cost: CostFunction) -> float:
    """The N above which the optimal x_mesa is positive."""
    if cost.kind == "exponential":
        return cost.scale * cost.shape
    if cost.kind == "power" and cost.shape > 1:
        return 0.0
    return x / float(cost.inverse(x))


def critical_n(x: float, cost: CostFunction) -> float:
    """The N above which the learned search supplies at least DOMINANCE_SHARE of per-instance power."""
    share = DOMINANCE_SHARE
    if cost.kind == "power" and cost.shape > 1:
        k, a = cost.shape, cost.scale
        # At the interior optimum f(m*) = N*m*/k, so "m* >= share*P" reads N*m*(1 - share + share/k) >= share*x.
        return (share * x / (1 - share + share / k)) ** ((k - 1) / k) * (a * k) ** (1 / k)
    if cost.kind != "exponential":
        return onset_n(x, cost)
    # At the interior optimum e^(b m*) = N/(a b), so with u = N/(a b) the condition m* = share*P reads
    # (1 - share)*ln(u) + share = share*(x + a)/(a u), whose root is u = C / W(C e^D).
    a, b = cost.scale, cost.shape
    c_term, d_term = share * (x + a) / (a * (1 - share)), share / (1 - share)
    return a * b * c_term / lambert_w(c_term * math.exp(d_term))


def critical_n_numeric(x: float, cost: CostFunction) -> float:
    """`critical_n` by bisection on the share, for checking the closed forms; needs a positive onset."""
    lo = max(onset_n(x, cost), 1e-12)
    hi = max(lo * 2, 1.0)
    while float(mesa_share(x, hi, cost)) < DOMINANCE_SHARE:
        hi *= 2
    return bisect_log(lambda n: float(mesa_share(x, n, cost)) - DOMINANCE_SHARE, lo, hi)


def lambert_w(z: float) -> float:
    """The principal branch of the Lambert W function for z >= 0: the w >= 0 with w*e^w = z."""
    if z < 0:
        raise ValueError(f"lambert_w needs z >= 0, got {z}")
    w = math.log1p(z)
    for _ in range(LAMBERT_STEPS):
        ew = math.exp(w)
        residual = w * ew - z
        step = residual / (ew * (w + 1) - (w + 2) * residual / (2 * w + 2))
        w -= step
        if abs(step) <= 1e-15 * (1 + abs(w)):
            break
    return w


def bisect_log(fn: Callable[[float], float], lo: float, hi: float) -> float:
    """The root of an increasing `fn` on [lo, hi], found by bisection in log space."""
    for _ in range(BISECTION_STEPS):
        mid = math.sqrt(lo * hi)
        if fn(mid) < 0:
            lo = mid
        else:
            hi = mid
    return math.sqrt(lo * hi)


def optimal_mesa_bits_numeric(x: float, n: float, f: Callable[[np.ndarray], np.ndarray], m_max: float) -> float:
    """x_mesa* for any cost f by grid scan and golden-section refinement; m_max is the largest feasible x_mesa."""

    def power(m: np.ndarray) -> np.ndarray:
        return (x - f(m)) / n + m

    grid = np.linspace(0.0, m_max, NUMERIC_GRID)
    best = int(np.argmax(power(grid)))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, NUMERIC_GRID - 1)]
    for _ in range(BISECTION_STEPS):
        left, right = hi - GOLDEN * (hi - lo), lo + GOLDEN * (hi - lo)
        if power(np.asarray(left)) < power(np.asarray(right)):
            lo = left
        else:
            hi = right
    candidates = np.array([grid[best], (lo + hi) / 2])
    return float(candidates[int(np.argmax(power(candidates)))])


FitTarget = Literal["novel", "pool"]

TARGET_COLUMNS: dict[str, str] = {"novel": "novel_bits", "pool": "pool_bits"}
"""Which measured column each fit target reads from `TheoryContext.diversity_power`."""

X_GRID = np.logspace(0, 4, 41)
"""Candidate base-optimizer powers x (bits) for the coarse fit."""

SCALE_GRID = np.logspace(-2, 3, 41)
"""Candidate scales a for the coarse fit."""

SHAPE_GRIDS: dict[CostKind, np.ndarray] = {
    "linear": np.array([1.0]),
    "power": np.logspace(np.log10(0.25), np.log10(6.0), 21),
    "exponential": np.logspace(-3, 1, 21),
}
"""Candidate shapes (the power law's k, the exponential's b) for the coarse fit; linear f has none."""

REFINE_POINTS = 9
"""Points per parameter in the fine grid laid around the coarse optimum."""


@dataclass(frozen=True)
class ToyFit:
    """The toy model's parameters fitted by least squares to measured (N, power) points."""

    x: float
    cost: CostFunction
    rmse: float
    points: int


def predicted_power(n: float | np.ndarray, x: float | np.ndarray, cost: CostFunction, target: FitTarget) -> np.ndarray:
    """The model's power at the optimal split: x_mesa* on novel instances, P(x_mesa*) on pool (training) ones."""
    return _predict(cost.kind, target, np.asarray(x, dtype=float), np.asarray(n, dtype=float), cost.scale, cost.shape)


def _predict(
    kind: CostKind,
    target: FitTarget,
    x: np.ndarray,
    n: np.ndarray,
    a: np.ndarray | float,
    s: np.ndarray | float,
) -> np.ndarray:
    m = _optimal(kind, x, n, np.asarray(a), np.asarray(s))
    if target == "novel":
        return m
    return (x - _cost(kind, m, a, s)) / n + m


def fit_cost_function(n: np.ndarray, power: np.ndarray, kind: CostKind, target: FitTarget = "novel") -> ToyFit:
    """Fit x and f's parameters to (N, power_bits) points by least squares on a coarse then a fine grid."""
    n, power = np.asarray(n, dtype=float), np.asarray(power, dtype=float)
    keep = np.isfinite(power) & (n > 0)
    n, power = n[keep], power[keep]
    if n.size == 0:
        raise ValueError("no finite (N, power) points to fit")
    levels, inverse, counts = np.unique(n, return_inverse=True, return_counts=True)
    means = np.bincount(inverse, weights=power) / counts
    within = float(np.sum((power - means[inverse]) ** 2))
    grids = [X_GRID, SCALE_GRID, SHAPE_GRIDS[kind]]
    best, _ = _grid_search(kind, target, grids, levels, means, counts)
    fine = [_around(grid, value) for grid, value in zip(grids, best, strict=True)]
    (x, a, s), between = _grid_search(kind, target, fine, levels, means, counts)
    rmse = math.sqrt((between + within) / n.size)
    return ToyFit(x=x, cost=CostFunction(kind, a, s), rmse=rmse, points=int(n.size))


def _around(grid: np.ndarray, value: float) -> np.ndarray:
    """A log-spaced grid spanning one coarse step either side of `value`."""
    if grid.size == 1:
        return grid
    step = float(np.log(grid[1] / grid[0]))
    return value * np.exp(np.linspace(-step, step, REFINE_POINTS))


def _grid_search(
    kind: CostKind,
    target: FitTarget,
    grids: list[np.ndarray],
    levels: np.ndarray,
    means: np.ndarray,
    counts: np.ndarray,
) -> tuple[tuple[float, float, float], float]:
    """The grid point with the smallest count-weighted squared error against the per-N means."""
    x, a, s = (axis.reshape(-1, 1) for axis in np.meshgrid(*grids, indexing="ij"))
    with np.errstate(all="ignore"):
        predicted = _predict(kind, target, x, levels.reshape(1, -1), a, s)
        sse = np.sum(counts * (means - predicted) ** 2, axis=1)
    sse = np.where(np.isfinite(sse), sse, np.inf)
    best = int(np.argmin(sse))
    return (float(x[best, 0]), float(a[best, 0]), float(s[best, 0])), float(sse[best])


VISIBLE_SHARE = 1e-6
"""Smallest share of the budget left to tuning that the split plot draws."""

HEATMAP_POINTS = 121
"""Grid points per axis of the (N, x) heat map."""

DATA_METRICS: dict[str, str] = {"novel": "power.novel_bits", "pool": "power.pool_bits"}
"""The catalog metric behind each fit target, named in the output."""

CURVE_POINTS = 200
"""Points on each plotted curve."""


class ToyModelParams(BaseModel):
    """Knobs of the toy model, e.g. `mesaopt theory toy_model --f power --exponent 1.5`."""

    model_config = ConfigDict(extra="forbid")

    f: CostKind = Field(default="exponential", description="form of the cost f(x_mesa) of building a learned optimizer")
    x: float = Field(default=64.0, gt=0, description="bits of optimization the base optimizer applies in all")
    scale: float = Field(default=4.0, gt=0, description="a in f = a*m, a*m^k or a*(exp(b*m) - 1)")
    exponent: float = Field(default=2.0, gt=0, description="k of the power-law cost (used when f = power)")
    rate: float = Field(default=0.25, gt=0, description="b of the exponential cost (used when f = exponential)")
    n_max: float = Field(default=1e4, gt=1, description="largest N on the heat map")
    x_max: float = Field(default=1024.0, gt=1, description="largest x on the heat map")
    fit_target: FitTarget = Field(
        default="novel", description="fit to power on novel instances (model: x_mesa*) or pool instances (model: P)"
    )

    def cost(self) -> CostFunction:
        """The cost function these knobs describe."""
        shape = {"linear": 1.0, "power": self.exponent, "exponential": self.rate}[self.f]
        return CostFunction(self.f, self.scale, shape)


FREE_PARAMETERS: dict[str, int] = {"linear": 2, "power": 3, "exponential": 3}
"""Parameters a fit estimates (x, the scale and the shape; linear f has no shape): the distinct pool sizes needed."""


LEARNED_POOL_SHARE = 0.9
"""A run has learned its task when its power on its own training pool is at least this share of the most that pool
allows (pool_bits >= LEARNED_POOL_SHARE * pool_max_bits): it solves nearly all its training instances. The toy
model describes a base optimizer that applied its x bits to the training instances; a run that did not fit them
(a net that learned nothing) measures its failure to train, not the split between tuning and search."""


def learned_runs(data: pd.DataFrame) -> pd.Series:
    """Which rows of a diversity-power table learned their task (unknown pool_max_bits: not counted as learned)."""
    share = data["pool_bits"].astype(float) / data["pool_max_bits"].astype(float)
    return (data["pool_max_bits"].astype(float) > 0) & (share >= LEARNED_POOL_SHARE)


def fit_sources(data: pd.DataFrame, kind: CostKind, target: FitTarget) -> tuple[dict[str, ToyFit], dict[str, str]]:
    """One least-squares fit per `source` of a diversity-power table, and the reason for each source left unfitted.

    Only runs that learned their task (`learned_runs`) enter a fit. A source is left out when none of its runs
    learned, when its learned runs cover fewer distinct pool sizes than the fit has parameters, or when their power
    does not vary with N: either way f is not identified and any fitted curve would be arbitrary.
    """
    missing = set(DIVERSITY_COLUMNS) - set(data.columns)
    if missing:
        raise ValueError(f"diversity_power lacks columns {sorted(missing)}; expected {list(DIVERSITY_COLUMNS)}")
    column = TARGET_COLUMNS[target]
    fits, skipped = {}, {}
    learned = learned_runs(data)
    for source, group in data.dropna(subset=[column]).groupby("source", sort=True):
        kept = group[learned.loc[group.index]]
        if kept.empty:
            share = (group["pool_bits"] / group["pool_max_bits"]).max()
            skipped[str(source)] = (
                f"no run learned its task (best pool power share {share:.2g}, below {LEARNED_POOL_SHARE:g})"
                if np.isfinite(share)
                else "no run measured its pool's attainable power, so none is known to have learned its task"
            )
            continue
        group = kept
        n, power = group["N"].to_numpy(float), group[column].to_numpy(float)
        levels = np.unique(n[n > 0]).size
        means = group.groupby("N")[column].mean()
        if levels < FREE_PARAMETERS[kind]:
            skipped[str(source)] = f"{levels} pool sizes, fewer than the {FREE_PARAMETERS[kind]} parameters to fit"
        elif float(np.ptp(means.to_numpy(float))) == 0.0:
            skipped[str(source)] = f"power is {float(means.iloc[0]):g} bits at every N, which does not identify f"
        else:
            fits[str(source)] = fit_cost_function(n, power, kind, target)
    return fits, skipped


def run(params: ToyModelParams, out_dir: Path, context: TheoryContext) -> TheoryOutput:
    """Solve the toy model, fit it to whatever diversity data exists, and plot both."""
    cost = params.cost()
    onset, critical = onset_n(params.x, cost), critical_n(params.x, cost)
    table: dict[str, float | str] = {
        "f": cost.describe(),
        "x": params.x,
        "onset_N": onset,
        "critical_N": critical,
        "x_mesa_at_N_inf": float(cost.inverse(params.x)),
    }
    text = (
        f"With {cost.describe()} and x = {params.x:g} bits, the optimal learned search is non-zero above "
        f"N = {onset:.3g} and supplies at least {DOMINANCE_SHARE:.0%} of per-instance power above N = {critical:.3g}."
    )
    data = context.diversity_power
    fits, skipped = ({}, {}) if data is None or data.empty else fit_sources(data, params.f, params.fit_target)
    column = TARGET_COLUMNS[params.fit_target]
    measured = None if data is None else data.dropna(subset=[column])
    used = [] if measured is None else sorted(measured["study"].astype(str).unique())
    table["fit_data"] = ", ".join(fits) if fits else "none"
    if measured is not None and not measured.empty:
        table["learned_runs"] = f"{int(learned_runs(measured).sum())} of {len(measured)}"
    for source, fit in fits.items():
        table |= {f"fit[{source}].x": fit.x, f"fit[{source}].f": fit.cost.describe(), f"fit[{source}].rmse": fit.rmse}
    if fits:
        text += (
            f" Fitted to {params.fit_target}-instance power ({DATA_METRICS[params.fit_target]}) from studies "
            + ", ".join(used)
            + ": "
            + "; ".join(
                f"{source}: x = {fit.x:.3g}, {fit.cost.describe()}, rmse {fit.rmse:.3g} bits ({fit.points} runs)"
                for source, fit in fits.items()
            )
            + "."
        )
    elif not used:
        text += (
            f" Nothing is fitted: no {params.fit_target}-instance power ({DATA_METRICS[params.fit_target]}) has been "
            f"measured against N ({context.diversity_note}). The fit plot shows the model alone."
        )
    if used and not fits and not learned_runs(measured).any():
        text += (
            f" The fit is refused: none of the {len(measured)} measured runs learned its task (pool power at least "
            f"{LEARNED_POOL_SHARE:.0%} of what its pool allows), so f cannot be read from them."
        )
    if skipped:
        table["fit_skipped"] = "; ".join(f"{source}: {reason}" for source, reason in skipped.items())
        text += (
            f" Not fitted, from studies {', '.join(used)}: "
            + "; ".join(f"{source} ({reason})" for source, reason in skipped.items())
            + "."
        )
    shown = measured if used else None
    figures = [_plot_heatmap(params, cost, out_dir), _plot_fit(params, cost, shown, fits, out_dir)]
    return TheoryOutput(figures=figures, table=table, text=text, data_used=used)


def _plot_heatmap(params: ToyModelParams, cost: CostFunction, out_dir: Path) -> Path:
    """Mesa share over (N, x), with the critical N, and the split at the chosen x."""
    figure, (left, right) = new_figure(2)
    n = np.logspace(0, np.log10(params.n_max), HEATMAP_POINTS)
    xs = np.logspace(0, np.log10(params.x_max), HEATMAP_POINTS)
    mesh = left.pcolormesh(n, xs, mesa_share(xs[:, None], n[None, :], cost), vmin=0, vmax=1, shading="auto")
    figure.colorbar(mesh, ax=left, label="share of power from the learned search")
    left.plot([critical_n(x, cost) for x in xs], xs, color="white", label="critical N")
    left.axhline(params.x, color="white", linestyle=":", linewidth=0.8)
    left.set(xscale="log", yscale="log", xlim=(n[0], n[-1]), xlabel="N (training instances)", ylabel="x (bits)")
    left.set_title(cost.describe(), fontsize="medium")
    left.legend(loc="lower right", fontsize="small")
    m = optimal_mesa_bits(params.x, n, cost)
    right.plot(n, per_instance_power(m, params.x, n, cost), label="per-instance power P")
    right.plot(n, m, label="learned search x_mesa* (novel power)")
    tuning = (params.x - cost(m)) / n
    # Once the search takes the whole budget the tuning share is zero up to rounding; leave it off the log axis.
    right.plot(n, np.where(tuning > params.x * VISIBLE_SHARE / n, tuning, np.nan), label="tuning (x - f)/N")
    right.axvline(critical_n(params.x, cost), color="0.5", linestyle="--", label="critical N")
    right.set(xscale="log", yscale="log", xlabel="N (training instances)", ylabel="bits per instance")
    right.set_title(f"optimal split at x = {params.x:g} bits", fontsize="medium")
    right.legend(fontsize="small")
    return save(figure, out_dir, "toy_model_heatmap")


def _plot_fit(
    params: ToyModelParams,
    cost: CostFunction,
    data: pd.DataFrame | None,
    fits: dict[str, ToyFit],
    out_dir: Path,
) -> Path:
    """Measured power per source with its fitted curve where there is one; the model's curve when nothing is fitted."""
    figure, (axes,) = new_figure(1)
    column = TARGET_COLUMNS[params.fit_target]
    finite = [] if data is None else data["N"][np.isfinite(data["N"])].tolist()
    n_top = max([*finite, 1.0]) if fits else max([*finite, params.n_max])
    n = np.logspace(0, np.log10(max(n_top, 2.0)), CURVE_POINTS)
    n_plot = np.append(n, np.inf)
    if not fits:
        axes.plot(place_inf(n_plot, n_top), predicted_power(n_plot, params.x, cost, params.fit_target), label="model")
        title = "model only: no diversity data yet" if data is None else "measured data (not fitted) and the model"
        axes.set_title(title, fontsize="medium")
    groups = [] if data is None else list(data.groupby("source", sort=True))
    for index, (source, rows) in enumerate(groups):
        color = f"C{index + 1}"
        fit = fits.get(str(source))
        label = f"{source}: {fit.cost.describe()}" if fit else f"{source} (not fitted)"
        points = place_inf(rows["N"].to_numpy(float), n_top)
        axes.scatter(points, rows[column], color=color, s=12, alpha=0.6, label=None if fit else label)
        if fit:
            curve = predicted_power(n_plot, fit.x, fit.cost, params.fit_target)
            axes.plot(place_inf(n_plot, n_top), curve, color=color, label=label)
    if fits:
        axes.set_title(f"fit to {params.fit_target}-instance power", fontsize="medium")
    axes.set(xscale="log", xlabel="N (training instances)", ylabel=f"{params.fit_target}-instance power (bits)")
    mark_inf_tick(axes, n_top)
    axes.legend(fontsize="small")
    return save(figure, out_dir, "toy_model_fit")
