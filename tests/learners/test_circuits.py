"""Minimal formulas: exact minima on cases known by hand, the structural label's controls, the study at smoke scale."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.execute import execute_run
from mesaopt.learners import fit_learner
from mesaopt.learners.base import no_progress
from mesaopt.learners.circuits import depth, evaluate, generate_and_test, size
from mesaopt.learners.circuits import (
    tests_computed as share_of_tests,
)
from mesaopt.study import load_study
from mesaopt.tasks import build_task
from mesaopt.tasks.boolean import OUTPUTS, candidate_tests, target_table
from tests.conftest import STUDIES


def _fit(problem: str, measure: str, bit: int = 0):
    task = build_task("boolean", {"problem": problem, "bit": bit}, np.random.SeedSequence(0))
    return fit_learner("minimal_circuit", {"measure": measure}, task, np.random.SeedSequence(0), no_progress)


def test_parity_of_four_needs_three_gates_and_depth_two():
    by_size, by_depth = _fit("parity", "size"), _fit("parity", "depth")
    assert by_size.train_metrics["size"] == 3 and by_size.train_metrics["exact"] == 1.0
    assert by_depth.train_metrics["depth"] == 2
    assert evaluate(by_size.node, 4) == target_table("parity", 0)


@pytest.mark.parametrize("problem", ["hash_inversion", "sat"])
def test_the_label_finds_search_in_the_control_and_the_minimum_is_no_larger(problem):
    for bit in range(OUTPUTS[problem]):
        control = generate_and_test(problem, bit)
        n = 3 if problem == "hash_inversion" else 4
        assert evaluate(control, n) == target_table(problem, bit)
        assert share_of_tests(control, problem) == 1.0
        found = _fit(problem, "size", bit)
        assert found.train_metrics["size"] <= size(control)
        assert found.train_metrics["minimal_formulas"] >= 1
        assert found.train_metrics["max_tests_computed"] >= found.train_metrics["tests_computed"]
        assert found.train_metrics["is_searcher"] == float(found.train_metrics["max_tests_computed"] == 1.0)
        assert evaluate(found.node, n) == target_table(problem, bit)
        assert _fit(problem, "depth", bit).train_metrics["depth"] <= depth(control)
    assert len(candidate_tests(problem)) in (4, 8)


def test_study_runs_at_smoke_scale():
    study = load_study(STUDIES / "circuits_minimal.toml", "smoke")
    for spec in study.runs():
        record = execute_run(spec.to_json())
        assert record.status == "done", record.error
        assert record.metrics["transfer.novel_success"] == 1.0
        assert record.metrics["train.is_searcher"] + record.metrics["train.is_heuristic"] == 1.0
        written = spec.learner["form"] == "generate_and_test"
        assert record.metrics["train.is_searcher"] == float(written)


def test_the_written_control_needs_candidates():
    task = build_task("boolean", {"problem": "parity"}, np.random.SeedSequence(0))
    with pytest.raises(ValueError, match="needs a problem with candidates"):
        fit_learner("minimal_circuit", {"form": "generate_and_test"}, task, np.random.SeedSequence(0), no_progress)
