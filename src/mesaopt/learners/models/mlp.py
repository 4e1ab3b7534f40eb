"""A multilayer perceptron over the flattened grid; it only handles the grid size it was built for."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    """Flattened [open, start, goal] grid -> `depth` hidden layers of `width` -> one path logit per cell."""

    default_iterations = None

    def __init__(self, height: int, width_cells: int, width: int = 256, depth: int = 2) -> None:
        super().__init__()
        self.shape = (height, width_cells)
        self.width, self.depth = width, depth
        sizes = [3 * height * width_cells] + [width] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.head = nn.Linear(sizes[-1], height * width_cells)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Path logits (B,H,W), or with output="states" the activations after each hidden layer."""
        h = x.flatten(1)
        states = []
        for layer in self.layers:
            h = F.relu(layer(h))
            states.append(h)
        if output == "states":
            return states
        return self.head(h).reshape(-1, *self.shape)

    def describe(self) -> str:
        h, w = self.shape
        return f"MLP ({self.depth} hidden layers of {self.width}) over flattened {h}x{w} grids only"
