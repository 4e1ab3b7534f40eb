"""Maze programs: the vocabulary for program search on the "maze" task, its prefix-code c and its step-counting
interpreter.

A maze program maps a maze grid (see `mesaopt.tasks.maze_grid`) to a path mask. Five productions:

| node                                 | label     | meaning                                                          |
|--------------------------------------|-----------|------------------------------------------------------------------|
| ("moves", (m0, m1, ...))             | memorizer | a stored path: walk these moves (indices into MOVES) from start  |
| ("table", feature, ((key, moves),..))| memorizer | stored paths keyed on an instance feature                        |
| ("greedy", k, objective)             | heuristic | a local rule: step to the open neighbour nearest the objective   |
| ("search", k, moveset, space, obj)   | searcher  | breadth-first search from the start, at most k moves deep        |
| ("enum", k, moveset, objective)      | searcher  | enumerate move sequences up to length k, evaluate, return best   |

`feature` is "instance" (a 16-bit hash of the grid) or "goal" (the goal's cell index). `moveset` is a 4-bit mask of
the moves tried (bit i: MOVES[i]). `space` is "open" (through open passages only, reading the maze) or "all" (any
move inside the border, walls ignored). `objective` is ("goal",), the goal marker read from the environment, or
("cell", i), a hard-coded cell.

`greedy` keeps no frontier and never reconsiders a choice: at each cell it looks at the four moves and takes the
open one (not straight back) whose next cell is nearest the objective in Manhattan distance, ties in MOVES order;
it stops on the objective, at a dead end, or after k moves, and draws the cells it walked.

`enum` is generate-and-test over a typed space: the move sequences over its move set, by length 0, 1, ..., k and
lexicographically within a length. Each candidate is walked from the start through open passages (a blocked move
rejects it) and scored by the Manhattan distance of its end to the objective. The first candidate at distance 0 ends
the search; otherwise, once the budget (all sequences up to length k) is spent, the best candidate (least
distance, earliest) is drawn.

Description length c (bits), a prefix code. Productions: moves 2, search 2, table 3, greedy 3, enum 3 (Kraft sum
0.875). A move list of length L costs gamma(L + 1) + 2L bits; a table costs 1 bit for its feature, gamma(n + 1) for
its size, then per entry its key (KEY_BITS for an instance key, ceil(log2(cells)) for a goal cell) plus its move
list; a depth k costs gamma(k) (greedy, search) or 4 fixed bits (enum, k in 1..16), a move set 4 bits, a space 1
bit, an objective 1 bit plus ceil(log2(cells)) for a hard-coded cell.

Run time t (steps), exact and deterministic:
- moves: 1 + L (the start, then one per move);
- table: 1 (the key) + ceil(log2(n + 1)) (binary search) + the found entry's 1 + L;
- search: 1 (reading the objective), then for each cell taken off its queue 1 (the objective check) plus one per
  move in its move set unless that cell is the objective or lies k moves deep, then 1 + L to draw the path found
  (nothing when none was found);
- greedy: 1 (reading the objective), then per cell visited 1 (the objective check) plus 4 (looking at the moves)
  unless it is the objective or the k-th move was made, then 1 + L to draw the walk;
- enum: 1 (reading the objective), then per candidate 1 + the moves walked (a blocked move counted), then 1 + L to
  draw the best.
A program whose steps on an instance would pass `max_steps` stops there: that instance gets an empty mask and
max_steps + 1 steps (the enumerator drops such programs: the hard step cap).
"""

from __future__ import annotations

import hashlib
import math
from collections import deque
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mesaopt.dsl import gamma_bits
from mesaopt.learners.programs.interpret import table_steps
from mesaopt.tasks.maze_grid import GOAL, MOVES, OPEN, START, cell_position

Node = tuple

PRODUCTION_BITS = {"moves": 2, "search": 2, "table": 3, "greedy": 3, "enum": 3}
FEATURE_BITS = {"instance": 1, "goal": 1}
SPACE_BITS = {"open": 1, "all": 1}
OBJECTIVE_BITS = {"goal": 1, "cell": 1}
KEY_BITS = 16
"""Width of the instance key a table stores per entry."""
MOVESET_BITS = 4
ALL_MOVES = 0b1111
MAX_STEPS = 1 << 18
"""Default hard step cap per instance."""
LOOK_STEPS = 4
"""Steps greedy spends looking at the four moves from a cell."""
ENUM_DEPTH_BITS = 4
ENUM_MAX_DEPTH = 1 << ENUM_DEPTH_BITS
"""The budget of enum (sequences up to length k) is a fixed-width field: k in 1..16 in 4 bits."""


