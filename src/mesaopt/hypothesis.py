"""A study's hypotheses: what metric should do along which axis, and the checks a file's hypothesis must pass."""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Scalar = str | int | float | bool


def json_scalar(value: Any) -> Any:
    """Infinite floats become the string "inf" (JSON has no infinity); everything else is kept."""
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def nominal(values: list[Any]) -> bool:
    """An axis whose values have no order of their own (names such as learners); numbers, "inf" and booleans do."""
    return any(isinstance(v, str) and v not in ("inf", "-inf") for v in values)


class Hypothesis(BaseModel):
    """ "metric M increases (decreases, stays flat) along axis X", or "is greater at A than at B" on a nominal axis,
    among the runs that match `where`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(description="detector metric, as detector.metric")
    axis: str = Field(description="the sweep axis the metric moves along")
    direction: Literal["increases", "decreases", "flat", "greater"] = Field(
        description="increases / decreases / flat along an ordered axis; greater: metric at contrast[0] > contrast[1]"
    )
    where: dict[str, Scalar] = Field(default_factory=dict, description="fixed values of other axes")
    tolerance: float | None = Field(default=None, ge=0, description="for flat: largest change that counts as none")
    min_effect: float | None = Field(
        default=None,
        ge=0,
        description="for increases / decreases / greater: the smallest change that counts as the claimed effect; "
        "an interval that rules it out contradicts the hypothesis",
    )
    label: str = Field(default="", description="a short name for the report")
    essay: bool = Field(
        default=False, description="states the essay's own prediction: the report lists it where the verdict differs"
    )
    contrast: tuple[Scalar, Scalar] | None = Field(
        default=None,
        description="two values [A, B] of the axis compared as A minus B (required by greater; flat may use it)",
    )
    control: bool = Field(
        default=False,
        description="a control expected to stay put: a flat verdict on a metric that is 0 in every run may stand",
    )
    check_learning: bool = Field(
        default=True,
        description="untestable unless every learner it is about learned its training instances; false only for "
        "hypotheses about learning itself",
    )

    @field_validator("contrast")
    @classmethod
    def _json_contrast(cls, contrast: tuple[Scalar, Scalar] | None) -> tuple[Scalar, Scalar] | None:
        if contrast is not None and contrast[0] == contrast[1]:
            raise ValueError("a contrast compares two different values of the axis")
        return None if contrast is None else (json_scalar(contrast[0]), json_scalar(contrast[1]))

    @field_validator("where")
    @classmethod
    def _json_where(cls, where: dict[str, Scalar]) -> dict[str, Scalar]:
        return {axis: json_scalar(value) for axis, value in where.items()}

    @model_validator(mode="after")
    def _flat_needs_tolerance(self) -> Hypothesis:
        if self.direction == "flat" and self.tolerance is None:
            raise ValueError("a flat hypothesis needs a tolerance")
        if self.direction == "greater" and self.contrast is None:
            raise ValueError("a 'greater' hypothesis names the two axis values it compares: contrast = [A, B]")
        if self.min_effect is not None and self.direction == "flat":
            raise ValueError("min_effect is for directional hypotheses; a flat one states its tolerance")
        if self.contrast is not None and self.direction in ("increases", "decreases"):
            raise ValueError("a contrast is judged with direction 'greater' (or 'flat'), not a trend")
        return self
