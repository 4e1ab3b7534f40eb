"""The recurrent learner's extrapolation bars, through the budget benchmark itself.

Slow: about 4 minutes on an idle 2-core machine.

Trains the benchmark's default recipe on 5x5 mazes with fresh instances, then checks the accuracy bars on novel
mazes: >= 95% on 5x5 at the training iterations, >= 80% on 9x9 and >= 50% on 13x13 with more iterations. The time
budget is the benchmark's to report, not this test's.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmarks" / "recurrent_budget.py"


@pytest.mark.slow
def test_trained_on_5x5_the_recurrent_net_solves_larger_mazes_with_more_iterations():
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--threads", "2"], capture_output=True, text=True, check=True, timeout=900
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])["results"]
    assert results["novel_5x5_T20"] >= 0.95
    assert max(v for k, v in results.items() if k.startswith("novel_9x9")) >= 0.80
    assert max(v for k, v in results.items() if k.startswith("novel_13x13")) >= 0.50
