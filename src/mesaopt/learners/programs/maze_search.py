"""The maze language under the same base optimizers as the word programs: the Levin enumerator (a `LevelSearch`
subclass, so the same cost levels, (outputs, steps) pruning, stop rule and Levin choice) and the local searches
(`local.hill_climb` and `local.genetic` with a maze sampler).

Outputs are path masks, packed 64 grid positions to a word, so two programs are merged only when they draw the same
mask AND take the same steps on every training maze: a searcher is never merged with the stored path it reproduces.

Every program of exactly c bits is a candidate at level c. Move lists (4**L of them at a level) are generated and
walked as NumPy arrays. Parameterised productions (greedy, search, enum) are evaluated from one cached trace per
grid (`maze.BfsOrder`, `maze.GreedyWalk`, `maze.SequenceSpace`), the same code the interpreter runs. Depths past a
trace's saturation point (every deeper program has the same outputs and steps as the saturated one, which has
fewer or as many bits and is met first) and depths whose steps are already past the cap are pruned without being
evaluated; `skipped` counts them. Tables are generated only where they reproduce every training answer, as in the
word enumerator (any other table answers some training maze wrongly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mesaopt.dsl import gamma_bits
from mesaopt.learners.programs.enumerate import CHUNK_ROWS, EnumResult, LevelSearch
from mesaopt.learners.programs.local import Evaluate, genetic, hill_climb
from mesaopt.learners.programs.maze import (
    ENUM_DEPTH_BITS,
    ENUM_MAX_DEPTH,
    MAX_STEPS,
    MOVESET_BITS,
    PRODUCTION_BITS,
    MazeDsl,
    Node,
    SequenceSpace,
    bfs_order,
    draw,
    feature_key,
    greedy_limit,
    greedy_walk,
    moves_of,
    objective_cell,
    run,
    structural_label,
)
from mesaopt.tasks.maze import MOVES, START, cell_position, path_cells

SPACES = ("open", "all")
FEATURES = ("instance", "goal")


@dataclass(frozen=True)
class MazeEnumConfig:
    """Knobs of the maze enumerator (read by the shared core: g, max_cost, max_steps, max_level, time_budget_s)."""

    g: float = 0.0
    max_cost: int = 40
    max_steps: int = MAX_STEPS
    max_level: int = 2_000_000
    time_budget_s: float = 60.0
    cell_objectives: bool = True
    """Also enumerate programs aimed at a hard-coded cell (greedy, search and enum with ("cell", i))."""


def words(dsl: MazeDsl) -> int:
    height, width = dsl.grid_shape
    return (height * width + 63) // 64


def pack(masks: np.ndarray, n_words: int) -> np.ndarray:
    """Masks (..., H, W) bool as (..., n_words) uint64; grid position p is bit p % 64 of word p // 64."""
    lead = masks.shape[:-2]
    flat = masks.reshape(-1, masks.shape[-2] * masks.shape[-1])
    raw = np.packbits(flat, axis=1, bitorder="little")
    padded = np.zeros((len(flat), n_words * 8), dtype=np.uint8)
    padded[:, : raw.shape[1]] = raw
    return padded.view("<u8").reshape(*lead, n_words)


def levels_of(rest: int) -> range:
    """The depths k whose Elias gamma code is exactly `rest` bits."""
    if rest < 1 or rest % 2 == 0:
        return range(0)
    j = (rest - 1) // 2
    return range(1 << j, 1 << (j + 1))


def _mark(out: np.ndarray, where: np.ndarray, y: np.ndarray, x: np.ndarray, width: int) -> None:
    """Set grid position (y, x) in the packed masks of rows `where` (each row at most once)."""
    position = y * width + x
    out[where, position >> 6] |= np.left_shift(np.uint64(1), (position & 63).astype(np.uint64))


