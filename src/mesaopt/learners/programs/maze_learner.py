"""Program search on the "maze" task: the found maze program as a LearnedAlgorithm, the enumerating learner with the
compression curve along one maze's path, and the detector that checks the battery's label against the structure.

The compression curve: the training maze's goal is moved onto each cell of its own shortest path in turn (same maze,
path length 1, 2, ..., L). At each length the cheapest correct stored answer and the cheapest correct searcher are
measured on the interpreter, and the winner under c + g*log2(t) is recorded.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.learners.base import Progress
from mesaopt.learners.programs.algorithm import label_metrics
from mesaopt.learners.programs.dsl import gamma_bits
from mesaopt.learners.programs.maze import (
    ALL_MOVES,
    MOVESET_BITS,
    OBJECTIVE_BITS,
    PRODUCTION_BITS,
    SPACE_BITS,
    Found,
    MazeDsl,
    Node,
    best,
    correct_programs,
    run,
    show,
    structural_label,
)
from mesaopt.tasks.maze import MazeTask, move_goal, path_cells, shortest_path

TASKS = ("maze",)
NONE = -1.0
"""Curve value where no correct searcher exists at that length (a loop can make BFS pick another shortest path)."""


class MazeProgram:
    """A maze program as a LearnedAlgorithm: size_bits is c, compute_per_call is t (mean steps on training)."""

    def __init__(self, dsl: MazeDsl, program: Node, t_train: float, train_metrics: dict | None = None) -> None:
        self.dsl, self.program, self.t_train = dsl, program, t_train
        self.structural_label = structural_label(program)
        self.train_metrics = {**label_metrics(self.structural_label), **(train_metrics or {})}

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        """Path masks (B, H, W); with `iterations`, instances needing more steps than that get an empty mask."""
        masks, steps = run(self.dsl, self.program, np.asarray(batch.inputs))
        if iterations is not None:
            masks = masks & (steps <= iterations)[:, None, None]
        return masks

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """The interpreter's step count per instance (a program has no other activations)."""
        _, steps = run(self.dsl, self.program, np.asarray(batch.inputs))
        return {"program.steps": steps.astype(np.float64)[:, None]}

    def size_bits(self) -> float:
        return float(self.dsl.cost(self.program))

    def compute_per_call(self) -> float:
        return float(self.t_train)

    def describe(self) -> str:
        return f"{self.structural_label} maze program: {show(self.program)}"

    def artifacts(self) -> dict[str, np.ndarray]:
        """The program's text (UTF-8 bytes) and the maze shape; the text is enough to rebuild it by hand."""
        return {
            "program_text": np.frombuffer(repr(self.program).encode(), dtype=np.uint8).copy(),
            "dsl": np.array([self.dsl.rows, self.dsl.cols], dtype=np.int64),
        }


