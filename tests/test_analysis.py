"""Effect sizes, bootstrap intervals over seeds, and verdict rules on data whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mesaopt.analysis import (
    TRAIN_SUCCESS_FLOOR,
    analyze,
    endpoint_difference,
    judge,
    premise_failures,
    ranks,
    spearman,
    verdict,
)


def frame(values: dict[int, list[float]], xs=(1, 2, 3, 4)) -> pd.DataFrame:
    rows = [{"seed": s, "x": x, "y": y, "label": x} for s, ys in values.items() for x, y in zip(xs, ys, strict=True)]
    return pd.DataFrame(rows)


def test_ranks_average_ties():
    assert ranks(np.array([10, 20, 20, 5])).tolist() == [2.0, 3.5, 3.5, 1.0]


def test_spearman_matches_hand_computation():
    # ranks x: 1 2 3 4 5, ranks y: 2 1 4 3 5 -> d^2 = 1+1+1+1+0 = 4 -> rho = 1 - 6*4/(5*24) = 0.8
    assert spearman(np.array([1, 2, 3, 4, 5]), np.array([2, 1, 4, 3, 5])) == pytest.approx(0.8)
    assert math.isnan(spearman(np.array([1, 2, 3]), np.array([1, 1, 1])))


def test_endpoint_difference_uses_extreme_axis_values():
    assert endpoint_difference(np.array([1, 1, 5, 5, 3]), np.array([0, 2, 4, 6, 100])) == pytest.approx(4.0)


def test_rising_metric_is_supported_and_falling_is_contradicted():
    up = frame({0: [0.1, 0.2, 0.3, 0.4], 1: [0.0, 0.25, 0.35, 0.5], 2: [0.05, 0.2, 0.4, 0.45]})
    assert analyze(up, "m", "x", "increases").verdict == "supported"
    assert analyze(up, "m", "x", "decreases").verdict == "contradicted"


def test_seeds_that_disagree_are_inconclusive():
    mixed = frame({0: [0, 1, 2, 3], 1: [3, 2, 1, 0], 2: [0, 2, 1, 3], 3: [3, 1, 2, 0]})
    result = analyze(mixed, "m", "x", "increases")
    assert result.verdict == "inconclusive"
    assert result.rho_ci[0] < 0 < result.rho_ci[1]


def test_one_seed_is_always_inconclusive():
    up = frame({0: [0.1, 0.2, 0.3, 0.4]})
    result = analyze(up, "m", "x", "increases")
    assert result.verdict == "inconclusive"
    assert result.rho == pytest.approx(1.0)


def test_flat_rule_uses_the_tolerance():
    flat = frame({0: [1, 1, 1, 1], 1: [1, 1, 1, 1]})
    assert analyze(flat, "m", "x", "flat", tolerance=0.01).verdict == "supported"
    moved = frame({0: [0, 0.3, 0.6, 1], 1: [0, 0.4, 0.6, 0.9]})
    assert analyze(moved, "m", "x", "flat", tolerance=0.01).verdict == "contradicted"


def test_verdict_needs_both_intervals_on_one_side():
    assert verdict("increases", (0.1, 0.9), (0.2, 0.3), None) == "supported"
    assert verdict("increases", (-0.1, 0.9), (0.2, 0.3), None) == "inconclusive"
    assert verdict("decreases", (-0.9, -0.1), (-0.3, -0.2), None) == "supported"
    assert verdict("increases", (math.nan, math.nan), (0.2, 0.3), None) == "inconclusive"


def learned(values: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame([{"condition": c, "train": t} for c, ts in values.items() for t in ts])


def test_a_learner_below_the_training_floor_makes_the_hypothesis_untestable():
    up = frame({0: [0.1, 0.2, 0.3, 0.4], 1: [0.0, 0.25, 0.35, 0.5], 2: [0.05, 0.2, 0.4, 0.45]})
    ok = learned({"learner a": [0.9, 0.8, 1.0], "learner b": [0.6, 0.7, 0.5]})
    assert judge(up, "m", "x", "increases", learned=ok).verdict == "supported"
    bad = learned({"learner a": [0.9, 0.8, 1.0], "learner recurrent": [0.01, 0.03, 0.02]})
    result = judge(up, "m", "x", "increases", learned=bad)
    assert result.verdict == "untestable"
    assert result.reason == f"learner recurrent: train success 0.02 < {TRAIN_SUCCESS_FLOOR:g}"
    assert premise_failures(learned({"c": [float("nan"), 0.9]})) == []


def test_a_metric_that_does_not_vary_is_untestable_and_a_zero_flat_only_for_controls():
    zeros = frame({0: [0, 0, 0, 0], 1: [0, 0, 0, 0], 2: [0, 0, 0, 0]})
    trend = judge(zeros, "m", "x", "increases")
    assert trend.verdict == "untestable" and "does not vary" in trend.reason
    assert judge(zeros, "m", "x", "flat", tolerance=0.05).verdict == "untestable"
    assert judge(zeros, "m", "x", "flat", tolerance=0.05, control=True).verdict == "supported"
    ones = frame({0: [1, 1, 1, 1], 1: [1, 1, 1, 1], 2: [1, 1, 1, 1]})
    assert judge(ones, "m", "x", "flat", tolerance=0.0).verdict == "supported"
    assert judge(frame({}), "m", "x", "increases").reason == "no run reports m"


def test_a_contrast_is_judged_on_the_difference_of_its_two_values():
    # x = 1 is the contrast's first value (A), x = 0 its second (B).
    higher = frame({0: [0.2, 0.6], 1: [0.1, 0.5], 2: [0.3, 0.9]}, xs=(0, 1))
    assert judge(higher, "m", "learner", "greater").verdict == "supported"
    lower = frame({0: [0.6, 0.2], 1: [0.5, 0.1], 2: [0.9, 0.3]}, xs=(0, 1))
    result = judge(lower, "m", "learner", "greater")
    assert result.verdict == "contradicted" and "below 0" in result.reason
    mixed = frame({0: [0.2, 0.6], 1: [0.5, 0.1], 2: [0.3, 0.35]}, xs=(0, 1))
    assert judge(mixed, "m", "learner", "greater").verdict == "inconclusive"
    assert verdict("greater", (math.nan, math.nan), (0.1, 0.2), None) == "supported"


def test_every_verdict_has_a_reason():
    mixed = frame({0: [0, 1, 2, 3], 1: [3, 2, 1, 0], 2: [0, 2, 1, 3], 3: [3, 1, 2, 0]})
    result = analyze(mixed, "m", "x", "increases")
    assert result.verdict == "inconclusive" and "not both on one side of 0" in result.reason


def test_min_effect_contradicts_a_ruled_out_effect_only():
    """An interval wholly below the smallest effect of interest contradicts; one reaching it does not."""
    assert verdict("greater", (0, 0), (-0.01, 0.02), None) == "inconclusive"
    assert verdict("greater", (0, 0), (-0.01, 0.02), None, min_effect=0.05) == "contradicted"
    assert verdict("greater", (0, 0), (0.01, 0.02), None, min_effect=0.05) == "contradicted"
    assert verdict("greater", (0, 0), (0.01, 0.2), None, min_effect=0.05) == "supported"
    assert verdict("greater", (0, 0), (-0.01, 0.2), None, min_effect=0.05) == "inconclusive"
    assert verdict("increases", (0.1, 0.9), (0.2, 0.3), None, min_effect=0.05) == "supported"
    assert verdict("increases", (-0.5, 0.9), (-0.1, 0.03), None, min_effect=0.05) == "contradicted"
    assert verdict("decreases", (-0.9, 0.5), (-0.03, 0.1), None, min_effect=0.05) == "contradicted"
    assert verdict("decreases", (-0.9, 0.5), (-0.2, 0.1), None, min_effect=0.05) == "inconclusive"


def test_min_effect_reason_names_the_bound():
    flat_ish = frame({0: [0.0, 0.01, 0.0, 0.01], 1: [0.01, 0.0, 0.02, 0.0], 2: [0.0, 0.0, 0.01, 0.02]})
    result = judge(flat_ish, "m", "x", "increases", min_effect=0.1)
    assert result.verdict == "contradicted"
    assert "+0.1, the smallest effect of interest" in result.reason


def test_a_resample_with_a_constant_metric_counts_as_no_trend():
    """Seeds that each show the metric constant along the axis must not void the rho interval of the others."""
    mixed = frame({0: [0.0, 0.0, 0.0, 0.0], 1: [0.1, 0.2, 0.3, 0.4], 2: [0.1, 0.2, 0.3, 0.5], 3: [0.0, 0.1, 0.2, 0.3]})
    result = analyze(mixed, "m", "x", "increases")
    assert not math.isnan(result.rho_ci[0]) and not math.isnan(result.rho_ci[1])
    assert result.verdict == "supported"
