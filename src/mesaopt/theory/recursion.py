"""Seed 002's nested optimizers: a top-level optimizer that spawns mesa-optimizers, some of which take over.

The model, one period at a time:
- One optimizer governs; the top-level one is at depth 0 and whoever overthrows a depth-d governor sits at d + 1.
- The governor spawns K ~ Poisson(spawn_rate) mesa-optimizers a period. Each spawn consumes one unit of the
  lineage's resources; K is cut to the units left, so with R units there are at most R spawns ever.
- Each spawn is adversarial with probability p_adversarial, and an adversarial spawn beats its parent with
  probability p_win, independently. If any spawn of the period wins, a winner governs from the next period on, at
  one level deeper, and inherits the resources left. Non-adversarial and losing spawns change nothing but the budget.
- A governor at the depth cap spawns nothing (it has no room for an inner optimizer); R = inf means no budget.
- Every optimizer in the chain is the same kind of process as its parent, so the parameters do not change with
  depth. Only the product q*w of the adversarial and win probabilities decides takeovers.

Long-run coherence (the governing objective eventually stops changing) holds with probability 1 exactly when the
lineage is sure to reach a state with no takeover hazard: the budget spent or the depth cap reached. With
unlimited resources and no cap, takeovers arrive at the constant rate h = 1 - exp(-spawn_rate*q*w) a period forever,
so the objective changes infinitely often: coherence cannot last. The top-level objective itself governs forever
with probability (1 - q*w)^R when spawn_rate > 0 and R is finite, and with probability 0 when R = inf and q*w > 0.
`coherence_check` states this and checks it on the Markov chain run to a long horizon.

The chain over (depth, resources left) is solved exactly by propagating its distribution (`markov_chain`) and
simulated path by path (`monte_carlo`); the tests hold the two against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from mesaopt.theory.contract import TheoryContext, TheoryOutput
from mesaopt.theory.plots import new_figure, save

Z95 = 1.959963984540054
"""Normal quantile of a two-sided 95% interval."""

MAX_STATES = 20_000
"""Largest (depth cap + 1) * (resources + 1) the exact chain accepts."""

MAX_BUDGET = 512
"""Largest finite budget the exact chain accepts: its transition matrices grow as the budget squared."""

MATRIX_ENTRIES = 4_000_000
"""Transition-matrix entries held at once; a larger batch is solved in chunks of this size."""

LONG_HORIZON = 100_000
"""Most periods `coherence_check` runs the chain for while waiting for it to settle."""

SETTLED = 1e-9
"""Probability of a state that can still change below which the chain counts as settled."""

PHASE_POINTS = 31
"""Grid points per axis of the (spawn rate, win rate) phase diagram."""


@dataclass(frozen=True)
class Trajectory:
    """Per-period summaries for t = 0..T: P(top-level objective governs), mean depth, P(no takeover still possible).

    Monte Carlo fills the `_lo`/`_hi` bands; the exact chain leaves them equal to the estimate.
    """

    top: np.ndarray
    depth: np.ndarray
    settled: np.ndarray
    top_lo: np.ndarray
    top_hi: np.ndarray
    depth_lo: np.ndarray
    depth_hi: np.ndarray


def takeover_probability(p_adversarial: float | np.ndarray, p_win: float | np.ndarray) -> np.ndarray:
    """Chance that one spawn is adversarial and beats its parent."""
    return np.asarray(p_adversarial, dtype=float) * np.asarray(p_win, dtype=float)


def per_period_hazard(spawn_rate: float | np.ndarray, p_takeover: float | np.ndarray) -> np.ndarray:
    """P(at least one takeover in a period) with an unlimited budget: 1 - exp(-rate * q*w), by Poisson thinning."""
    return -np.expm1(-np.asarray(spawn_rate, dtype=float) * np.asarray(p_takeover, dtype=float))


def top_survival(
    spawn_rate: float, p_takeover: float, resources: float, periods: int | np.ndarray, depth_cap: int = 1
) -> np.ndarray:
    """P(the top-level objective still governs after `periods`), in closed form.

    The top's spawns up to T number min(Poisson(rate*T), R) and each takes over with probability q*w, so the answer is
    E[(1 - q*w)^min(Poisson(rate*T), R)]; it is 1 when the depth cap is 0.
    """
    periods = np.asarray(periods, dtype=float)
    if depth_cap == 0:
        return np.ones_like(periods)
    keep = 1.0 - p_takeover
    if math.isinf(resources):
        return np.exp(-spawn_rate * p_takeover * periods)
    budget = int(resources)
    mean = spawn_rate * periods
    total = np.zeros_like(periods)
    pmf = np.exp(-mean)
    below = np.zeros_like(periods)
    for k in range(budget):
        total += pmf * keep**k
        below += pmf
        pmf = pmf * mean / (k + 1)
    return total + (1.0 - below) * keep**budget


def limit_top_survival(spawn_rate: float, p_takeover: float, resources: float, depth_cap: int = 1) -> float:
    """P(the top-level objective governs forever): the coherence condition's prediction."""
    if depth_cap == 0 or spawn_rate == 0 or p_takeover == 0:
        return 1.0
    if math.isinf(resources):
        return 0.0
    return (1.0 - p_takeover) ** int(resources)


