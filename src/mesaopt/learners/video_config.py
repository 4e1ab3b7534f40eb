"""The video predictors' configs, in a light module: validating a study file that names them imports no torch."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from mesaopt.learners.config import PONDER_OFF, RecurrentOptions, SGDConfig


class VideoNetConfig(SGDConfig):
    """Training-loop knobs (see SGDConfig) shared by the video predictors; each adds its architecture."""

    steps: int = Field(default=400, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(default=32, ge=1, description="episodes per step")
    lr: float = Field(default=3e-3, gt=0, description="peak learning rate of AdamW")
    width: int = Field(default=16, ge=1, description="channels (conv nets) or residual width (transformer)")
    eval_episodes: int = Field(default=64, ge=4, description="novel episodes per evaluation over training")


class VideoCNNConfig(VideoNetConfig):
    """A fixed-depth conv net over the shown frames."""

    depth: int = Field(default=4, ge=1, description="3x3 conv layers (receptive field 2*depth+1)")


class VideoRecurrentConfig(VideoNetConfig, RecurrentOptions):
    """A recurrent conv net with free test-time iterations, with the maze recurrent learner's recipe (cell, state on
    open cells, progressive loss with a growing horizon: RecurrentOptions) so that more iterations do not hurt."""

    depth: int = Field(default=2, ge=1, description="3x3 convs per iteration")
    iterations: int = Field(default=8, ge=1, description="iterations T at training (and the default at test)")
    ponder_cost: float | None = Field(
        default=None,
        ge=0,
        description=f"learned halting, this cost per expected step (a speed penalty); None (or {PONDER_OFF!r}): off",
    )

    @field_validator("ponder_cost", mode="before")
    @classmethod
    def _ponder_off(cls, value: Any) -> Any:
        return None if value == PONDER_OFF else value


class VideoTransformerConfig(VideoNetConfig):
    """A transformer over grid positions with a convolutional stem."""

    lr: float = Field(default=3e-3, gt=0, description="peak learning rate of AdamW")
    warmup: int = Field(default=30, ge=0, description="steps of linear warmup from 0 to lr")
    width: int = Field(default=32, ge=1, description="residual stream width")
    depth: int = Field(default=2, ge=1, description="transformer blocks")
    heads: int = Field(default=4, ge=1, description="attention heads")
