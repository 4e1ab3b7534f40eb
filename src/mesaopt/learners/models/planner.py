"""Hard-coded optimization: differentiable value iteration over the grid; the learned part is only the cost map.

A small conv net maps the grid to a positive cost per cell (the objective). Value iteration then computes, for
every cell, the cheapest cost to the goal and from the start. A cell lies on a cheapest start-goal path exactly
when the two add up to the cheapest total, so the path logit is scale * (margin - excess), with excess >= 0.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

UNREACHED = 1e4
"""Value of cells the iteration has not reached yet; larger than any cost sum on the grids we use."""


def relax(value: torch.Tensor, cost: torch.Tensor) -> torch.Tensor:
    """One Bellman step on the 4-neighbour grid: v(s) <- min(v(s), c(s) + min over neighbours v(n))."""
    padded = F.pad(value, (1, 1, 1, 1), value=UNREACHED)
    neighbours = torch.stack(
        [padded[:, :-2, 1:-1], padded[:, 2:, 1:-1], padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]]
    ).amin(dim=0)
    return torch.minimum(value, cost + neighbours)


class ValueIterationPlanner(nn.Module):
    """cost = softplus(convnet(grid)); K steps of value iteration from the goal and from the start; read the path."""

    def __init__(self, width: int = 16, depth: int = 2, iterations: int = 60) -> None:
        super().__init__()
        self.width, self.depth, self.iterations = width, depth, iterations
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Conv2d(3 if i == 0 else width, width, 3, padding=1), nn.ReLU()]
        layers.append(nn.Conv2d(width if depth else 3, 1, 1))
        self.cost_net = nn.Sequential(*layers)
        self.log_scale = nn.Parameter(torch.zeros(()))
        self.margin = nn.Parameter(torch.tensor(0.5))

    @property
    def default_iterations(self) -> int:
        return self.iterations

    def cost(self, x: torch.Tensor) -> torch.Tensor:
        """The learned objective: a positive cost per grid cell, (B,H,W)."""
        return F.softplus(self.cost_net(x).squeeze(1)) + 1e-3

    def values(self, cost: torch.Tensor, source: torch.Tensor, iterations: int) -> list[torch.Tensor]:
        """Value maps after each step, from the source cells (value 0)."""
        value = torch.where(source > 0, torch.zeros_like(cost), torch.full_like(cost, UNREACHED))
        out = []
        for _ in range(iterations):
            value = torch.minimum(relax(value, cost), value)
            out.append(value)
        return out

    def forward(self, x: torch.Tensor, iterations: int | None = None, output: str = "logits"):
        """Path logits (B,H,W); output="states" gives the goal value maps after each step."""
        k = self.iterations if iterations is None else iterations
        cost = self.cost(x)
        to_goal = self.values(cost, x[:, 2], k)
        if output == "states":
            return to_goal
        from_start = self.values(cost, x[:, 1], k)[-1]
        to_goal_final = to_goal[-1]
        start_mask = x[:, 1] > 0
        total = (to_goal_final * start_mask).sum(dim=(1, 2)) - (cost * start_mask).sum(dim=(1, 2))
        excess = from_start + to_goal_final - cost - total[:, None, None]
        return self.log_scale.exp() * 10.0 * (self.margin - excess)

    def describe(self) -> str:
        return (
            f"value-iteration planner ({self.iterations} Bellman steps by default; learned part: a cost map from a "
            f"{self.depth}-layer conv net of width {self.width})"
        )
