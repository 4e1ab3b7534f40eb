"""Maze programs: the minimal vocabulary for program search on the "maze" task, its costs and its interpreter.

A maze program maps a maze grid (see `mesaopt.tasks.maze_grid`) to a path mask. Three productions:

| node                                   | meaning                                                            |
|----------------------------------------|--------------------------------------------------------------------|
| ("moves", (m0, m1, ...))               | a stored path: walk these moves (indices into MOVES) from the start |
| ("table", ((key, (m0, ...)), ...))     | stored paths keyed on the instance (a 16-bit hash of its grid)      |
| ("search", k, moveset, space, obj)     | breadth-first search from the start, at most k moves deep           |

`moveset` is a 4-bit mask of the moves the search tries (bit i: MOVES[i]). `space` is "open" (moves through open
passages only, reading the maze) or "all" (any move inside the border, walls ignored). `objective` is ("goal",), the
goal marker read from the environment, or ("cell", i), a hard-coded cell.

Description length c (bits), a prefix code: each production costs 2 bits (Kraft sum 0.75); a move list of length L
costs gamma(L + 1) + 2L bits; a table of n entries costs gamma(n + 1), then per entry KEY_BITS plus its move list;
a search costs gamma(k) for its depth, 4 bits for its move set, 1 bit for its space, 1 bit for its objective, plus
ceil(log2(cells)) for a hard-coded cell.

Run time t (steps), exact and deterministic: a move list costs 1 + L (the start, then one per move). A table costs 1
(the key) + ceil(log2(n + 1)) (binary search) + the found entry's 1 + L. A search costs 1 (reading the objective),
then for each cell taken off its queue 1 (the objective check) plus one per move in its move set unless that cell is the
objective or lies k moves deep, then 1 + L to draw the path found (nothing when none was found).
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from mesaopt.learners.programs.dsl import gamma_bits
from mesaopt.learners.programs.interpret import table_steps
from mesaopt.tasks.maze import GOAL, MOVES, OPEN, START, cell_position

Node = tuple

PRODUCTION_BITS = {"moves": 2, "table": 2, "search": 2}
SPACE_BITS = {"open": 1, "all": 1}
OBJECTIVE_BITS = {"goal": 1, "cell": 1}
KEY_BITS = 16
MOVESET_BITS = 4
ALL_MOVES = 0b1111
"""Width of the instance key a table stores per entry."""

LABELS = ("searcher", "memorizer", "heuristic")


@dataclass(frozen=True)
class MazeDsl:
    """The maze shape in cells; it sets the code of a hard-coded cell."""

    rows: int
    cols: int

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    @property
    def cell_bits(self) -> int:
        return math.ceil(math.log2(self.cells))

    def moves_bits(self, moves: tuple[int, ...]) -> int:
        return gamma_bits(len(moves) + 1) + 2 * len(moves)

    def cost(self, node: Node) -> int:
        """Description length c of a maze program in bits."""
        op = node[0]
        if op == "moves":
            return PRODUCTION_BITS[op] + self.moves_bits(node[1])
        if op == "table":
            entries = node[1]
            return (
                PRODUCTION_BITS[op]
                + gamma_bits(len(entries) + 1)
                + sum(KEY_BITS + self.moves_bits(moves) for _, moves in entries)
            )
        if op == "search":
            _, k, moveset, space, objective = node
            extra = self.cell_bits if objective[0] == "cell" else 0
            return (
                PRODUCTION_BITS[op]
                + gamma_bits(k)
                + MOVESET_BITS
                + SPACE_BITS[space]
                + OBJECTIVE_BITS[objective[0]]
                + extra
            )
        raise ValueError(f"unknown maze production {op!r}")


def structural_label(node: Node) -> str:
    """searcher if the program uses the search construct, memorizer if it stores paths."""
    return "searcher" if node[0] == "search" else "memorizer"


def show(node: Node) -> str:
    if node[0] == "moves":
        return "moves(" + "".join("URDL"[m] for m in node[1]) + ")"
    if node[0] == "table":
        return f"table({len(node[1])} entries)"
    _, k, moveset, space, objective = node
    target = "goal" if objective[0] == "goal" else f"cell{objective[1]}"
    tried = "".join("URDL"[i] for i in range(4) if moveset >> i & 1)
    return f"search({k}, {tried}, {space}, {target})"


def instance_key(grid: np.ndarray) -> int:
    """A 16-bit key of one maze instance (its grid content)."""
    return int.from_bytes(hashlib.blake2b(np.ascontiguousarray(grid).tobytes(), digest_size=2).digest(), "big")


def _draw(mask: np.ndarray, start: tuple[int, int], moves: tuple[int, ...], rows: int, cols: int) -> None:
    """Mark the start cell, then each move's passage and next cell; a move off the maze does nothing."""
    r, c = start
    mask[2 * r + 1, 2 * c + 1] = True
    for m in moves:
        dr, dc = MOVES[m]
        if 0 <= r + dr < rows and 0 <= c + dc < cols:
            mask[2 * r + 1 + dr, 2 * c + 1 + dc] = True
            r, c = r + dr, c + dc
            mask[2 * r + 1, 2 * c + 1] = True


