"""The value-iteration planner with its hidden states restricted to the learned part, the cost-map network.

`planner` exposes its value-iteration maps as hidden states, so a search-state probe on it reads the hard-coded
search. The hard-coded-optimization study asks how much *learned* search remains next to the planner, so this
learner trains exactly the same planner but offers the probe only the cost net's activations ("layer.i"). Solving,
size and compute are the planner's own.
"""

from __future__ import annotations

import numpy as np
import torch

from mesaopt.learners.base import Progress
from mesaopt.learners.config import PlannerConfig
from mesaopt.learners.neural import NeuralSolver, fitter


class CostNetView(NeuralSolver):
    """A trained planner whose hooks are the activations of its cost-map net only."""

    @classmethod
    def of(cls, solver: NeuralSolver) -> CostNetView:
        view = cls.__new__(cls)
        view.__dict__.update(solver.__dict__)
        return view

    def untrained(self) -> CostNetView:
        return CostNetView.of(super().untrained())

    @torch.no_grad()
    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """Each ReLU output of the cost net, and the cost map itself, shaped (B,C,H,W) or (B,H,W)."""
        z = self._inputs(np.asarray(batch.inputs))
        states: dict[str, np.ndarray] = {}
        layer = 0
        for module in self.module.cost_net:
            z = module(z)
            if isinstance(module, torch.nn.ReLU):
                states[f"layer.{layer}"] = z.numpy()
                layer += 1
        states[f"layer.{layer}"] = self.module.cost(self._inputs(np.asarray(batch.inputs))).numpy()
        return states


_fit_planner, _ = fitter("planner")


def fit_planner_costnet(config: PlannerConfig, task, seed: np.random.SeedSequence, progress: Progress) -> CostNetView:
    """Train the planner exactly as `planner` does; probes then see only its learned cost net."""
    return CostNetView.of(_fit_planner(config, task, seed, progress))
