"""A small transformer with one token per grid cell and learned row and column embeddings."""

from __future__ import annotations

import math

import torch
from torch import nn

MAX_SIDE = 64
"""Largest grid side the learned position embeddings cover."""


class Block(nn.Module):
    """Pre-norm self-attention and MLP, each added to the residual stream."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        b, n, d = h.shape
        q, k, v = self.qkv(self.norm1(h)).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        weights = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1)
        h = h + self.proj((weights @ v).transpose(1, 2).reshape(b, n, d))
        return h + self.mlp(self.norm2(h))


class GridTransformer(nn.Module):
    """Cell tokens [open, start, goal] + row + column embeddings -> `depth` blocks -> one path logit per cell."""

    default_iterations = None

    def __init__(self, width: int = 64, depth: int = 2, heads: int = 4) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"transformer: width {width} must be a multiple of heads {heads}")
        self.width, self.depth, self.heads = width, depth, heads
        self.embed = nn.Linear(3, width)
        self.rows = nn.Parameter(0.02 * torch.randn(MAX_SIDE, width))
        self.cols = nn.Parameter(0.02 * torch.randn(MAX_SIDE, width))
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Path logits (B,H,W), or with output="states" the residual stream after each block as (B,width,H,W)."""
        b, _, height, width = x.shape
        if height > MAX_SIDE or width > MAX_SIDE:
            raise ValueError(f"transformer: grids up to {MAX_SIDE} per side, got {height}x{width}")
        pos = (self.rows[:height, None, :] + self.cols[None, :width, :]).reshape(height * width, -1)
        h = self.embed(x.flatten(2).transpose(1, 2)) + pos
        states = []
        for block in self.blocks:
            h = block(h)
            states.append(h.transpose(1, 2).reshape(b, -1, height, width))
        if output == "states":
            return states
        return self.head(self.norm(h)).reshape(b, height, width)

    def describe(self) -> str:
        return f"transformer (one token per cell, width {self.width}, {self.depth} blocks, {self.heads} heads)"
