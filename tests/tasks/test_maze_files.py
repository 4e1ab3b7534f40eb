"""Maze sets from files: the plain JSON/NPZ format round-trips, bad files get one clear error, given solutions are
checked, and a `maze_set` task runs through a study with its splits read from files."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mesaopt.tasks import build_task
from mesaopt.tasks.maze import generate, is_shortest_path, path_cells
from mesaopt.tasks.maze_files import MazeFileError, MazeSetConfig, read_maze_set, write_maze_set
from mesaopt.tasks.maze_set import batch_of, maze_set_of


def mazes(count: int, size: int, seed: int, loops: float = 0.0):
    return generate(count, size, np.random.default_rng(seed), loops=loops)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
@pytest.mark.parametrize("loops", [0.0, 0.5])
def test_a_maze_set_round_trips_in_the_plain_format(tmp_path, suffix, loops):
    batch = mazes(20, 4, seed=1, loops=loops)
    path = write_maze_set(maze_set_of(batch), tmp_path / f"set{suffix}")
    back = read_maze_set(path)
    assert back.shape == (4, 4) and len(back) == 20
    assert (batch_of(back).grids == batch.grids).all()
    for given, truth in zip(back.solutions, path_cells(batch.grids), strict=True):
        assert (given == truth).all()


def test_the_json_format_is_what_the_docs_say(tmp_path):
    # One 2 x 2 maze written by hand: passages (0,0)-(0,1) and (0,1)-(1,1); start top-left, goal bottom-right.
    maze = {"connections": [[[0, 1], [0, 0]], [[1, 0], [0, 0]]], "start": [0, 0], "goal": [1, 1]}
    maze["solution"] = [[0, 0], [0, 1], [1, 1]]
    path = tmp_path / "hand.json"
    path.write_text(json.dumps({"format": "mesaopt.mazes", "version": 1, "mazes": [maze]}))
    grid = batch_of(read_maze_set(path)).grids[0]
    expected_open = np.array(
        [
            [0, 0, 0, 0, 0],
            [0, 1, 1, 1, 0],
            [0, 0, 0, 1, 0],
            [0, 1, 0, 1, 0],
            [0, 0, 0, 0, 0],
        ]
    )
    assert (grid[0] == expected_open).all() and grid[1, 1, 1] == 1 and grid[2, 3, 3] == 1


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({"format": "other", "version": 1, "mazes": []}, ["'format'", "mesaopt.mazes"]),
        ({"format": "mesaopt.mazes", "version": 1, "mazes": [{"start": [0, 0]}]}, ["mazes[0]", "missing"]),
        (
            {
                "format": "mesaopt.mazes",
                "version": 1,
                "mazes": [{"connections": [[[0, 1]], [[1, 0]]], "start": [0, 0], "goal": [0, 5]}],
            },
            ["goals[0]", "inside the 1 x 2 maze"],
        ),
    ],
)
def test_a_malformed_file_gets_one_clear_error(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(content))
    with pytest.raises(MazeFileError) as error:
        read_maze_set(path)
    message = str(error.value)
    assert str(path) in message and all(w in message for w in words) and "\n" not in message


def test_a_wrong_given_solution_is_refused(tmp_path):
    batch = mazes(4, 4, seed=2)
    maze_set = maze_set_of(batch)
    wrong = list(maze_set.solutions)
    wrong[2] = wrong[2][:-1]  # stops one cell before the goal
    path = write_maze_set(
        type(maze_set)(maze_set.connections, maze_set.starts, maze_set.goals, tuple(wrong)), tmp_path / "w.npz"
    )
    with pytest.raises(MazeFileError, match=r"mazes\[2\]\.solution"):
        build_task("maze_set", {"novel_file": str(path), "size": 4}, np.random.SeedSequence(0))


def test_the_config_takes_shapes_from_files_and_its_digest_follows_the_content(tmp_path):
    pool, harder = tmp_path / "pool.npz", tmp_path / "harder.npz"
    write_maze_set(maze_set_of(mazes(10, 3, seed=3)), pool)
    write_maze_set(maze_set_of(mazes(10, 5, seed=4)), harder)
    config = MazeSetConfig.model_validate({"pool_file": str(pool), "harder_file": str(harder)})
    assert (config.size, config.cols, config.harder_shape) == (3, 3, (5, 5))
    before = config.model_dump(mode="json")
    assert MazeSetConfig.model_validate(before).model_dump(mode="json") == before
    write_maze_set(maze_set_of(mazes(10, 3, seed=5)), pool)
    assert (
        MazeSetConfig.model_validate({"pool_file": str(pool), "harder_file": str(harder)}).digests != before["digests"]
    )
    with pytest.raises(ValueError, match="changed"):
        MazeSetConfig.model_validate(before)
    with pytest.raises(ValueError, match="size = 4"):
        MazeSetConfig.model_validate({"pool_file": str(pool), "size": 4})
    with pytest.raises(ValueError, match="more than the 10 mazes"):
        MazeSetConfig.model_validate({"pool_file": str(pool), "pool_size": 11})


def test_splits_come_from_files_and_novel_excludes_the_pool(tmp_path):
    given = mazes(40, 4, seed=6)
    pool_path, novel_path = tmp_path / "pool.json", tmp_path / "novel.json"
    write_maze_set(maze_set_of(given), pool_path)
    write_maze_set(maze_set_of(given), novel_path)  # the same mazes: novel must drop the pooled ones
    task = build_task(
        "maze_set",
        {"pool_file": str(pool_path), "novel_file": str(novel_path), "pool_size": 8},
        np.random.SeedSequence(1),
    )
    pool_keys = set(task.train_pool().keys())
    novel = task.novel()
    assert len(task.train_pool()) == 8 and len(novel) == 32 and not pool_keys & set(novel.keys())
    assert set(novel.keys()) <= set(given.keys())
    harder = task.harder(16)  # no harder file: generated at 2 * size - 1 as in the maze task
    assert harder.grids.shape[-1] == 2 * (2 * 4 - 1) + 1
    assert is_shortest_path(novel.grids, task.solutions(novel)).all()


def test_a_study_runs_on_mazes_from_files(tmp_path, monkeypatch):
    from mesaopt.execute import execute_run
    from mesaopt.study import study_from_document

    monkeypatch.chdir(tmp_path)
    write_maze_set(maze_set_of(mazes(30, 3, seed=7)), tmp_path / "pool.npz")
    write_maze_set(maze_set_of(mazes(30, 3, seed=8, loops=0.5)), tmp_path / "loops.npz")
    document = {
        "claim": "c",
        "seeds": [0],
        "detectors": ["transfer"],
        "task": {"name": "maze_set", "pool_file": "pool.npz", "loops_file": "loops.npz", "eval_size": 32},
        "learners": {"bfs": {}, "lookup": {}},
        "sweep": {"task.pool_size": [4, 16]},
    }
    study = study_from_document("files", document, "quick")
    records = {(s.learner["name"], s.task["pool_size"]): execute_run(s.to_json()) for s in study.runs()}
    assert all(r.status == "done" for r in records.values())
    assert records[("bfs", 4)].metrics["transfer.novel_success"] == 1.0
    lookup_4 = records[("lookup", 4)].metrics
    assert lookup_4["transfer.pool_success"] == 1.0 and lookup_4["transfer.novel_success"] < 1.0
