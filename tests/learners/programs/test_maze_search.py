"""The maze language under the shared enumerator and the local searches: the enumerator returns the score-minimal
maze program (checked by brute force through the interpreter, for several g), its kept programs are exactly what
the interpreter computes, and pruning never merges a searcher with the stored path that gives the same answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mesaopt.dsl import gamma_bits
from mesaopt.learners.programs.maze import ENUM_MAX_DEPTH, MazeDsl, feature_key, moves_of, run, structural_label
from mesaopt.learners.programs.maze_search import FEATURES, MazeEnumConfig, MazeEnumerator, enumerate_maze, pack
from mesaopt.tasks.maze import MazeConfig, MazeTask, path_cells, shortest_path
from tests.learners.programs.test_maze import hand_maze

MAX_COST = 17
CAP = 512
"""A small hard step cap keeps the brute force quick (the enumerator drops the same over-cap programs)."""


def every_program(dsl: MazeDsl, grids: np.ndarray, targets: np.ndarray, max_cost: int) -> list[tuple]:
    """Every maze program of at most max_cost bits, listed production by production from the grammar (tables: only
    those whose entries are the training answers, since any other table answers some training maze wrongly)."""
    out: list[tuple] = []
    length = 0
    while 2 + gamma_bits(length + 1) + 2 * length <= max_cost:
        for index in range(4**length):
            out.append(("moves", tuple((index >> (2 * (length - 1 - p))) & 3 for p in range(length))))
        length += 1
    paths = [moves_of(cells) for cells in path_cells(grids, targets)]
    for feature in FEATURES:
        entries = {}
        if all(entries.setdefault(feature_key(g, feature), p) == p for g, p in zip(grids, paths, strict=True)):
            out.append(("table", feature, tuple(sorted(entries.items()))))
    objectives = [("goal",)] + [("cell", i) for i in range(dsl.cells)]
    k = 1
    while 2 + gamma_bits(k) + 4 + 1 + 1 <= max_cost:
        for objective in objectives:
            out.append(("greedy", k, objective))
            out += [("search", k, m, space, objective) for m in range(16) for space in ("open", "all")]
        k += 1
    for k in range(1, ENUM_MAX_DEPTH + 1):
        out += [("enum", k, m, objective) for m in range(16) for objective in objectives]
    return [p for p in out if dsl.cost(p) <= max_cost]


def small_maze(size: int, seed: int, pool: int = 1):
    config = MazeConfig(
        size=size, pool_size=pool, eval_size=4, start_region="top-left", goal_region="bottom-right", loops=0.3
    )
    grids = np.asarray(MazeTask(config, np.random.SeedSequence(seed)).train_pool().grids)
    return grids, MazeDsl((grids.shape[-2] - 1) // 2, (grids.shape[-1] - 1) // 2)


CASES = [
    ("hand", 0),
    ("size3", 0),
    pytest.param("size3", 1, marks=pytest.mark.slow),
    pytest.param("pool2", 2, marks=pytest.mark.slow),
]


def case(name: str, seed: int):
    if name == "hand":
        return hand_maze(), MazeDsl(2, 2)
    return small_maze(3, seed, pool=2 if name == "pool2" else 1)


_BRUTE: dict = {}


def brute(name: str, seed: int):
    """Every program of at most MAX_COST bits with its c, mean t and whether it is correct (computed once)."""
    if (name, seed) not in _BRUTE:
        grids, dsl = case(name, seed)
        targets = shortest_path(grids)
        rows = []
        for program in every_program(dsl, grids, targets, MAX_COST):
            masks, steps = run(dsl, program, grids, CAP)
            rows.append((program, dsl.cost(program), float(steps.mean()), bool((masks == targets).all())))
        _BRUTE[(name, seed)] = (grids, dsl, targets, rows)
    return _BRUTE[(name, seed)]


@pytest.mark.parametrize(("name", "seed"), CASES)
@pytest.mark.parametrize("g", [0.0, 0.5, 1.0, 2.0, 4.0])
def test_enumerator_returns_the_score_minimal_maze_program(name, seed, g):
    grids, dsl, targets, rows = brute(name, seed)
    scores = [c + g * math.log2(t) for _, c, t, ok in rows if ok and t <= CAP]
    assert scores, "the brute force found no correct program: raise MAX_COST"
    result, _ = enumerate_maze(
        dsl, grids, targets, MazeEnumConfig(g=g, max_cost=MAX_COST, max_steps=CAP, time_budget_s=120)
    )
    assert result.program is not None
    assert result.score == pytest.approx(min(scores))
    masks, steps = run(dsl, result.program, grids)
    assert (masks == targets).all()
    assert result.c == dsl.cost(result.program) and result.t == pytest.approx(steps.mean())


def test_kept_programs_are_what_the_interpreter_computes_and_every_signature_is_kept():
    grids, dsl, targets, rows = brute("size3", 0)
    limit = 15
    enumerator = MazeEnumerator(dsl, grids, targets, MazeEnumConfig(g=1e9, max_cost=limit, max_steps=CAP))
    enumerator.run()
    kept = set()
    for cost, level in enumerator.levels["main"].items():
        arrays = level.arrays()
        if arrays is None:
            continue
        for pid, vals, steps in zip(*arrays, strict=True):
            program = enumerator.node(int(pid))
            assert dsl.cost(program) == cost
            masks, true_steps = run(dsl, program, grids, CAP)
            assert (pack(masks, enumerator.n_words) == vals).all() and (true_steps == steps).all()
            signature = (vals.tobytes(), tuple(steps))
            assert signature not in kept, "two kept programs share outputs and steps"
            kept.add(signature)
    every = set()
    for program, c, _, _ in rows:
        if c <= limit:
            masks, steps = run(dsl, program, grids, CAP)
            if (steps <= CAP).all():  # the hard cap drops the rest
                every.add((pack(masks, enumerator.n_words).tobytes(), tuple(steps)))
    assert every == kept


def test_pruning_never_merges_a_searcher_with_the_stored_path_it_reproduces():
    grids, dsl = hand_maze(), MazeDsl(2, 2)
    targets = shortest_path(grids)
    enumerator = MazeEnumerator(dsl, grids, targets, MazeEnumConfig(g=1e9, max_cost=16))
    result = enumerator.run()
    correct = {node: (c, t) for node, c, t in result.correct}
    stored = ("moves", (1, 2))
    searchers = [node for node in correct if structural_label(node) == "searcher"]
    assert stored in correct and searchers
    # Same answers, different step counts: both kept, as separate programs.
    assert all(correct[s][1] != correct[stored][1] for s in searchers)
    assert {structural_label(n) for n in correct} == {"memorizer", "searcher", "heuristic"}
    # And outputs alone would have merged them: the answers are identical masks.
    for node in searchers[:5]:
        assert (run(dsl, node, grids)[0] == run(dsl, stored, grids)[0]).all()


def test_local_search_finds_correct_maze_programs_and_is_deterministic():
    from mesaopt.learners.base import no_progress
    from mesaopt.learners.programs.maze_learner import MazeLocalConfig, fit_maze_genetic, fit_maze_hillclimb

    grids, _ = small_maze(3, 0)
    task = MazeTask(
        MazeConfig(size=3, pool_size=1, eval_size=4, start_region="top-left", goal_region="bottom-right", loops=0.3),
        np.random.SeedSequence(0),
    )
    assert (np.asarray(task.train_pool().grids) == grids).all()
    climb = fit_maze_hillclimb(MazeLocalConfig(g=1.0, steps=300), task, np.random.SeedSequence(5), no_progress)
    again = fit_maze_hillclimb(MazeLocalConfig(g=1.0, steps=300), task, np.random.SeedSequence(5), no_progress)
    assert climb.program == again.program and climb.train_metrics == again.train_metrics
    assert climb.train_metrics["solved_train"] == 1.0
    path = climb.train_metrics["loss_path"]
    assert all(b <= a for a, b in zip(path, path[1:], strict=False))
    ga = fit_maze_genetic(
        MazeLocalConfig(g=1.0, population=16, generations=10), task, np.random.SeedSequence(5), no_progress
    )
    assert ga.train_metrics["c"] == ga.size_bits()
