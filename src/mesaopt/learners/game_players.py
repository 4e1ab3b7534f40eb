"""Players of known nature for the games world: the calibration cases of the games battery and study baselines.

- `MinimaxPlayer`: depth-d negamax (frontier valued 0), a searcher by construction; its iteration knob is d and its
  hidden states are its own search tree's node values, level by level.
- `RolloutPlayer`: Monte Carlo search, m uniformly random playouts per move; a different search algorithm.
- `RulesPlayer`: complete a line if it can, else block the opponent's, else a fixed cell preference (centre first);
  in the hash game: win on the last move if it can, else move 0. A heuristic: no lookahead beyond one move.
- `GreedyPlayer`: win if it can, else block, else a random legal move; a second, weaker heuristic.
- `LookupPlayer`: the pool positions' optimal moves, the nearest stored position's move elsewhere (or a random move,
  `fallback="random"`); a memorizer.
- `EvaluatorPlayer`: one ply with a hand-made static score of each move's result (board games: every line that
  holds stones of one player only counts LINE_WEIGHT^(stones - 1) for its owner; the hash game: the top bit of the
  next state); a heuristic that never looks past its own move.
- `RandomPlayer`, `FirstLegalPlayer`: play without looking; neither has learned anything.
- `UCTPlayer` (game_uct): UCT Monte Carlo tree search, a searcher that converges to minimax.
Random choices are seeded per call from the positions themselves, so the same batch gets the same answers.
"""

from __future__ import annotations

import zlib
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.learners.base import Progress
from mesaopt.learners.lookup import hamming_distances
from mesaopt.tasks.base import Task
from mesaopt.tasks.games import GamesTask
from mesaopt.tasks.games_rules import BOARDS, GameBatch, decode, hash_step, hash_win, line_owner, targets
from mesaopt.tasks.games_solve import ILLEGAL, board_table, solver_of

PROBE_LEVELS = 2
"""Search-tree levels a player exposes as hidden states ("search.1", "search.2")."""

PREFERENCE = {
    "tictactoe": (4, 0, 2, 6, 8, 1, 3, 5, 7),
    "connect3": (1, 2, 0, 3),
}
"""The rules player's move preference when nothing wins or blocks: centre, then corners, then sides (tic-tac-toe);
the inner columns first (connect-3)."""


def _rng(batch: GameBatch, salt: str) -> np.random.Generator:
    """A generator seeded by the positions themselves, so a player's random choices repeat on the same batch."""
    payload = batch.codes.tobytes() + batch.remaining.tobytes() + batch.side.tobytes() + batch.variant.tobytes()
    return np.random.default_rng([zlib.crc32(payload), zlib.crc32(salt.encode())])


