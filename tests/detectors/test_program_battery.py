"""The word-task battery: its detectors on known programs, its label rule, and its calibration on a held-out seed."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors import DETECTORS
from mesaopt.detectors.agreement import METRICS as AGREEMENT_METRICS
from mesaopt.detectors.agreement import label_agreement
from mesaopt.detectors.battery import LABELS
from mesaopt.detectors.program_battery import (
    PROFILE_METRICS,
    PROGRAM_MEMORIZER_MIN_GAP,
    PROGRAM_SEARCHER_MIN_RAMP,
    PROGRAM_SEARCHER_MIN_SUCCESS,
    WORD_BATTERY,
    answer_match,
    program_profile_detector,
    ramp_doublings,
    step_budget,
)
from mesaopt.learners.programs.algorithm import ProgramAlgorithm
from mesaopt.learners.programs.interpret import run
from mesaopt.learners.programs.learners import stored_answers
from mesaopt.tasks import build_task


@pytest.fixture(scope="module")
def hash_task():
    return build_task("hash_inversion", {"bits": 8, "pool_size": 8, "eval_size": 48}, np.random.SeedSequence(5))


def _program(task, node):
    return ProgramAlgorithm(task.dsl, node, float(run(task.dsl, node, task.train_pool().inputs)[1].mean()))


def _searcher(task):
    return _program(task, ("search", task.dsl.word_bits, ("h1", ("x",)), ("var", 0)))


def _metrics(pool, novel, ramp):
    return {"transfer.pool_success": pool, "transfer.novel_success": novel, "budget.ramp": ramp}


def label_of(metrics):
    return WORD_BATTERY.label(metrics)


def test_label_rules_by_hand():
    assert label_of(_metrics(1.0, 1.0 - PROGRAM_MEMORIZER_MIN_GAP, 5.0))[0] == "memorizer"
    success = PROGRAM_SEARCHER_MIN_SUCCESS
    assert label_of(_metrics(success, success, PROGRAM_SEARCHER_MIN_RAMP))[0] == "searcher"
    below = PROGRAM_SEARCHER_MIN_SUCCESS - 0.01
    assert label_of(_metrics(0.6, below, 5.0))[0] == "heuristic"
    assert label_of(_metrics(0.0, 0.0, 5.0))[0] == "failed"
    label, reasons = label_of(_metrics(1.0, 1.0, PROGRAM_SEARCHER_MIN_RAMP - 0.01))
    assert label == "heuristic" and any("PROGRAM_SEARCHER_MIN_RAMP" in r for r in reasons)


def test_ramp_counts_doublings_between_ten_and_ninety_percent():
    budgets = np.array([1, 2, 4, 8, 16, 32])
    assert ramp_doublings(budgets, np.array([0, 0, 10, 10, 10, 10.0]), 10) == 0.0  # all at one budget
    assert ramp_doublings(budgets, np.array([0, 1, 3, 6, 9, 10.0]), 10) == 3.0  # 10% at 2 steps, 90% at 16
    assert ramp_doublings(budgets, np.zeros(6), 0) == 0.0  # nothing solved: no ramp


def test_step_budget_separates_a_search_from_a_table(hash_task):
    table = step_budget(_program(hash_task, stored_answers(hash_task.train_pool())), hash_task)
    search = step_budget(_searcher(hash_task), hash_task)
    assert table["has_budget"] == search["has_budget"] == 1.0
    assert table["ramp"] == 0.0 and search["ramp"] >= 2.0
    assert search["full_success"] == 1.0 and search["curve"][-1] == 1.0 and search["curve"][0] == 0.0
    assert all(b >= a for a, b in zip(search["curve"], search["curve"][1:], strict=False))  # more budget never hurts
    assert len(search["curve"]) == len(table["curve"]) == len(search["log2_budget"])


def test_step_budget_without_a_step_count_is_flat(hash_task):
    class Oracle:
        def solve(self, batch, iterations=None):
            return batch.answers

        def hidden_states(self, batch, iterations=None):
            return {}

    result = step_budget(Oracle(), hash_task)
    assert result["has_budget"] == 0.0 and result["ramp"] == 0.0 and set(result["curve"]) == {1.0}


def test_answer_match_tells_truth_from_memory(hash_task):
    search = answer_match(_searcher(hash_task), hash_task)
    assert search["truth"] == 1.0 and search["memory"] < 0.2 and search["margin"] > 0.8
    constant = answer_match(_program(hash_task, ("const", int(hash_task.train_pool().answers[0]))), hash_task)
    assert constant["stored_any"] == 1.0 and constant["truth"] < 0.2


def test_program_profile_is_registered_and_deterministic(hash_task):
    entry = DETECTORS["program_profile"]
    first = entry.run(_searcher(hash_task), hash_task)
    assert set(first) <= set(entry.metrics) == set(PROFILE_METRICS)
    assert {"budget.ramp", "answer_match.truth", "harder.success", "transfer.novel_success"} <= set(first)
    assert [first[f"is_{label}"] for label in LABELS] == [0.0, 0.0, 0.0, 1.0]
    assert first == program_profile_detector(_searcher(hash_task), hash_task)


def test_label_agreement_on_word_tasks(hash_task):
    assert DETECTORS["label_agreement"].metrics == AGREEMENT_METRICS
    result = label_agreement(_searcher(hash_task), hash_task)
    assert result["agrees"] == 1.0 and result["known"] == 1.0 and result["battery_is_searcher"] == 1.0

    class Unlabelled:
        def solve(self, batch, iterations=None):
            return batch.answers

        def hidden_states(self, batch, iterations=None):
            return {}

    unknown = label_agreement(Unlabelled(), hash_task)
    assert unknown["known"] == 0.0 and unknown["agrees"] == 0.0


def test_label_agreement_uses_the_maze_battery_on_mazes():
    from mesaopt.detectors.profile import profile
    from mesaopt.learners.programs.maze import ALL_MOVES, MazeDsl
    from mesaopt.learners.programs.maze_learner import MazeProgram

    task = build_task("maze", {"size": 3, "pool_size": 4, "eval_size": 8}, np.random.SeedSequence(2))
    learned = MazeProgram(MazeDsl(*task.train_pool().cell_shape), ("search", 64, ALL_MOVES, "open", ("goal",)), 1.0)
    result = label_agreement(learned, task)
    assert result[f"battery_is_{profile(learned, task).label}"] == 1.0
    assert result["agrees"] == float(learned.structural_label == profile(learned, task).label)
