"""The games battery on players of known nature: fitted thresholds equal the constants, held-out cases get their
labels, and each detector separates the players it should."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors import games
from mesaopt.detectors.battery import confusion, fit_thresholds
from mesaopt.detectors.calibration import calibrate
from mesaopt.detectors.games_battery import GAMES_BATTERY
from mesaopt.learners.game_players import PlayerConfig, build_player
from mesaopt.tasks import build_task

FIT_TOLERANCE = 0.01
"""The constants are the fitted values rounded to two decimals."""


def _task(overrides: dict | None = None):
    params = {k: v for k, v in GAMES_BATTERY.task.items() if k != "name"}
    return build_task("games", {**params, **(overrides or {})}, np.random.SeedSequence(0))


@pytest.fixture(scope="module")
def records() -> list[dict]:
    """The cases through the calibration runner every battery shares (`mesaopt calibrate --fast`), seed 0."""
    return calibrate(GAMES_BATTERY, 0, include_slow=False)["cases"]


def test_fit_and_held_out_cases_are_disjoint_by_algorithm():
    cases = GAMES_BATTERY.cases()
    fit = {c.algorithm for c in cases if c.split == "fit"}
    held = {c.algorithm for c in cases if c.split == "held_out"}
    assert fit and held and not fit & held


def test_thresholds_are_what_the_fit_cases_give(records):
    rows = fit_thresholds(GAMES_BATTERY, [r for r in records if r["split"] == "fit"])
    for row in rows:
        assert row["separates"], row
        assert abs(row["fitted"] - row["value"]) <= FIT_TOLERANCE, row


KNOWN_MISSES = {"rollout_32", "rollout_hash"}
"""Flat Monte Carlo playouts: neither its playout means nor more playouts track minimax values, so the battery calls
it a heuristic (see SEARCHER_MIN_LOOKAHEAD). Its labels were seen before the compute feature last changed, so it is a
documented miss rather than a clean test; the fresh held-out cases (UCT, the one-ply evaluator) are the clean test.
Strict xfail: a fix shows up as a failure to update."""

FRESH = {"uct", "uct_hash", "evaluator"}
"""Held-out players added before the battery was first run on them."""


def test_the_fresh_held_out_set_holds_a_searcher_and_a_heuristic_of_algorithms_the_fit_set_lacks():
    cases = {c.name: c for c in GAMES_BATTERY.cases()}
    fit = {c.algorithm for c in cases.values() if c.split == "fit"}
    fresh = [cases[name] for name in FRESH]
    assert {c.expected for c in fresh} == {"searcher", "heuristic"}
    assert all(c.split == "held_out" and c.algorithm not in fit for c in fresh)


HELD_OUT = [
    pytest.param(c.name, marks=pytest.mark.xfail(strict=True, reason="known miss"))
    if c.name in KNOWN_MISSES
    else c.name
    for c in GAMES_BATTERY.cases()
    if c.split == "held_out" and c.expected is not None
]


@pytest.mark.parametrize("name", HELD_OUT)
def test_held_out_case_gets_its_label(records, name):
    record = next(r for r in records if r["name"] == name)
    assert record["label"] == record["expected"]


def test_held_out_confusion_counts_every_held_out_case(records):
    held = [r for r in records if r["split"] == "held_out"]
    matrix = confusion(held)
    assert sum(map(sum, matrix)) == len(held)
    assert sum(matrix[i][i] for i in range(len(matrix))) == len(held) - len(KNOWN_MISSES)


def test_power_is_zero_for_losing_moves_and_highest_for_minimax():
    task = _task()
    novel = task.novel()
    perfect = games.games_power(build_player(PlayerConfig(kind="minimax", depth=9), task), task)
    rand = games.games_power(build_player(PlayerConfig(kind="random"), task), task)
    assert perfect["novel_bits"] == pytest.approx(perfect["novel_max_bits"])
    assert rand["novel_bits"] < perfect["novel_bits"]
    worst = task.solver.move_values(novel).argmin(axis=1)
    bits, _ = games.power_bits(task, novel, worst)
    losing = task.solver.move_values(novel).min(axis=1) < task.solver.value(novel)
    assert np.all(bits[losing] == 0)


def test_probe_reads_the_search_tree_of_minimax_and_not_of_random_play():
    task = _task()
    search = games.games_probe(build_player(PlayerConfig(kind="minimax", depth=9), task), task)
    rand = games.games_probe(build_player(PlayerConfig(kind="random"), task), task)
    assert search["score"] > 0.5 > rand["score"]
    assert search["probe"] > search["input"]


def test_accuracy_by_depth_shows_a_shallow_search_failing_deep_positions():
    task = _task()
    shallow = games.games_accuracy(build_player(PlayerConfig(kind="minimax", depth=1), task), task)
    deep = games.games_accuracy(build_player(PlayerConfig(kind="minimax", depth=9), task), task)
    assert deep["by_depth"] == [1.0 if n else 0.0 for n in deep["by_depth_count"]]
    assert shallow["by_depth"][0] == 1.0
    assert shallow["deep_accuracy"] < deep["deep_accuracy"] == 1.0