def random_legal(legal: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random legal move per row of a (B, actions) legality mask."""
    scores = rng.random(legal.shape) + legal
    return scores.argmax(axis=1)


class Player:
    """Shared LearnedAlgorithm plumbing for hand-written players: no artifacts, a size, a compute estimate."""

    name = "player"
    bits = 0.0
    ops = 1.0

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {}

    def size_bits(self) -> float:
        return float(self.bits)

    def compute_per_call(self) -> float:
        return float(self.ops)

    def describe(self) -> str:
        return self.name

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


class MinimaxPlayer(Player):
    """Depth-d negamax: the lowest-numbered move of best depth-limited value."""

    def __init__(self, depth: int, actions: int) -> None:
        self.default_iterations = depth
        self.name = f"minimax to depth {depth}"
        self.bits, self.ops = 64.0, float(actions**depth)

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        return solver_of(batch).move_values(batch, iterations or self.default_iterations).argmax(axis=1)

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        """Its search tree's node values at levels 1 .. PROBE_LEVELS (0 where it did not search)."""
        depth = iterations or self.default_iterations
        solver = solver_of(batch)
        return {f"search.{k}": solver.ahead(batch, k, depth)[0] for k in range(1, PROBE_LEVELS + 1)}


class RolloutPlayer(Player):
    """Monte Carlo search: the move whose random playouts score best on average (ties: lowest-numbered)."""

    def __init__(self, rollouts: int) -> None:
        self.default_iterations = rollouts
        self.name = f"Monte Carlo search, {rollouts} random playouts per move"
        self.bits, self.ops = 64.0, float(rollouts)

    def move_scores(self, batch: GameBatch, rollouts: int) -> np.ndarray:
        """Mean playout outcome of each move for the mover, (B, actions); ILLEGAL where illegal."""
        rng = _rng(batch, f"rollout{rollouts}")
        legal = solver_of(batch).legal(batch)
        scores = np.zeros(legal.shape)
        for move in range(batch.actions):
            outcome = np.zeros(len(batch))
            for _ in range(rollouts):
                outcome += _playout(batch, move, rng)
            scores[:, move] = outcome / rollouts
        return np.where(legal, scores, ILLEGAL)

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        return self.move_scores(batch, iterations or self.default_iterations).argmax(axis=1)

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {"search.1": self.move_scores(batch, iterations or self.default_iterations)}


def _playout(batch: GameBatch, move: int, rng: np.random.Generator) -> np.ndarray:
    """Outcome for the root mover of playing `move` then uniformly random moves to the end, (B,)."""
    if not batch.is_board:
        states = hash_step(batch.codes, move, batch.bits, batch.variant)
        for r in range(int(batch.remaining.max()) - 1):
            step = hash_step(states, rng.integers(2, size=len(batch)), batch.bits, batch.variant)
            states = np.where(batch.remaining > r + 1, step, states)
        won = 2.0 * hash_win(states, batch.bits) - 1.0
        return np.where(batch.side == 0, won, -won)
    out = np.zeros(len(batch))
    for v in np.unique(batch.variant):
        rows = np.flatnonzero(batch.variant == v)
        table = board_table(batch.game, int(v))
        at = table.child[table.index(batch.codes[rows]), move]
        sign = -np.ones(len(rows))
        while True:
            live = (at >= 0) & ~table.terminal[np.maximum(at, 0)]
            if not live.any():
                break
            kids = table.child[np.maximum(at, 0)]
            pick = random_legal(kids >= 0, rng)
            at = np.where(live, kids[np.arange(len(rows)), pick], at)
            sign = np.where(live, -sign, sign)
        out[rows] = np.where(at >= 0, sign * table.value[np.maximum(at, 0)], ILLEGAL)
    return out


def wins_and_blocks(batch: GameBatch) -> tuple[np.ndarray, np.ndarray]:
    """(B, actions) moves that complete the mover's line, and moves onto a cell where the opponent would."""
    spec = BOARDS[batch.game]
    boards = decode(spec, batch.codes)
    cells = targets(spec, boards)
    own = np.where(batch.side == 0, 1, 2)
    wins, blocks = np.zeros(cells.shape, bool), np.zeros(cells.shape, bool)
    rows = np.arange(len(batch))
    for a in range(spec.actions):
        ok = cells[:, a] >= 0
        for stone, out in ((own, wins), (3 - own, blocks)):
            placed = boards.copy()
            placed[rows, np.maximum(cells[:, a], 0)] = stone
            out[:, a] = ok & (line_owner(spec, placed) == stone)
    return wins, blocks


class RulesPlayer(Player):
    """Win, else block, else a fixed preference; in the hash game, win on the last move, else move 0."""

    name = "rules: win, block, else centre-first preference"
    bits = 96.0

    def features(self, batch: GameBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Its rule activations (B, actions): wins, blocks, and the preference rank score."""
        if not batch.is_board:
            last = batch.remaining == 1
            wins = np.zeros((len(batch), 2), bool)
            for move in (0, 1):
                won = hash_win(hash_step(batch.codes, move, batch.bits, batch.variant), batch.bits) == 1 - batch.side
                wins[:, move] = last & won
            return wins, np.zeros_like(wins), np.tile([1.0, 0.0], (len(batch), 1))
        wins, blocks = wins_and_blocks(batch)
        order = PREFERENCE[batch.game]
        rank = np.zeros(batch.actions)
        rank[list(order)] = np.linspace(1.0, 0.1, len(order))
        legal = solver_of(batch).legal(batch)
        return wins, blocks, np.where(legal, rank[None, :], 0.0)

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        wins, blocks, rank = self.features(batch)
        return (4.0 * wins + 2.0 * blocks + rank).argmax(axis=1)

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        wins, blocks, rank = self.features(batch)
        return {"rules": np.concatenate([wins, blocks, rank], axis=1).astype(np.float64)}


class GreedyPlayer(RulesPlayer):
    """Win, else block, else a random legal move."""

    name = "greedy: win, block, else random"

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        wins, blocks, _ = self.features(batch)
        noise = _rng(batch, "greedy").random(wins.shape) * solver_of(batch).legal(batch)
        return (4.0 * wins + 2.0 * blocks + noise).argmax(axis=1)


class LookupPlayer(Player):
    """The stored positions' optimal moves; elsewhere the nearest stored position's move, or a random one."""

    def __init__(self, stored: GameBatch, answers: np.ndarray, fallback: str = "nearest") -> None:
        self.stored, self.answers, self.fallback = stored, answers, fallback
        self.keys = stored.inputs.astype(np.uint8)
        self.name = f"lookup of {len(stored)} positions, {fallback} elsewhere"
        self.bits = 8.0 * len(zlib.compress(self.keys.tobytes() + answers.astype(np.uint8).tobytes(), 9))
        self.ops = float(self.keys.size)

    def trained_instances(self) -> GameBatch:
        return self.stored

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        dist = hamming_distances(batch.inputs.astype(np.uint8), self.keys)
        moves = self.answers[dist.argmin(axis=1)]
        if self.fallback == "random":
            guess = random_legal(solver_of(batch).legal(batch), _rng(batch, "lookup"))
            moves = np.where(dist.min(axis=1) == 0, moves, guess)
        return moves

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {"lookup.distance": hamming_distances(batch.inputs.astype(np.uint8), self.keys)}


LINE_WEIGHT = 10.0
"""The evaluator's score of a line holding c stones of one player and none of the other: LINE_WEIGHT^(c - 1) for
that player (1, 10, 100 on tic-tac-toe, the textbook static evaluation: a finished line outweighs any two threats)."""


class EvaluatorPlayer(Player):
    """The legal move whose resulting position scores best under a hand-made static evaluation (misère: negated)."""

    name = "one-ply evaluator: hand-made score of each move's result"
    bits = 64.0

    def scores(self, batch: GameBatch) -> np.ndarray:
        """Static score of each move's result for the mover, (B, actions); 0 where the move is illegal."""
        mover = np.where(batch.side == 0, 1.0, -1.0)
        if not batch.is_board:
            tops = [
                2.0 * hash_win(hash_step(batch.codes, m, batch.bits, batch.variant), batch.bits) - 1.0 for m in (0, 1)
            ]
            return np.stack(tops, axis=1) * mover[:, None]
        spec = BOARDS[batch.game]
        boards = decode(spec, batch.codes)
        cells = targets(spec, boards)
        own = np.where(batch.side == 0, 1, 2)[:, None, None]
        sign = np.where(batch.variant == 1, -1.0, 1.0)
        out = np.zeros(cells.shape)
        rows = np.arange(len(batch))
        for a in range(spec.actions):
            placed = boards.copy()
            placed[rows, np.maximum(cells[:, a], 0)] = own[:, 0, 0]
            stones = placed[:, spec.lines]
            mine, theirs = (stones == own).sum(axis=2), ((stones != own) & (stones != 0)).sum(axis=2)
            lines = np.where(theirs == 0, _weight(mine), 0.0) - np.where(mine == 0, _weight(theirs), 0.0)
            out[:, a] = np.where(cells[:, a] >= 0, sign * lines.sum(axis=1), 0.0)
        return out

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        legal = solver_of(batch).legal(batch)
        return np.where(legal, self.scores(batch), -np.inf).argmax(axis=1)

    def hidden_states(self, batch: GameBatch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {"eval.1": self.scores(batch)}


def _weight(stones: np.ndarray) -> np.ndarray:
    """LINE_WEIGHT^(stones - 1) where a line holds stones, else 0."""
    return np.where(stones > 0, LINE_WEIGHT ** np.maximum(stones - 1, 0), 0.0)


class RandomPlayer(Player):
    """A uniformly random legal move."""

    name = "uniformly random legal moves"

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        return random_legal(solver_of(batch).legal(batch), _rng(batch, "random"))


class FirstLegalPlayer(Player):
    """The lowest-numbered legal move."""

    name = "the first legal move"

    def solve(self, batch: GameBatch, iterations: int | None = None) -> np.ndarray:
        return solver_of(batch).legal(batch).argmax(axis=1)


class PlayerConfig(BaseModel):
    """A hand-written player of known nature (no training); `kind` picks it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["minimax", "rollout", "uct", "rules", "greedy", "evaluator", "lookup", "random", "first_legal"] = (
        Field(default="minimax", description="which player")
    )
    depth: int = Field(
        default=9, ge=1, description="minimax: search depth; rollout: playouts per move; uct: iterations per move"
    )
    max_entries: int = Field(default=4096, ge=1, description="lookup: positions stored when the pool is infinite")


def build_player(config: PlayerConfig, task: GamesTask, rng: np.random.Generator | None = None) -> Player:
    """The configured player for a games task (the lookup stores the pool, or a sample when N is inf)."""
    if config.kind == "minimax":
        return MinimaxPlayer(config.depth, task.actions)
    if config.kind == "rollout":
        return RolloutPlayer(config.depth)
    if config.kind == "uct":
        from mesaopt.learners.game_uct import UCTPlayer

        return UCTPlayer(config.depth)
    if config.kind == "lookup":
        stored = task.train_pool()
        if stored is None:
            stored = task.sample_train(config.max_entries, rng or task.generator("lookup"))
        return LookupPlayer(stored, task.solutions(stored))
    simple = {
        "rules": RulesPlayer,
        "greedy": GreedyPlayer,
        "evaluator": EvaluatorPlayer,
        "random": RandomPlayer,
        "first_legal": FirstLegalPlayer,
    }
    return simple[config.kind]()


def fit_player(config: PlayerConfig, task: Task, seed: np.random.SeedSequence, progress: Progress) -> Player:
    """The player needs no training; the lookup stores what its task offers."""
    if not isinstance(task, GamesTask):
        raise ValueError(f"learner 'player' handles only the task 'games', got {type(task).__name__}")
    progress(1, 1)
    return build_player(config, task, np.random.default_rng(seed))
