"""Videos of an agent in a maze: given the first k frames of an episode, predict the agent's next positions.

An episode is a maze (the maze world's grid format, `maze_grid`), an agent of known nature (`video_agents`) and the
agent's position and goal at every step. Frame t shows the maze, the agent at step t and, unless the goal is hidden
(`goal_shown = false`), the goal of step t. What a learner sees (`VideoBatch.inputs`, built by `window_inputs`) is
the first k frames of a clip (which starts up to `clip_offset` steps into the agent's walk, so that some clips
show the agent arriving) stacked as channels [open, goal of frame k-1, agent at frame 0, ..., agent at frame k-1];
what it answers is the agent's next h positions, (B, h) flat grid positions. Success is the exact future trajectory.

Splits: train and novel (same maze size, horizon h, novel mazes never in the pool), `long` (same size, the longer
horizon), `harder` (larger mazes, the longer horizon), and `moved` (the goal jumps to a new cell in frame k-1, with
the episode it would have been otherwise). Ground truth per frame: `goal_at`, `plan_at` (the shortest path from the
agent to its goal, what a planner plans) and `field_at` (the BFS distance field from the goal it plans on).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import numpy as np

from mesaopt.tasks.base import INF, derive
from mesaopt.tasks.maze_gen import generate_grids
from mesaopt.tasks.maze_grid import GOAL, OPEN, START
from mesaopt.tasks.maze_truth import distances, shortest_path
from mesaopt.tasks.video_agents import UNREACHED, goal_distances, walk
from mesaopt.tasks.video_config import VideoConfig

MAX_DRAWS_PER_INSTANCE = 50
"""Draws allowed per wanted distinct episode before the instance space is declared too small."""

MIN_DRAW = 64
"""Smallest batch drawn while collecting distinct episodes (generation is cheap, Python round trips are not)."""

FIXED_CHANNELS = 2
"""Input channels before the agent frames: the open mask and the goal."""

SPLITS = ("train", "novel", "long", "harder", "moved")


@dataclass(frozen=True)
class VideoBatch:
    """Episodes: mazes (B,3,H,W) with start and first goal, positions and goals (B, L+1), k frames shown."""

    grids: np.ndarray
    positions: np.ndarray
    goals: np.ndarray
    context: int
    goal_shown: bool

    def __len__(self) -> int:
        return len(self.grids)

    @property
    def horizon(self) -> int:
        """Future positions to predict."""
        return self.positions.shape[1] - self.context

    @property
    def open(self) -> np.ndarray:
        """Open positions (B, H, W) bool."""
        return self.grids[:, OPEN].astype(bool)

    @property
    def inputs(self) -> np.ndarray:
        """What a learner sees: the first k frames as channels (B, 2+k, H, W) uint8 (`window_inputs`)."""
        shown = self.goals[:, self.context - 1]
        return window_inputs(self.grids[:, OPEN], shown, self.positions[:, : self.context], self.goal_shown)

    @property
    def targets(self) -> np.ndarray:
        """The agent's positions after the shown frames, (B, h)."""
        return self.positions[:, self.context :]

    def frames(self) -> np.ndarray:
        """The whole episode rendered, (B, L+1, 3, H, W) uint8 with channels [open, agent, goal]."""
        batch, steps = self.positions.shape
        out = np.zeros((batch, steps, 3, *self.grids.shape[-2:]), dtype=np.uint8)
        out[:, :, 0] = self.grids[:, None, OPEN]
        flat = out.reshape(batch, steps, 3, -1)
        index_b, index_t = np.meshgrid(np.arange(batch), np.arange(steps), indexing="ij")
        flat[index_b, index_t, 1, self.positions] = 1
        if self.goal_shown:
            flat[index_b, index_t, 2, self.goals] = 1
        return out

    def keys(self) -> list[bytes]:
        """A content hash per maze (with its start and first goal), for keeping novel mazes out of the pool."""
        return [hashlib.blake2b(g.tobytes(), digest_size=16).digest() for g in self.grids]

    def take(self, index: np.ndarray) -> VideoBatch:
        """The episodes at the given indices."""
        return replace(self, grids=self.grids[index], positions=self.positions[index], goals=self.goals[index])


