"""A free table of path logits, one entry per training instance: it can only memorize."""

from __future__ import annotations

import torch
from torch import nn


class Table(nn.Module):
    """Entry i holds the (H,W) path logits of the i-th stored instance; the input is the entry index."""

    default_iterations = None

    def __init__(self, entries: int, height: int, width: int) -> None:
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(entries, height, width))

    def forward(self, index: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Path logits (B,H,W) of the indexed entries; output="states" gives them as the only state."""
        rows = self.logits[index]
        return [rows] if output == "states" else rows

    def describe(self) -> str:
        n, h, w = self.logits.shape
        return f"tabular: a free {h}x{w} logit map for each of {n} stored instances (memorizer by construction)"
