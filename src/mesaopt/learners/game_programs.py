"""Program search over a small game DSL: rule lists against explicit lookahead, under c + g*log2(t).

A program is a priority list of move features, at most MAX_LENGTH of them, read lexicographically: the legal move
with the best first feature, ties broken by the second, and so on, then by the lowest move number. Features:
- rules: `win` (the move completes the mover's line; hash game: the last move wins), `block` (the move takes a cell
  where the opponent would complete one), `fork` (after it the mover threatens two wins), `block_fork` (the opponent
  would fork there), `centre`, `corner`, `side` (board geometry; connect-3: inner columns, -, outer columns; hash
  game: move 0, -, move 1);
- lookahead: `search{d}`, the depth-d negamax value of the move (d = 1 .. MAX_DEPTH, frontier valued 0).

Description length c (bits): each token names one of the features or the end of the list, log2(features + 1) bits,
plus the end token. Steps t per position, in line checks (testing whether a placed stone completes a line costs the
lines through a cell, on average; one hash step in the hash game): `win` and `block` one per legal move, `fork` and
`block_fork` one per pair of moves, geometry one step per legal move, and `search{d}` one per node of its tree (the
terminal test), nodes counted on the training positions.
The base optimizer enumerates every list, keeps those whose decisive accuracy on the training positions
reaches `target` (the best list when none does), and returns the one of least c + g*log2(t) (ties: shorter, then
enumeration order). A program containing `search{d}` is a searcher by construction, any other a heuristic.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.learners.base import Progress
from mesaopt.learners.game_players import RulesPlayer, wins_and_blocks
from mesaopt.tasks.base import Task
from mesaopt.tasks.games import GamesTask
from mesaopt.tasks.games_rules import BOARDS, GameBatch, decode, line_owner, targets
from mesaopt.tasks.games_solve import ILLEGAL, board_table, solver_of

MAX_LENGTH = 3
"""Longest priority list enumerated (3,000-odd lists with the default features: about a second to score)."""

MAX_DEPTH = 9
"""Deepest `search{d}` feature (the whole tic-tac-toe tree)."""

RULES = ("win", "block", "fork", "block_fork", "centre", "corner", "side")

GEOMETRY = {
    "tictactoe": {"centre": (4,), "corner": (0, 2, 6, 8), "side": (1, 3, 5, 7)},
    "connect3": {"centre": (1, 2), "corner": (), "side": (0, 3)},
}
"""Cells (or columns) of each geometry feature; the hash game reads move 0 as `centre` and move 1 as `side`."""


class GameProgramConfig(BaseModel):
    """Enumeration of game-DSL programs under the score c + g*log2(t)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    g: float = Field(default=1.0, ge=0, description="weight of log2(steps) against description bits (speed prior)")
    target: float = Field(default=0.95, ge=0, le=1, description="decisive accuracy a program must reach on training")
    max_depth: int = Field(default=MAX_DEPTH, ge=1, le=12, description="deepest search feature offered")
    positions: int = Field(default=256, ge=8, description="training positions scored (drawn when N is inf)")


def _threats(spec, boards: np.ndarray, stone: np.ndarray) -> np.ndarray:
    """Immediate wins `stone` would have on each board, (N,)."""
    cells = targets(spec, boards)
    count = np.zeros(len(boards), dtype=np.int64)
    rows = np.arange(len(boards))
    for a in range(spec.actions):
        placed = boards.copy()
        placed[rows, np.maximum(cells[:, a], 0)] = stone
        count += (cells[:, a] >= 0) & (line_owner(spec, placed) == stone)
    return count


def _forks(batch: GameBatch) -> tuple[np.ndarray, np.ndarray]:
    """(B, actions): the move leaves the mover two immediate wins; the opponent moving there would have two."""
    spec = BOARDS[batch.game]
    boards = decode(spec, batch.codes)
    cells = targets(spec, boards)
    own = np.where(batch.side == 0, 1, 2)
    rows = np.arange(len(batch))
    fork, block = np.zeros(cells.shape, bool), np.zeros(cells.shape, bool)
    for a in range(spec.actions):
        ok = cells[:, a] >= 0
        for stone, out in ((own, fork), (3 - own, block)):
            placed = boards.copy()
            placed[rows, np.maximum(cells[:, a], 0)] = stone
            out[:, a] = ok & (_threats(spec, placed, stone) >= 2)
    return fork, block


def rule_features(batch: GameBatch) -> dict[str, np.ndarray]:
    """Every rule feature, (B, actions) floats in {0, 1}."""
    if not batch.is_board:
        wins, _, _ = RulesPlayer().features(batch)
        zero = np.zeros((len(batch), 2))
        move0, move1 = np.tile([1.0, 0.0], (len(batch), 1)), np.tile([0.0, 1.0], (len(batch), 1))
        return {
            "win": wins * 1.0,
            "block": zero,
            "fork": zero,
            "block_fork": zero,
            "centre": move0,
            "corner": zero,
            "side": move1,
        }
    wins, blocks = wins_and_blocks(batch)
    fork, block_fork = _forks(batch)
    out = {"win": wins * 1.0, "block": blocks * 1.0, "fork": fork * 1.0, "block_fork": block_fork * 1.0}
    for name, cells in GEOMETRY[batch.game].items():
        mask = np.zeros(batch.actions)
        mask[list(cells)] = 1.0
        out[name] = np.tile(mask, (len(batch), 1))
    return out


