"""The battery core: thresholds fitted from the fit set alone, confusion over cases of known nature."""

from __future__ import annotations

import pytest

from mesaopt.detectors.battery import LABELS, ThresholdSpec, confusion, fit_threshold, fit_thresholds, one_hot
from mesaopt.detectors.maze_battery import MAZE_BATTERY


def _case(name, expected, value, split="fit"):
    return {"name": name, "expected": expected, "split": split, "features": {"x": value}}


SPEC = ThresholdSpec("T", "x", frozenset({"searcher"}), frozenset({"heuristic"}))


def test_a_two_sided_threshold_sits_at_the_midpoint():
    row = fit_threshold(SPEC, [_case("a", "searcher", 0.9), _case("b", "searcher", 1.0), _case("c", "heuristic", 0.3)])
    assert row["fitted"] == pytest.approx(0.6) and row["separates"] and not row["one_sided"]
    assert (row["lowest_case"], row["highest_case"]) == ("a", "c")


def test_a_one_sided_threshold_is_half_the_weakest_case_that_must_reach_it():
    row = fit_threshold(SPEC, [_case("a", "searcher", 0.8), _case("m", "memorizer", 0.99)])
    assert row["fitted"] == pytest.approx(0.4) and row["one_sided"]


def test_overlapping_cases_do_not_separate():
    row = fit_threshold(SPEC, [_case("a", "searcher", 0.5), _case("c", "heuristic", 0.7)])
    assert not row["separates"]


def test_undefined_features_and_filtered_cases_are_left_out():
    spec = ThresholdSpec("T", "x", frozenset({"searcher"}), frozenset({"heuristic"}), lambda c: c["name"] != "skip")
    cases = [_case("a", "searcher", 1.0), _case("n", "heuristic", None), _case("skip", "heuristic", 0.99)]
    assert fit_threshold(spec, cases)["one_sided"]


def test_fitting_refuses_held_out_cases():
    with pytest.raises(ValueError, match="outside the fit set"):
        fit_thresholds(MAZE_BATTERY, [_case("a", "searcher", 1.0, split="held_out")])


def test_confusion_counts_only_cases_of_known_nature():
    cases = [
        {"expected": "searcher", "label": "heuristic"},
        {"expected": None, "label": "searcher"},
        {"expected": "failed", "label": "failed"},
    ]
    matrix = confusion(cases)
    assert sum(map(sum, matrix)) == 2
    assert matrix[LABELS.index("searcher")][LABELS.index("heuristic")] == 1
    assert one_hot("failed") == {f"is_{label}": float(label == "failed") for label in LABELS}


def test_every_threshold_has_a_spec_and_a_copy_can_replace_them():
    assert {spec.name for spec in MAZE_BATTERY.specs} == set(MAZE_BATTERY.thresholds)
    stricter = MAZE_BATTERY.with_(thresholds={**MAZE_BATTERY.thresholds, "SEARCHER_MIN_COMPETENCE": 0.99})
    assert stricter.thresholds["SEARCHER_MIN_COMPETENCE"] == 0.99
    assert MAZE_BATTERY.thresholds["SEARCHER_MIN_COMPETENCE"] != 0.99
