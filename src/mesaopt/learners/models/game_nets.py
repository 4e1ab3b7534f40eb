"""Policy/value networks for the games world: an MLP, a small transformer over the board, a recurrent net.

Every network maps a batch of position tokens (B, T, C) (`GameBatch.tokens`) to move logits (B, actions) and a
value in [-1, 1] (B,), and can return its hidden states by hook name instead.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mesaopt.learners.models.transformer import Block


class PolicyMLP(nn.Module):
    """Flattened tokens -> `depth` ReLU layers of `width` -> move logits and a value."""

    def __init__(self, tokens: int, channels: int, actions: int, width: int, depth: int) -> None:
        super().__init__()
        sizes = [tokens * channels] + [width] * depth
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))
        self.policy, self.value = nn.Linear(width, actions), nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "heads"):
        h, states = x.flatten(1), {}
        for i, layer in enumerate(self.layers):
            h = F.relu(layer(h))
            states[f"layer.{i}"] = h
        if output == "states":
            return states
        return self.policy(h), torch.tanh(self.value(h)).squeeze(-1)


class PolicyTransformer(nn.Module):
    """One token per cell (or state bit) + a learned position embedding -> `depth` pre-norm blocks -> a value from
    the mean-pooled stream, and move logits read from each cell's own token when moves are cells (tic-tac-toe),
    else from the pooled stream."""

    def __init__(self, tokens: int, channels: int, actions: int, width: int, depth: int, heads: int) -> None:
        super().__init__()
        self.embed = nn.Linear(channels, width)
        self.position = nn.Parameter(0.02 * torch.randn(tokens, width))
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.per_cell = tokens == actions
        self.policy = nn.Linear(width, 1 if self.per_cell else actions)
        self.value = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "heads"):
        h, states = self.embed(x) + self.position, {}
        for i, block in enumerate(self.blocks):
            h = block(h)
            states[f"block.{i}"] = h
        if output == "states":
            return states
        h = self.norm(h)
        pooled = h.mean(dim=1)
        logits = self.policy(h).squeeze(-1) if self.per_cell else self.policy(pooled)
        return logits, torch.tanh(self.value(pooled)).squeeze(-1)


class PolicyRecurrent(nn.Module):
    """Encode, then apply one weight-tied residual block `iterations` times with the input re-injected; heads read
    the last state. Iterations are free at test time."""

    def __init__(self, tokens: int, channels: int, actions: int, width: int, iterations: int) -> None:
        super().__init__()
        self.default_iterations = iterations
        self.encode = nn.Linear(tokens * channels, width)
        self.cell = nn.Sequential(nn.Linear(2 * width, width), nn.ReLU(), nn.Linear(width, width))
        self.norm = nn.LayerNorm(width)
        self.policy, self.value = nn.Linear(width, actions), nn.Linear(width, 1)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "heads"):
        e = self.encode(x.flatten(1))
        h, states = e, {}
        for t in range(iterations or self.default_iterations):
            h = self.norm(h + self.cell(torch.cat([h, e], dim=-1)))
            states[f"recur.{t}"] = h
        if output == "states":
            return states
        return self.policy(h), torch.tanh(self.value(h)).squeeze(-1)
