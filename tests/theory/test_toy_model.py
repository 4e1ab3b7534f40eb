"""The §2.1 toy model against cases worked by hand, and its closed forms against numeric solutions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mesaopt.theory.contract import DIVERSITY_COLUMNS, TheoryContext
from mesaopt.theory.toy_model import (
    DOMINANCE_SHARE,
    CostFunction,
    ToyModelParams,
    critical_n,
    critical_n_numeric,
    fit_cost_function,
    fit_sources,
    lambert_w,
    learned_runs,
    mesa_share,
    onset_n,
    optimal_mesa_bits,
    optimal_mesa_bits_numeric,
    per_instance_power,
    predicted_power,
    run,
)


def test_linear_cost_is_all_or_nothing():
    # f = 2m, x = 10: below N = 2 tuning wins (P = x/N); above it the whole budget buys search, m = x/2 = 5.
    cost = CostFunction("linear", 2.0)
    assert optimal_mesa_bits(10.0, 1.0, cost) == 0.0
    assert per_instance_power(0.0, 10.0, 1.0, cost) == 10.0
    assert optimal_mesa_bits(10.0, 4.0, cost) == 5.0
    assert per_instance_power(5.0, 10.0, 4.0, cost) == 5.0
    assert onset_n(10.0, cost) == 2.0 and critical_n(10.0, cost) == 2.0


def test_convex_power_law_interior_optimum():
    # f = m^2, x = 100, N = 10: f'(m) = 2m = N gives m = 5, f = 25, P = (100 - 25)/10 + 5 = 12.5.
    cost = CostFunction("power", 1.0, 2.0)
    assert optimal_mesa_bits(100.0, 10.0, cost) == pytest.approx(5.0)
    assert per_instance_power(5.0, 100.0, 10.0, cost) == pytest.approx(12.5)
    assert onset_n(100.0, cost) == 0.0


def test_power_law_critical_n_by_hand():
    # f = 2m^3, x = 8: at N = 6, m = (6/6)^(1/2) = 1, f = 2, P = (8 - 2)/6 + 1 = 2, so the search supplies half.
    cost = CostFunction("power", 2.0, 3.0)
    assert critical_n(8.0, cost) == pytest.approx(6.0)
    assert optimal_mesa_bits(8.0, 6.0, cost) == pytest.approx(1.0)
    assert mesa_share(8.0, 6.0, cost) == pytest.approx(DOMINANCE_SHARE)


def test_concave_power_law_jumps_to_the_budget():
    # f = sqrt(m), x = 4: the most search the budget buys is 16 bits; it beats P(0) = 4/N once N > 4/16.
    cost = CostFunction("power", 1.0, 0.5)
    assert onset_n(4.0, cost) == pytest.approx(0.25)
    assert optimal_mesa_bits(4.0, 1.0, cost) == pytest.approx(16.0)
    assert optimal_mesa_bits(4.0, 0.2, cost) == 0.0


def test_exponential_cost_by_hand():
    # f = e^m - 1, x = e^2 - 1 (so at most m = 2), N = e: f'(m) = e^m = N gives m = 1 and P = e.
    cost = CostFunction("exponential", 1.0, 1.0)
    x = math.e**2 - 1
    assert optimal_mesa_bits(x, math.e, cost) == pytest.approx(1.0)
    assert per_instance_power(1.0, x, math.e, cost) == pytest.approx(math.e)
    assert onset_n(x, cost) == 1.0
    assert optimal_mesa_bits(x, 1e6, cost) == pytest.approx(2.0)
    assert optimal_mesa_bits(x, math.inf, cost) == pytest.approx(2.0)


def test_lambert_w_known_values():
    assert lambert_w(0.0) == 0.0
    assert lambert_w(math.e) == pytest.approx(1.0, rel=1e-14)
    assert lambert_w(1.0) == pytest.approx(0.5671432904097838, rel=1e-14)  # the omega constant
    w = lambert_w(1e8)
    assert w * math.exp(w) == pytest.approx(1e8, rel=1e-12)
    with pytest.raises(ValueError):
        lambert_w(-0.1)


@pytest.mark.parametrize(
    "cost",
    [
        CostFunction("linear", 3.0),
        CostFunction("power", 0.5, 1.7),
        CostFunction("power", 2.0, 0.6),
        CostFunction("exponential", 4.0, 0.25),
        CostFunction("exponential", 0.1, 2.0),
    ],
)
def test_closed_form_optimum_matches_numeric_search(cost):
    for x in (3.0, 40.0, 500.0):
        for n in (0.5, 2.0, 9.0, 70.0, 3000.0):
            closed = float(optimal_mesa_bits(x, n, cost))
            numeric = optimal_mesa_bits_numeric(x, n, cost, float(cost.inverse(x)))
            best = float(per_instance_power(closed, x, n, cost))
            assert best >= float(per_instance_power(numeric, x, n, cost)) - 1e-9 * max(1.0, abs(best))


@pytest.mark.parametrize(
    "cost",
    [CostFunction("power", 0.5, 1.7), CostFunction("exponential", 4.0, 0.25), CostFunction("exponential", 0.1, 2)],
)
def test_closed_form_critical_n_matches_bisection(cost):
    for x in (5.0, 64.0, 2000.0):
        assert critical_n(x, cost) == pytest.approx(critical_n_numeric(x, cost), rel=1e-9)
        assert float(mesa_share(x, critical_n(x, cost), cost)) == pytest.approx(DOMINANCE_SHARE, abs=1e-9)


def test_fit_recovers_a_curve_generated_by_the_model():
    truth = CostFunction("exponential", 2.0, 0.3)
    rng = np.random.default_rng(0)
    levels = np.array([1, 4, 16, 64, 256, 1024, np.inf], dtype=float)
    n = np.repeat(levels, 3)
    noise = 0.3
    clean = predicted_power(n, 40.0, truth, "novel")
    fit = fit_cost_function(n, clean + rng.normal(0, noise, n.size), "exponential", "novel")
    assert fit.points == n.size
    assert fit.rmse < 2 * noise
    fitted = predicted_power(levels, fit.x, fit.cost, "novel")
    assert np.max(np.abs(fitted - predicted_power(levels, 40.0, truth, "novel"))) < 4 * noise


def test_fit_needs_finite_points():
    with pytest.raises(ValueError, match="no finite"):
        fit_cost_function(np.array([1.0]), np.array([np.nan]), "linear")


def test_sources_that_cannot_identify_f_are_not_fitted():
    truth = CostFunction("exponential", 2.0, 0.3)
    levels = [1.0, 4.0, 16.0, 64.0, math.inf]
    rows = [("s", "good", n, 0, float(predicted_power(n, 40.0, truth, "novel")), 9.5, 10.0) for n in levels]
    rows += [("s", "two_sizes", n, 0, 1.0 + n, 10.0, 10.0) for n in (1.0, 4.0)]
    rows += [("s", "flat", n, seed, 0.0, 10.0, 10.0) for n in levels for seed in (0, 1)]
    data = pd.DataFrame(rows, columns=list(DIVERSITY_COLUMNS))
    fits, skipped = fit_sources(data, "exponential", "novel")
    assert list(fits) == ["good"]
    assert skipped == {
        "flat": "power is 0 bits at every N, which does not identify f",
        "two_sizes": "2 pool sizes, fewer than the 3 parameters to fit",
    }
    # Linear f has two parameters, so two pool sizes are enough for it.
    assert "two_sizes" in fit_sources(data, "linear", "novel")[0]


def test_only_runs_that_learned_are_fitted_and_the_fit_is_refused_when_none_did(tmp_path):
    truth = CostFunction("exponential", 2.0, 0.3)
    levels = [1.0, 4.0, 16.0, 64.0, math.inf]
    good = [("s", "net", n, 0, float(predicted_power(n, 40.0, truth, "novel")), 10.0, 10.0) for n in levels]
    # The same source's runs that fit under half their pool: wildly off the model, and left out of the fit.
    failed = [("s", "net", n, 1, 100.0 + n, 4.0, 10.0) for n in levels if math.isfinite(n)]
    data = pd.DataFrame(good + failed, columns=list(DIVERSITY_COLUMNS))
    assert learned_runs(data).tolist() == [True] * len(good) + [False] * len(failed)
    fits, _ = fit_sources(data, "exponential", "novel")
    assert fits["net"].points == len(good) and fits["net"].rmse < 1.0
    none_learned = data.assign(pool_bits=1.0)
    fits, skipped = fit_sources(none_learned, "exponential", "novel")
    assert fits == {} and skipped["net"].startswith("no run learned its task")
    output = run(ToyModelParams(), tmp_path, TheoryContext(diversity_power=none_learned))
    assert output.table["fit_data"] == "none" and "refused" in output.text
    assert output.table["learned_runs"] == f"0 of {len(data)}"