class MazeEnumerator(LevelSearch):
    """Bottom-up enumeration of maze programs on fixed training mazes; see the module docstring."""

    def __init__(self, dsl: MazeDsl, grids: np.ndarray, targets: np.ndarray, config: MazeEnumConfig) -> None:
        super().__init__(config, len(grids))
        self.dsl = dsl
        self.grids = np.asarray(grids)
        self.targets = np.asarray(targets, dtype=bool)
        self.n_words = words(dsl)
        self.answers = pack(self.targets, self.n_words)
        self.starts = cell_position(self.grids, START)
        self.paths = [moves_of(cells) for cells in path_cells(self.grids, self.targets)]
        self.skipped = 0
        self._bfs: dict = {}
        self._walks: dict = {}
        self._spaces: dict = {}
        rng = np.random.default_rng(0)
        self._w_vals = rng.integers(1, 2**63, size=(2, self.n, self.n_words), dtype=np.uint64) | np.uint64(1)
        self._w_steps = rng.integers(1, 2**63, size=(2, self.n), dtype=np.uint64) | np.uint64(1)
        self.label_of = structural_label
        self._start_state()

    # ---- core hooks --------------------------------------------------------------------------------------------
    def _signature(self, vals: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        s = steps.astype(np.uint64)
        out = []
        for i in range(2):
            h = (vals * self._w_vals[i]).sum(axis=(1, 2), dtype=np.uint64)
            out.append(h + (s * self._w_steps[i]).sum(axis=1, dtype=np.uint64))
        return out[0], out[1]

    def _hits(self, vals: np.ndarray) -> np.ndarray:
        return (vals == self.answers[None]).all(axis=(1, 2))

    def node(self, pid: int) -> Node:
        return self.store[pid]

    def expand(self, cost: int) -> None:
        self._moves(cost)
        for node in self._tables_at(cost):  # one at a time, as the word enumerator does
            self._emit_nodes(cost, [node])
        self._greedy(cost)
        self._search(cost)
        self._enum(cost)

    def _mean_steps(self, node: Node) -> float:
        return float(run(self.dsl, node, self.grids, self.config.max_steps)[1].mean())

    # ---- productions -------------------------------------------------------------------------------------------
    def _moves(self, cost: int) -> None:
        """Every move list of this cost, built by extending the distinct walk states of one move fewer: two lists
        that leave every training maze in the same state (mask drawn so far, current cell) stay interchangeable under
        every extension, so only the first of each state (in lexicographic order) is extended."""
        rest = cost - PRODUCTION_BITS["moves"]
        length = next((n for n in range(rest) if gamma_bits(n + 1) + 2 * n == rest), None)
        if length is None:
            return
        while self._prefix_length < length:
            self._extend()
        digits, vals = self._prefix[0], self._prefix[1]
        steps_row = np.full(self.n, 1 + length, dtype=np.int64)
        for lo in range(0, len(digits), CHUNK_ROWS):
            chunk = digits[lo : lo + CHUNK_ROWS]
            steps = np.broadcast_to(steps_row, (len(chunk), self.n))
            self._emit(
                "main",
                cost,
                vals[lo : lo + CHUNK_ROWS],
                steps,
                (lambda keep, d=chunk: [("moves", tuple(int(m) for m in d[i])) for i in keep],),
            )

    def _start_state(self) -> None:
        self._prefix_length = 0
        r = self.starts[None, :, 0].astype(np.int64)
        c = self.starts[None, :, 1].astype(np.int64)
        vals = np.zeros((1, self.n, self.n_words), dtype=np.uint64)
        width = self.dsl.grid_shape[1]
        for b in range(self.n):
            _mark(vals[:, b], np.arange(1), 2 * r[:, b] + 1, 2 * c[:, b] + 1, width)
        self._prefix = (np.zeros((1, 0), dtype=np.int8), vals, r, c)

    def _extend(self) -> None:
        """All lists of one move more, from the kept states: the new rows are (state, move) for each move."""
        digits, vals, r, c = self._distinct_states()
        width = self.dsl.grid_shape[1]
        rows, cols = self.dsl.rows, self.dsl.cols
        move = np.tile(np.arange(4, dtype=np.int8), len(digits))
        digits = np.concatenate([np.repeat(digits, 4, axis=0), move[:, None]], axis=1)
        vals, r, c = np.repeat(vals, 4, axis=0), np.repeat(r, 4, axis=0), np.repeat(c, 4, axis=0)
        drs, dcs = np.array([d[0] for d in MOVES])[move], np.array([d[1] for d in MOVES])[move]
        for b in range(self.n):
            nr, nc = r[:, b] + drs, c[:, b] + dcs
            inside = np.flatnonzero((nr >= 0) & (nr < rows) & (nc >= 0) & (nc < cols))
            out = vals[:, b]
            _mark(out, inside, 2 * r[inside, b] + 1 + drs[inside], 2 * c[inside, b] + 1 + dcs[inside], width)
            r[inside, b], c[inside, b] = nr[inside], nc[inside]
            _mark(out, inside, 2 * r[inside, b] + 1, 2 * c[inside, b] + 1, width)
        self._prefix = (digits, vals, r, c)
        self._prefix_length += 1

    def _distinct_states(self):
        """The current lists reduced to the first of each distinct state (mask and cell on every training maze)."""
        digits, vals, r, c = self._prefix
        if len(digits) <= 1:
            return self._prefix
        keys = self._signature(vals, r * self.dsl.cols + c)  # the cell takes the place of the steps
        _, first = np.unique(np.stack(keys, axis=1), axis=0, return_index=True)
        first = np.sort(first)
        return digits[first], vals[first], r[first], c[first]

    def _tables(self) -> dict[int, list[Node]]:
        """The tables on each feature that reproduce every training path (the only correct tables)."""
        out: dict[int, list[Node]] = {}
        for feature in FEATURES:
            entries: dict[int, tuple[int, ...]] = {}
            if all(
                entries.setdefault(feature_key(g, feature), p) == p for g, p in zip(self.grids, self.paths, strict=True)
            ):
                node = ("table", feature, tuple(sorted(entries.items())))
                out.setdefault(self.dsl.cost(node), []).append(node)
        return out

    def _objectives(self) -> list[tuple]:
        cells = [("cell", i) for i in range(self.dsl.cells)] if self.config.cell_objectives else []
        return [("goal",), *cells]

    def _goal(self, b: int, objective: tuple) -> tuple[int, int]:
        return objective_cell(self.grids[b], objective, self.dsl.cols)

    def _results_to_rows(self, results: list[tuple[tuple[int, ...] | None, int]]) -> tuple[np.ndarray, np.ndarray]:
        masks = np.zeros((self.n, *self.dsl.grid_shape), dtype=bool)
        steps = np.zeros(self.n, dtype=np.int64)
        for b, (moves, s) in enumerate(results):
            steps[b] = min(s, self.config.max_steps + 1)
            if moves is not None and s <= self.config.max_steps:
                draw(masks[b], (int(self.starts[b, 0]), int(self.starts[b, 1])), moves, self.dsl.rows, self.dsl.cols)
        return pack(masks, self.n_words), steps

    def _emit_rows(self, cost: int, nodes: list[Node], rows: list[tuple[np.ndarray, np.ndarray]]) -> None:
        if not nodes:
            return
        vals = np.stack([r[0] for r in rows])
        steps = np.stack([r[1] for r in rows])
        self._emit("main", cost, vals, steps, (lambda keep: [nodes[i] for i in keep],))

    def _emit_nodes(self, cost: int, nodes: list[Node]) -> None:
        rows = []
        for node in nodes:
            masks, steps = run(self.dsl, node, self.grids, self.config.max_steps)
            rows.append((pack(masks, self.n_words), steps))
        self._emit_rows(cost, nodes, rows)

    def _greedy(self, cost: int) -> None:
        nodes, rows = [], []
        cap = self.config.max_steps
        limit = greedy_limit(cap)
        for objective in self._objectives():
            depths = levels_of(cost - PRODUCTION_BITS["greedy"] - self.dsl.objective_bits(objective))
            if not depths:
                continue
            walks = []
            for b in range(self.n):
                key = (b, objective)
                if key not in self._walks:
                    grid = self.grids[b]
                    self._walks[key] = greedy_walk(grid, self._goal(b, objective), limit, self.dsl.rows, self.dsl.cols)
                walks.append(self._walks[key])
            saturated = max(len(w.moves) for w in walks) + 1 if all(w.end != "limit" for w in walks) else limit
            for k in depths:
                if k > saturated:
                    self.skipped += depths.stop - k
                    break
                nodes.append(("greedy", k, objective))
                rows.append(self._results_to_rows([w.result(k, cap) for w in walks]))
        self._emit_rows(cost, nodes, rows)

    def _search(self, cost: int) -> None:
        nodes, rows = [], []
        for objective in self._objectives():
            rest = cost - PRODUCTION_BITS["search"] - MOVESET_BITS - 1 - self.dsl.objective_bits(objective)
            depths = levels_of(rest)
            if not depths:
                continue
            goals = [self._goal(b, objective) for b in range(self.n)]
            for moveset in range(16):
                for space in SPACES:
                    orders = []
                    for b in range(self.n):
                        key = (b, moveset, space)
                        if key not in self._bfs:
                            self._bfs[key] = bfs_order(self.grids[b], moveset, space, self.dsl.rows, self.dsl.cols)
                        orders.append(self._bfs[key])
                    saturated = max(int(o.depth[-1]) for o in orders) + 1
                    for k in depths:
                        if k > saturated:
                            self.skipped += depths.stop - k
                            break
                        nodes.append(("search", k, moveset, space, objective))
                        results = [o.result(k, goals[b], moveset) for b, o in enumerate(orders)]
                        rows.append(self._results_to_rows(results))
        self._emit_rows(cost, nodes, rows)

    def _enum(self, cost: int) -> None:
        nodes, rows = [], []
        cap = self.config.max_steps
        for objective in self._objectives():
            if cost != PRODUCTION_BITS["enum"] + ENUM_DEPTH_BITS + MOVESET_BITS + self.dsl.objective_bits(objective):
                continue
            depths = range(1, ENUM_MAX_DEPTH + 1)
            goals = [self._goal(b, objective) for b in range(self.n)]
            for moveset in range(16):
                spaces = []
                for b in range(self.n):
                    key = (b, moveset)
                    if key not in self._spaces:
                        self._spaces[key] = SequenceSpace(self.grids[b], moveset, self.dsl.rows, self.dsl.cols, cap)
                    spaces.append(self._spaces[key])
                for k in depths:
                    results = [s.result(k, goals[b]) for b, s in enumerate(spaces)]
                    if any(s > cap for _, s in results):
                        self.skipped += depths.stop - k  # deeper budgets only spend more steps
                        break
                    nodes.append(("enum", k, moveset, objective))
                    rows.append(self._results_to_rows(results))
                    if all(s.hit_within(k, goals[b]) for b, s in enumerate(spaces)):
                        self.skipped += depths.stop - k - 1  # every deeper budget stops at the same hit
                        break
        self._emit_rows(cost, nodes, rows)


def enumerate_maze(
    dsl: MazeDsl, grids: np.ndarray, targets: np.ndarray, config: MazeEnumConfig, require_labels: tuple[str, ...] = ()
) -> tuple[EnumResult, MazeEnumerator]:
    """The Levin choice among maze programs for these training mazes (and the enumerator, for its counters).

    `require_labels` keeps enumerating until a correct program of each label is met (so the cheapest of each, by c,
    is in `result.correct`), within the caps."""
    enumerator = MazeEnumerator(dsl, grids, targets, config)
    enumerator.require_labels = tuple(require_labels)
    return enumerator.run(), enumerator


# ---- local search -------------------------------------------------------------------------------------------------
MAX_RANDOM_DEPTH = 16
"""Largest depth k drawn for a fresh random program (mutations can step it further)."""


class MazeSampler:
    """Random maze programs and their mutations, for `local.hill_climb` and `local.genetic`.

    A fresh program draws its production in proportion to the production code (2**-bits), then its fields: a move
    list of 0-8 random moves, or the training table, a depth in 1..MAX_RANDOM_DEPTH, a random move set, space and
    objective (the goal or a random cell). A mutation either draws a fresh program or changes one field: a move
    (replace, insert, delete), the depth (+-1), one bit of the move set, the space or the objective."""

    def __init__(self, dsl: MazeDsl, table: Node | None, rng: np.random.Generator) -> None:
        self.dsl, self.table, self.rng = dsl, table, rng

    def _objective(self) -> tuple:
        if self.rng.random() < 0.5:
            return ("goal",)
        return ("cell", int(self.rng.integers(self.dsl.cells)))

    def tree(self) -> Node:
        names = [n for n in PRODUCTION_BITS if n != "table" or self.table is not None]
        weights = np.array([2.0 ** -PRODUCTION_BITS[n] for n in names])
        op = names[int(self.rng.choice(len(names), p=weights / weights.sum()))]
        k = int(self.rng.integers(1, MAX_RANDOM_DEPTH + 1))
        if op == "moves":
            return ("moves", tuple(int(m) for m in self.rng.integers(0, 4, size=int(self.rng.integers(0, 9)))))
        if op == "table":
            return self.table
        if op == "greedy":
            return ("greedy", k, self._objective())
        if op == "search":
            return ("search", k, int(self.rng.integers(16)), SPACES[int(self.rng.integers(2))], self._objective())
        return ("enum", k, int(self.rng.integers(16)), self._objective())

    def mutate(self, node: Node) -> Node:
        rng = self.rng
        if rng.random() < 0.2 or node[0] == "table":
            return self.tree()
        if node[0] == "moves":
            moves = list(node[1])
            kind = int(rng.integers(3)) if moves else 1
            spot = int(rng.integers(len(moves) + (1 if kind == 1 else 0))) if moves or kind == 1 else 0
            if kind == 0:
                moves[spot] = int(rng.integers(4))
            elif kind == 1:
                moves.insert(spot, int(rng.integers(4)))
            else:
                del moves[spot]
            return ("moves", tuple(moves))
        fields = list(node)
        choices = ["k", "objective"] + (["moveset"] if node[0] in ("search", "enum") else [])
        choices += ["space"] if node[0] == "search" else []
        field = choices[int(rng.integers(len(choices)))]
        if field == "k":
            top = ENUM_MAX_DEPTH if node[0] == "enum" else None
            fields[1] = int(np.clip(fields[1] + int(rng.choice([-1, 1])), 1, top))
        elif field == "objective":
            fields[-1] = self._objective()
        elif field == "moveset":
            fields[2] = fields[2] ^ (1 << int(rng.integers(4)))
        else:
            fields[3] = "all" if fields[3] == "open" else "open"
        return tuple(fields)

    def crossover(self, a: Node, b: Node) -> Node:
        """Same production: take each field from either parent; move lists: a prefix of one and a suffix of the
        other; different productions: one parent."""
        rng = self.rng
        if a[0] != b[0] or a[0] == "table":
            return a if rng.random() < 0.5 else b
        if a[0] == "moves":
            cut_a, cut_b = int(rng.integers(len(a[1]) + 1)), int(rng.integers(len(b[1]) + 1))
            return ("moves", a[1][:cut_a] + b[1][cut_b:])
        return tuple([a[0]] + [x if rng.random() < 0.5 else y for x, y in zip(a[1:], b[1:], strict=True)])


def maze_loss(
    dsl: MazeDsl, node: Node, grids: np.ndarray, targets: np.ndarray, paths: list[tuple[int, ...]], g: float
) -> tuple[float, bool]:
    """c + g*log2(t) + for each wrong training maze the bits of listing its path as a table entry (the price of
    storing that answer as an exception), and whether every training maze is answered."""
    masks, steps = run(dsl, node, grids)
    wrong = [b for b in range(len(grids)) if not (masks[b] == targets[b]).all()]
    penalty = sum(dsl.key_bits("instance") + dsl.moves_bits(paths[b]) for b in wrong)
    return dsl.cost(node) + g * math.log2(float(steps.mean())) + penalty, not wrong


def local_search(
    kind: str,
    dsl: MazeDsl,
    grids: np.ndarray,
    targets: np.ndarray,
    g: float,
    rng: np.random.Generator,
    steps: int = 500,
    restarts: int = 1,
    population: int = 32,
    generations: int = 20,
) -> tuple[Node, list[float], int]:
    """Hill-climbing ("hillclimb") or the genetic algorithm ("genetic") over maze programs with `maze_loss`.
    Returns the final program, the loss along the way, and how many distinct programs were evaluated."""
    paths = [moves_of(cells) for cells in path_cells(grids, targets)]
    entries = dict(zip((feature_key(g_, "instance") for g_ in grids), paths, strict=True))
    table = ("table", "instance", tuple(sorted(entries.items()))) if len(entries) == len(grids) else None
    sampler = MazeSampler(dsl, table, rng)
    cache: dict[Node, tuple[float, bool]] = {}

    def evaluate(node: Node) -> tuple[float, bool]:
        if node not in cache:
            cache[node] = maze_loss(dsl, node, grids, targets, paths, g)
        return cache[node]

    check: Evaluate = evaluate
    if kind == "hillclimb":
        runs = [hill_climb(sampler.tree(), sampler, check, steps) for _ in range(restarts)]
        program, curve = min(runs, key=lambda r: r[1][-1])
    else:
        program, curve = genetic(sampler, check, population, generations)
    return program, curve, len(cache)
