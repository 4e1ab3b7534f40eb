"""The types every analytic model shares with the CLI and the report."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas
import pydantic

DIVERSITY_COLUMNS = ("study", "source", "N", "seed", "novel_bits", "pool_bits", "pool_max_bits")
"""Columns of `TheoryContext.diversity_power`."""

ICL_COLUMNS = ("study", "M", "seed", "ridge_position", "ridge_preference", "delta_ridge", "delta_dmmse")
"""Columns of `TheoryContext.icl_transition`."""


@dataclass(frozen=True)
class TheoryContext:
    """Measured data the models can be held against; each field may be empty when nothing has produced it.

    `diversity_power` has one row per done run that swept the train-pool size: `study` and `source` (the run's
    "task/learner") say where it came from, `N` is the pool size (may be inf), `novel_bits` and `pool_bits` are the
    optimization power the learned algorithm applied on novel and on pool instances (NaN when not measured), and
    `pool_max_bits` the power a run that solved every pool instance would earn (NaN when not measured).

    `program_costs` holds costs measured on the program DSL, keyed by a component or a structure name (see
    `mesaopt.theory.priors.COMPONENTS` and `STRUCTURES`), each mapping to {"c": bits, "t": steps}; either field
    may be left out. The two notes say in words where each came from, or why it is missing.

    `icl_transition` has one row per done in-context run that swept the number of pretraining tasks M
    (`task.pool_size`, may be inf) and ran `icl_baselines`: its novel-task ridge position (NaN where ridge and dMMSE
    agree), ridge preference and distances to ridge and to dMMSE; `icl_note` says where it came from.
    """

    diversity_power: pandas.DataFrame | None = None
    program_costs: dict[str, dict[str, float]] | None = None
    diversity_note: str = "no run store was read"
    program_costs_note: str = "no measured program costs were looked for"
    icl_transition: pandas.DataFrame | None = None
    icl_note: str = "no run store was read"


@dataclass(frozen=True)
class TheoryOutput:
    """What one model run hands to the CLI and the report: figures, headline numbers and a plain-text summary."""

    figures: list[pathlib.Path]
    table: dict[str, float | str]
    text: str
    data_used: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TheoryEntry:
    """A named model: its documented knobs and the function that runs it."""

    name: str
    summary: str
    params: type[pydantic.BaseModel]
    run: Callable[[pydantic.BaseModel, pathlib.Path, TheoryContext], TheoryOutput]
