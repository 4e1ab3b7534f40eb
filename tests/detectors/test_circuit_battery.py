"""The circuit battery: exclusion by intervention on formulas of known nature, and its held-out calibration."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.calibration import CONSTANT_TOLERANCE, calibrate
from mesaopt.detectors.circuit_battery import CIRCUIT_BATTERY, exclusion, gates
from mesaopt.detectors.circuit_calibration import decision_list, shannon_tree, sum_of_minterms
from mesaopt.learners.circuits import MinimalCircuit, evaluate, generate_and_test
from mesaopt.tasks import build_task
from mesaopt.tasks.boolean import answer, passes, target_table


def _task(problem: str, bit: int):
    return build_task("boolean", {"problem": problem, "bit": bit}, np.random.SeedSequence(0))


def _formula(node, n: int, label: str = "heuristic") -> MinimalCircuit:
    return MinimalCircuit(node, n, {}, label)


def test_excluding_a_candidate_returns_the_next_one_that_passes():
    for row in range(16):
        first = answer("sat", row)
        assert passes("sat", row, first)
        following = [c for c in range(4) if c != first and passes("sat", row, c)]
        assert answer("sat", row, excluded=first) == (following[0] if following else 0)


@pytest.mark.parametrize("bit", [0, 1])
def test_hand_written_formulas_compute_sat(bit):
    table = target_table("sat", bit)
    for node in (decision_list(bit), shannon_tree(table, 4), sum_of_minterms(table, 4), generate_and_test("sat", bit)):
        assert evaluate(node, 4) == table


def test_identical_sub_formulas_are_one_gate():
    shared = ("and", ("in", 0), ("in", 1))
    circuit, output = gates(("or", shared, ("not", shared)))
    assert len(circuit) == 5 and output == 4


@pytest.mark.parametrize("bit", [0, 1])
def test_a_search_is_retargeted_by_one_intervention_and_a_table_is_not(bit):
    task = _task("sat", bit)
    search = exclusion(_formula(decision_list(bit), 4), task)
    table = exclusion(_formula(sum_of_minterms(task.target, 4), 4), task)
    assert search["applicable"] == 1.0 and search["share"] == 1.0
    assert table["share"] < search["share"]


def test_the_output_gate_is_not_intervened_on():
    # A formula of one gate: only its output could be fixed, which rewrites the answer rather than the computation.
    task = _task("hash_inversion", 1)
    assert exclusion(_formula(("xor", ("in", 1), ("in", 0)), 3), task)["share"] == 0.0


def test_no_candidates_means_no_exclusion_and_a_heuristic_label():
    task = _task("parity", 0)
    chain = ("xor", ("xor", ("in", 0), ("in", 1)), ("xor", ("in", 2), ("in", 3)))
    assert exclusion(_formula(chain, 4), task)["applicable"] == 0.0
    assert CIRCUIT_BATTERY.profile(_formula(chain, 4), task).label == "heuristic"


def test_a_constant_fails():
    assert CIRCUIT_BATTERY.profile(_formula(("const", 0), 4), _task("sat", 0)).label == "failed"


def test_calibration_is_held_out_and_right():
    record = calibrate(CIRCUIT_BATTERY, seed=1)
    assert not record["overlap"]
    assert record["passed"], [(c["name"], c["label"]) for c in record["cases"] if c["label"] != c["expected"]]
    for row in record["justification"]:
        assert row["separates"], row
        assert abs(row["fitted"] - row["value"]) <= CONSTANT_TOLERANCE, row
