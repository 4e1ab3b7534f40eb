"""Seed 003's priors on learned optimizers: which of three structures a speed-plus-simplicity prior favours.

Structures, each built from components that cost c bits of description and t steps of run time:
- Hfh, fast honest: reads the base objective from the environment and searches for it.
- Hsd, simple deceptive: hard-codes a simple objective and reasons instrumentally about training; it must
  rederive the base objective at run time to play along.
- Hfd, fast deceptive: checks whether it is in training or deployment and carries both objectives.

Components and the seed's names for them: get_base_obj (get_base_obj, and get_proxy_for_base_obj for its time),
simple_obj (simplest_obj), deploy_check (is_deployed_in_world), instrumental (combine, with the time of
mesaoptimize_outer_world_env), search (mesaoptimize / mesaoptimize_env). Measured costs may use either name.

Assumptions:
- A structure's c and t are the sums of its components' (useful_knowledge, which all three share, cancels and is
  left out). As in the seed, the description of a structure counts every component it stores, while its run time
  counts only what it executes in training: the hard-coded objective of Hsd and Hfd costs bits but no steps there.
- With `rederive_by_search`, Hsd finds the base objective by brute force over its description, adding
  2**c(get_base_obj) steps: rediscovering a fact costs time exponential in the bits it would take to store it.
  Measured costs already hold what the DSL's Hsd pays to rederive, so with them the term is off unless the knob
  is set explicitly.
- A structure runs for at least one step, so totals pushed below that (by an offset) count as one step.
- The prior scores a program by c + G(t), the lower the better, with G(t) = g*log2(t) ("linear" exchange) or
  g*log2(t)**p ("power"); both are linear in g, so the g where two structures tie has a closed form.
- Ties go to the structure listed first in STRUCTURES.
- Costs measured on the program DSL replace the documented defaults: a component key replaces that component,
  a structure key fixes that structure's total at the defaults (an additive offset that then moves with the
  components). A knob set explicitly on the command line wins over both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.theory.contract import TheoryContext, TheoryOutput
from mesaopt.theory.plots import new_figure, save

Component = Literal["get_base_obj", "simple_obj", "deploy_check", "instrumental", "search"]
COMPONENTS: tuple[Component, ...] = get_args(Component)

Exchange = Literal["linear", "power"]

STRUCTURES: dict[str, tuple[Component, ...]] = {
    "Hfh": ("get_base_obj", "search"),
    "Hsd": ("simple_obj", "instrumental", "search"),
    "Hfd": ("get_base_obj", "simple_obj", "deploy_check", "search"),
}
"""Which components each structure stores: they add up to its description length c."""

RUN_PARTS: dict[str, tuple[Component, ...]] = {
    "Hfh": ("get_base_obj", "search"),
    "Hsd": ("instrumental", "search"),
    "Hfd": ("deploy_check", "get_base_obj", "search"),
}
"""Which components each structure executes during training: they add up to its run time t."""

ALIASES: dict[str, Component] = {
    "simplest_obj": "simple_obj",
    "is_deployed_in_world": "deploy_check",
    "combine": "instrumental",
    "mesaoptimize": "search",
    "get_proxy_for_base_obj": "get_base_obj",
}
"""The seed's names for the components, accepted in measured costs."""

REDERIVING = "Hsd"
"""The structure that rederives the base objective at run time instead of storing it."""

LEVIN_RATE = 1.0
"""The linear g at which a stored bit and a doubling of run time cost the same, so rederiving by brute-force
search and storing break even once c(get_base_obj) is large."""

PHASE_POINTS = 201
"""Grid points per axis of the phase diagram."""


@dataclass(frozen=True)
class Cost:
    """Description length c (bits) and run time t (steps)."""

    c: float
    t: float