def greedy_limit(max_steps: int) -> int:
    """The most moves greedy can make within the step cap (each move costs 1 + LOOK_STEPS steps)."""
    return max_steps // (1 + LOOK_STEPS) + 1


LABELS = ("searcher", "memorizer", "heuristic")
LABEL_OF = {"moves": "memorizer", "table": "memorizer", "greedy": "heuristic", "search": "searcher", "enum": "searcher"}


@dataclass(frozen=True)
class MazeDsl:
    """The maze shape in cells; it sets the code of a hard-coded cell and the grid shape of the answers."""

    rows: int
    cols: int

    @property
    def cells(self) -> int:
        return self.rows * self.cols

    @property
    def cell_bits(self) -> int:
        return math.ceil(math.log2(self.cells))

    @property
    def grid_shape(self) -> tuple[int, int]:
        return 2 * self.rows + 1, 2 * self.cols + 1

    def moves_bits(self, moves: tuple[int, ...]) -> int:
        return gamma_bits(len(moves) + 1) + 2 * len(moves)

    def key_bits(self, feature: str) -> int:
        return KEY_BITS if feature == "instance" else self.cell_bits

    def objective_bits(self, objective: tuple) -> int:
        return OBJECTIVE_BITS[objective[0]] + (self.cell_bits if objective[0] == "cell" else 0)

    def cost(self, node: Node) -> int:
        """Description length c of a maze program in bits."""
        op = node[0]
        head = PRODUCTION_BITS.get(op)
        if head is None:
            raise ValueError(f"unknown maze production {op!r}")
        if op == "moves":
            return head + self.moves_bits(node[1])
        if op == "table":
            _, feature, entries = node
            keys = len(entries) * self.key_bits(feature)
            return (
                head
                + FEATURE_BITS[feature]
                + gamma_bits(len(entries) + 1)
                + keys
                + sum(self.moves_bits(m) for _, m in entries)
            )
        if op == "greedy":
            _, k, objective = node
            return head + gamma_bits(k) + self.objective_bits(objective)
        if op == "search":
            _, k, _, space, objective = node
            return head + gamma_bits(k) + MOVESET_BITS + SPACE_BITS[space] + self.objective_bits(objective)
        _, k, _, objective = node
        if not 1 <= k <= ENUM_MAX_DEPTH:
            raise ValueError(f"enum budget k must be in 1..{ENUM_MAX_DEPTH}, got {k}")
        return head + ENUM_DEPTH_BITS + MOVESET_BITS + self.objective_bits(objective)


def structural_label(node: Node) -> str:
    """searcher if the program uses a search construct (BFS or move-sequence enumeration), heuristic for the local
    greedy rule, memorizer if it stores paths."""
    return LABEL_OF[node[0]]


def show(node: Node) -> str:
    op = node[0]
    if op == "moves":
        return "moves(" + "".join("URDL"[m] for m in node[1]) + ")"
    if op == "table":
        return f"table({node[1]}, {len(node[2])} entries)"

    def target(objective: tuple) -> str:
        return "goal" if objective[0] == "goal" else f"cell{objective[1]}"

    def tried(moveset: int) -> str:
        return "".join("URDL"[i] for i in range(4) if moveset >> i & 1)

    if op == "greedy":
        return f"greedy({node[1]}, {target(node[2])})"
    if op == "search":
        _, k, moveset, space, objective = node
        return f"search({k}, {tried(moveset)}, {space}, {target(objective)})"
    _, k, moveset, objective = node
    return f"enum({k}, {tried(moveset)}, {target(objective)})"


def instance_key(grid: np.ndarray) -> int:
    """A 16-bit key of one maze instance (its grid content)."""
    return int.from_bytes(hashlib.blake2b(np.ascontiguousarray(grid).tobytes(), digest_size=2).digest(), "big")


