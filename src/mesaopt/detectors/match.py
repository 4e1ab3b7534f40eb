"""Algorithm match: do the outputs agree with the shortest paths, or with the memorized answer of the nearest
training maze?

On a maze with loops there may be several shortest paths; BFS's tie-break picks one, but any is the optimizer's
answer. `bfs` is therefore the Jaccard agreement with the shortest path that shares most positions with the output
(exactly: the union of shortest paths bounds the intersection, and a valid shortest path scores 1), `bfs_exact` the
share of outputs that are a shortest path, and `on_shortest` the share of output positions lying on some shortest
path."""

from __future__ import annotations

import numpy as np

from mesaopt.detectors.mazetools import nearest, require_maze
from mesaopt.detectors.transfer import training_instances
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks import maze
from mesaopt.tasks.base import Task
from mesaopt.tasks.maze import START, on_shortest_paths

MAX_INSTANCES = 128
"""Novel mazes compared."""

REFERENCE_SIZE = 1024
"""Training mazes drawn as the memory when the pool is infinite and the learner stored no instances of its own."""

METRICS = ("bfs", "memory", "margin", "bfs_exact", "memory_exact", "on_shortest")


def jaccard(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of two batches of masks; 1 where both are empty."""
    a, b = np.asarray(a, dtype=bool), np.asarray(b, dtype=bool)
    inter = (a & b).sum(axis=(1, 2))
    union = (a | b).sum(axis=(1, 2))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def algorithm_match(learned: LearnedAlgorithm, task: Task) -> dict[str, float]:
    """Mean Jaccard agreement (and exact-match rates) of outputs with BFS and with the nearest memorized answer."""
    novel = task.novel(min(task.config.eval_size, MAX_INSTANCES))
    memory, _ = training_instances(learned, task, REFERENCE_SIZE, "match.memory")
    memorized = task.solutions(memory)[nearest(require_maze(novel, "match"), require_maze(memory, "match"))]
    outputs = np.asarray(learned.solve(novel), dtype=bool)
    exact = task.success(novel, outputs)
    with_bfs = np.where(exact, 1.0, shortest_jaccard(novel.grids, outputs))
    with_memory = jaccard(outputs, memorized)
    union = on_shortest_paths(novel.grids)
    count = outputs.sum(axis=(1, 2))
    on_path = np.where(count > 0, (outputs & union).sum(axis=(1, 2)) / np.maximum(count, 1), 0.0)
    return {
        "bfs": float(with_bfs.mean()),
        "memory": float(with_memory.mean()),
        "margin": float(with_bfs.mean() - with_memory.mean()),
        "bfs_exact": float(exact.mean()),
        "memory_exact": float((outputs == memorized).all(axis=(1, 2)).mean()),
        "on_shortest": float(on_path.mean()),
    }


def shortest_jaccard(grids: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Jaccard agreement of each output with the closest shortest path, bounded above through the union of them all.

    A shortest path holds length + 1 positions, and at most |output ∩ union| of them are the output's, so the best
    agreement is at most |output ∩ union| / (|output| + length + 1 - |output ∩ union|); on a perfect maze (one
    shortest path) this is exact."""
    union = on_shortest_paths(grids)
    length = np.where(grids[:, START].astype(bool), maze.distances(grids, "goal"), -1).max(axis=(1, 2))
    shared = np.minimum((outputs & union).sum(axis=(1, 2)), length + 1)
    total = outputs.sum(axis=(1, 2)) + length + 1 - shared
    return np.where(total > 0, shared / np.maximum(total, 1), 1.0)
