"""Networks that read the first k frames of a maze video and give, for each of h future steps, a logit per position.

Input (B, 2+k, H, W): [open, goal, agent at each shown frame] (`tasks.video.window_inputs`); output (B, h, H, W).
Three inductive biases, all fully convolutional or position-embedded so that they run on larger mazes:
- `VideoCNN`: fixed depth, so what one output sees is bounded by its receptive field;
- `VideoRecurrent`: the maze world's weight-tied recurrent block (`recurrent.RecurrentBlock`), iterated T times and
  free to run more iterations at test time;
- `VideoTransformer`: one token per grid position carrying its 5 x 5 neighbourhood in the k frames (a convolutional
  stem, so that what is next to a token is in the token), attention across the maze (`transformer.Block`), a fixed
  number of blocks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mesaopt.learners.models.recurrent import Cell, RecurrentBlock, halting_step
from mesaopt.learners.models.transformer import MAX_SIDE, Block

STEM = 5
"""Side of the transformer's convolutional stem: a cell's token sees the adjacent cells (two positions away) and the
walls between, so that one step of the agent is visible inside a token."""

OPEN_CHANNEL = 0
"""Input channel of the open mask (`tasks.video.window_inputs`)."""


class VideoCNN(nn.Module):
    """`depth` 3x3 convolutions of `width` channels, then a 1x1 read-out to h logits per position."""

    default_iterations = None

    def __init__(self, in_channels: int, horizon: int, width: int = 16, depth: int = 4) -> None:
        super().__init__()
        self.width, self.depth = width, depth
        self.layers = nn.ModuleList(
            nn.Conv2d(in_channels if i == 0 else width, width, 3, padding=1) for i in range(depth)
        )
        self.head = nn.Conv2d(width, horizon, 1)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Logits (B, h, H, W), or with output="states" the activations after each layer."""
        states, h = [], x
        for layer in self.layers:
            h = F.relu(layer(h))
            states.append(h)
        return states if output == "states" else self.head(h)

    def describe(self) -> str:
        side = 1 + 2 * self.depth
        return f"feed-forward conv net (width {self.width}, depth {self.depth}, receptive field {side}x{side})"


class VideoRecurrent(nn.Module):
    """h0 = embed(x); h_{t+1} = block(h_t, x) (input recalled each step); logits = head(h_T)."""

    def __init__(
        self,
        in_channels: int,
        horizon: int,
        width: int = 16,
        depth: int = 2,
        iterations: int = 8,
        cell: Cell = "norm",
        open_only: bool = True,
        ponder: bool = False,
    ) -> None:
        super().__init__()
        self.width, self.depth, self.iterations, self.cell, self.open_only = width, depth, iterations, cell, open_only
        self.embed = nn.Conv2d(in_channels, width, 3, padding=1)
        self.block = RecurrentBlock(width, depth, in_channels, norm=cell == "norm")
        self.head = nn.Sequential(nn.Conv2d(width, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, horizon, 1))
        self.halt = nn.Linear(width, 1) if ponder else None

    @property
    def default_iterations(self) -> int:
        return self.iterations

    def forward(
        self,
        x: torch.Tensor,
        iterations: int | None = None,
        state: torch.Tensor | None = None,
        output: str = "logits",
    ):
        """Iterate from `state` (or the embedding): logits (B, h, H, W), "state" the last state, "states" each one,
        "ponder" (logits after every step (T, B, h, H, W), halting logits (T, B)). With a halting head, "logits" are
        each instance's logits at the first step where its probability of having halted reaches one half."""
        h = F.relu(self.embed(x)) if state is None else state
        recalled = self.block.recall(x)
        states = []
        for _ in range(self.iterations if iterations is None else iterations):
            h = self.block(h, recalled)
            if self.open_only:
                h = h * x[:, OPEN_CHANNEL : OPEN_CHANNEL + 1]
            states.append(h)
        if output == "states":
            return states
        if output == "state":
            return h
        if self.halt is None:
            return self.head(h)
        logits = torch.stack([self.head(s) for s in states])
        halts = torch.stack([self.halt(s.mean(dim=(2, 3))).squeeze(1) for s in states])
        if output == "ponder":
            return logits, halts
        return logits[halting_step(halts), torch.arange(x.shape[0])]

    def describe(self) -> str:
        step = "state rescaled to unit RMS per cell" if self.cell == "norm" else "residual ReLU step"
        where = ", state kept on open cells" if self.open_only else ""
        halting = ", learned halting" if self.halt is not None else ""
        return (
            f"recurrent conv net (weight-tied, {step}{where}, width {self.width}, {self.depth} convs per iteration, "
            f"{self.iterations} iterations by default{halting})"
        )


class VideoTransformer(nn.Module):
    """Position tokens (their neighbourhood's k frames) + row + column embeddings -> `depth` blocks -> h logits."""

    default_iterations = None

    def __init__(self, in_channels: int, horizon: int, width: int = 32, depth: int = 2, heads: int = 4) -> None:
        super().__init__()
        if width % heads:
            raise ValueError(f"video transformer: width {width} must be a multiple of heads {heads}")
        self.width, self.depth, self.heads = width, depth, heads
        self.embed = nn.Conv2d(in_channels, width, STEM, padding=STEM // 2)
        self.rows = nn.Parameter(0.02 * torch.randn(MAX_SIDE, width))
        self.cols = nn.Parameter(0.02 * torch.randn(MAX_SIDE, width))
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(width)
        self.head = nn.Linear(width, horizon)

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Logits (B, h, H, W), or with output="states" the residual stream after each block as (B, width, H, W)."""
        b, _, height, width = x.shape
        if height > MAX_SIDE or width > MAX_SIDE:
            raise ValueError(f"video transformer: grids up to {MAX_SIDE} per side, got {height}x{width}")
        pos = (self.rows[:height, None, :] + self.cols[None, :width, :]).reshape(height * width, -1)
        h = self.embed(x).flatten(2).transpose(1, 2) + pos
        states = []
        for block in self.blocks:
            h = block(h)
            states.append(h.transpose(1, 2).reshape(b, -1, height, width))
        if output == "states":
            return states
        return self.head(self.norm(h)).transpose(1, 2).reshape(b, -1, height, width)

    def describe(self) -> str:
        return f"transformer (a token per position with its 5x5 neighbourhood, width {self.width}, {self.depth} blocks)"
