"""An information funnel: a target net's weights are a fixed random init plus a fixed random projection of a short
learned code. Only the code is trained, so the learned part is `code_size` numbers whatever the target's size.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.func import functional_call


class HyperNet(nn.Module):
    """theta = theta0 + P z, with theta0 and P drawn at construction (buffers) and the code z learned."""

    def __init__(self, target: nn.Module, code_size: int = 64) -> None:
        super().__init__()
        self._target = [target]  # a plain list keeps the template's own parameters out of this module's
        self.code_size = code_size
        self.code = nn.Parameter(torch.zeros(code_size))
        self.names = [name for name, _ in target.named_parameters()]
        for i, (_, p) in enumerate(target.named_parameters()):
            scale = float(p.detach().std()) if p.numel() > 1 else 0.1
            scale = scale if math.isfinite(scale) and scale > 0 else 0.1
            self.register_buffer(f"theta0_{i}", p.detach().clone())
            self.register_buffer(f"proj_{i}", torch.randn(*p.shape, code_size) * scale / math.sqrt(code_size))

    @property
    def target(self) -> nn.Module:
        return self._target[0]

    @property
    def default_iterations(self) -> int | None:
        return getattr(self.target, "default_iterations", None)

    def weights(self) -> dict[str, torch.Tensor]:
        """The target's parameters generated from the code."""
        return {
            name: getattr(self, f"theta0_{i}") + getattr(self, f"proj_{i}") @ self.code
            for i, name in enumerate(self.names)
        }

    def forward(self, x: torch.Tensor, *args, **kwargs):
        """The target's forward with generated weights; accepts the target's arguments."""
        return functional_call(self.target, self.weights(), (x, *args), kwargs)

    def describe(self) -> str:
        target_params = sum(p.numel() for p in self.target.parameters())
        return (
            f"hypernet: {self.code_size}-number learned code -> {target_params} weights of a {self.target.describe()}"
        )
