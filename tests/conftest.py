"""Shared helpers: the project's study files, a CLI runner in a subprocess, and small maze tasks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
STUDIES = ROOT / "studies"


def run_cli(*args: str, cwd: Path, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess:
    """Run `python -m mesaopt ARGS` in a fresh process, the way a user would."""
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "mesaopt", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"mesaopt {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def dead_pid() -> int:
    """The id of a process that has exited (a temporary entry named after it is stale)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A working folder holding a copy of the project's studies."""
    shutil.copytree(STUDIES, tmp_path / "studies")
    return tmp_path


@pytest.fixture
def small_maze():
    """A 3 x 3 maze task with a pool of 16 and 64 evaluation instances."""
    from mesaopt.tasks import build_task

    return build_task("maze", {"size": 3, "pool_size": 16, "eval_size": 64}, np.random.SeedSequence(7))