def _spawn_probabilities(rate: np.ndarray, budget: int) -> np.ndarray:
    """P(K = k | r units left) for a batch of rates, shape (batch, r, k): Poisson cut at r."""
    pmf = np.empty((rate.size, budget + 1))
    pmf[:, 0] = np.exp(-rate)
    for k in range(1, budget + 1):
        pmf[:, k] = pmf[:, k - 1] * rate / k
    left = np.arange(budget + 1)
    k = np.arange(budget + 1)
    probs = np.where(k[None, None, :] < left[None, :, None], pmf[:, None, :], 0.0)
    tail = 1.0 - np.cumsum(pmf, axis=1) + pmf  # P(Poisson >= r) for r = 0..budget
    probs[:, left, left] = tail[:, left]
    return probs


def markov_chain(
    spawn_rate: float | np.ndarray,
    p_takeover: float | np.ndarray,
    resources: float,
    depth_cap: int,
    periods: int,
) -> Trajectory:
    """Exact per-period summaries by propagating the chain's distribution; rates and q*w broadcast into a batch.

    The arrays of the result have shape (batch, periods + 1), or (periods + 1,) for scalar inputs.
    """
    scalar = np.ndim(spawn_rate) == 0 and np.ndim(p_takeover) == 0
    rate, qw = (np.ravel(v).astype(float) for v in np.broadcast_arrays(spawn_rate, p_takeover))
    budget = 0 if math.isinf(resources) else int(resources)
    if (depth_cap + 1) * (budget + 1) > MAX_STATES or budget > MAX_BUDGET:
        raise ValueError(
            f"the exact chain takes at most {MAX_STATES} states and a budget of {MAX_BUDGET} spawns (or inf); "
            f"resources {resources:g} with depth {depth_cap} is too large"
        )
    chunk = max(1, MATRIX_ENTRIES // (budget + 1) ** 2)
    if rate.size > chunk:
        parts = [
            markov_chain(rate[i : i + chunk], qw[i : i + chunk], resources, depth_cap, periods)
            for i in range(0, rate.size, chunk)
        ]
        arrays = [np.concatenate([getattr(part, name) for part in parts]) for name in Trajectory.__dataclass_fields__]
        return Trajectory(*arrays)
    batch, levels = rate.size, depth_cap + 1
    if math.isinf(resources):
        # One state per depth; a takeover happens with the thinned-Poisson hazard.
        stay = np.exp(-rate * qw)[:, None, None]
        move = 1.0 - stay
        can_change = np.ones((1, levels, 1), dtype=bool)
    else:
        probs = _spawn_probabilities(rate, budget)  # (batch, r, k)
        keep = (1.0 - qw)[:, None, None] ** np.arange(budget + 1)[None, None, :]
        left = np.arange(budget + 1)
        target = left[:, None] - np.arange(budget + 1)[None, :]  # r - k; negative where k > r (probability 0)
        stay = np.zeros((batch, budget + 1, budget + 1))
        move = np.zeros_like(stay)
        rows, cols = np.nonzero(target >= 0)
        stay[:, rows, target[rows, cols]] = (probs * keep)[:, rows, cols]
        move[:, rows, target[rows, cols]] = (probs * (1.0 - keep))[:, rows, cols]
        can_change = np.broadcast_to(left[None, None, :] > 0, (1, levels, budget + 1))
    can_change = can_change & (np.arange(levels)[None, :, None] < depth_cap)
    can_change = can_change & ((rate * qw) > 0)[:, None, None]
    dist = np.zeros((batch, levels, budget + 1))
    dist[:, 0, budget] = 1.0
    depths = np.arange(levels, dtype=float)
    top, depth, settled = (np.empty((batch, periods + 1)) for _ in range(3))
    for t in range(periods + 1):
        marginal = dist.sum(axis=2)
        top[:, t], depth[:, t] = marginal[:, 0], marginal @ depths
        settled[:, t] = 1.0 - np.where(can_change, dist, 0.0).sum(axis=(1, 2))
        if t == periods:
            break
        spawning = dist[:, :-1, :]
        if math.isinf(resources):
            kept, moved = spawning * stay, spawning * move
        else:
            kept, moved = spawning @ stay, spawning @ move
        new = np.zeros_like(dist)
        new[:, :-1, :] = kept
        new[:, 1:, :] += moved
        new[:, -1, :] += dist[:, -1, :]
        dist = new
    arrays = (top, depth, settled, top, top, depth, depth)
    return Trajectory(*(a[0] if scalar else a for a in arrays))


def monte_carlo(
    spawn_rate: float,
    p_adversarial: float,
    p_win: float,
    resources: float,
    depth_cap: int,
    periods: int,
    paths: int,
    seed: int,
    z: float = Z95,
) -> Trajectory:
    """Simulate `paths` lineages spawn by spawn, all at once; bands are normal intervals at quantile `z`."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    depth = np.zeros(paths, dtype=np.int64)
    left = np.full(paths, float(resources))
    top, mean_depth, settled, top_half, depth_half = (np.empty(periods + 1) for _ in range(5))
    hazardless = spawn_rate * p_adversarial * p_win == 0

    def record(t: int) -> None:
        governs = depth == 0
        top[t] = governs.mean()
        top_half[t] = z * math.sqrt(max(top[t] * (1 - top[t]), 0.0) / paths)
        mean_depth[t] = depth.mean()
        depth_half[t] = z * depth.std(ddof=1) / math.sqrt(paths) if paths > 1 else math.inf
        settled[t] = 1.0 if hazardless else float(np.mean((depth >= depth_cap) | (left <= 0)))

    record(0)
    for t in range(1, periods + 1):
        spawns = np.minimum(rng.poisson(spawn_rate, paths) * (depth < depth_cap), left).astype(np.int64)
        adversarial = rng.binomial(spawns, p_adversarial)
        winners = rng.binomial(adversarial, p_win)
        depth += winners > 0
        left -= spawns
        record(t)
    return Trajectory(
        top, mean_depth, settled, top - top_half, top + top_half, mean_depth - depth_half, mean_depth + depth_half
    )


@dataclass(frozen=True)
class CoherenceCheck:
    """The coherence condition's predictions beside the chain's numbers.

    Bounded case (the given budget and depth cap): the chain run for `horizon` periods should have settled
    (`settled_at_horizon` near 1) with P(top governs) near `top_forever_predicted`. Unbounded case (same rates, no
    budget, a cap out of reach): the expected number of takeovers by the horizon should be hazard * horizon, growing
    without bound: `unbounded_takeover_rate` (takeovers by the horizon / horizon) should equal `unbounded_hazard`.
    """

    top_forever_predicted: float
    horizon: int
    settled_at_horizon: float
    top_at_horizon: float
    expected_takeovers: float
    unbounded_hazard: float
    unbounded_takeover_rate: float


def settling_horizon(spawn_rate: float, p_takeover: float, resources: float, depth_cap: int) -> int:
    """Periods after which the bounded chain has all but surely settled: 20 times the expected time to settle."""
    if spawn_rate * p_takeover == 0 or depth_cap == 0:
        return 100
    if math.isinf(resources):
        expected = depth_cap / float(per_period_hazard(spawn_rate, p_takeover))
    else:
        expected = min(resources / spawn_rate, depth_cap / float(per_period_hazard(spawn_rate, p_takeover)))
    return int(min(LONG_HORIZON, max(100.0, 20.0 * (expected + 1))))


def coherence_check(
    spawn_rate: float, p_takeover: float, resources: float, depth_cap: int, horizon: int | None = None
) -> CoherenceCheck:
    """Check the long-run coherence condition numerically on the chain, bounded and unbounded."""
    horizon = horizon or settling_horizon(spawn_rate, p_takeover, resources, depth_cap)
    bounded = markov_chain(spawn_rate, p_takeover, resources, depth_cap, horizon)
    unbounded_periods = min(horizon, 1000)
    unbounded = markov_chain(spawn_rate, p_takeover, math.inf, unbounded_periods + 1, unbounded_periods)
    return CoherenceCheck(
        top_forever_predicted=limit_top_survival(spawn_rate, p_takeover, resources, depth_cap),
        horizon=horizon,
        settled_at_horizon=float(bounded.settled[-1]),
        top_at_horizon=float(bounded.top[-1]),
        expected_takeovers=float(bounded.depth[-1]),
        unbounded_hazard=float(per_period_hazard(spawn_rate, p_takeover)),
        unbounded_takeover_rate=float(unbounded.depth[-1]) / unbounded_periods,
    )


class RecursionParams(BaseModel):
    """Knobs of the nested-optimizer model, e.g. `mesaopt theory recursion --spawn_rate 0.5 --resources inf`."""

    model_config = ConfigDict(extra="forbid")

    spawn_rate: float = Field(default=0.2, ge=0, description="mean mesa-optimizers the governor spawns a period")
    p_adversarial: float = Field(default=0.3, ge=0, le=1, description="probability that a spawn is adversarial")
    p_win: float = Field(default=0.2, ge=0, le=1, description="probability an adversarial spawn beats its parent")
    resources: float = Field(default=16.0, ge=0, description="spawns the lineage can ever afford (whole or inf)")
    depth: int = Field(default=4, ge=0, le=200, description="depth cap: a governor this deep spawns nothing")
    periods: int = Field(default=100, ge=1, le=10_000, description="horizon T in periods")
    paths: int = Field(default=4000, ge=2, le=1_000_000, description="Monte Carlo lineages")
    seed: int = Field(default=0, ge=0, description="seed of the Monte Carlo")
    spawn_max: float = Field(default=1.0, gt=0, description="largest spawn rate on the phase diagram")

    @field_validator("resources")
    @classmethod
    def _whole(cls, value: float) -> float:
        if not math.isinf(value) and value != int(value):
            raise ValueError("must be a whole number of spawns or inf")
        return value


def run(params: RecursionParams, out_dir: Path, context: TheoryContext) -> TheoryOutput:
    """Solve the chain, simulate it, check the coherence condition and draw the phase diagram."""
    del context  # the model has no measured counterpart yet
    qw = float(takeover_probability(params.p_adversarial, params.p_win))
    args = (params.resources, params.depth)
    exact = markov_chain(params.spawn_rate, qw, *args, params.periods)
    simulated = monte_carlo(
        params.spawn_rate, params.p_adversarial, params.p_win, *args, params.periods, params.paths, params.seed
    )
    check = coherence_check(params.spawn_rate, qw, *args)
    rates = np.linspace(0.0, params.spawn_max, PHASE_POINTS)
    wins = np.linspace(0.0, 1.0, PHASE_POINTS)
    grid = markov_chain(
        rates[None, :], params.p_adversarial * wins[:, None], *args, params.periods
    )  # batch ordered (win, rate)
    shape = (PHASE_POINTS, PHASE_POINTS)
    top_grid, depth_grid = grid.top[:, -1].reshape(shape), grid.depth[:, -1].reshape(shape)
    t = params.periods
    table: dict[str, float | str] = {
        "P_top_governs_at_T (chain)": float(exact.top[-1]),
        "P_top_governs_at_T (MC)": float(simulated.top[-1]),
        "P_top_governs_at_T (MC 95% CI)": f"[{simulated.top_lo[-1]:.4f}, {simulated.top_hi[-1]:.4f}]",
        "E_depth_at_T (chain)": float(exact.depth[-1]),
        "E_depth_at_T (MC)": float(simulated.depth[-1]),
        "E_depth_at_T (MC 95% CI)": f"[{simulated.depth_lo[-1]:.4f}, {simulated.depth_hi[-1]:.4f}]",
        "P_top_governs_forever (predicted)": check.top_forever_predicted,
        "P_top_governs (chain, long horizon)": check.top_at_horizon,
        "P_settled (chain, long horizon)": check.settled_at_horizon,
        "long_horizon": float(check.horizon),
        "unbounded: takeover hazard per period": check.unbounded_hazard,
        "unbounded: takeovers per period (chain)": check.unbounded_takeover_rate,
    }
    budget = "unlimited resources" if math.isinf(params.resources) else f"a budget of {params.resources:g} spawns"
    text = (
        f"With spawn rate {params.spawn_rate:g}, q*w = {qw:.3g}, {budget} and depth cap {params.depth}, the top-level "
        f"objective still governs after T = {t} periods with probability {exact.top[-1]:.4f} (exact chain; Monte "
        f"Carlo {simulated.top[-1]:.4f}, 95% CI [{simulated.top_lo[-1]:.4f}, {simulated.top_hi[-1]:.4f}], "
        f"{params.paths} paths), and the governing optimizer's expected depth is {exact.depth[-1]:.3f}. "
        "Long-run coherence needs every lineage to reach a state with no takeover hazard (budget spent or depth cap "
        "reached); with unlimited resources and no cap the objective changes forever at the rate "
        f"1 - exp(-rate*q*w) = {check.unbounded_hazard:.4g} a period (the chain without budget or reachable cap "
        f"gives {check.unbounded_takeover_rate:.4g}). Here the chain run for {check.horizon} "
        f"periods has settled with probability {check.settled_at_horizon:.6f}; the top level governs forever with "
        f"predicted probability {check.top_forever_predicted:.4f} and the chain gives {check.top_at_horizon:.4f}."
    )
    figure = _plot(params, exact, simulated, rates, wins, top_grid, depth_grid, out_dir)
    return TheoryOutput(figures=[figure], table=table, text=text)


def _plot(
    params: RecursionParams,
    exact: Trajectory,
    simulated: Trajectory,
    rates: np.ndarray,
    wins: np.ndarray,
    top_grid: np.ndarray,
    depth_grid: np.ndarray,
    out_dir: Path,
) -> Path:
    """P(top governs at T) and expected depth over (spawn rate, win rate), and both over time: chain vs MC."""
    figure, (left, middle, right) = new_figure(3)
    for axes, values, label in ((left, top_grid, "P(top objective governs at T)"), (middle, depth_grid, "E[depth]")):
        mesh = axes.pcolormesh(rates, wins, values, shading="auto", vmin=0, vmax=1 if axes is left else None)
        figure.colorbar(mesh, ax=axes, label=label)
        if axes is left and np.nanmin(values) < 0.5 < np.nanmax(values):
            axes.contour(rates, wins, values, levels=[0.5], colors="white", linewidths=1.0)
        axes.plot([params.spawn_rate], [params.p_win], marker="o", color="red", linestyle="none")
        axes.set(xlabel="spawn rate per period", ylabel="P(adversarial spawn wins)")
        axes.set_title(f"{label}, T = {params.periods}", fontsize="medium")
    periods = np.arange(params.periods + 1)
    right.plot(periods, exact.top, color="C0", label="P(top governs), chain")
    right.fill_between(periods, simulated.top_lo, simulated.top_hi, color="C0", alpha=0.3, label="MC 95% CI")
    right.plot(periods, exact.depth, color="C1", label="E[depth], chain")
    right.fill_between(periods, simulated.depth_lo, simulated.depth_hi, color="C1", alpha=0.3, label="MC 95% CI")
    right.set(xlabel="period", ylabel="probability / depth", title="exact chain against Monte Carlo")
    right.legend(fontsize="small")
    return save(figure, out_dir, "recursion")