def window_inputs(open_: np.ndarray, goals: np.ndarray, recent: np.ndarray, goal_shown: bool) -> np.ndarray:
    """Learner input (B, 2+k, H, W) uint8: [open, goal (empty when hidden), agent at each of the k recent steps]."""
    batch, k = recent.shape
    out = np.zeros((batch, FIXED_CHANNELS + k, *open_.shape[-2:]), dtype=np.uint8)
    out[:, 0] = open_
    flat = out.reshape(batch, FIXED_CHANNELS + k, -1)
    rows = np.arange(batch)
    if goal_shown:
        flat[rows, 1, goals] = 1
    for j in range(k):
        flat[rows, FIXED_CHANNELS + j, recent[:, j]] = 1
    return out


def marked_positions(grids: np.ndarray, channel: int) -> np.ndarray:
    """The flat grid position of each maze's marker in a channel (START or GOAL), (B,)."""
    return grids[:, channel].reshape(len(grids), -1).argmax(axis=1)


def place_goals(grids: np.ndarray, min_cells: int, rng: np.random.Generator) -> np.ndarray:
    """The mazes with each goal redrawn uniformly among cells at least `min_cells` moves from the start (the
    farthest cell where none is that far), in place; returned for chaining."""
    from_start = distances(grids, "start")
    cells = cell_mask(grids.shape[-2:])[None] & (from_start >= 0)
    far = cells & (from_start >= 2 * min_cells)
    far |= ~far.any(axis=(1, 2), keepdims=True) & cells & (from_start == from_start.max(axis=(1, 2), keepdims=True))
    keys = np.where(far, rng.random(far.shape), -1.0).reshape(len(grids), -1)
    grids[:, GOAL] = 0
    grids.reshape(len(grids), 3, -1)[np.arange(len(grids)), GOAL, keys.argmax(axis=1)] = 1
    return grids


def cell_mask(shape: tuple[int, int]) -> np.ndarray:
    """(H, W) bool: the cell positions of a maze grid (odd row and odd column)."""
    rows, cols = np.indices(shape)
    return (rows % 2 == 1) & (cols % 2 == 1)


def goal_at(batch: VideoBatch, step: int) -> np.ndarray:
    """The agent's goal at a step, (B,) flat grid positions."""
    return batch.goals[:, step]


def field_at(batch: VideoBatch, step: int) -> np.ndarray:
    """The BFS distance field (grid steps) from the goal of a step, (B, H, W); -1 where the goal cannot reach."""
    dist = goal_distances(batch.open, goal_at(batch, step))
    return np.where(dist >= UNREACHED, -1, dist)


def plan_at(batch: VideoBatch, step: int) -> np.ndarray:
    """A planner's remaining plan at a step: the shortest path from the agent to its goal, (B, H, W) bool."""
    grids = np.zeros_like(batch.grids)
    grids[:, OPEN] = batch.grids[:, OPEN]
    rows = np.arange(len(batch))
    grids.reshape(len(batch), 3, -1)[rows, START, batch.positions[:, step]] = 1
    grids.reshape(len(batch), 3, -1)[rows, GOAL, goal_at(batch, step)] = 1
    return shortest_path(grids)


def step_accuracy(batch: VideoBatch, outputs: np.ndarray) -> np.ndarray:
    """Share of episodes whose predicted position is right, per future step, (h,)."""
    return (np.asarray(outputs) == batch.targets).mean(axis=0)


def new_goals(batch: VideoBatch, step: int, rng: np.random.Generator) -> np.ndarray:
    """A random cell per episode other than the agent's position and its goal at `step`, (B,) flat positions."""
    height, width = batch.grids.shape[-2:]
    rows, cols = (height - 1) // 2, (width - 1) // 2
    cells = (2 * np.arange(rows)[:, None] + 1) * width + 2 * np.arange(cols)[None, :] + 1
    cells = cells.ravel()
    taken = np.stack([batch.positions[:, step], goal_at(batch, step)], axis=1)
    free = (cells[None, :] != taken[:, :1]) & (cells[None, :] != taken[:, 1:])
    return cells[np.where(free, rng.random(free.shape), -1.0).argmax(axis=1)]


