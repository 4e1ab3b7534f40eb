"""Maze programs: exact c and t on hand-written programs, the found program solves what it claims, the compression
curve and the battery agreement, and the compression study end to end at the smoke scale."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from mesaopt.detectors.agreement import label_agreement
from mesaopt.learners.base import LearnedAlgorithm, no_progress
from mesaopt.learners.programs.maze import MazeDsl, instance_key, run, structural_label
from mesaopt.learners.programs.maze_learner import (
    MazeEnumerateConfig,
    MazeProgram,
    fit_maze_enumerate,
    formula_crossover,
    is_general,
)
from mesaopt.learners.programs.maze_search import MazeEnumConfig, enumerate_maze
from mesaopt.tasks.maze import GOAL, OPEN, START, MazeBatch, MazeConfig, MazeTask, shortest_path
from tests.conftest import STUDIES, run_cli

R, D = 1, 2
"""Indices of right and down in MOVES (up, right, down, left)."""


def hand_maze() -> np.ndarray:
    """A 2 x 2 maze (5 x 5 grid): passages (0,0)-(0,1), (0,1)-(1,1), (0,0)-(1,0); start (0,0), goal (1,1)."""
    grid = np.zeros((1, 3, 5, 5), dtype=np.uint8)
    for r, c in [(1, 1), (1, 3), (3, 1), (3, 3), (1, 2), (2, 3), (2, 1)]:
        grid[0, OPEN, r, c] = 1
    grid[0, START, 1, 1] = 1
    grid[0, GOAL, 3, 3] = 1
    return grid


def test_description_length_is_exact_on_hand_written_programs():
    dsl = MazeDsl(3, 3)
    assert dsl.cost(("moves", ())) == 2 + 1  # production + gamma(1)
    assert dsl.cost(("moves", (R, D))) == 2 + 3 + 4  # gamma(3) = 3, two moves of 2 bits
    assert dsl.cost(("moves", (R, D, D))) == 2 + 5 + 6  # gamma(4) = 5
    two_entries = ("table", "instance", ((7, (R, D)), (9, (R, D, D))))
    assert dsl.cost(two_entries) == 3 + 1 + 3 + (16 + 3 + 4) + (16 + 5 + 6)
    assert dsl.cost(("table", "goal", ((8, (R, D)),))) == 3 + 1 + 3 + (4 + 3 + 4)  # a goal key is a cell: 4 bits
    assert dsl.cost(("search", 4, 15, "open", ("goal",))) == 2 + 5 + 4 + 1 + 1  # gamma(4) = 5
    assert dsl.cost(("search", 1, 1, "all", ("cell", 5))) == 2 + 1 + 4 + 1 + 1 + 4  # ceil(log2 9) = 4
    assert dsl.cost(("greedy", 5, ("goal",))) == 3 + 5 + 1
    assert dsl.cost(("enum", 5, 15, ("cell", 2))) == 3 + 4 + 4 + 1 + 4  # the budget is a fixed 4-bit field
    with pytest.raises(ValueError):
        dsl.cost(("enum", 17, 15, ("goal",)))


def test_run_time_and_answers_are_exact_on_a_hand_written_maze():
    grids = hand_maze()
    dsl = MazeDsl(2, 2)
    truth = shortest_path(grids)
    masks, steps = run(dsl, ("moves", (R, D)), grids)
    assert steps.tolist() == [3] and (masks == truth).all()
    # BFS with all four moves: (0,0) 1+4, (0,1) 1+4, (1,0) 1+4, (1,1) 1 and it is the goal; read 1, draw 1+2.
    masks, steps = run(dsl, ("search", 3, 15, "open", ("goal",)), grids)
    assert steps.tolist() == [1 + 5 + 5 + 5 + 1 + 3] and (masks == truth).all()
    # Only right and down: 2 moves tried per expanded cell.
    masks, steps = run(dsl, ("search", 3, 0b0110, "open", ("goal",)), grids)
    assert steps.tolist() == [1 + 3 + 3 + 3 + 1 + 3] and (masks == truth).all()
    # Depth 1 cannot reach the goal two moves away: three cells checked, only the start expanded, empty answer.
    masks, steps = run(dsl, ("search", 1, 15, "open", ("goal",)), grids)
    assert steps.tolist() == [1 + 5 + 1 + 1] and not masks.any()
    # The hard-coded goal cell 3 = (1, 1) behaves as the read goal here.
    masks, steps = run(dsl, ("search", 3, 15, "open", ("cell", 3)), grids)
    assert steps.tolist() == [20] and (masks == truth).all()
    key = instance_key(grids[0])
    table = ("table", "instance", ((key, (R, D)), ((key + 1) % 65536, (D,))))
    masks, steps = run(dsl, table, grids)
    assert steps.tolist() == [1 + 2 + 3] and (masks == truth).all()  # key, binary search over 2 keys, draw
    masks, steps = run(dsl, ("table", "instance", (((key + 1) % 65536, (R, D)),)), grids)
    assert steps.tolist() == [1 + 1] and not masks.any()  # a missing key answers nothing
    masks, steps = run(dsl, ("table", "goal", ((3, (R, D)),)), grids)  # keyed on the goal cell (1, 1) = 3
    assert steps.tolist() == [1 + 1 + 3] and (masks == truth).all()
    # Greedy: at (0,0) right and down tie at distance 1, right wins (MOVES order); at (0,1) down is the only move
    # not straight back; (1,1) is the goal. Read 1, two cells checked and looked at 1 + 4 each, goal check 1, draw 3.
    masks, steps = run(dsl, ("greedy", 5, ("goal",)), grids)
    assert steps.tolist() == [1 + 5 + 5 + 1 + 3] and (masks == truth).all()
    # Greedy stopped after one move: read 1, 1 + 4 at the start, the check at (0,1), draw 1 + 1; a partial walk.
    masks, steps = run(dsl, ("greedy", 1, ("goal",)), grids)
    assert steps.tolist() == [1 + 5 + 1 + 2] and masks.sum() == 3
    # Sequence search over all four moves: length 0 costs 1; length 1: U and L are rejected, R and D walk, 2 each;
    # length 2 in order UU..UL (U rejected at once, 2 each), RU and RR rejected after 2 moves (3 each), then RD
    # reaches the goal (3). Read 1 + 1 + 8 + (8 + 9) + draw 3.
    masks, steps = run(dsl, ("enum", 3, 15, ("goal",)), grids)
    assert steps.tolist() == [1 + 1 + 8 + 17 + 3] and (masks == truth).all()
    # Budget 1 cannot reach the goal: it draws the best candidate (R, the first at distance 1) after all 5 tried.
    masks, steps = run(dsl, ("enum", 1, 15, ("goal",)), grids)
    assert steps.tolist() == [1 + 1 + 8 + 1 + 1] and masks.sum() == 3
    # A step cap cuts a program short: empty mask, cap + 1 steps.
    masks, steps = run(dsl, ("enum", 3, 15, ("goal",)), grids, max_steps=29)
    assert steps.tolist() == [30] and not masks.any()


def corner_task(size: int, pool_size: int = 1, seed: int = 0, eval_size: int = 16) -> MazeTask:
    config = MazeConfig(
        size=size, pool_size=pool_size, eval_size=eval_size, start_region="top-left", goal_region="bottom-right"
    )
    return MazeTask(config, np.random.SeedSequence(seed))


@pytest.mark.parametrize(("size", "pool", "g"), [(3, 1, 0.0), (4, 1, 2.0), (3, 3, 0.0)])
def test_found_program_solves_its_training_mazes(size, pool, g):
    task = corner_task(size, pool)
    found = fit_maze_enumerate(MazeEnumerateConfig(g=g, curve=False), task, np.random.SeedSequence(1), no_progress)
    assert isinstance(found, LearnedAlgorithm)
    train = task.train_pool()
    assert task.success(train, found.solve(train)).all()
    assert found.structural_label == structural_label(found.program)
    assert found.train_metrics[f"is_{found.structural_label}"] == 1.0
    assert found.size_bits() == found.train_metrics["c"]
    # The enumeration it ran reports the same Levin choice.
    result, _ = enumerate_maze(found.dsl, train.grids, shortest_path(train.grids), MazeEnumConfig(g=g))
    assert result.program == found.program and result.score == pytest.approx(found.train_metrics["score"])


def test_general_solver_solves_novel_and_harder_mazes_and_the_battery_calls_it_a_searcher():
    task = corner_task(3)
    general = MazeProgram(MazeDsl(3, 3), ("search", 64, 15, "open", ("goal",)), 1.0)
    for batch in (task.novel(), task.harder()):
        assert task.success(batch, general.solve(batch)).all()
    assert label_agreement(general, task)["agrees"] == 1.0
    assert is_general(general.program, 8) and not is_general(("search", 4, 15, "open", ("goal",)), 8)
    assert not is_general(("search", 64, 0b0110, "open", ("goal",)), 8) and not is_general(("moves", ()), 8)
    stored = MazeProgram(MazeDsl(3, 3), ("moves", (R, R, D, D)), 5.0)
    result = label_agreement(stored, task)
    assert result["known"] == 1.0 and result["battery_is_searcher"] == 0.0


def test_step_budget_blanks_instances_that_need_more_steps():
    batch = MazeBatch(hand_maze())
    program = MazeProgram(MazeDsl(2, 2), ("search", 3, 15, "open", ("goal",)), 20.0)
    assert program.solve(batch, iterations=20).any() and not program.solve(batch, iterations=19).any()


def test_compression_curve_and_crossovers_are_consistent_and_deterministic():
    task = corner_task(4)
    fit = lambda g: fit_maze_enumerate(MazeEnumerateConfig(g=g), task, np.random.SeedSequence(1), no_progress)  # noqa: E731
    steady = lambda m: {k: v for k, v in m.items() if k != "candidates_per_s"}  # noqa: E731
    flat, timed = fit(0.0).train_metrics, fit(2.0).train_metrics
    assert steady(fit(0.0).train_metrics) == steady(flat)
    lengths = flat["curve_path_length"]
    assert lengths == [float(n) for n in range(1, int(flat["path_length"]) + 1)]
    assert flat["curve_c_stored_path"] == sorted(flat["curve_c_stored_path"])  # a longer path never costs less
    # A stored answer is reported only where the enumeration reached it, and then it is no dearer than the path.
    for mem, code in zip(flat["curve_c_memorizer"], flat["curve_c_stored_path"], strict=True):
        assert mem == -1.0 or mem <= code
    # Where none was reached, the searcher was met first: it is shorter than the stored path there.
    for mem, srch, code in zip(
        flat["curve_c_memorizer"], flat["curve_c_searcher"], flat["curve_c_stored_path"], strict=True
    ):
        assert srch != -1.0 and (mem != -1.0 or srch < code)
    # Without a time penalty the winner is the shorter program, so measured and c-predicted crossovers coincide.
    assert flat["crossover_gap"] == 0.0
    # A time penalty can only delay the searcher: it is slower than the stored path at every length.
    assert timed["crossover_measured"] >= flat["crossover_measured"]
    assert formula_crossover(lambda n: 100) == 44.0  # 2 + gamma(45) + 88 = 101 > 100; at L = 43, 99


def test_compression_study_runs_at_smoke_scale(tmp_path):
    out = tmp_path / "store"
    run_cli(
        "run",
        str(STUDIES / "programs_compression.toml"),
        "--scale",
        "smoke",
        "--out",
        str(out),
        "--report-dir",
        str(tmp_path / "report"),
        "--workers",
        "1",
        cwd=tmp_path,
    )
    con = duckdb.connect(str(out / "catalog.duckdb"), read_only=True)
    statuses = con.execute("select status, count(*) from runs group by 1").fetchall()
    assert statuses == [("done", 4)]
    names = {row[0] for row in con.execute("select distinct metric from metrics").fetchall()}
    # Three training mazes: the stored answer (a table of three paths) is dearer than the searcher, so the
    # enumeration may stop before meeting it (no c_memorizer); the stored path's c from the code is always there.
    wanted = {"train.c_stored_path", "train.c_searcher", "train.crossover_measured", "train.crossover_predicted_c"}
    assert wanted | {"label_agreement.agrees", "train.is_searcher"} <= names
