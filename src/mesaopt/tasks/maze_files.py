"""Maze sets on disk: a plain format anyone can write, maze-dataset's saved datasets, and the `maze_set` config.

The plain format (needs nothing beyond NumPy) describes each maze by maze-dataset's connection list: an array
shaped (2, rows, cols) of 0/1 where [0][i][j] joins cell (i, j) to the cell below it and [1][i][j] joins it to the
cell on its right, plus a start cell and a goal cell as [row, col] and, optionally, a solution: the cells of a
shortest start-to-goal path, in order. Every maze of one file has one shape.

- JSON (`.json`): `{"format": "mesaopt.mazes", "version": 1, "mazes": [{"connections": [[[...]]], "start": [r, c],
  "goal": [r, c], "solution": [[r, c], ...]}, ...]}` (`solution` optional per maze).
- NPZ (`.npz`): arrays `connections` (B, 2, rows, cols), `starts` (B, 2), `goals` (B, 2) and optionally
  `solutions` (B, L, 2), each path padded at its end with rows of -1.
- maze-dataset (`.zanj`): a `MazeDataset` saved by maze-dataset itself; needs the `mazes` extra.

A given solution is checked when the task is built: it must be a shortest path (any tie-break); a file whose
solutions disagree with breadth-first search is refused rather than silently re-solved.

This module imports only NumPy and pydantic, so a study file naming maze files validates quickly; the grids are
built (and solutions checked) by `maze_set.MazeSetTask`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
from pydantic import Field, model_validator

from mesaopt.tasks.base import INF
from mesaopt.tasks.maze_config import MazeConfig

FORMAT = "mesaopt.mazes"
VERSION = 1
SPLITS = ("pool", "novel", "harder", "loops")
"""The splits a file can supply: the training pool, and the novel, harder and loops evaluation sets."""

DIGEST_CHARS = 16
"""Hex characters of a file's SHA-256 kept in the config (and so in the run id): 64 bits, no accidental clash."""

PAD = -1
"""Fills the end of a shorter solution in the NPZ `solutions` array."""


class MazeFileError(ValueError):
    """A maze file is missing or malformed; the message names the file, the key, the value and what was expected."""