class VideoTask:
    """Episodes of one agent at diversity N: novel mazes disjoint from the pool, longer horizons, larger mazes."""

    def __init__(self, config: VideoConfig, seed: np.random.SeedSequence) -> None:
        self.config = config
        self.seed = seed
        self._pool = None if config.pool_size == INF else self._distinct(int(config.pool_size), "pool", set())
        self._pool_keys = set() if self._pool is None else set(self._pool.keys())

    def episodes(self, count: int, split: str, rng: np.random.Generator) -> VideoBatch:
        """Fresh episodes of a split ("train", "novel", "long", "harder"), duplicates allowed."""
        config = self.config
        cells, horizon = config.split_shape(split)
        grids = place_goals(
            generate_grids(count, cells, cells, rng, config.generator, config.loops), config.min_cells, rng
        )
        steps = config.clip_offset + config.context + horizon - 1
        goals = np.repeat(marked_positions(grids, GOAL)[:, None], steps + 1, axis=1)
        draws = rng.random((count, steps))
        done = walk(grids, marked_positions(grids, START), goals, config.agent, draws, config.temperature)
        offsets = rng.integers(0, config.clip_offset + 1, size=count)
        clip = offsets[:, None] + np.arange(config.context + horizon)[None, :]
        rows = np.arange(count)[:, None]
        return VideoBatch(grids, done.positions[rows, clip], done.goals[rows, clip], config.context, config.goal_shown)

    def _distinct(self, count: int, stream: str, exclude: set[bytes]) -> VideoBatch:
        """`count` episodes on distinct mazes from a named seed stream, none of whose keys is in `exclude`."""
        rng = np.random.default_rng(derive(self.seed, stream))
        split = "train" if stream == "pool" else stream
        kept: list[VideoBatch] = []
        seen, total, drawn = set(exclude), 0, 0
        while drawn < MAX_DRAWS_PER_INSTANCE * count:
            batch = self.episodes(max(2 * (count - total), MIN_DRAW), split, rng)
            drawn += len(batch)
            pick = []
            for i, key in enumerate(batch.keys()):
                if key not in seen and total + len(pick) < count:
                    seen.add(key)
                    pick.append(i)
            kept.append(batch.take(np.array(pick, dtype=np.int64)))
            total += len(pick)
            if total == count:
                return _concat(kept)
        raise ValueError(
            f"video task: found only {total} distinct {stream} episodes, wanted {count}; "
            "the instance space is too small for this pool_size and eval_size"
        )

    def train_pool(self) -> VideoBatch | None:
        return self._pool

    def sample_train(self, count: int, rng: np.random.Generator) -> VideoBatch:
        if self._pool is None:
            return self.episodes(count, "train", rng)
        return self._pool.take(rng.integers(len(self._pool), size=count))

    def novel(self, count: int | None = None) -> VideoBatch:
        return self._distinct(count or self.config.eval_size, "novel", self._pool_keys)

    def long(self, count: int | None = None) -> VideoBatch:
        """Novel-size mazes, none in the pool, predicted over the longer horizon."""
        return self._distinct(count or self.config.eval_size, "long", self._pool_keys)

    def harder(self, count: int | None = None) -> VideoBatch:
        return self._distinct(count or self.config.eval_size, "harder", self._pool_keys)

    def moved(self, count: int | None = None) -> tuple[VideoBatch, VideoBatch]:
        """Novel episodes whose goal jumps to a new cell in the last shown frame, and the same without the jump."""
        config = self.config
        still = self._distinct(count or config.eval_size, "novel", self._pool_keys)
        rng = self.generator("moved")
        goals = still.goals.copy()
        goals[:, config.context - 1 :] = new_goals(still, config.context - 1, rng)[:, None]
        draws = rng.random((len(still), still.positions.shape[1] - 1))
        starts = still.positions[:, 0]
        again = walk(still.grids, starts, still.goals, config.agent, draws, config.temperature)
        jumped = walk(still.grids, starts, goals, config.agent, draws, config.temperature)
        return replace(still, positions=jumped.positions, goals=jumped.goals), replace(still, positions=again.positions)

    def solutions(self, batch: VideoBatch) -> np.ndarray:
        """The agent's actual next positions, (B, h)."""
        return batch.targets

    def success(self, batch: VideoBatch, outputs: np.ndarray) -> np.ndarray:
        """Whether every predicted position of an episode is right."""
        return (np.asarray(outputs) == batch.targets).all(axis=1)

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))


def _concat(parts: list[VideoBatch]) -> VideoBatch:
    """Episodes of several batches of one shape, in order."""
    first = parts[0]
    return replace(
        first,
        grids=np.concatenate([p.grids for p in parts]),
        positions=np.concatenate([p.positions for p in parts]),
        goals=np.concatenate([p.goals for p in parts]),
    )
