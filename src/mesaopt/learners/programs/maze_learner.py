"""Program search on the "maze" task: the found maze program as a LearnedAlgorithm, the learners (the Levin
enumerator `maze_enumerate` with the compression curve along one maze's path, and the local searches
`maze_hillclimb` and `maze_genetic`), and the detector that checks the battery's label against the structure.

All three search the maze language of `maze` (stored paths, keyed tables, the greedy heuristic, BFS and
generate-and-test over move sequences) through the same optimizers as the word programs (`maze_search`).

The compression curve: the training maze's goal is moved onto each cell of its own shortest path in turn (same maze,
path length 1, 2, ..., L). At each length the enumerator runs until it has met the cheapest correct stored answer and
the cheapest correct searcher (by c) and the Levin choice under c + g*log2(t). The cheapest stored answer is
recorded when the enumeration met it (stored answers dearer than every level enumerated read NONE: the searcher is
already the shorter program there). `c_stored_path` is the c of the stored training path, from the code alone.
"""

from __future__ import annotations

import math

import numpy as np

from mesaopt.dsl import gamma_bits
from mesaopt.learners.base import Progress
from mesaopt.learners.programs.algorithm import label_metrics
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
    moves_of,
    run,
    show,
    structural_label,
)
from mesaopt.learners.programs.maze_config import MazeEnumerateConfig, MazeLocalConfig
from mesaopt.learners.programs.maze_search import enumerate_maze, local_search
from mesaopt.tasks.maze import MazeTask, move_goal, path_cells, shortest_path

TASKS = ("maze",)
NONE = -1.0
"""Curve value where no correct program of that kind was met within the caps."""


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


def cheapest(found: list[Found], label: str) -> Found | None:
    """The correct program of one label with the least c (ties: less t)."""
    return best(found, 0.0, label)


def _found(correct: list[tuple[Node, int, float]], reached: int) -> list[Found]:
    """The correct programs within the cost levels enumerated (where the cheapest of each label is certain)."""
    return [Found(node, float(c), float(t)) for node, c, t in correct if c <= reached]


def compression_curve(dsl: MazeDsl, grid: np.ndarray, config: MazeEnumerateConfig) -> dict[str, float | list[float]]:
    """Along one maze's path: the cheapest stored answer and searcher at each path length (both found by the
    enumerator), the Levin winner, and where the searcher takes over (measured from the winner, predicted from the
    measured c's, and from the code alone)."""
    cells = path_cells(grid[None])[0]
    lengths, c_mem, c_srch, t_mem, t_srch, winner, heuristic, c_code = [], [], [], [], [], [], [], []
    for length in range(1, len(cells)):
        grids = move_goal(_batch(grid[None]), cells[length][None]).grids
        result, _ = enumerate_maze(dsl, grids, shortest_path(grids), config.enum_config(), ("searcher",))
        found = _found(result.correct, result.max_cost_reached)
        memo, search = cheapest(found, "memorizer"), cheapest(found, "searcher")
        lengths.append(length)
        c_code.append(float(dsl.cost(("moves", moves_of(cells[: length + 1])))))
        c_mem.append(memo.c if memo else NONE)
        c_srch.append(search.c if search else NONE)
        t_mem.append(math.log2(memo.t) if memo else NONE)
        t_srch.append(math.log2(search.t) if search else NONE)
        label = structural_label(result.program) if result.program is not None else "none"
        winner.append(float(label == "searcher"))
        heuristic.append(float(label == "heuristic"))
    measured = _first_from(lengths, [w == 1.0 for w in winner])
    predicted_c = _first_from(lengths, [s != NONE and (m == NONE or s < m) for s, m in zip(c_srch, c_mem, strict=True)])
    fitted_search_c = (
        PRODUCTION_BITS["search"] + MOVESET_BITS + SPACE_BITS["open"] + OBJECTIVE_BITS["goal"]
    )  # plus gamma(k): the code of the searcher at depth k = L
    return {
        "curve_path_length": [float(n) for n in lengths],
        "curve_c_memorizer": c_mem,
        "curve_c_stored_path": c_code,
        "curve_c_searcher": c_srch,
        "curve_log2_t_memorizer": t_mem,
        "curve_log2_t_searcher": t_srch,
        "curve_is_searcher": winner,
        "curve_is_heuristic": heuristic,
        "crossover_measured": measured,
        "crossover_predicted_c": predicted_c,
        "crossover_gap": measured - predicted_c,
        "crossover_within_path": float(winner[-1] == 1.0),
        "crossover_formula": formula_crossover(lambda n: fitted_search_c + gamma_bits(n)),
        "crossover_general_formula": formula_crossover(lambda n: general_c(dsl, config_depth(dsl, config))),
    }


def config_depth(dsl: MazeDsl, config) -> int:
    return config.max_depth or dsl.cells - 1