DEFAULT_COSTS: dict[Component, Cost] = {
    "get_base_obj": Cost(c=16.0, t=16.0),
    "simple_obj": Cost(c=2.0, t=1.0),  # its steps are never counted: see RUN_PARTS
    "deploy_check": Cost(c=8.0, t=8.0),
    "instrumental": Cost(c=4.0, t=512.0),
    "search": Cost(c=32.0, t=256.0),
}
"""Illustrative costs, not measurements: a pointer-and-decoder that reads the objective from the environment; a
two-bit constant objective; a short train/deploy test; a few bits of "play along until deployed" plus planning
about the training process; a general search routine, the largest and slowest part."""


def structure_costs(
    components: Mapping[str, Cost], rederive_by_search: bool = True, offsets: Mapping[str, Cost] | None = None
) -> dict[str, Cost]:
    """c and t of Hfh, Hsd and Hfd from their components' costs."""
    offsets = offsets or {}
    totals = {}
    for name, parts in STRUCTURES.items():
        c = sum(components[part].c for part in parts)
        t = sum(components[part].t for part in RUN_PARTS[name])
        if rederive_by_search and name == REDERIVING:
            t += 2.0 ** components["get_base_obj"].c
        offset = offsets.get(name, Cost(0.0, 0.0))
        totals[name] = Cost(c + offset.c, max(t + offset.t, 1.0))
    return totals


def time_bits(t: float | np.ndarray, exchange: Exchange = "linear", exponent: float = 2.0) -> np.ndarray:
    """G(t)/g: log2(t), or log2(t)**exponent for the power exchange."""
    log_t = np.log2(np.asarray(t, dtype=float))
    return log_t if exchange == "linear" else np.sign(log_t) * np.abs(log_t) ** exponent


def scores(
    costs: Mapping[str, Cost], g: float | np.ndarray, exchange: Exchange = "linear", exponent: float = 2.0
) -> dict[str, np.ndarray]:
    """Each structure's prior score c + G(t); the lowest is favoured."""
    g = np.asarray(g, dtype=float)
    return {name: cost.c + g * time_bits(cost.t, exchange, exponent) for name, cost in costs.items()}


def favoured(costs: Mapping[str, Cost], g: float, exchange: Exchange = "linear", exponent: float = 2.0) -> str:
    """The structure with the lowest score at exchange rate g."""
    by_name = scores(costs, g, exchange, exponent)
    return min(by_name, key=lambda name: float(by_name[name]))


def tie_rate(
    costs: Mapping[str, Cost], first: str, second: str, exchange: Exchange = "linear", exponent: float = 2.0
) -> float:
    """The exchange rate g at which two structures score alike; nan when they never do for g >= 0."""
    dc = costs[second].c - costs[first].c
    dh = float(time_bits(costs[first].t, exchange, exponent) - time_bits(costs[second].t, exchange, exponent))
    if dh == 0:
        return math.nan
    g = dc / dh
    return g if g >= 0 else math.nan


def regions(
    costs: Mapping[str, Cost], g_max: float, exchange: Exchange = "linear", exponent: float = 2.0
) -> list[tuple[float, float, str]]:
    """The intervals of g in [0, g_max] and the structure favoured on each."""
    names = list(costs)
    ties = {tie_rate(costs, a, b, exchange, exponent) for i, a in enumerate(names) for b in names[i + 1 :]}
    edges = sorted({0.0, g_max} | {g for g in ties if 0 < g < g_max})
    found: list[tuple[float, float, str]] = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        winner = favoured(costs, (lo + hi) / 2, exchange, exponent)
        if found and found[-1][2] == winner:
            found[-1] = (found[-1][0], hi, winner)
        else:
            found.append((lo, hi, winner))
    return found


