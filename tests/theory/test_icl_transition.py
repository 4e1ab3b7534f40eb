"""The in-context transition M*: crossings by hand, an interval that holds the truth, open ends where the sweep
does not bracket M*, and a page without data."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mesaopt.theory.contract import ICL_COLUMNS, TheoryContext
from mesaopt.theory.icl_transition import ABOVE, BELOW, ICLTransitionParams, crossing, run, transition


def test_crossing_by_hand():
    m = np.array([1.0, 4.0, 16.0])
    assert crossing(m, np.array([0.0, 0.25, 0.75]), 0.5) == pytest.approx(8.0)  # halfway between 2 and 4 in log2
    assert crossing(m, np.array([0.0, 0.1, 0.2]), 0.5) == ABOVE
    assert crossing(m, np.array([0.6, 0.7, 0.9]), 0.5) == BELOW


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


def test_a_sweep_that_does_not_bracket_m_star_gives_no_value(tmp_path):
    late = _curve(1000.0, seeds=4, noise=0.02)  # the curve stays below 0.5 over M = 1..64
    found = transition(late, 0.5, 200, 0)
    assert math.isnan(found["M_star"]) and math.isnan(found["M_star_hi"]) and found["above_share"] == 1.0
    output = run(ICLTransitionParams(resamples=50), tmp_path, TheoryContext(icl_transition=late))
    assert "does not bracket" in output.text and "M* = " not in output.text


def test_an_interval_end_outside_the_sweep_stays_open():
    """One seed of three is already past the level at the smallest M: resamples of it alone (1 in 27) put M*
    below the sweep, more than the 2.5% tail, so the lower end is open while M* itself is bracketed."""
    rows = [
        ("s", m, seed, position, 0.5, 0.1, 0.1)
        for seed, curve in enumerate([(0.6, 0.8, 0.9), (0.1, 0.4, 0.9), (0.1, 0.3, 0.8)])
        for m, position in zip((2.0, 4.0, 8.0), curve, strict=True)
    ]
    found = transition(pd.DataFrame(rows, columns=list(ICL_COLUMNS)), 0.5, 2000, 0)
    assert 2.0 < found["M_star"] < 8.0 and math.isnan(found["M_star_lo"]) and found["M_star_hi"] <= 8.0
    assert 0.0 < found["below_share"] < 0.1


def test_page_reports_m_star_or_says_there_is_no_data(tmp_path):
    output = run(ICLTransitionParams(resamples=50), tmp_path, TheoryContext(icl_transition=_curve(10.0, 3, 0.02)))
    assert output.table["s.M_star_lo"] <= output.table["s.M_star"] <= output.table["s.M_star_hi"]
    assert "M* = " in output.text and "Published" in output.text
    empty = run(ICLTransitionParams(resamples=50), tmp_path, TheoryContext())
    assert "No in-context runs" in empty.text and empty.figures[0].exists()
