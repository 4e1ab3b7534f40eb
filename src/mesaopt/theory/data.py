"""Gather what the experiments measured for the analytic models: diversity power and program costs."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd

from mesaopt.store import CATALOG, connect, rebuild_catalog
from mesaopt.theory.contract import DIVERSITY_COLUMNS, ICL_COLUMNS, TheoryContext

DIVERSITY_AXIS = "task.pool_size"
"""The sweep axis that sets N, the number of training instances."""

POWER_METRICS: dict[str, tuple[str, ...]] = {
    "novel_bits": ("power.novel_bits", "profile.power.novel_bits"),
    "pool_bits": ("power.pool_bits", "profile.power.pool_bits"),
    "pool_max_bits": ("power.pool_max_bits", "profile.power.pool_max_bits"),
}
"""Context column -> the catalog metrics that carry it, most direct first: the optimization-power detector's own,
then the same number inside the `profile` detector's battery."""

SUPPLYING_STUDIES = (
    "a study that sweeps `task.pool_size` and runs the `power` detector, alone or inside `profile`, such as "
    "`maze_diversity` (issue 5); `programs_diversity` (issue 7) runs only `transfer`, so it supplies none yet"
)
"""What would supply the diversity data, in words for the page and the CLI."""


def diversity_power(con) -> pd.DataFrame:
    """Optimization power against pool size for every done run of any study, one row per run."""
    wanted = pd.DataFrame(
        [(metric, column, rank) for column, names in POWER_METRICS.items() for rank, metric in enumerate(names)],
        columns=["metric", "column", "rank"],
    )
    con.register("wanted_metrics", wanted)
    try:
        long = con.execute(
            "SELECT r.study, r.task, r.learner, r.seed, r.run_id, a.num AS N, w.column, w.rank, m.value "
            "FROM runs r "
            "JOIN axes a ON a.run_id = r.run_id AND a.study = r.study "
            "JOIN metrics m ON m.run_id = r.run_id AND m.study = r.study "
            "JOIN wanted_metrics w ON w.metric = m.metric "
            "WHERE r.status = 'done' AND a.axis = ?",
            [DIVERSITY_AXIS],
        ).df()
    finally:
        con.unregister("wanted_metrics")
    if long.empty:
        return pd.DataFrame(columns=list(DIVERSITY_COLUMNS))
    long = long.dropna(subset=["N"])
    long["source"] = long["task"] + "/" + long["learner"]
    long = long.sort_values("rank")
    wide = long.pivot_table(
        index=["study", "source", "run_id", "seed", "N"], columns="column", values="value", aggfunc="first"
    ).reset_index()
    for column in POWER_METRICS:
        if column not in wide.columns:
            wide[column] = np.nan
    return wide[list(DIVERSITY_COLUMNS)].sort_values(["study", "source", "N", "seed"]).reset_index(drop=True)


ICL_METRICS: dict[str, str] = {
    "icl_baselines.ridge_position": "ridge_position",
    "icl_baselines.ridge_preference": "ridge_preference",
    "icl_baselines.novel_delta_ridge": "delta_ridge",
    "icl_baselines.novel_delta_dmmse": "delta_dmmse",
}
"""Catalog metric -> `TheoryContext.icl_transition` column."""


def icl_transition(con) -> pd.DataFrame:
    """Ridge preference and distances against the number of pretraining tasks M, one row per done run."""
    names = list(ICL_METRICS)
    long = con.execute(
        "SELECT r.study, r.run_id, r.seed, a.num AS M, m.metric, m.value "
        "FROM runs r "
        "JOIN axes a ON a.run_id = r.run_id AND a.study = r.study "
        "JOIN metrics m ON m.run_id = r.run_id AND m.study = r.study "
        f"WHERE r.status = 'done' AND a.axis = ? AND m.metric IN ({', '.join('?' for _ in names)})",
        [DIVERSITY_AXIS, *names],
    ).df()
    if long.empty:
        return pd.DataFrame(columns=list(ICL_COLUMNS))
    long["column"] = long["metric"].map(ICL_METRICS)
    wide = long.pivot_table(
        index=["study", "run_id", "seed", "M"], columns="column", values="value", aggfunc="first"
    ).reset_index()
    for column in ICL_METRICS.values():
        if column not in wide.columns:
            wide[column] = np.nan
    return wide[list(ICL_COLUMNS)].sort_values(["study", "M", "seed"]).reset_index(drop=True)


def measured_program_costs() -> tuple[dict[str, dict[str, float]] | None, str]:
    """Component costs measured by the program-search package, or None and the reason they are missing."""
    try:
        from mesaopt.learners.programs.costs import measured_costs
    except ImportError:
        try:
            from mesaopt.learners.programs import measured_costs
        except ImportError as exc:
            return None, f"documented default costs: the program-search package offers no measured_costs() ({exc})"
    try:
        costs = measured_costs()
    except Exception as exc:  # a bug there must not take the theory page down; say what happened instead
        return None, f"documented default costs: measured_costs() failed with {type(exc).__name__}: {exc}"
    if not costs:
        return None, "documented default costs: measured_costs() returned nothing"
    defaults = inspect.signature(measured_costs).parameters
    at = ", ".join(f"{name} = {defaults[name].default}" for name in ("bits", "key_words") if name in defaults)
    where = f" at {at}" if at else ""
    return costs, f"costs measured on the program DSL by {measured_costs.__module__}.measured_costs(){where}"


def load_context(store: Path | None, rebuild: bool = False) -> TheoryContext:
    """The measured data for the models, from the run store at `store` (None: no store) and the program DSL."""
    costs, costs_note = measured_program_costs()
    if store is None or not store.is_dir():
        where = "no run store given" if store is None else f"no run store at {store}"
        return TheoryContext(None, costs, f"{where}; the data would come from {SUPPLYING_STUDIES}", costs_note)
    if rebuild or not (store / CATALOG).exists():
        rebuild_catalog(store)
    with connect(store) as con:
        frame = diversity_power(con)
        icl = icl_transition(con).dropna(subset=["ridge_position", "ridge_preference"], how="all")
    if icl.empty:
        icl_frame, icl_note = None, f"no run in {store} has measured icl_baselines against {DIVERSITY_AXIS} yet"
    else:
        icl_frame = icl.reset_index(drop=True)
        icl_note = f"{len(icl)} runs from studies {', '.join(sorted(icl['study'].unique()))} in {store}"
    measured = frame.dropna(subset=["novel_bits", "pool_bits"], how="all")
    if measured.empty:
        note = f"no run in {store} has measured power against {DIVERSITY_AXIS} yet"
        note += f"; it would come from {SUPPLYING_STUDIES}"
        return TheoryContext(None, costs, note, costs_note, icl_frame, icl_note)
    studies = ", ".join(sorted(measured["study"].unique()))
    note = f"{len(measured)} runs from studies {studies} in {store}"
    return TheoryContext(measured.reset_index(drop=True), costs, note, costs_note, icl_frame, icl_note)
