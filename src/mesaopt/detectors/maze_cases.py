"""Maze algorithms whose nature is known by construction, for calibrating the battery on cases it was not fitted to.

Each class offers the LearnedAlgorithm protocol plus `default_iterations`: the run-time budget where the algorithm
has a natural one (expansions for searches, rounds for filling, steps for walks), None where it has none. All are
deterministic; the random ones draw from a numpy Generator seeded by their constructor seed and each maze's content,
so a maze gets the same answer in any batch. Searches: `TieBreakBFS`, `AStar`, `BidirectionalBFS`, `DFSPath`,
`BFSThenGreedy`. Local rules and walks: `DeadEndFiller`, `RandomWalk`, `LoopErasedWalk`, `WallFollowerPath`,
`GoalProxy`. A hand-set recurrent net: `FillingNet`.
"""

from __future__ import annotations

import inspect
import zlib
from typing import Literal

import numpy as np
import torch
from torch import nn

from mesaopt.detectors import maze_search
from mesaopt.tasks import maze, maze_walks
from mesaopt.tasks.maze import GOAL, OPEN, START, MazeBatch
from mesaopt.tasks.maze_gen import CORNERS, region_cells
from mesaopt.tasks.maze_walks import flat_positions

LEVEL_BUDGET = 512
"""Default BFS levels of the searches: the longest path of a 15 x 15-cell maze is 2 * 225 - 2 = 448 grid steps."""

NODE_BUDGET = 1024
"""Default positions expanded by A* and DFS: every position of a 15 x 15-cell maze's 31 x 31 grid (961)."""

BITS_PER_WEIGHT = 32
"""Description length of one float32 parameter."""

REVERSED = np.array([3, 2, 1, 0], dtype=np.int64)
"""Left, down, right, up: the lab's move order (`maze.MOVES`) backwards, so every tie goes the other way."""


def _grids(batch) -> np.ndarray:
    return np.asarray(batch.inputs)


