"""A weight-tied convolutional block iterated T times, with the input recalled at every iteration.

Fully convolutional, so it runs on grids of any size and for any number of iterations. Options the
inductive-bias studies sweep: tied or untied weights across iterations, learned halting (a ponder head), a state
carried from one episode to the next, the cell: the residual ReLU step (`relu`, unbounded) or the same step with
the state of each cell rescaled to unit root-mean-square over its channels (`norm`), and `open_only`: after every
step the state is zeroed on wall cells (input channel 0 is the open mask), so information travels along corridors
only. A bounded state on open cells is what lets a net trained for T iterations keep its answer, or finish it, when
run for many more (see `horizon` in the recurrent learner's config).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from mesaopt.learners.config import CELLS, Cell

HEAD_WIDTH = 8
"""Channels of the small read-out head that turns the state into a per-cell path logit."""

NORM_EPS = 1e-2
"""Added to the mean square before the `norm` cell divides by its root: a cell whose state is all zeros stays zero."""

OPEN_CHANNEL = 0
"""Input channel that marks open cells (the maze grid's channels are [open, start, goal])."""


def rms_normalize(h: torch.Tensor) -> torch.Tensor:
    """Rescale each grid cell's state vector to root-mean-square 1 over the channels (no learned gain)."""
    return h / torch.sqrt(h.pow(2).mean(dim=1, keepdim=True) + NORM_EPS)


def halting_step(halts: torch.Tensor) -> torch.Tensor:
    """Per instance, the first step at which its probability of having halted reaches one half (the last step if
    none does), from the halting logits (T, B)."""
    halted = 1 - torch.cumprod(1 - torch.sigmoid(halts), dim=0) >= 0.5
    halted[-1] = True
    return halted.float().argmax(dim=0)


class RecurrentBlock(nn.Module):
    """One iteration: `depth` 3x3 convolutions over [state, input], added to the state (a residual step).

    The first convolution over the concatenation [state, input] is split into a state part and an input part
    (`recall`); the input part does not change between iterations, so it is computed once per forward pass.
    With `norm`, the new state of each grid cell is rescaled to unit RMS over its channels.
    """

    def __init__(self, width: int, depth: int, in_channels: int = 3, norm: bool = False) -> None:
        super().__init__()
        self.norm = norm
        self.recall = nn.Conv2d(in_channels, width, 3, padding=1)
        self.convs = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1, bias=i > 0) for i in range(depth))

    def forward(self, h: torch.Tensor, recalled: torch.Tensor) -> torch.Tensor:
        """One step from state h, given `recall(x)` of the input."""
        z = self.convs[0](h) + recalled
        for conv in self.convs[1:]:
            z = conv(F.relu(z))
        h = torch.relu(h + z)
        return rms_normalize(h) if self.norm else h


class RecurrentNet(nn.Module):
    """h0 = embed(x); h_{t+1} = block_t(h_t, x); logits = head(h_T). Untied blocks reuse the last beyond T."""

    def __init__(
        self,
        width: int = 32,
        depth: int = 2,
        iterations: int = 20,
        tied: bool = True,
        ponder: bool = False,
        cell: Cell = "relu",
        open_only: bool = False,
    ) -> None:
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"unknown recurrent cell {cell!r}; expected one of {CELLS}")
        self.width, self.depth, self.iterations, self.tied, self.ponder = width, depth, iterations, tied, ponder
        self.cell, self.open_only = cell, open_only
        self.embed = nn.Conv2d(3, width, 3, padding=1)
        norm = cell == "norm"
        self.blocks = nn.ModuleList(RecurrentBlock(width, depth, norm=norm) for _ in range(1 if tied else iterations))
        self.head = nn.Sequential(nn.Conv2d(width, HEAD_WIDTH, 3, padding=1), nn.ReLU(), nn.Conv2d(HEAD_WIDTH, 1, 1))
        self.halt = nn.Linear(width, 1) if ponder else None

    @property
    def default_iterations(self) -> int:
        return self.iterations

    def initial_state(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.embed(x))

    def block(self, t: int) -> RecurrentBlock:
        return self.blocks[min(t, len(self.blocks) - 1)]

    @staticmethod
    def carry(h: torch.Tensor) -> torch.Tensor:
        """The state handed to the next episode, squashed so that it cannot grow from episode to episode."""
        return torch.tanh(h.detach())

    def readout(self, h: torch.Tensor) -> torch.Tensor:
        return self.head(h).squeeze(1)

    def halting_logit(self, h: torch.Tensor) -> torch.Tensor:
        """Per-instance logit of stopping after this state (ponder models only)."""
        return self.halt(h.mean(dim=(2, 3))).squeeze(1)

    def forward(
        self,
        x: torch.Tensor,
        iterations: int | None = None,
        state: torch.Tensor | None = None,
        start: int = 0,
        output: str = "logits",
    ):
        """Iterate from `state` (or the embedding) for `iterations` steps, numbered from `start`.

        output: "logits" (B,H,W) path logits; "state" the final state; "states" the list of states after each step;
        "ponder" (per-step logits (T,B,H,W), per-step halting logits (T,B)).
        """
        t_max = self.iterations if iterations is None else iterations
        h = self.initial_state(x) if state is None else state
        states, logits, halts = [], [], []
        recalled: dict[int, torch.Tensor] = {}
        for t in range(start, start + t_max):
            block = self.block(t)
            if id(block) not in recalled:
                recalled[id(block)] = block.recall(x)
            h = block(h, recalled[id(block)])
            if self.open_only:
                h = h * x[:, OPEN_CHANNEL : OPEN_CHANNEL + 1]
            if output == "states":
                states.append(h)
            elif output == "ponder":
                logits.append(self.readout(h))
                halts.append(self.halting_logit(h))
        if output == "state":
            return h
        if output == "states":
            return states
        if output == "ponder":
            return torch.stack(logits), torch.stack(halts)
        return self.readout(h)

    def describe(self) -> str:
        kind = "weight-tied" if self.tied else "untied"
        extra = ", learned halting" if self.ponder else ""
        step = "residual ReLU step"
        if self.cell == "norm":
            step += ", state rescaled to unit RMS per cell"
        if self.open_only:
            step += ", state kept on open cells only"
        return (
            f"recurrent conv net ({kind}, {step}, width {self.width}, {self.depth} 3x3 convs per iteration, "
            "input recalled, "
            f"{self.iterations} iterations by default{extra})"
        )
