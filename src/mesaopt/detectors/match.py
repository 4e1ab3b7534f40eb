"""Algorithm match: do the outputs agree with BFS, or with the memorized answer of the nearest training maze?"""

from __future__ import annotations

import numpy as np

from mesaopt.detectors.mazetools import nearest, require_maze
from mesaopt.detectors.transfer import training_instances
from mesaopt.learners.base import LearnedAlgorithm
from mesaopt.tasks.base import Task

MAX_INSTANCES = 128
"""Novel mazes compared."""

REFERENCE_SIZE = 1024
"""Training mazes drawn as the memory when the pool is infinite and the learner stored no instances of its own."""

METRICS = ("bfs", "memory", "margin", "bfs_exact", "memory_exact")


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
    truth = task.solutions(novel)
    with_bfs, with_memory = jaccard(outputs, truth), jaccard(outputs, memorized)
    return {
        "bfs": float(with_bfs.mean()),
        "memory": float(with_memory.mean()),
        "margin": float(with_bfs.mean() - with_memory.mean()),
        "bfs_exact": float((outputs == truth).all(axis=(1, 2)).mean()),
        "memory_exact": float((outputs == memorized).all(axis=(1, 2)).mean()),
    }