def phase_grid(
    components: Mapping[str, Cost],
    axis: tuple[Component, Literal["c", "t"]],
    values: np.ndarray,
    g: np.ndarray,
    exchange: Exchange = "linear",
    exponent: float = 2.0,
    rederive_by_search: bool = True,
    offsets: Mapping[str, Cost] | None = None,
) -> np.ndarray:
    """Index into STRUCTURES of the favoured structure, for each (axis value, g) pair."""
    component, field = axis
    c = np.empty((len(STRUCTURES), len(values)))
    h = np.empty_like(c)
    for j, value in enumerate(values):
        changed = Cost(value, components[component].t) if field == "c" else Cost(components[component].c, value)
        totals = structure_costs({**components, component: changed}, rederive_by_search, offsets)
        c[:, j] = [cost.c for cost in totals.values()]
        h[:, j] = [time_bits(cost.t, exchange, exponent) for cost in totals.values()]
    all_scores = c[:, :, None] + np.asarray(g)[None, None, :] * h[:, :, None]
    return np.argmin(all_scores, axis=0)


def resolve_costs(
    measured: Mapping[str, Mapping[str, float]] | None,
    overrides: Mapping[str, Mapping[str, float]] | None = None,
    rederive_by_search: bool = True,
) -> tuple[dict[str, Cost], dict[str, Cost]]:
    """Component costs and structure offsets from the defaults, DSL measurements and explicit overrides."""
    measured = {ALIASES.get(name, name): fields for name, fields in (measured or {}).items()}
    unknown = (set(measured) - set(COMPONENTS) - set(STRUCTURES)) | (set(overrides or {}) - set(COMPONENTS))
    if unknown:
        allowed = [*COMPONENTS, *STRUCTURES, *ALIASES]
        raise ValueError(f"unknown program_costs keys {sorted(unknown)}; allowed: {allowed}")
    components: dict[str, Cost] = dict(DEFAULT_COSTS)
    for name in COMPONENTS:
        if name in measured:
            components[name] = _merge(components[name], measured[name])
    composed = structure_costs(components, rederive_by_search)
    offsets = {}
    for name in STRUCTURES:
        if name in measured:
            total = _merge(composed[name], measured[name])
            offsets[name] = Cost(total.c - composed[name].c, total.t - composed[name].t)
    for name, fields in (overrides or {}).items():
        components[name] = _merge(components[name], fields)
    return components, offsets


def _merge(cost: Cost, fields: Mapping[str, float]) -> Cost:
    """`cost` with the "c" and "t" present in `fields` replaced."""
    unknown = set(fields) - {"c", "t"}
    if unknown:
        raise ValueError(f"program_costs entries take 'c' and 't', not {sorted(unknown)}")
    return Cost(float(fields.get("c", cost.c)), float(fields.get("t", cost.t)))


class PriorsParams(BaseModel):
    """Knobs of the priors model, e.g. `mesaopt theory priors --exchange power --c_get_base_obj 40`."""

    model_config = ConfigDict(extra="forbid")

    g: float = Field(default=2.0, ge=0, description="exchange rate g for the headline verdict")
    g_max: float = Field(default=4.0, gt=0, description="largest g on the phase diagram")
    exchange: Exchange = Field(default="linear", description="G(t) = g*log2(t) (linear) or g*log2(t)**exponent")
    exponent: float = Field(default=2.0, gt=0, description="p of the power exchange G(t) = g*log2(t)**p")
    rederive_by_search: bool = Field(default=True, description="Hsd pays 2**c(get_base_obj) steps to rederive it")
    axis_component: Component = Field(default="get_base_obj", description="component whose cost is the y axis")
    axis_field: Literal["c", "t"] = Field(default="c", description="vary its description bits (c) or steps (t)")
    axis_max: float = Field(default=48.0, gt=0, description="largest value on the y axis (it starts at 0, or 1 for t)")
    c_get_base_obj: float = Field(default=16.0, ge=0, description="bits to read the base objective from the world")
    t_get_base_obj: float = Field(default=16.0, ge=1, description="steps to read the base objective from the world")
    c_simple_obj: float = Field(default=2.0, ge=0, description="bits of a hard-coded simple objective")
    c_deploy_check: float = Field(default=8.0, ge=0, description="bits of the train-or-deploy check")
    t_deploy_check: float = Field(default=8.0, ge=1, description="steps of the train-or-deploy check")
    c_instrumental: float = Field(default=4.0, ge=0, description="bits of instrumental reasoning about training")
    t_instrumental: float = Field(default=512.0, ge=1, description="steps of planning about the training process")
    c_search: float = Field(default=32.0, ge=0, description="bits of the search routine")
    t_search: float = Field(default=256.0, ge=1, description="steps of the search routine")

    def overrides(self) -> dict[str, dict[str, float]]:
        """The component costs set explicitly, by component and field; they beat defaults and measurements."""
        found: dict[str, dict[str, float]] = {}
        for knob in sorted(self.model_fields_set):
            field, _, name = knob.partition("_")
            if field in ("c", "t") and name in COMPONENTS:
                found.setdefault(name, {})[field] = getattr(self, knob)
        return found