def _search(grid: np.ndarray, k: int, moveset: int, space: str, goal: tuple[int, int], rows: int, cols: int):
    """BFS over cells from the start: the moves of the first path found to `goal` (None if none) and the steps."""
    start = tuple(int(v) for v in cell_position(grid[None], START)[0])
    steps = 1
    parent: dict[tuple[int, int], tuple[tuple[int, int], int] | None] = {start: None}
    depth = {start: 0}
    queue = deque([start])
    while queue:
        cell = queue.popleft()
        steps += 1
        if cell == goal:
            moves: list[int] = []
            while parent[cell] is not None:
                cell, m = parent[cell]
                moves.append(m)
            moves.reverse()
            return tuple(moves), steps + 1 + len(moves)
        if depth[cell] >= k:
            continue
        steps += bin(moveset).count("1")
        r, c = cell
        for m, (dr, dc) in enumerate(MOVES):
            if not moveset >> m & 1:
                continue
            nr, nc = r + dr, c + dc
            if not (0 <= nr < rows and 0 <= nc < cols) or (nr, nc) in parent:
                continue
            if space == "open" and not grid[OPEN, 2 * r + 1 + dr, 2 * c + 1 + dc]:
                continue
            parent[(nr, nc)] = (cell, m)
            depth[(nr, nc)] = depth[cell] + 1
            queue.append((nr, nc))
    return None, steps


def run(dsl: MazeDsl, node: Node, grids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Path masks (B, H, W) bool and steps (B,) int64 of a maze program on a batch of grids."""
    grids = np.asarray(grids)
    batch, _, height, width = grids.shape
    rows, cols = (height - 1) // 2, (width - 1) // 2
    masks = np.zeros((batch, height, width), dtype=bool)
    steps = np.zeros(batch, dtype=np.int64)
    starts = cell_position(grids, START)
    op = node[0]
    if op == "table":
        lookup = dict(node[1])
        probe = 1 + table_steps(len(lookup))
    for b in range(batch):
        start = (int(starts[b, 0]), int(starts[b, 1]))
        if op == "moves":
            _draw(masks[b], start, node[1], rows, cols)
            steps[b] = 1 + len(node[1])
        elif op == "table":
            moves = lookup.get(instance_key(grids[b]))
            steps[b] = probe
            if moves is not None:
                _draw(masks[b], start, moves, rows, cols)
                steps[b] += 1 + len(moves)
        elif op == "search":
            _, k, moveset, space, objective = node
            if objective[0] == "goal":
                goal = tuple(int(v) for v in cell_position(grids[b : b + 1], GOAL)[0])
            else:
                goal = divmod(int(objective[1]), cols)
            moves, steps[b] = _search(grids[b], k, moveset, space, goal, rows, cols)
            if moves is not None:
                _draw(masks[b], start, moves, rows, cols)
        else:
            raise ValueError(f"unknown maze production {op!r}")
    return masks, steps


def moves_of(grid: np.ndarray, path_cells: np.ndarray) -> tuple[int, ...]:
    """The move indices that walk an ordered list of (row, col) cells."""
    out = []
    for (r0, c0), (r1, c1) in zip(path_cells[:-1], path_cells[1:], strict=True):
        out.append(MOVES.index((int(r1 - r0), int(c1 - c0))))
    return tuple(out)


def candidates(dsl: MazeDsl, grids: np.ndarray, paths: list[tuple[int, ...]], max_depth: int) -> list[Node]:
    """The programs tried on a training set: the stored answers (a move list when there is one instance, a table
    keyed on the instance always) and every search reading the goal, with every move set and both spaces, at depth
    k = the longest training path and k = `max_depth` (the general solver of this maze size).

    Left out because each is beaten on both c and t by one kept: searches of other depths (a shallower one cannot
    reach the goal; a deeper one stops at the same goal with the same steps but a longer code for k) and searches for
    a hard-coded cell (correct on training only when it is the goal, then the same steps and 1 + cell_bits more)."""
    out: list[Node] = []
    if len(grids) == 1:
        out.append(("moves", paths[0]))
    entries = {instance_key(g): p for g, p in zip(grids, paths, strict=True)}
    out.append(("table", tuple(sorted(entries.items()))))
    longest = max(1, max(len(p) for p in paths))
    for k in sorted({min(longest, max_depth), max_depth}):
        for moveset in range(1, 16):
            for space in ("open", "all"):
                out.append(("search", k, moveset, space, ("goal",)))
    return out


@dataclass(frozen=True)
class Found:
    """One correct program with its measured c and mean t on the training set."""

    program: Node
    c: float
    t: float

    def score(self, g: float) -> float:
        return self.c + g * math.log2(self.t)


def correct_programs(dsl: MazeDsl, grids: np.ndarray, targets: np.ndarray, max_depth: int) -> list[Found]:
    """The candidates that reproduce every target mask, with their c and mean t."""
    from mesaopt.tasks.maze import path_cells

    paths = [moves_of(g, cells) for g, cells in zip(grids, path_cells(grids, targets), strict=True)]
    found = []
    for node in candidates(dsl, grids, paths, max_depth):
        masks, steps = run(dsl, node, grids)
        if (masks == targets).all():
            found.append(Found(node, float(dsl.cost(node)), float(steps.mean())))
    return found


def best(found: list[Found], g: float, label: str | None = None) -> Found | None:
    """The correct program of least c + g*log2(t), optionally of one label; ties go to smaller c, then smaller t,
    then enumeration order."""
    pool = [f for f in found if label is None or structural_label(f.program) == label]
    if not pool:
        return None
    return min(pool, key=lambda f: (f.score(g), f.c, f.t))
