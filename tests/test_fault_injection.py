"""The fault-injection script: one fault of each kind, then a rerun; nothing lost, duplicated or recomputed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds worker processes in /proc")
def test_random_kills_lose_duplicate_and_recompute_nothing(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "fault_injection.py"), "--trials", "4", "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1].split(": ", 1)[1])
    assert summary == {"lost": 0, "duplicated": 0, "recomputed": 0, "failed": 0, "orphans": 0}
