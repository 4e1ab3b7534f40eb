"""The game nets' configs, in a light module: validating a study file that names them imports no torch."""

from __future__ import annotations

from pydantic import Field

from mesaopt.learners.config import SGDConfig


class GameNetConfig(SGDConfig):
    """Training-loop knobs (see SGDConfig) and the loss mix; each architecture adds its own."""

    steps: int = Field(default=1000, ge=1, description="optimizer steps (training iterations)")
    batch_size: int = Field(default=128, ge=1, description="positions per step")
    lr: float = Field(default=3e-3, gt=0, description="peak learning rate of AdamW")
    width: int = Field(default=128, ge=1, description="hidden units (MLP, recurrent) or residual width (transformer)")
    value_weight: float = Field(default=0.5, ge=0, description="weight of the value head's squared error")


class GameMLPConfig(GameNetConfig):
    """A policy/value MLP over the flattened board."""

    depth: int = Field(default=2, ge=1, description="hidden layers")


class GameTransformerConfig(GameNetConfig):
    """A transformer over the board's cells."""

    width: int = Field(default=64, ge=1, description="residual width")
    depth: int = Field(default=2, ge=1, description="transformer blocks")
    heads: int = Field(default=4, ge=1, description="attention heads (must divide width)")
    position_scale: float = Field(
        default=1.0,
        gt=0,
        description="std of the learned position embedding at initialization (1: as large as a token's embedding)",
    )


class GameRecurrentConfig(GameNetConfig):
    """A recurrent net with free test-time iterations."""

    iterations: int = Field(default=6, ge=1, description="iterations T at training (and the default at test)")