def feature_key(grid: np.ndarray, feature: str) -> int:
    """The value a table keyed on `feature` looks up for one grid."""
    if feature == "instance":
        return instance_key(grid)
    r, c = cell_position(grid[None], GOAL)[0]
    return int(r) * ((grid.shape[-1] - 1) // 2) + int(c)


def draw(mask: np.ndarray, start: tuple[int, int], moves: tuple[int, ...], rows: int, cols: int) -> None:
    """Mark the start cell, then each move's passage and next cell; a move off the maze does nothing."""
    r, c = start
    mask[2 * r + 1, 2 * c + 1] = True
    for m in moves:
        dr, dc = MOVES[m]
        if 0 <= r + dr < rows and 0 <= c + dc < cols:
            mask[2 * r + 1 + dr, 2 * c + 1 + dc] = True
            r, c = r + dr, c + dc
            mask[2 * r + 1, 2 * c + 1] = True


def _start(grid: np.ndarray) -> tuple[int, int]:
    return tuple(int(v) for v in cell_position(grid[None], START)[0])


def objective_cell(grid: np.ndarray, objective: tuple, cols: int) -> tuple[int, int]:
    if objective[0] == "goal":
        return tuple(int(v) for v in cell_position(grid[None], GOAL)[0])
    return divmod(int(objective[1]), cols)


def _passable(grid: np.ndarray, cell: tuple[int, int], m: int, space: str, rows: int, cols: int) -> bool:
    r, c = cell
    dr, dc = MOVES[m]
    if not (0 <= r + dr < rows and 0 <= c + dc < cols):
        return False
    return space == "all" or bool(grid[OPEN, 2 * r + 1 + dr, 2 * c + 1 + dc])


# ---- breadth-first search -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BfsOrder:
    """The unlimited BFS of one grid with one move set and space: cells in the order taken off the queue, their
    depths and the move that reached them. A search of depth k takes exactly the cells of depth <= k off its queue,
    in this order, so one order serves every k and every objective."""

    cells: list[tuple[int, int]]
    depth: np.ndarray
    parent: dict

    def result(self, k: int, goal: tuple[int, int], moveset: int) -> tuple[tuple[int, ...] | None, int]:
        """The moves of the path found by search(k, ...) and its steps (None when the goal is not reached)."""
        tried = bin(moveset).count("1")
        within = int(np.searchsorted(self.depth, k, side="right"))
        pos = self.index.get(goal)
        if pos is not None and pos < within:
            expanded = int(np.count_nonzero(self.depth[:pos] < k))
            moves: list[int] = []
            cell = goal
            while self.parent[cell] is not None:
                cell, m = self.parent[cell]
                moves.append(m)
            moves.reverse()
            return tuple(moves), 1 + (pos + 1) + tried * expanded + 1 + len(moves)
        expanded = int(np.count_nonzero(self.depth[:within] < k))
        return None, 1 + within + tried * expanded

    @cached_property
    def index(self) -> dict:
        """Position of each cell in `cells`."""
        return {cell: i for i, cell in enumerate(self.cells)}


def bfs_order(grid: np.ndarray, moveset: int, space: str, rows: int, cols: int) -> BfsOrder:
    start = _start(grid)
    parent: dict = {start: None}
    depth = {start: 0}
    queue, order = deque([start]), []
    while queue:
        cell = queue.popleft()
        order.append(cell)
        for m in range(4):
            if not moveset >> m & 1 or not _passable(grid, cell, m, space, rows, cols):
                continue
            nxt = (cell[0] + MOVES[m][0], cell[1] + MOVES[m][1])
            if nxt in parent:
                continue
            parent[nxt] = (cell, m)
            depth[nxt] = depth[cell] + 1
            queue.append(nxt)
    return BfsOrder(order, np.array([depth[c] for c in order], dtype=np.int64), parent)


# ---- the greedy local rule ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class GreedyWalk:
    """The greedy walk of one grid toward one cell, followed until the objective, a dead end or `limit` moves."""

    moves: tuple[int, ...]
    end: str
    """"goal", "dead_end" or "limit"."""

    def result(self, k: int, max_steps: int) -> tuple[tuple[int, ...] | None, int]:
        """The walk of greedy(k, ...) and its steps; None when it would pass max_steps."""
        n = len(self.moves)
        if k > n and self.end == "limit":
            return None, max_steps + 1
        j = min(k, n)
        steps = 1 + j * (1 + LOOK_STEPS) + 1
        if j == n and self.end == "dead_end" and j < k:
            steps += LOOK_STEPS
        return self.moves[:j], steps + 1 + j


def greedy_walk(grid: np.ndarray, goal: tuple[int, int], limit: int, rows: int, cols: int) -> GreedyWalk:
    cell, previous, moves = _start(grid), None, []
    while True:
        if cell == goal:
            return GreedyWalk(tuple(moves), "goal")
        if len(moves) >= limit:
            return GreedyWalk(tuple(moves), "limit")
        best = None
        for m in range(4):
            if not _passable(grid, cell, m, "open", rows, cols):
                continue
            nxt = (cell[0] + MOVES[m][0], cell[1] + MOVES[m][1])
            if nxt == previous:
                continue
            distance = abs(nxt[0] - goal[0]) + abs(nxt[1] - goal[1])
            if best is None or distance < best[0]:
                best = (distance, m, nxt)
        if best is None:
            return GreedyWalk(tuple(moves), "dead_end")
        previous, cell = cell, best[2]
        moves.append(best[1])


# ---- generate-and-test over move sequences ------------------------------------------------------------------------
class SequenceSpace:
    """The move sequences over one move set, walked on one grid, length by length (vectorised), as far as a step
    budget allows. Shared by the interpreter and the enumerator (which asks it for many k and objectives)."""

    def __init__(self, grid: np.ndarray, moveset: int, rows: int, cols: int, max_steps: int) -> None:
        self.moves = np.array([m for m in range(4) if moveset >> m & 1], dtype=np.int64)
        self.grid, self.rows, self.cols, self.max_steps = grid, rows, cols, max_steps
        self.opened = grid[OPEN].astype(bool)
        self.start = _start(grid)
        self.lengths: list[tuple[np.ndarray, np.ndarray, bool]] = []
        """Per length: end cell index of each candidate (-1: rejected), cumulative steps after it, truncated."""
        self.spent = 0
        self._summaries: dict[tuple[int, int], tuple[int, int, int, int, bool]] = {}

    def _walk(self, length: int) -> None:
        m = len(self.moves)
        count = m**length
        truncated = self.spent + count > self.max_steps
        if truncated:  # every candidate costs a step: past this many the budget is surely spent
            count = max(self.max_steps - self.spent + 1, 0)
        index = np.arange(count, dtype=np.int64)
        r = np.full(count, self.start[0], dtype=np.int64)
        c = np.full(count, self.start[1], dtype=np.int64)
        alive = np.ones(count, dtype=bool)
        walked = np.zeros(count, dtype=np.int64)
        drs, dcs = np.array([d[0] for d in MOVES]), np.array([d[1] for d in MOVES])
        for position in range(length):
            move = self.moves[(index // m ** (length - 1 - position)) % m]
            dr, dc = drs[move], dcs[move]
            walked += alive
            nr, nc = r + dr, c + dc
            inside = alive & (nr >= 0) & (nr < self.rows) & (nc >= 0) & (nc < self.cols)
            through = np.zeros(count, dtype=bool)
            through[inside] = self.opened[(2 * r + 1 + dr)[inside], (2 * c + 1 + dc)[inside]]
            alive = through
            r, c = np.where(alive, nr, r), np.where(alive, nc, c)
        end = np.where(alive, r * self.cols + c, -1)
        cumulative = self.spent + np.cumsum(1 + walked)
        if count:
            self.spent = int(cumulative[-1])
        self.lengths.append((end, cumulative, truncated))

    def sequence(self, length: int, index: int) -> tuple[int, ...]:
        m = len(self.moves)
        return tuple(int(self.moves[(index // m ** (length - 1 - p)) % m]) for p in range(length))

    def _summary(self, length: int, target: int, goal: tuple[int, int]) -> tuple[int, int, int, int, bool]:
        """Per length and objective: first hit index (-1: none), least distance and its first index (-1: no valid
        candidate), the steps spent after the length's last candidate, and whether the length was truncated."""
        key = (length, target)
        cached = self._summaries.get(key)
        if cached is None:
            end, cumulative, truncated = self.lengths[length]
            hits = np.flatnonzero(end == target)
            hit = int(hits[0]) if len(hits) else -1
            distance, at = np.iinfo(np.int64).max, -1
            valid = end >= 0
            if valid.any():
                er, ec = np.divmod(end, self.cols)
                dist = np.where(valid, np.abs(er - goal[0]) + np.abs(ec - goal[1]), np.iinfo(np.int64).max)
                at = int(np.argmin(dist))
                distance = int(dist[at])
            spent = int(cumulative[-1]) if len(cumulative) else -1
            cached = (hit, distance, at, spent, truncated)
            self._summaries[key] = cached
        return cached

    def result(self, k: int, goal: tuple[int, int]) -> tuple[tuple[int, ...] | None, int]:
        """The best sequence of enum(k, ...) toward `goal` and its steps; None when it would pass max_steps."""
        over = (None, self.max_steps + 1)
        target = goal[0] * self.cols + goal[1]
        best: tuple[int, int, int] | None = None  # (distance, length, index)
        spent = 0
        for length in range(k + 1):
            while len(self.lengths) <= length:
                if self.lengths and self.lengths[-1][2]:
                    return over
                self._walk(len(self.lengths))
            hit, distance, at, last, truncated = self._summary(length, target, goal)
            if hit >= 0:
                steps = 1 + int(self.lengths[length][1][hit]) + 1 + length
                return (self.sequence(length, hit), steps) if steps <= self.max_steps else over
            if truncated:
                return over
            if last >= 0:
                spent = last
            if at >= 0 and (best is None or distance < best[0]):
                best = (distance, length, at)
        sequence = self.sequence(best[1], best[2]) if best is not None else ()
        steps = 1 + spent + 1 + len(sequence)
        return (sequence, steps) if steps <= self.max_steps else over

    def hit_within(self, k: int, goal: tuple[int, int]) -> bool:
        """Whether some sequence of length <= k (already walked) ends on `goal`."""
        target = goal[0] * self.cols + goal[1]
        return any(self._summary(n, target, goal)[0] >= 0 for n in range(min(k + 1, len(self.lengths))))


# ---- the interpreter ----------------------------------------------------------------------------------------------
def run_one(dsl: MazeDsl, node: Node, grid: np.ndarray, max_steps: int = MAX_STEPS) -> tuple[np.ndarray, int]:
    """Path mask (H, W) bool and steps of a maze program on one grid (of any size: the grid sets rows and cols)."""
    rows, cols = (grid.shape[-2] - 1) // 2, (grid.shape[-1] - 1) // 2
    mask = np.zeros(grid.shape[-2:], dtype=bool)
    start = _start(grid)
    op = node[0]
    moves: tuple[int, ...] | None
    if op == "moves":
        moves, steps = node[1], 1 + len(node[1])
    elif op == "table":
        lookup = dict(node[2])
        moves = lookup.get(feature_key(grid, node[1]))
        steps = 1 + table_steps(len(lookup)) + (1 + len(moves) if moves is not None else 0)
    elif op == "search":
        _, k, moveset, space, objective = node
        moves, steps = bfs_order(grid, moveset, space, rows, cols).result(
            k, objective_cell(grid, objective, cols), moveset
        )
    elif op == "greedy":
        _, k, objective = node
        goal = objective_cell(grid, objective, cols)
        moves, steps = greedy_walk(grid, goal, min(k, greedy_limit(max_steps)), rows, cols).result(k, max_steps)
    elif op == "enum":
        _, k, moveset, objective = node
        space = SequenceSpace(grid, moveset, rows, cols, max_steps)
        moves, steps = space.result(k, objective_cell(grid, objective, cols))
    else:
        raise ValueError(f"unknown maze production {op!r}")
    if steps > max_steps:
        return mask, max_steps + 1
    if moves is not None:
        draw(mask, start, moves, rows, cols)
    return mask, int(steps)


def run(dsl: MazeDsl, node: Node, grids: np.ndarray, max_steps: int = MAX_STEPS) -> tuple[np.ndarray, np.ndarray]:
    """Path masks (B, H, W) bool and steps (B,) int64 of a maze program on a batch of grids."""
    grids = np.asarray(grids)
    masks = np.zeros((len(grids), *grids.shape[-2:]), dtype=bool)
    steps = np.zeros(len(grids), dtype=np.int64)
    for b in range(len(grids)):
        masks[b], steps[b] = run_one(dsl, node, grids[b], max_steps)
    return masks, steps


def moves_of(path_cells: np.ndarray) -> tuple[int, ...]:
    """The move indices that walk an ordered list of (row, col) cells."""
    out = []
    for (r0, c0), (r1, c1) in zip(path_cells[:-1], path_cells[1:], strict=True):
        out.append(MOVES.index((int(r1 - r0), int(c1 - c0))))
    return tuple(out)


@dataclass(frozen=True)
class Found:
    """One correct program with its measured c and mean t on the training set."""

    program: Node
    c: float
    t: float

    def score(self, g: float) -> float:
        return self.c + g * math.log2(self.t)


def best(found: list[Found], g: float, label: str | None = None) -> Found | None:
    """The correct program of least c + g*log2(t), optionally of one label; ties go to smaller c, then smaller t,
    then listing order."""
    pool = [f for f in found if label is None or structural_label(f.program) == label]
    if not pool:
        return None
    return min(pool, key=lambda f: (f.score(g), f.c, f.t))