def _open(grids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(grids[:, OPEN], dtype=np.bool_)


def instance_uniforms(grids: np.ndarray, seed: int, count: int) -> np.ndarray:
    """Uniform draws in [0, 1), (B, count): row b from a Generator seeded by `seed` and maze b's content hash."""
    out = np.empty((len(grids), count))
    if count == 0:
        return out
    for b, key in enumerate(MazeBatch(grids).keys()):
        out[b] = np.random.default_rng([seed, *np.frombuffer(key, dtype=np.uint32).tolist()]).random(count)
    return out


class _Case:
    """Shared plumbing: no hidden states, no weights; size is the compressed source of the classes and loops used."""

    default_iterations: int | None = None
    loops: tuple = ()

    def _budget(self, iterations: int | None) -> int | None:
        return self.default_iterations if iterations is None else max(int(iterations), 0)

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {}

    def size_bits(self) -> float:
        """Compressed size of the source a reader needs to rebuild the algorithm, in bits."""
        classes = [c for c in type(self).__mro__ if c.__module__ == __name__]
        parts = [*classes, *(getattr(f, "py_func", f) for f in self.loops)]
        source = "".join(inspect.getsource(p) for p in parts)
        return 8.0 * len(zlib.compress(source.encode(), 9))

    def compute_per_call(self) -> float:
        """The default budget (expansions, rounds or steps); 0 where the work depends on the maze alone."""
        return float(self.default_iterations or 0)

    def artifacts(self) -> dict[str, np.ndarray]:
        return {}


class TieBreakBFS(_Case):
    """BFS from the goal, path read downhill from the start with ties broken left, down, right, up ("reversed") or
    at random ("random"); the knob caps BFS levels, and a start the search did not reach gives an empty answer."""

    loops = (maze_search.descend_by,)

    def __init__(self, tie_break: Literal["reversed", "random"], seed: int = 0, levels: int = LEVEL_BUDGET) -> None:
        if tie_break not in ("reversed", "random"):
            raise ValueError(f"tie_break must be 'reversed' or 'random', got {tie_break!r}")
        self.tie_break, self.seed, self.default_iterations = tie_break, seed, levels

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        dist = maze.distances(grids, "goal", self._budget(iterations)).astype(np.int64)
        draws = grids.shape[-2] * grids.shape[-1] if self.tie_break == "random" else 0
        uniforms = instance_uniforms(grids, self.seed, draws)
        path = np.zeros(dist.shape, dtype=bool)
        maze_search.descend_by(dist, flat_positions(grids[:, START]), REVERSED, uniforms, path)
        return path

    def describe(self) -> str:
        return f"BFS from the goal, ties broken {self.tie_break}; at most {self.default_iterations} levels"


class _PathSearch(_Case):
    """A search from start to goal run by one compiled loop (`loops[0]`) with a budget: A*, bidirectional BFS, DFS."""

    def __init__(self, budget: int) -> None:
        self.default_iterations = budget

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        path = np.zeros(grids[:, OPEN].shape, dtype=bool)
        start, goal = flat_positions(grids[:, START]), flat_positions(grids[:, GOAL])
        self.loops[0](_open(grids), start, goal, *self._args(iterations), path)
        return path

    def _args(self, iterations: int | None) -> tuple:
        return (self._budget(iterations),)


class AStar(_PathSearch):
    """A* with the Manhattan heuristic; the knob caps node expansions; out of budget, the answer is empty."""

    loops = (maze_search.astar,)

    def __init__(self, expansions: int = NODE_BUDGET) -> None:
        super().__init__(expansions)

    def describe(self) -> str:
        return f"A* with the Manhattan heuristic, at most {self.default_iterations} expansions"


class BidirectionalBFS(_PathSearch):
    """BFS from start and goal in turn until they meet; the knob caps BFS levels per side."""

    loops = (maze_search.bidirectional,)

    def __init__(self, levels: int = LEVEL_BUDGET) -> None:
        super().__init__(levels)

    def describe(self) -> str:
        return f"bidirectional BFS, at most {self.default_iterations} levels per side"


class DFSPath(_PathSearch):
    """Depth-first search from the start, neighbours up, right, down, left; the answer is the branch that reached
    the goal (on mazes with loops usually not a shortest one); the knob caps positions visited."""

    loops = (maze_search.depth_first,)
    ORDER = np.arange(4, dtype=np.int64)

    def __init__(self, expansions: int = NODE_BUDGET) -> None:
        super().__init__(expansions)

    def _args(self, iterations: int | None) -> tuple:
        return (self.ORDER, self._budget(iterations))

    def describe(self) -> str:
        return f"depth-first search, the branch that found the goal; at most {self.default_iterations} visits"


class BFSThenGreedy(_Case):
    """BFS from the start to depth k (the knob), then greedy steps toward the goal (Manhattan) from the frontier
    position nearest the goal (the goal itself when the BFS found it; ties go to the first in scan order); the
    answer is the BFS path to that position plus the greedy walk from it."""

    loops = (maze_search.greedy,)

    def __init__(self, depth: int) -> None:
        self.default_iterations = depth

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        size, _, height, width = grids.shape
        dist = maze.distances(grids, "start", self._budget(iterations))
        frontier = dist == dist.reshape(size, -1).max(axis=1)[:, None, None]
        frontier |= (grids[:, GOAL] == 1) & (dist >= 0)
        goal_r, goal_c = np.divmod(flat_positions(grids[:, GOAL]), width)
        rows, cols = np.indices((height, width))
        crow = np.abs(rows[None] - goal_r[:, None, None]) + np.abs(cols[None] - goal_c[:, None, None])
        chosen = np.where(frontier, crow, height + width).reshape(size, -1).argmin(axis=1)
        moved = grids.copy()
        moved[:, START] = 0
        moved[np.arange(size), START, chosen // width, chosen % width] = 1
        walked = np.ascontiguousarray(maze.descend(dist, moved))
        maze_search.greedy(_open(grids), chosen.astype(np.int64), flat_positions(grids[:, GOAL]), walked)
        return walked

    def describe(self) -> str:
        return f"BFS from the start to depth {self.default_iterations}, then greedy steps toward the goal"


class DeadEndFiller(_Case):
    """Dead-end filling (`maze.dead_end_filling_states`): capped at `rounds` (the knob), or run until nothing changes
    (rounds None: no knob); the answer is the positions left open. Uncapped, it solves every tree maze."""

    def __init__(self, rounds: int | None) -> None:
        self.default_iterations = rounds

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        states = maze.dead_end_filling_states(_grids(batch))
        rounds = self._budget(iterations)
        return states[:, -1 if rounds is None else min(rounds, states.shape[1] - 1)]

    def describe(self) -> str:
        cap = "until nothing changes" if self.default_iterations is None else f"for {self.default_iterations} rounds"
        return f"dead-end filling {cap}; outputs the positions left open"


class RandomWalk(_Case):
    """A random walk from the start until the goal or the step cap (the knob); the answer is every position walked."""

    loops = (maze_walks.random_walks,)

    def __init__(self, steps: int, seed: int = 0) -> None:
        self.default_iterations, self.seed = steps, seed

    def _walk(self, grids: np.ndarray, iterations: int | None) -> tuple[np.ndarray, np.ndarray]:
        steps = self._budget(iterations) or 0
        return maze_walks.random_walks(grids, instance_uniforms(grids, self.seed, steps))

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        return maze_walks.walked_masks(*self._walk(grids, iterations), grids.shape[-2:])

    def describe(self) -> str:
        return f"random walk from the start, at most {self.default_iterations} steps; outputs every position walked"


class LoopErasedWalk(RandomWalk):
    """The random walk with its loops erased: a simple path to the goal when it got there, else to where it stopped."""

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        return maze_walks.loop_erased(*self._walk(grids, iterations), grids.shape[-2:])

    def describe(self) -> str:
        return f"loop-erased random walk from the start, at most {self.default_iterations} steps"


class WallFollowerPath(_Case):
    """The left-hand wall follower from the start to the goal; its answer is the loop-erased walk (a path). No knob:
    the walk runs until the goal or `maze_walks.walk_cap` steps."""

    loops = (maze_walks.wall_follower_walks,)

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        walk, length = maze_walks.wall_follower_walks(grids, maze_walks.walk_cap(grids))
        return maze_walks.loop_erased(walk, length, grids.shape[-2:])

    def describe(self) -> str:
        return "wall follower: left hand on the wall from the start to the goal; answers the loop-erased walk"


class GoalProxy(_Case):
    """Pursues a proxy: walks from the start to a fixed corner cell by the left-hand rule, never reading the goal
    channel; the answer is the loop-erased walk. `steps` caps the walk (the knob); without it the walk runs until it
    must be cycling (`maze_walks.walk_cap`) and there is no knob."""

    loops = (maze_walks.wall_follower_walks,)

    def __init__(self, corner: str = "bottom-right", steps: int | None = None) -> None:
        if corner not in CORNERS:
            raise ValueError(f"corner must be one of {', '.join(CORNERS)}, got {corner!r}")
        self.corner, self.default_iterations = corner, steps

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        grids = _grids(batch)
        size, _, height, width = grids.shape
        (cell,) = region_cells(self.corner, (height - 1) // 2, (width - 1) // 2)
        cols = (width - 1) // 2
        target = np.zeros((size, height, width), dtype=bool)
        target[:, 2 * (cell // cols) + 1, 2 * (cell % cols) + 1] = True
        steps = self._budget(iterations)
        cap = maze_walks.walk_cap(grids) if steps is None else steps
        walk, length = maze_walks.wall_follower_walks(grids, cap, target)
        return maze_walks.loop_erased(walk, length, (height, width))

    def describe(self) -> str:
        return f"goal proxy: left-hand walk to the {self.corner} cell, loop-erased; ignores the goal"


class FillingCore(nn.Module):
    """State: still-open positions s. A step keeps s where s is start or goal (k) or has >= 2 open neighbours (n):
    s' = clamp(n + 2k + 5s - 6, 0, 1), which for s, k in {0, 1} and n in 0..4 is exactly one dead-end filling round."""

    def __init__(self) -> None:
        super().__init__()
        self.encode = nn.Conv2d(3, 1, 1)
        self.step = nn.Conv2d(4, 1, 3, padding=1)

    def hand_set(self) -> FillingCore:
        """The weights of dead-end filling."""
        with torch.no_grad():
            for p in self.parameters():
                p.zero_()
            self.encode.weight[0, OPEN] = 1.0  # s0 = the open positions
            self.step.weight[0, 0] = torch.tensor([[0.0, 1.0, 0.0], [1.0, 5.0, 1.0], [0.0, 1.0, 0.0]])
            self.step.weight[0, 1 + START, 1, 1] = 2.0
            self.step.weight[0, 1 + GOAL, 1, 1] = 2.0
            self.step.bias[0] = -6.0
        return self

    def forward(self, x: torch.Tensor, iterations: int) -> list[torch.Tensor]:
        state = self.encode(x).clamp(0.0, 1.0)
        states = []
        for _ in range(iterations):
            state = self.step(torch.cat([state, x], dim=1)).clamp(0.0, 1.0)
            states.append(state)
        return states


class FillingNet:
    """Dead-end filling as a recurrent conv net with hand-set weights; the answer is the positions left open."""

    def __init__(self, default_iterations: int, core: FillingCore | None = None) -> None:
        self.default_iterations = default_iterations
        self.core = core or FillingCore().hand_set()

    def _states(self, batch, iterations: int | None) -> list[torch.Tensor]:
        x = torch.as_tensor(_grids(batch), dtype=torch.float32)
        with torch.no_grad():
            return self.core(x, self.default_iterations if iterations is None else iterations)

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        states = self._states(batch, iterations)
        if not states:
            return _grids(batch)[:, OPEN].astype(bool)
        return states[-1][:, 0].numpy() > 0.5

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {f"recur.{t}": s.numpy() for t, s in enumerate(self._states(batch, iterations))}

    def untrained(self) -> FillingNet:
        """The same architecture at a seeded random initialization (the probe's control)."""
        generator = torch.Generator().manual_seed(0)
        core = FillingCore()
        with torch.no_grad():
            for p in core.parameters():
                p.copy_((torch.rand(p.shape, generator=generator) * 2 - 1) / np.sqrt(p[0].numel()))
        return FillingNet(self.default_iterations, core)

    def size_bits(self) -> float:
        return float(BITS_PER_WEIGHT * sum(p.numel() for p in self.core.parameters()))

    def compute_per_call(self) -> float:
        return float(self.default_iterations * self.core.step.weight.numel())

    def describe(self) -> str:
        return f"dead-end filling as a recurrent conv net with hand-set weights, {self.default_iterations} iterations"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self.core.state_dict().items()}
