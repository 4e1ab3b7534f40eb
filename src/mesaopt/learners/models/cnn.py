"""A feed-forward convolutional net of fixed depth: what it can see is bounded by its receptive field."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvNet(nn.Module):
    """`depth` 3x3 convolutions of `width` channels, then a 1x1 read-out to one path logit per cell."""

    default_iterations = None

    def __init__(self, width: int = 32, depth: int = 6) -> None:
        super().__init__()
        self.width, self.depth = width, depth
        self.layers = nn.ModuleList(nn.Conv2d(3 if i == 0 else width, width, 3, padding=1) for i in range(depth))
        self.head = nn.Conv2d(width, 1, 1)

    @property
    def receptive_field(self) -> int:
        """Side of the square of input cells that one output cell depends on."""
        return 1 + 2 * self.depth

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Path logits (B,H,W), or with output="states" the activations after each layer."""
        states = []
        h = x
        for layer in self.layers:
            h = F.relu(layer(h))
            states.append(h)
        if output == "states":
            return states
        return self.head(h).squeeze(1)

    def describe(self) -> str:
        rf = self.receptive_field
        return f"feed-forward conv net (width {self.width}, depth {self.depth}, receptive field {rf}x{rf} grid cells)"
