"""Run the icl tests' tiny torch models on one thread, as the executor's workers do (faster on a shared CPU)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