@dataclass(frozen=True)
class MazeSet:
    """Mazes as connection lists (B, 2, rows, cols), start and goal cells (B, 2), and optional solution paths."""

    connections: np.ndarray
    starts: np.ndarray
    goals: np.ndarray
    solutions: tuple[np.ndarray | None, ...] | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns of cells."""
        return int(self.connections.shape[2]), int(self.connections.shape[3])

    def __len__(self) -> int:
        return len(self.connections)


def _fail(path: Path, key: str, value: Any, expected: str) -> MazeFileError:
    shown = json.dumps(value) if isinstance(value, int | float | str | list) else repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return MazeFileError(f"{path}: key '{key}' has value {shown}: expected {expected}")


def _check(path: Path, maze_set: MazeSet) -> MazeSet:
    """Shapes, 0/1 connections, endpoints inside the maze and distinct; raise MazeFileError naming the first fault."""
    links, starts, goals = maze_set.connections, maze_set.starts, maze_set.goals
    if links.ndim != 4 or links.shape[1] != 2 or min(links.shape[2:], default=0) < 1 or len(links) == 0:
        raise _fail(path, "connections", list(links.shape), "at least one maze, shaped (2, rows, cols)")
    if not np.isin(links, (0, 1)).all():
        raise _fail(path, "connections", sorted(set(np.unique(links).tolist()) - {0, 1})[:3], "only 0 and 1")
    rows, cols = maze_set.shape
    for key, cells in (("starts", starts), ("goals", goals)):
        if cells.shape != (len(links), 2):
            raise _fail(path, key, list(cells.shape), f"one [row, col] per maze: shape ({len(links)}, 2)")
        outside = np.flatnonzero((cells < 0).any(axis=1) | (cells[:, 0] >= rows) | (cells[:, 1] >= cols))
        if len(outside):
            i = int(outside[0])
            raise _fail(path, f"{key}[{i}]", cells[i].tolist(), f"a cell inside the {rows} x {cols} maze")
    same = np.flatnonzero((starts == goals).all(axis=1))
    if len(same):
        raise _fail(path, f"goals[{int(same[0])}]", goals[same[0]].tolist(), "a cell other than the start")
    return MazeSet(links.astype(bool), starts.astype(np.int64), goals.astype(np.int64), maze_set.solutions)


def _int_array(path: Path, key: str, value: Any) -> np.ndarray:
    try:
        array = np.asarray(value)
    except ValueError:
        raise _fail(path, key, value, "a rectangular array of integers") from None
    if array.dtype == bool:
        return array.astype(np.int64)
    if not np.issubdtype(array.dtype, np.integer):
        raise _fail(path, key, str(array.dtype), "integers")
    return array.astype(np.int64)


def _read_json(path: Path) -> MazeSet:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MazeFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        shown = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise _fail(path, "format", shown, f"{FORMAT!r} (see mesaopt.tasks.maze_files)")
    if data.get("version") != VERSION:
        raise _fail(path, "version", data.get("version"), str(VERSION))
    mazes = data.get("mazes")
    if not isinstance(mazes, list) or not mazes or not all(isinstance(m, dict) for m in mazes):
        raise _fail(path, "mazes", mazes, "a non-empty list of objects")
    for i, maze in enumerate(mazes):
        missing = [k for k in ("connections", "start", "goal") if k not in maze]
        if missing:
            raise _fail(path, f"mazes[{i}]", sorted(maze), f"the keys connections, start, goal (missing {missing})")
    try:
        links = np.stack([_int_array(path, f"mazes[{i}].connections", m["connections"]) for i, m in enumerate(mazes)])
    except ValueError as exc:
        if isinstance(exc, MazeFileError):
            raise
        raise _fail(path, "mazes[].connections", "mixed shapes", "one shape (2, rows, cols) for every maze") from None
    starts = _int_array(path, "mazes[].start", [m["start"] for m in mazes])
    goals = _int_array(path, "mazes[].goal", [m["goal"] for m in mazes])
    solutions = tuple(
        None if m.get("solution") is None else _int_array(path, f"mazes[{i}].solution", m["solution"])
        for i, m in enumerate(mazes)
    )
    return MazeSet(links, starts, goals, solutions if any(s is not None for s in solutions) else None)


def _read_npz(path: Path) -> MazeSet:
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except ValueError as exc:
        raise MazeFileError(f"{path}: not a readable NPZ of plain arrays: {exc}") from None
    missing = [k for k in ("connections", "starts", "goals") if k not in arrays]
    if missing:
        raise _fail(path, "arrays", sorted(arrays), f"the arrays connections, starts, goals (missing {missing})")
    solutions = None
    if "solutions" in arrays:
        padded = _int_array(path, "solutions", arrays["solutions"])
        if padded.ndim != 3 or padded.shape[2] != 2 or len(padded) != len(arrays["connections"]):
            raise _fail(path, "solutions", list(padded.shape), "shape (B, L, 2), one padded path per maze")
        solutions = tuple(p[(p != PAD).all(axis=1)] for p in padded)
    keys = ("connections", "starts", "goals")
    return MazeSet(*(_int_array(path, k, arrays[k]) for k in keys), solutions)


def _read_zanj(path: Path) -> MazeSet:
    from mesaopt.tasks.maze_interop import _maze_dataset

    dataset = _maze_dataset().MazeDataset.read(str(path))
    mazes = list(dataset)
    if not mazes:
        raise MazeFileError(f"{path}: the maze-dataset file holds no mazes")
    shapes = {tuple(np.asarray(m.connection_list).shape) for m in mazes}
    if len(shapes) > 1:
        raise _fail(path, "connection_list", sorted(shapes), "one shape for every maze")
    solutions = tuple(np.asarray(m.solution) if hasattr(m, "solution") else None for m in mazes)
    return MazeSet(
        np.stack([np.asarray(m.connection_list) for m in mazes]),
        np.stack([np.asarray(m.start_pos) for m in mazes]),
        np.stack([np.asarray(m.end_pos) for m in mazes]),
        solutions if any(s is not None for s in solutions) else None,
    )


READERS = {".json": _read_json, ".npz": _read_npz, ".zanj": _read_zanj}


@functools.lru_cache(maxsize=32)
def _read_cached(path: Path, mtime_ns: int, size: int) -> MazeSet:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise MazeFileError(f"{path}: unknown maze file type {path.suffix!r}; expected one of {', '.join(READERS)}")
    return _check(path, reader(path))


def read_maze_set(path: Path | str) -> MazeSet:
    """The mazes of a file in the plain JSON or NPZ format or a maze-dataset `.zanj`; MazeFileError if malformed."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise MazeFileError(f"{path}: cannot read the maze file: {exc.strerror or exc}") from None
    return _read_cached(path, stat.st_mtime_ns, stat.st_size)