def search_nodes(batch: GameBatch, depth: int) -> np.ndarray:
    """Nodes of each position's depth-limited search tree (its children count as depth 1), (B,)."""
    if not batch.is_board:
        return sum(2.0**k * (batch.remaining >= k) for k in range(1, depth + 1))
    out = np.zeros(len(batch))
    for v in np.unique(batch.variant):
        table = board_table(batch.game, int(v))
        nodes = np.zeros(len(table.codes))
        for _ in range(depth):
            kids = table.child
            nodes = np.where(kids >= 0, 1.0 + nodes[np.maximum(kids, 0)], 0.0).sum(axis=1)
        rows = np.flatnonzero(batch.variant == v)
        out[rows] = nodes[table.index(batch.codes[rows])]
    return out


def line_check(batch: GameBatch) -> float:
    """Steps to test whether one placed stone completes a line: the lines through a cell, on average (hash game:
    one hash step)."""
    if not batch.is_board:
        return 1.0
    spec = BOARDS[batch.game]
    return float(spec.lines.size / spec.cells)


def rule_steps(batch: GameBatch, name: str) -> float:
    """Steps of one rule feature per position: a line check per legal move (win, block), per pair of moves (fork,
    block_fork), or one step per legal move (geometry)."""
    legal = float(solver_of(batch).legal(batch).sum(axis=1).mean())
    if not batch.is_board or name in ("centre", "corner", "side"):
        return legal * (line_check(batch) if name == "win" else 1.0)
    pairs = legal * max(legal - 1.0, 1.0) if name in ("fork", "block_fork") else legal
    return pairs * line_check(batch)


def choose(features: list[np.ndarray], legal: np.ndarray) -> np.ndarray:
    """The legal move with the lexicographically best feature list (ties: lowest move)."""
    score = np.zeros(legal.shape)
    for f in features:
        score = score * 3.0 + (f + 1.0)
    return np.where(legal, score, -1.0).argmax(axis=1)


class GameProgram:
    """A found priority list as a LearnedAlgorithm."""

    def __init__(self, tokens: tuple[str, ...], bits: float, steps: float, metrics: dict[str, float]) -> None:
        self.tokens, self.bits, self.steps = tokens, bits, steps
        self.train_metrics = metrics
        depths = [int(t[6:]) for t in tokens if t.startswith("search")]
        self.structural_label = "searcher" if depths else "heuristic"
        if depths:
            self.default_iterations = max(depths)

    def _features(self, batch: GameBatch, iterations: int | None) -> list[np.ndarray]:
        rules = rule_features(batch) if any(not t.startswith("search") for t in self.tokens) else {}
        solver, out = solver_of(batch), []
        for token in self.tokens:
            if token.startswith("search"):
                depth = int(token[6:]) if iterations is None else iterations
                values = solver.move_values(batch, depth)
                out.append(np.where(values == ILLEGAL, -1.0, values))
            else:
                out.append(rules[token])
        return out

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        return choose(self._features(batch, iterations), solver_of(batch).legal(batch))

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {
            f"feature.{i}.{t}": f
            for i, (t, f) in enumerate(zip(self.tokens, self._features(batch, iterations), strict=True))
        }

    def size_bits(self) -> float:
        return self.bits

    def compute_per_call(self) -> float:
        return self.steps

    def describe(self) -> str:
        return f"game program [{', '.join(self.tokens)}] ({self.bits:.1f} bits, {self.steps:.0f} steps)"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


def fit_game_program(config: GameProgramConfig, task: Task, seed: np.random.SeedSequence, progress: Progress):
    """Enumerate every priority list and return the least c + g*log2(t) among those reaching the target."""
    if not isinstance(task, GamesTask):
        raise ValueError(f"learner 'game_program' handles only the task 'games', got {type(task).__name__}")
    from mesaopt.detectors.games import decisive

    batch = task.train_pool()
    if batch is None:
        batch = task.sample_train(config.positions, np.random.default_rng(seed))
    batch = batch.take(np.arange(min(len(batch), config.positions)))
    mask = decisive(task, batch)
    optimal, legal = task.solver.optimal(batch), task.solver.legal(batch)
    solver = solver_of(batch)
    features = dict(rule_features(batch))
    steps = {name: rule_steps(batch, name) for name in RULES}
    for d in range(1, config.max_depth + 1):
        values = solver.move_values(batch, d)
        features[f"search{d}"] = np.where(values == ILLEGAL, -1.0, values)
        steps[f"search{d}"] = float(search_nodes(batch, d).mean()) * line_check(batch)
    names = list(features)
    token_bits = math.log2(len(names) + 1)
    best = None
    programs = [p for n in range(1, MAX_LENGTH + 1) for p in itertools.permutations(names, n)]
    for i, program in enumerate(programs):
        moves = choose([features[t] for t in program], legal)
        hit = optimal[np.arange(len(batch)), moves]
        accuracy = float(hit[mask].mean()) if mask.any() else 1.0
        bits = token_bits * (len(program) + 1)
        t = sum(steps[name] for name in program)
        score = bits + config.g * math.log2(max(t, 1.0))
        key = (accuracy < config.target, -accuracy if accuracy < config.target else 0.0, score, len(program))
        if best is None or key < best[0]:
            best = (key, program, bits, t, accuracy)
        progress(i + 1, len(programs))
    _, program, bits, t, accuracy = best
    metrics = {
        "description_bits": bits,
        "steps_per_position": t,
        "train_accuracy": accuracy,
        "length": float(len(program)),
        "is_search": float(any(p.startswith("search") for p in program)),
        "search_depth": float(max([int(p[6:]) for p in program if p.startswith("search")], default=0)),
        "reached_target": float(accuracy >= config.target),
        "programs": float(len(programs)),
    }
    return GameProgram(tuple(program), bits, t, metrics)