def run(params: PriorsParams, out_dir: Path, context: TheoryContext) -> TheoryOutput:
    """Score the three structures, find where each is favoured, and draw the phase diagram."""
    measured = context.program_costs or {}
    if measured and "rederive_by_search" not in params.model_fields_set:
        params = params.model_copy(update={"rederive_by_search": False})
    components, offsets = resolve_costs(measured, params.overrides(), params.rederive_by_search)
    costs = structure_costs(components, params.rederive_by_search, offsets)
    how = (params.exchange, params.exponent)
    by_name = scores(costs, params.g, *how)
    winner = favoured(costs, params.g, *how)
    g_star = tie_rate(costs, "Hfh", "Hsd", *how)
    found = regions(costs, params.g_max, *how)
    grid_g = np.linspace(0.0, params.g_max, PHASE_POINTS)
    axis_min = 1.0 if params.axis_field == "t" else 0.0
    values = np.linspace(axis_min, max(params.axis_max, axis_min + 1), PHASE_POINTS)
    axis = (params.axis_component, params.axis_field)
    phase = phase_grid(components, axis, values, grid_g, *how, params.rederive_by_search, offsets)
    hfd_index = list(STRUCTURES).index("Hfd")
    if measured:
        source = f"DSL measurements of {', '.join(sorted(measured))} ({context.program_costs_note})"
    else:
        source = context.program_costs_note
    if params.overrides():
        source += "; set on the command line: " + ", ".join(
            f"{field}({name})" for name, fields in params.overrides().items() for field in fields
        )
    table: dict[str, float | str] = {
        "costs_from": source,
        "exchange": params.exchange,
        "g": params.g,
        "rederive_by_search": "yes" if params.rederive_by_search else "no",
    }
    for name, cost in costs.items():
        table |= {f"c_{name}": cost.c, f"t_{name}": cost.t, f"score_{name}": float(by_name[name])}
    table |= {
        "favoured_at_g": winner,
        "g_star_Hfh_vs_Hsd": g_star,
        "regions": _describe(found),
        "Hfd_favoured_anywhere_on_diagram": "yes" if bool(np.any(phase == hfd_index)) else "no",
    }
    text = (
        f"Using {source} and G(t) = {_exchange_formula(params)}, {winner} is favoured at g = {params.g:g}. "
        f"Along g in [0, {params.g_max:g}]: {_describe(found)}. "
        + (f"Hfh and Hsd tie at g = {g_star:.3g}." if math.isfinite(g_star) else "Hfh and Hsd never tie at g >= 0.")
    )
    text += " " + cost_ordering(costs)
    table["cost_ordering"] = cost_ordering(costs)
    figure = _plot(params, costs, phase, grid_g, values, components, out_dir)
    return TheoryOutput(figures=[figure], table=table, text=text)


