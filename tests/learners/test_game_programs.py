"""Program search over the game DSL: what it can find, and that it returns the least-scoring program."""

from __future__ import annotations

import math

import numpy as np

from mesaopt.detectors.games import decisive
from mesaopt.learners import fit_learner
from mesaopt.learners.base import default_iterations
from mesaopt.learners.game_programs import GameProgram, choose, rule_features
from mesaopt.tasks import build_task


def _fit(game: str, **params) -> tuple[GameProgram, object]:
    task = build_task("games", {"game": game, "pool_size": 64, "bits": 12, "depth": 3}, np.random.SeedSequence(0))
    return fit_learner("game_program", params, task, np.random.SeedSequence(0), lambda s, t: None), task


def test_no_rule_list_plays_the_hash_game_so_its_program_searches():
    program, task = _fit("hash2", g=16.0)
    assert program.structural_label == "searcher"
    assert program.train_metrics["reached_target"] == 1.0
    pool = task.train_pool()
    rules = rule_features(pool)
    legal = task.solver.legal(pool)
    mask = decisive(task, pool)
    for name, feature in rules.items():
        hit = task.success(pool, choose([feature], legal))
        assert hit[mask].mean() < 0.95, name


def test_no_single_feature_that_reaches_the_target_scores_below_the_returned_program():
    for g in (0.0, 16.0):
        program, task = _fit("tictactoe", g=g, max_depth=4)
        pool = task.train_pool()
        mask, legal = decisive(task, pool), task.solver.legal(pool)
        best = program.bits + g * math.log2(program.steps)
        features = {**rule_features(pool)}
        for d in range(1, 5):
            values = task.solver.move_values(pool, d)
            features[f"search{d}"] = np.where(values == -2, -1.0, values)
        for name, feature in features.items():
            single = GameProgram((name,), 0.0, 1.0, {})
            if task.success(pool, choose([feature], legal))[mask].mean() >= 0.95:
                steps = _steps_of(single, pool, name, task)
                assert best <= program.bits / len(program.tokens + ("end",)) * 2 + g * math.log2(steps) + 1e-9
        assert task.success(pool, program.solve(pool))[mask].mean() == program.train_metrics["train_accuracy"]


def _steps_of(program: GameProgram, pool, name: str, task) -> float:
    from mesaopt.learners.game_programs import line_check, rule_steps, search_nodes

    if name.startswith("search"):
        return float(search_nodes(pool, int(name[6:])).mean()) * line_check(pool)
    return rule_steps(pool, name)


def test_a_search_program_has_an_iteration_knob_and_rules_do_not():
    search, _ = _fit("hash2", g=0.0)
    assert search.default_iterations == search.train_metrics["search_depth"]
    rules, _ = _fit("tictactoe", g=64.0)
    assert rules.structural_label == "heuristic"
    assert default_iterations(rules) is None
