"""The speed-prior learner trains the recurrent recipe's net when asked (cell, open_only, horizon)."""

from __future__ import annotations

import numpy as np

from mesaopt.learners import LEARNERS
from mesaopt.tasks import build_task


def test_speed_prior_trains_the_cell_it_is_given_and_keeps_the_relu_default():
    maze = build_task("maze", {"size": 3, "pool_size": 16, "eval_size": 16}, np.random.SeedSequence(3))
    entry = LEARNERS["speed_prior"]
    base = {"steps": 5, "width": 4, "start_iterations": 2, "grow_by": 2, "max_iterations": 4}
    assert entry.config.model_validate(base).cell == "relu"
    config = entry.config.model_validate({**base, "cell": "norm", "open_only": True, "horizon": 3.0})
    solver = entry.fit(config, maze, np.random.SeedSequence(0), lambda *_: None)
    assert (solver.module.cell, solver.module.open_only) == ("norm", True)
    assert solver.train_metrics["chosen_iterations"] in (2.0, 4.0)
    assert solver.solve(maze.novel(8)).shape == (8, 7, 7)