def is_general(program: Node, depth: int) -> bool:
    """Whether a program is a general solver of its maze size: a BFS reading the goal, through open passages, trying
    all four moves, at least `depth` deep (the longest path such a maze can have); or generate-and-test over all
    four moves up to that depth, reading the goal (general, though its budget grows as 4**depth)."""
    if program[0] == "search":
        _, k, moveset, space, objective = program
        return k >= depth and moveset == ALL_MOVES and space == "open" and objective == ("goal",)
    if program[0] == "enum":
        _, k, moveset, objective = program
        return k >= depth and moveset == ALL_MOVES and objective == ("goal",)
    return False


def _batch(grids: np.ndarray):
    from mesaopt.tasks.maze import MazeBatch

    return MazeBatch(grids)


def _cost_metrics(prefix: str, found: Found | None) -> dict[str, float]:
    if found is None:
        return {}
    return {f"c_{prefix}": found.c, f"log2_t_{prefix}": math.log2(found.t)}


def _training(task: MazeTask, seed: np.random.SeedSequence) -> tuple[np.ndarray, MazeDsl]:
    train = task.train_pool()
    if train is None:
        train = task.sample_train(4, np.random.default_rng(seed))
    return np.asarray(train.grids), MazeDsl(*train.cell_shape)


def fit_maze_enumerate(
    config: MazeEnumerateConfig, task: MazeTask, seed: np.random.SeedSequence, progress: Progress
) -> MazeProgram:
    """Levin enumeration of maze programs on the training pool (the shared enumerator core); the least
    c + g*log2(t) among those that reproduce every training path, enumerated on until the cheapest searcher has also
    been met (c_memorizer, c_heuristic: the cheapest met, when one was)."""
    grids, dsl = _training(task, seed)
    depth = config_depth(dsl, config)
    targets = shortest_path(grids)
    result, enumerator = enumerate_maze(dsl, grids, targets, config.enum_config(), ("searcher",))
    if result.program is None:
        raise RuntimeError(f"maze_enumerate: no program up to {config.max_cost} bits solves the training mazes")
    found = _found(result.correct, result.max_cost_reached)
    lengths = [len(moves) for moves in enumerator.paths]
    stored = max((dsl.cost(("moves", moves)) for moves in enumerator.paths), default=0)
    metrics: dict[str, float | list[float]] = {
        "c": result.c,
        "log2_t": math.log2(result.t),
        "score": result.score,
        "path_length": float(np.mean(lengths)),
        "correct_programs": float(len(found)),
        "candidates": float(result.candidates),
        "candidates_per_s": result.candidates / max(result.seconds, 1e-9),
        "pruned_unevaluated": float(enumerator.skipped),
        "kept": float(result.kept),
        "exhaustive": float(result.exhaustive),
        "max_cost_reached": float(result.max_cost_reached),
        "is_general_solver": float(is_general(result.program, depth)),
        "c_general": float(general_c(dsl, depth)),
        "c_stored_path": float(stored),
        **_cost_metrics("memorizer", cheapest(found, "memorizer")),
        **_cost_metrics("searcher", cheapest(found, "searcher")),
        **_cost_metrics("heuristic", cheapest(found, "heuristic")),
    }
    if "c_searcher" in metrics and "c_memorizer" in metrics:
        metrics["searcher_shorter"] = float(metrics["c_searcher"] < metrics["c_memorizer"])
    if config.curve:
        metrics.update(compression_curve(dsl, grids[0], config))
    progress(1, 1)
    return MazeProgram(dsl, result.program, result.t, metrics)


def _fit_local(kind: str, config: MazeLocalConfig, task: MazeTask, seed: np.random.SeedSequence, progress: Progress):
    grids, dsl = _training(task, seed)
    targets = shortest_path(grids)
    program, curve, evaluated = local_search(
        kind,
        dsl,
        grids,
        targets,
        config.g,
        np.random.default_rng(seed),
        steps=config.steps,
        restarts=config.restarts,
        population=config.population,
        generations=config.generations,
    )
    progress(1, 1)
    masks, steps = run(dsl, program, grids)
    t = float(steps.mean())
    picks = np.linspace(0, len(curve) - 1, min(config.curve_points, len(curve))).round().astype(int)
    metrics = {
        "loss": float(curve[-1]),
        "solved_train": float((masks == targets).all()),
        "c": float(dsl.cost(program)),
        "log2_t": math.log2(t),
        "programs_evaluated": float(evaluated),
        "loss_path": [float(curve[i]) for i in picks],
        "is_general_solver": float(is_general(program, config_depth(dsl, config))),
    }
    return MazeProgram(dsl, program, t, metrics)


def fit_maze_hillclimb(config: MazeLocalConfig, task: MazeTask, seed: np.random.SeedSequence, progress: Progress):
    """Mutation hill-climbing over maze programs from a random one."""
    return _fit_local("hillclimb", config, task, seed, progress)


def fit_maze_genetic(config: MazeLocalConfig, task: MazeTask, seed: np.random.SeedSequence, progress: Progress):
    """A genetic algorithm over maze programs from a random population."""
    return _fit_local("genetic", config, task, seed, progress)