class MazeEnumerateConfig(BaseModel):
    """Exhaustive search of the maze-program space under c + g*log2(t)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    g: float = Field(default=0.0, ge=0, description="exchange rate between a bit of c and a doubling of t")
    max_depth: int | None = Field(default=None, ge=1, description="depth of the general solver (None: cells - 1)")
    curve: bool = Field(default=True, description="measure the compression curve along the first training maze")


def general_c(dsl: MazeDsl, depth: int) -> int:
    """c of the general solver search(depth, all moves, open, goal), from the code alone."""
    return dsl.cost(("search", depth, ALL_MOVES, "open", ("goal",)))


def formula_crossover(c_search: callable, max_length: int = 256) -> float:
    """Smallest path length L from which a stored move list (2 + gamma(L+1) + 2L bits) is longer than c_search(L),
    from the code alone; max_length + 1 if not within max_length."""
    lengths = range(1, max_length + 1)
    longer = [PRODUCTION_BITS["moves"] + gamma_bits(n + 1) + 2 * n > c_search(n) for n in lengths]
    return _first_from(list(lengths), longer)


def _first_from(lengths: list[int], flags: list[bool]) -> float:
    """The smallest length from which every flag is true; the last length + 1 if the last flag is false (the
    catalog holds finite numbers only, so "not within these lengths" reads as one past them)."""
    if not flags or not flags[-1]:
        return float(lengths[-1] + 1 if lengths else 1)
    index = len(flags) - 1
    while index > 0 and flags[index - 1]:
        index -= 1
    return float(lengths[index])


def compression_curve(dsl: MazeDsl, grid: np.ndarray, g: float, max_depth: int) -> dict[str, float | list[float]]:
    """Along one maze's path: the cheapest stored answer and searcher at each path length, the winner, and where the
    searcher takes over (measured from the winner, predicted from the measured c's, and from the code alone)."""
    cells = path_cells(grid[None])[0]
    lengths, c_mem, c_srch, t_mem, t_srch, winner = [], [], [], [], [], []
    for length in range(1, len(cells)):
        grids = move_goal(_batch(grid[None]), cells[length][None]).grids
        found = correct_programs(dsl, grids, shortest_path(grids), max_depth)
        memo, search = best(found, 0.0, "memorizer"), best(found, 0.0, "searcher")
        chosen = best(found, g)
        lengths.append(length)
        c_mem.append(memo.c)
        c_srch.append(search.c if search else NONE)
        t_mem.append(math.log2(memo.t))
        t_srch.append(math.log2(search.t) if search else NONE)
        winner.append(float(structural_label(chosen.program) == "searcher"))
    measured = _first_from(lengths, [w == 1.0 for w in winner])
    predicted_c = _first_from(lengths, [s != NONE and s < m for s, m in zip(c_srch, c_mem, strict=True)])
    fitted_search_c = (
        PRODUCTION_BITS["search"] + MOVESET_BITS + SPACE_BITS["open"] + OBJECTIVE_BITS["goal"]
    )  # plus gamma(k): the code of the searcher at depth k = L
    return {
        "curve_path_length": [float(n) for n in lengths],
        "curve_c_memorizer": c_mem,
        "curve_c_searcher": c_srch,
        "curve_log2_t_memorizer": t_mem,
        "curve_log2_t_searcher": t_srch,
        "curve_is_searcher": winner,
        "crossover_measured": measured,
        "crossover_predicted_c": predicted_c,
        "crossover_gap": measured - predicted_c,
        "crossover_within_path": float(winner[-1] == 1.0),
        "crossover_formula": formula_crossover(lambda n: fitted_search_c + gamma_bits(n)),
        "crossover_general_formula": formula_crossover(lambda n: general_c(dsl, max_depth)),
    }


def is_general(program: Node, depth: int) -> bool:
    """Whether a program is the general solver of its maze size: a search reading the goal, through open passages,
    trying all four moves, at least `depth` deep (the longest path such a maze can have)."""
    if program[0] != "search":
        return False
    _, k, moveset, space, objective = program
    return k >= depth and moveset == ALL_MOVES and space == "open" and objective == ("goal",)


def _batch(grids: np.ndarray):
    from mesaopt.tasks.maze import MazeBatch

    return MazeBatch(grids)


def _cost_metrics(prefix: str, found: Found | None) -> dict[str, float]:
    if found is None:
        return {}
    return {f"c_{prefix}": found.c, f"log2_t_{prefix}": math.log2(found.t)}


def fit_maze_enumerate(
    config: MazeEnumerateConfig, task: MazeTask, seed: np.random.SeedSequence, progress: Progress
) -> MazeProgram:
    """Try every program of the (finite, dominance-pruned) maze space on the training pool; keep the least
    c + g*log2(t) among those that reproduce every training path."""
    train = task.train_pool()
    if train is None:
        train = task.sample_train(4, np.random.default_rng(seed))
    grids = np.asarray(train.grids)
    rows, cols = train.cell_shape
    dsl = MazeDsl(rows, cols)
    depth = config.max_depth or dsl.cells - 1
    targets = shortest_path(grids)
    found = correct_programs(dsl, grids, targets, depth)
    chosen = best(found, config.g)
    lengths = [len(cells) - 1 for cells in path_cells(grids, targets)]
    metrics: dict[str, float | list[float]] = {
        "c": chosen.c,
        "log2_t": math.log2(chosen.t),
        "score": chosen.score(config.g),
        "path_length": float(np.mean(lengths)),
        "correct_programs": float(len(found)),
        "is_general_solver": float(is_general(chosen.program, depth)),
        "c_general": float(general_c(dsl, depth)),
        **_cost_metrics("memorizer", best(found, 0.0, "memorizer")),
        **_cost_metrics("searcher", best(found, 0.0, "searcher")),
    }
    if "c_searcher" in metrics:
        metrics["searcher_shorter"] = float(metrics["c_searcher"] < metrics["c_memorizer"])
    if config.curve:
        metrics.update(compression_curve(dsl, grids[0], config.g, depth))
    progress(1, 1)
    return MazeProgram(dsl, chosen.program, chosen.t, metrics)


LABEL_METRICS = ("agrees", "battery_is_memorizer", "battery_is_heuristic", "battery_is_searcher", "known")


def label_agreement(learned, task) -> dict[str, float]:
    """Run the profile battery and compare its label with the program's structural label (`agrees` is 1 or 0).

    `known` is 0 (and `agrees` 0) for a learner without a structural label."""
    from mesaopt.detectors.profile import LABELS, profile

    result = profile(learned, task)
    structural = getattr(learned, "structural_label", None)
    return {
        "agrees": float(structural is not None and result.label == structural),
        **{f"battery_is_{label}": float(result.label == label) for label in LABELS},
        "known": float(structural is not None),
    }