def file_digest(path: Path | str) -> str:
    """The first DIGEST_CHARS hex characters of the file's SHA-256."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:DIGEST_CHARS]


def write_maze_set(maze_set: MazeSet, path: Path | str) -> Path:
    """Write mazes in the plain format; the suffix (.json or .npz) picks the encoding."""
    path = Path(path)
    if path.suffix == ".json":
        mazes = []
        for i in range(len(maze_set)):
            maze = {
                "connections": maze_set.connections[i].astype(int).tolist(),
                "start": maze_set.starts[i].tolist(),
                "goal": maze_set.goals[i].tolist(),
            }
            if maze_set.solutions is not None and maze_set.solutions[i] is not None:
                maze["solution"] = np.asarray(maze_set.solutions[i]).tolist()
            mazes.append(maze)
        path.write_text(json.dumps({"format": FORMAT, "version": VERSION, "mazes": mazes}), encoding="utf-8")
    elif path.suffix == ".npz":
        arrays = {
            "connections": maze_set.connections.astype(np.uint8),
            "starts": maze_set.starts,
            "goals": maze_set.goals,
        }
        if maze_set.solutions is not None:
            longest = max(len(s) for s in maze_set.solutions if s is not None)
            padded = np.full((len(maze_set), longest, 2), PAD, dtype=np.int64)
            for i, solution in enumerate(maze_set.solutions):
                if solution is not None:
                    padded[i, : len(solution)] = solution
            arrays["solutions"] = padded
        np.savez_compressed(path, **arrays)
    else:
        raise MazeFileError(f"{path}: cannot write a {path.suffix!r} maze file; expected .json or .npz")
    return path


class MazeSetConfig(MazeConfig):
    """A maze task whose splits may come from files: each of pool, novel, harder and loops is read from its file
    (`<split>_file`) when one is named and generated as the `maze` task does otherwise. Paths are relative to the
    folder mesaopt runs in. Shapes are taken from the files; the files' digests enter the run id, so an edited file
    is run again."""

    pool_file: str | None = Field(default=None, description="file of the training pool (pool_size of them; inf: all)")
    novel_file: str | None = Field(default=None, description="file of the novel evaluation mazes (not in the pool)")
    harder_file: str | None = Field(default=None, description="file of the harder evaluation mazes")
    loops_file: str | None = Field(default=None, description="file of the evaluation mazes with loops")
    digests: dict[str, str] = Field(
        default_factory=dict, description="SHA-256 prefix of each named file; filled in when absent, checked if given"
    )

    def files(self) -> dict[str, str]:
        """The splits that come from files, and their paths."""
        return {split: getattr(self, f"{split}_file") for split in SPLITS if getattr(self, f"{split}_file") is not None}

    @model_validator(mode="before")
    @classmethod
    def _from_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        files = {split: data[f"{split}_file"] for split in SPLITS if isinstance(data.get(f"{split}_file"), str)}
        given = data.get("digests") or {}
        digests = {}
        for split, name in files.items():
            shape = read_maze_set(name).shape
            digests[split] = file_digest(name)
            if isinstance(given, dict) and split in given and given[split] != digests[split]:
                raise ValueError(f"{split} file {name} changed: digest {digests[split]}, expected {given[split]}")
            keys = ("harder_size", "harder_width") if split == "harder" else ("size", "width")
            for key, value in zip(keys, shape, strict=True):
                if data.get(key) is None:
                    data[key] = value
                elif data[key] != value:
                    raise ValueError(f"{split} file {name} holds {shape[0]} x {shape[1]} mazes but {key} = {data[key]}")
        if files:
            data["digests"] = digests
        return data

    @model_validator(mode="after")
    def _enough_mazes(self) -> Self:
        if not self.files():
            raise ValueError("a maze_set task names at least one file (pool_file, novel_file, harder_file, loops_file)")
        held = len(read_maze_set(self.pool_file)) if self.pool_file is not None else None
        if held is not None and self.pool_size != INF and self.pool_size > held:
            raise ValueError(f"pool_size {int(self.pool_size)} is more than the {held} mazes of {self.pool_file}")
        return self