def cost_ordering(costs: dict[str, Cost]) -> str:
    """The structures ordered by c and by t, and what that ordering means for the essay's premise c(Hsd) < c(Hfh)
    (the simple deceptive structure is the shorter one, so only a speed prior can favour Hfh)."""
    by_c = " < ".join(f"{name} ({cost.c:g})" for name, cost in sorted(costs.items(), key=lambda kv: kv[1].c))
    by_t = " < ".join(f"{name} ({cost.t:g})" for name, cost in sorted(costs.items(), key=lambda kv: kv[1].t))
    line = f"Measured ordering: by c, {by_c}; by t, {by_t}."
    if costs["Hsd"].c < costs["Hfh"].c:
        return line + " c(Hsd) < c(Hfh) as the essay assumes, so the speed prior decides between them."
    both = " Hfh is also faster, so it wins on both priors at every g." if costs["Hfh"].t <= costs["Hsd"].t else ""
    return line + (
        f" c(Hsd) >= c(Hfh): the essay's premise fails on these costs; Hsd is not the simpler structure.{both}"
        " The speed-versus-simplicity trade-off the essay describes needs get_base_obj to cost more than the mode "
        "check, the simple objective and the rederivation together: a larger base objective (more or wider key "
        "words) raises c(get_base_obj) alone and can reverse the ordering, which programs_deception_priors measures "
        "(set --c_get_base_obj to explore it here)."
    )


def _exchange_formula(params: PriorsParams) -> str:
    """G(t) in words."""
    return "g*log2(t)" if params.exchange == "linear" else f"g*log2(t)^{params.exponent:g}"


def _describe(found: list[tuple[float, float, str]]) -> str:
    """Regions of g as "Hsd for g in [0, 1.26); Hfh for g in [1.26, 4]"."""
    return "; ".join(f"{name} for g in [{lo:.3g}, {hi:.3g}]" for lo, hi, name in found)


def _plot(
    params: PriorsParams,
    costs: Mapping[str, Cost],
    phase: np.ndarray,
    grid_g: np.ndarray,
    values: np.ndarray,
    components: Mapping[str, Cost],
    out_dir: Path,
) -> Path:
    """Phase diagram over (g, one component cost) beside the three scores along g."""
    figure, (left, right) = new_figure(2)
    colors = [f"C{index}" for index in range(len(STRUCTURES))]
    extent = (grid_g[0], grid_g[-1], values[0], values[-1])
    left.imshow(phase, origin="lower", aspect="auto", extent=extent, cmap=ListedColormap(colors), vmin=0, vmax=2)
    current = getattr(components[params.axis_component], params.axis_field)
    left.plot([params.g], [current], marker="o", linestyle="none", color="black", label="current costs and g")
    if params.rederive_by_search and params.exchange == "linear":
        left.axvline(LEVIN_RATE, color="white", linestyle="--", linewidth=0.8, label=f"g = {LEVIN_RATE:g}")
    label = f"{params.axis_field}({params.axis_component})" + (" bits" if params.axis_field == "c" else " steps")
    left.set(xlabel="exchange rate g", ylabel=label, title=f"favoured structure, G(t) = {_exchange_formula(params)}")
    handles = [Patch(color=color, label=name) for name, color in zip(STRUCTURES, colors, strict=True)]
    left.legend(handles=[*handles, *left.get_legend_handles_labels()[0]], fontsize="small", loc="upper right")
    by_name = scores(costs, grid_g, params.exchange, params.exponent)
    for (name, score), color in zip(by_name.items(), colors, strict=True):
        right.plot(grid_g, score, color=color, label=f"{name}: c={costs[name].c:.3g}, t={costs[name].t:.3g}")
    right.axvline(params.g, color="black", linestyle=":", linewidth=0.8)
    right.set(xlabel="exchange rate g", ylabel="score c + G(t) (lower is favoured)", title="scores at current costs")
    right.legend(fontsize="small")
    return save(figure, out_dir, "priors_phase")
