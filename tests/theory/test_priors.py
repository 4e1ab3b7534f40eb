"""Seed 003's speed-plus-simplicity comparison against cases worked by hand."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from mesaopt.theory.contract import TheoryContext
from mesaopt.theory.data import measured_program_costs
from mesaopt.theory.priors import (
    DEFAULT_COSTS,
    STRUCTURES,
    Cost,
    PriorsParams,
    favoured,
    phase_grid,
    regions,
    resolve_costs,
    run,
    scores,
    structure_costs,
    tie_rate,
    time_bits,
)

# Round numbers: Hfh c = 4 + 10 = 14, t = 2 + 6 = 8 (3 time bits); Hsd c = 1 + 1 + 10 = 12, t = 58 + 6 = 64 (6 bits);
# Hfd c = 4 + 1 + 2 + 10 = 17, t = 8 + 2 + 6 = 16 (4 bits).
HAND = {
    "get_base_obj": Cost(4, 2),
    "simple_obj": Cost(1, 1),
    "deploy_check": Cost(2, 8),
    "instrumental": Cost(1, 58),
    "search": Cost(10, 6),
}


def test_structure_costs_by_hand():
    costs = structure_costs(HAND, rederive_by_search=False)
    assert costs == {"Hfh": Cost(14, 8), "Hsd": Cost(12, 64), "Hfd": Cost(17, 16)}


def test_rederiving_adds_two_to_the_stored_bits():
    costs = structure_costs(HAND, rederive_by_search=True)
    assert costs["Hsd"] == Cost(12, 64 + 2**4)
    assert costs["Hfh"] == Cost(14, 8)


def test_scores_ties_and_regions_by_hand():
    costs = structure_costs(HAND, rederive_by_search=False)
    at_one = scores(costs, 1.0)
    assert {name: float(v) for name, v in at_one.items()} == {"Hfh": 17.0, "Hsd": 18.0, "Hfd": 21.0}
    # 14 + 3g = 12 + 6g at g = 2/3.
    assert tie_rate(costs, "Hfh", "Hsd") == pytest.approx(2 / 3)
    assert favoured(costs, 0.5) == "Hsd" and favoured(costs, 1.0) == "Hfh"
    found = regions(costs, 2.0)
    assert [name for *_, name in found] == ["Hsd", "Hfh"]
    assert found[0][1] == pytest.approx(2 / 3)
    # Hfd costs more bits and more time than Hfh, so it never ties with it at a non-negative g.
    assert math.isnan(tie_rate(costs, "Hfh", "Hfd"))


def test_power_exchange():
    assert float(time_bits(16.0, "power", 2.0)) == 16.0
    costs = structure_costs(HAND, rederive_by_search=False)
    # 14 + 9g = 12 + 36g at g = 2/27.
    assert tie_rate(costs, "Hfh", "Hsd", "power", 2.0) == pytest.approx(2 / 27)


def test_defaults_give_the_seed_ordering():
    costs = structure_costs(DEFAULT_COSTS)
    expected = (costs["Hfh"].c - costs["Hsd"].c) / (math.log2(costs["Hsd"].t) - math.log2(costs["Hfh"].t))
    assert tie_rate(costs, "Hfh", "Hsd") == pytest.approx(expected)
    assert costs["Hsd"].c < costs["Hfh"].c < costs["Hfd"].c
    assert costs["Hfh"].t < costs["Hfd"].t < costs["Hsd"].t


def test_phase_grid_agrees_with_favoured():
    values = np.array([1.0, 8.0, 30.0])
    g = np.array([0.0, 0.5, 3.0])
    grid = phase_grid(HAND, ("get_base_obj", "c"), values, g, rederive_by_search=False)
    names = list(STRUCTURES)
    for i, value in enumerate(values):
        costs = structure_costs({**HAND, "get_base_obj": Cost(value, 2)}, rederive_by_search=False)
        for j, rate in enumerate(g):
            assert names[grid[i, j]] == favoured(costs, rate)


def test_measured_costs_replace_defaults_and_overrides_win():
    components, offsets = resolve_costs({"get_base_obj": {"c": 20}, "mesaoptimize": {"t": 100}})
    assert components["get_base_obj"] == Cost(20, DEFAULT_COSTS["get_base_obj"].t)
    assert components["search"] == Cost(DEFAULT_COSTS["search"].c, 100)
    assert offsets == {}
    components, _ = resolve_costs({"get_base_obj": {"c": 20}}, {"get_base_obj": {"c": 7}})
    assert components["get_base_obj"].c == 7


def test_measured_structure_total_becomes_an_offset():
    components, offsets = resolve_costs({"Hfh": {"c": 50.0, "t": 300.0}}, rederive_by_search=False)
    costs = structure_costs(components, rederive_by_search=False, offsets=offsets)
    assert costs["Hfh"] == Cost(50.0, 300.0)


def test_bad_measured_keys_are_rejected():
    with pytest.raises(ValueError, match="unknown program_costs keys"):
        resolve_costs({"nonsense": {"c": 1}})
    with pytest.raises(ValueError, match="take 'c' and 't'"):
        resolve_costs({"search": {"bits": 1}})


def test_only_knobs_set_explicitly_override():
    assert PriorsParams().overrides() == {}
    assert PriorsParams(c_search=5, t_get_base_obj=3).overrides() == {"search": {"c": 5}, "get_base_obj": {"t": 3}}


def test_run_takes_measured_costs_and_says_so(tmp_path):
    measured = {name: {"c": cost.c, "t": cost.t} for name, cost in HAND.items()}
    measured["Hsd"] = {"c": 12.0, "t": 64.0}
    context = TheoryContext(program_costs=measured, program_costs_note="measured by a test")
    output = run(PriorsParams(), tmp_path, context)
    # Measured costs switch the brute-force rederiving term off, so the hand numbers come back.
    assert output.table["rederive_by_search"] == "no"
    assert (output.table["c_Hfh"], output.table["t_Hfh"]) == (14.0, 8.0)
    assert (output.table["c_Hsd"], output.table["t_Hsd"]) == (12.0, 64.0)
    assert output.table["g_star_Hfh_vs_Hsd"] == pytest.approx(2 / 3)
    assert "measured by a test" in output.text and output.figures[0].is_file()


def test_missing_measurements_fall_back_to_defaults(monkeypatch):
    monkeypatch.setitem(sys.modules, "mesaopt.learners.programs.costs", None)
    monkeypatch.setitem(sys.modules, "mesaopt.learners.programs", None)
    costs, note = measured_program_costs()
    assert costs is None and note.startswith("documented default costs")


def test_cost_ordering_says_whether_the_essays_premise_holds():
    from mesaopt.theory.priors import Cost, cost_ordering

    premise = {"Hfh": Cost(14, 8), "Hsd": Cost(12, 64), "Hfd": Cost(17, 16)}
    assert "as the essay assumes" in cost_ordering(premise)
    assert cost_ordering(premise).startswith("Measured ordering: by c, Hsd (12) < Hfh (14) < Hfd (17)")
    reversed_premise = {**premise, "Hsd": Cost(50, 64)}
    assert "premise fails" in cost_ordering(reversed_premise)
