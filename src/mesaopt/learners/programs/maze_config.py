"""The maze program learners' configs, apart from the search code so that validating a study file stays quick
(no task implementation imported). `maze_learner` re-exports them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from mesaopt.learners.programs.maze import MAX_STEPS
from mesaopt.limits import MAX_CURVE_POINTS, MAX_POPULATION, bounded

if TYPE_CHECKING:
    from mesaopt.learners.programs.maze_search import MazeEnumConfig


class MazeEnumerateConfig(BaseModel):
    """Levin enumeration of maze programs under c + g*log2(t)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    g: float = Field(default=0.0, ge=0, description="exchange rate between a bit of c and a doubling of t")
    max_depth: int | None = Field(default=None, ge=1, description="depth of the general solver (None: cells - 1)")
    curve: bool = Field(default=True, description="measure the compression curve along the first training maze")
    max_cost: int = Field(default=40, ge=1, le=64, description="largest c (bits) enumerated")
    max_steps: int = Field(default=MAX_STEPS, ge=1, description="hard step cap per maze")
    time_budget_s: float = Field(default=60.0, gt=0, description="wall-clock cap on one enumeration")
    cell_objectives: bool = Field(
        default=False,
        description="also enumerate programs aimed at a hard-coded cell (off: such a program is correct on training "
        "only where it acts as the goal-aimed one, at ceil(log2 cells) more bits, or by coincidence)",
    )

    def enum_config(self, g: float | None = None) -> MazeEnumConfig:
        """The enumerator's settings at this config (at another exchange rate g when given)."""
        from mesaopt.learners.programs.maze_search import MazeEnumConfig

        return MazeEnumConfig(
            g=self.g if g is None else g,
            max_cost=self.max_cost,
            max_steps=self.max_steps,
            time_budget_s=self.time_budget_s,
            cell_objectives=self.cell_objectives,
        )


class MazeLocalConfig(BaseModel):
    """Local search (hill-climbing or a genetic algorithm) over maze programs with the loss
    c + g*log2(t) + the table-entry bits of each wrong training maze."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    g: float = Field(default=0.0, ge=0, description="exchange rate in the loss")
    steps: int = Field(default=500, ge=1, description="hill-climbing: mutations tried")
    restarts: int = Field(default=1, ge=1, description="hill-climbing: independent climbs, best kept")
    population: int = Field(
        default=32, ge=2, le=MAX_POPULATION, description=bounded("genetic: population size", MAX_POPULATION)
    )
    generations: int = Field(default=20, ge=1, description="genetic: generations")
    max_depth: int | None = Field(default=None, ge=1, description="depth of the general solver (None: cells - 1)")
    curve_points: int = Field(
        default=50,
        ge=2,
        le=MAX_CURVE_POINTS,
        description=bounded("points kept of the loss-along-the-path curve", MAX_CURVE_POINTS),
    )
