"""The in-context transition M*: crossings by hand, an interval that holds the truth, and a page without data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mesaopt.theory.contract import ICL_COLUMNS, TheoryContext
from mesaopt.theory.icl_transition import ICLTransitionParams, crossing, run, transition


def test_crossing_by_hand():
    m = np.array([1.0, 4.0, 16.0])
    assert crossing(m, np.array([0.0, 0.25, 0.75]), 0.5) == pytest.approx(8.0)  # halfway between 2 and 4 in log2
    assert math.isnan(crossing(m, np.array([0.0, 0.1, 0.2]), 0.5))
    assert crossing(m, np.array([0.6, 0.7, 0.9]), 0.5) == 1.0


def _curve(m_star: float, seeds: int, noise: float) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for seed in range(seeds):
        for m in (1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, math.inf):
            position = 1 / (1 + (m_star / m) ** 2) + rng.normal(0, noise) if math.isfinite(m) else math.nan
            rows.append(("s", m, seed, position, 0.5, 0.1, 0.1))
    return pd.DataFrame(rows, columns=list(ICL_COLUMNS))


def test_interval_holds_the_transition_of_a_known_curve():
    found = transition(_curve(10.0, seeds=12, noise=0.03), 0.5, 300, 0)
    # The estimator interpolates between grid points, so its target is the noiseless curve's interpolated crossing.
    clean = _curve(10.0, seeds=1, noise=0.0)
    finite = clean[np.isfinite(clean["M"])]
    target = crossing(finite["M"].to_numpy(), finite["ridge_position"].to_numpy(), 0.5)
    assert target == pytest.approx(10.0, rel=0.1)
    assert found["M_star_lo"] <= target <= found["M_star_hi"]
    assert found["M_star"] == pytest.approx(target, rel=0.3)


def test_page_reports_m_star_or_says_there_is_no_data(tmp_path):
    output = run(ICLTransitionParams(resamples=50), tmp_path, TheoryContext(icl_transition=_curve(10.0, 3, 0.02)))
    assert output.table["s.M_star_lo"] <= output.table["s.M_star"] <= output.table["s.M_star_hi"]
    assert "M* = " in output.text and "Published" in output.text
    empty = run(ICLTransitionParams(resamples=50), tmp_path, TheoryContext())
    assert "No in-context runs" in empty.text and empty.figures[0].exists()
