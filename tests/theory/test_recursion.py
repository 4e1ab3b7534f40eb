"""Seed 002's nested optimizers: hand cases, the exact chain against closed forms and against Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pydantic
import pytest

from mesaopt.theory.recursion import (
    RecursionParams,
    coherence_check,
    limit_top_survival,
    markov_chain,
    monte_carlo,
    per_period_hazard,
    top_survival,
)

Z99 = 2.5758293035489004
"""Three comparisons per case share one seed, so the bands are 99% ones."""


def test_one_period_by_hand():
    # Rate 1, q*w = 1/4, one unit of budget: the top spawns once with probability 1 - e^-1 and then loses with 1/4.
    trajectory = markov_chain(1.0, 0.25, 1, 3, 1)
    assert trajectory.top[1] == pytest.approx(1 - 0.25 * (1 - math.exp(-1)))
    assert trajectory.depth[1] == pytest.approx(0.25 * (1 - math.exp(-1)))
    assert trajectory.top[0] == 1.0 and trajectory.depth[0] == 0.0


def test_unlimited_budget_depth_one_by_hand():
    # With no budget and a cap of 1 the top survives each period with e^(-rate*q*w), so E[depth] = 1 - e^(-rate*q*w*T).
    trajectory = markov_chain(0.5, 0.2, math.inf, 1, 30)
    t = np.arange(31)
    assert np.allclose(trajectory.top, np.exp(-0.1 * t))
    assert np.allclose(trajectory.depth, 1 - np.exp(-0.1 * t))
    assert float(per_period_hazard(0.5, 0.2)) == pytest.approx(1 - math.exp(-0.1))


@pytest.mark.parametrize("resources", [0, 1, 4, 25, math.inf])
def test_chain_matches_closed_form_top_survival(resources):
    periods = 60
    trajectory = markov_chain(0.3, 0.15, resources, 5, periods)
    expected = top_survival(0.3, 0.15, resources, np.arange(periods + 1))
    assert np.allclose(trajectory.top, expected, atol=1e-12)


def test_nothing_changes_without_spawns_or_depth():
    for trajectory in (markov_chain(0.0, 0.5, 10, 3, 20), markov_chain(2.0, 0.5, 10, 0, 20)):
        assert np.all(trajectory.top == 1.0) and np.all(trajectory.depth == 0.0)
        assert np.all(trajectory.settled == 1.0)


def test_batch_matches_single_runs():
    rates = np.array([0.1, 0.7])
    qw = np.array([0.3, 0.05])
    batch = markov_chain(rates, qw, 6, 3, 15)
    for i in range(2):
        single = markov_chain(rates[i], qw[i], 6, 3, 15)
        assert np.allclose(batch.top[i], single.top) and np.allclose(batch.depth[i], single.depth)


@pytest.mark.parametrize("resources", [3, math.inf])
def test_chain_within_monte_carlo_interval(resources):
    rate, q, w, cap, periods = 0.8, 0.5, 0.3, 3, 30
    exact = markov_chain(rate, q * w, resources, cap, periods)
    simulated = monte_carlo(rate, q, w, resources, cap, periods, paths=20_000, seed=11, z=Z99)
    for t in (periods // 3, 2 * periods // 3, periods):
        assert simulated.top_lo[t] <= exact.top[t] <= simulated.top_hi[t]
        assert simulated.depth_lo[t] <= exact.depth[t] <= simulated.depth_hi[t]


def test_monte_carlo_is_deterministic_in_its_seed():
    first = monte_carlo(0.5, 0.5, 0.5, 8, 4, 20, 500, seed=3)
    again = monte_carlo(0.5, 0.5, 0.5, 8, 4, 20, 500, seed=3)
    other = monte_carlo(0.5, 0.5, 0.5, 8, 4, 20, 500, seed=4)
    assert np.array_equal(first.depth, again.depth) and np.array_equal(first.top, again.top)
    assert not np.array_equal(first.depth, other.depth)


def test_coherence_condition_checked_on_the_chain():
    # A finite budget: the lineage settles and the top keeps power forever with probability (1 - q*w)^R.
    check = coherence_check(0.4, 0.1, 12, 6)
    assert check.top_forever_predicted == pytest.approx(0.9**12)
    assert check.settled_at_horizon == pytest.approx(1.0, abs=1e-9)
    assert check.top_at_horizon == pytest.approx(check.top_forever_predicted, abs=1e-9)
    # Without budget or reachable cap the objective keeps changing at the per-period hazard.
    assert check.unbounded_takeover_rate == pytest.approx(check.unbounded_hazard, rel=1e-9)
    unlimited = coherence_check(0.4, 0.1, math.inf, 6)
    assert unlimited.top_forever_predicted == 0.0
    assert unlimited.top_at_horizon < 1e-6
    assert limit_top_survival(0.0, 0.5, math.inf) == 1.0


def test_too_large_a_chain_is_refused():
    with pytest.raises(ValueError, match="states"):
        markov_chain(0.1, 0.1, 10**6, 5, 3)


def test_params_reject_fractional_budget():
    with pytest.raises(pydantic.ValidationError, match="whole number"):
        RecursionParams(resources=2.5)
    assert math.isinf(RecursionParams(resources="inf").resources)


def test_large_batches_are_solved_in_chunks(monkeypatch):
    rates, qw = np.linspace(0.1, 1.0, 7), np.full(7, 0.2)
    whole = markov_chain(rates, qw, 5, 3, 12)
    monkeypatch.setattr("mesaopt.theory.recursion.MATRIX_ENTRIES", 2 * 36)
    chunked = markov_chain(rates, qw, 5, 3, 12)
    assert np.allclose(whole.top, chunked.top) and np.allclose(whole.depth, chunked.depth)
