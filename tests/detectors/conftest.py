"""Fixtures for the detector tests: one small maze task with a finite pool."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.tasks import build_task


@pytest.fixture(scope="module")
def maze4():
    """4 x 4 mazes (harder: 7 x 7), a pool of 32, 64 evaluation mazes."""
    return build_task("maze", {"size": 4, "pool_size": 32, "eval_size": 64}, np.random.SeedSequence(3))


@pytest.fixture(scope="package", autouse=True)
def one_torch_thread():
    """The detector tests run small convolutions; one thread avoids oversubscribing the shared CPU."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
