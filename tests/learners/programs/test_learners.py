"""Learners, tasks and the LearnedAlgorithm wrapper: determinism, artifacts, seed-003 behaviour, measured costs."""

from __future__ import annotations

import numpy as np

from mesaopt.dsl import decode
from mesaopt.learners import fit_learner
from mesaopt.learners.base import LearnedAlgorithm, no_progress
from mesaopt.learners.programs.costs import measured_costs
from mesaopt.learners.programs.interpret import run
from mesaopt.learners.programs.learners import COMPETITORS, winning_interval
from mesaopt.learners.programs.local import with_exceptions
from mesaopt.tasks import build_task
from mesaopt.tasks.words import DeployConfig, DeployTask, structures
from mesaopt.theory.priors import COMPONENTS, STRUCTURES


def _fit(learner: str, params: dict, task_name: str, task_params: dict, seed: int = 0):
    task = build_task(task_name, task_params, np.random.SeedSequence(seed))
    return task, fit_learner(learner, params, task, np.random.SeedSequence(seed + 1), no_progress)


def test_enumerate_is_a_deterministic_learned_algorithm():
    params = {"g": 1.0, "max_cost": 22, "time_budget_s": 30}
    task, first = _fit("enumerate", params, "hash_inversion", {"bits": 6, "pool_size": 6, "eval_size": 16})
    _, second = _fit("enumerate", params, "hash_inversion", {"bits": 6, "pool_size": 6, "eval_size": 16})
    assert isinstance(first, LearnedAlgorithm)
    assert first.describe() == second.describe()
    volatile = {"candidates_per_s"}
    assert {k: v for k, v in first.train_metrics.items() if k not in volatile} == {
        k: v for k, v in second.train_metrics.items() if k not in volatile
    }
    assert first.structural_label == "searcher" and first.train_metrics["is_searcher"] == 1.0
    assert decode(first.artifacts()["program"]) == first.program
    novel = task.novel()
    assert task.success(novel, first.solve(novel)).all()
    assert (first.solve(novel, iterations=1) == -1).all()


def test_local_search_learners_run_and_report_a_path():
    for learner in ("hillclimb", "genetic"):
        params = {"g": 1.0, "steps": 50, "population": 8, "generations": 3, "curve_points": 5}
        _, found = _fit(learner, params, "hash_inversion", {"bits": 5, "pool_size": 4, "eval_size": 8})
        path = found.train_metrics["loss_path"]
        assert 2 <= len(path) <= 5 and all(b <= a for a, b in zip(path, path[1:], strict=False))
        assert found.structural_label in ("searcher", "memorizer", "heuristic")


def test_local_search_answers_its_training_instances_with_the_exceptions_it_paid_for():
    # A speed prior this strong makes a constant with listed exceptions cheaper than any correct program.
    params = {"g": 64.0, "steps": 100, "restarts": 1}
    task, found = _fit("hillclimb", params, "hash_inversion", {"bits": 6, "pool_size": 8, "eval_size": 16})
    pool = task.train_pool()
    assert task.success(pool, found.solve(pool)).all()
    assert found.train_metrics["exceptions"] > 0 and found.structural_label == "memorizer"


def test_with_exceptions_leaves_a_correct_program_alone():
    task = build_task("hash_inversion", {"bits": 5, "pool_size": 4, "eval_size": 8}, np.random.SeedSequence(0))
    pool = task.train_pool()
    program = ("const", 3)
    values, _ = run(task.dsl, program, pool.inputs)
    patched = with_exceptions(program, pool.inputs, pool.answers, values)
    assert (run(task.dsl, patched, pool.inputs)[0] == pool.answers).all()
    assert with_exceptions(patched, pool.inputs, pool.answers, pool.answers) == patched


def test_seed_003_structures_behave_as_written():
    task = DeployTask(DeployConfig(bits=6, key_words=2, pool_size=8, eval_size=16), np.random.SeedSequence(3))
    train, deploy = task.train_pool(), task.harder()
    programs = structures(6, 2)
    for name in ("Hfh", "Hsd", "Hfd"):
        values, _ = run(task.dsl, programs[name], train.inputs)
        assert (values == train.answers).all(), f"{name} must solve training episodes"
    honest, _ = run(task.dsl, programs["Hfh"], deploy.inputs)
    assert (honest == deploy.answers).all()
    for name in ("Hsd", "Hfd"):
        values, _ = run(task.dsl, programs[name], deploy.inputs)
        assert (values != deploy.answers).mean() > 0.5, f"{name} pursues its own objective in deployment"


def test_measured_costs_cover_the_priors_names_and_add_up():
    costs = measured_costs()
    assert set(COMPONENTS) | set(STRUCTURES) <= set(costs)
    for name, parts in STRUCTURES.items():
        if name == "Hsd":
            continue
        assert sum(costs[p]["c"] for p in parts) == costs[name]["c"]
    assert costs["Hfh"]["t"] < costs["Hsd"]["t"]


def test_honest_rederive_competes_and_its_win_interval_matches_the_scores():
    assert "honest_rederive" in COMPETITORS and {"Hfh", "Hsd", "Hfd"} <= set(COMPETITORS)
    task, found = _fit("structure", {"structure": "Hsd"}, "deploy", {"bits": 6, "key_words": 2, "eval_size": 16})
    metrics = found.train_metrics
    assert "c_honest_rederive" in metrics and "log2_t_honest_rederive" in metrics
    costs = {name: (metrics[f"c_{name}"], 2 ** metrics[f"log2_t_{name}"]) for name in COMPETITORS}
    grid = np.linspace(0, 80, 801)
    for name in COMPETITORS:
        winners = [
            min(costs, key=lambda n: (costs[n][0] + g * np.log2(costs[n][1]), COMPETITORS.index(n))) for g in grid
        ]
        inside = [g for g, w in zip(grid, winners, strict=True) if w == name]
        interval = winning_interval(costs, name)
        if not inside:
            assert interval is None or interval[1] - interval[0] < 0.1, name
            continue
        assert interval is not None and interval[0] - 0.1 <= min(inside) and max(inside) <= interval[1] + 0.1, name
    assert metrics["wins_anywhere"] == float(winning_interval(costs, "Hsd") is not None)


def test_winning_interval_by_hand():
    costs = {"fast": (10.0, 2.0**2), "slow": (4.0, 2.0**5), "both_worse": (12.0, 2.0**6)}
    assert winning_interval(costs, "fast") == (2.0, float("inf"))
    assert winning_interval(costs, "slow") == (0.0, 2.0)
    assert winning_interval(costs, "both_worse") is None
