"""Local search over the same program space: mutation hill-climbing and a genetic algorithm.

`hill_climb` and `genetic` are generic: they need a sampler with `tree()`, `mutate(node)`, `crossover(a, b)` and
`rng`, and an evaluate function. `Sampler` serves the word DSL; `maze_search.MazeSampler` the maze language.

Both minimise the loss c + g*log2(t) + 2W bits per wrong training answer (the price of listing that answer as an
exception), so on correct programs the loss is the enumerator's score. The learned algorithm is the program found
with those exceptions listed (`with_exceptions`): what the loss paid for, so it answers every training instance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from mesaopt.dsl import BINARY, BODY_BITS, MAIN_BITS, UNARY, Dsl, Node
from mesaopt.learners.programs.interpret import run

MAX_DEPTH = 4
"""Depth of random subtrees drawn by mutation."""


def loss(dsl: Dsl, node: Node, inputs: np.ndarray, answers: np.ndarray, g: float) -> tuple[float, bool]:
    """The local-search loss of a program, and whether it answers every training instance correctly."""
    values, steps = run(dsl, node, inputs)
    wrong = int((values != answers).sum())
    return dsl.cost(node) + g * math.log2(float(steps.mean())) + 2 * dsl.word_bits * wrong, wrong == 0


def with_exceptions(node: Node, inputs: np.ndarray, answers: np.ndarray, values: np.ndarray) -> Node:
    """The program with the training answers it gets wrong listed in front of it, as the loss prices them: where the
    instance's first word is a listed key, the stored answer, else the program's (unchanged when nothing is wrong)."""
    wrong = np.flatnonzero(values != answers)
    if not len(wrong):
        return node
    pairs = dict(zip(inputs[wrong, 0].tolist(), answers[wrong].tolist(), strict=True))
    keys = tuple(sorted(pairs))
    listed = ("table", ("var", 0), keys, (1,) * len(keys))
    return ("if", ("eq", listed, ("const", 1)), ("table", ("var", 0), keys, tuple(pairs[k] for k in keys)), node)


class Sampler:
    """Random programs drawn from the DSL's PCFG (productions in proportion to their probabilities)."""

    def __init__(self, dsl: Dsl, width: int, table: Node | None, rng: np.random.Generator) -> None:
        self.dsl, self.width, self.table, self.rng = dsl, width, table, rng

    def _choose(self, bits: dict[str, int], depth: int) -> str:
        names = [n for n in bits if depth > 0 or n in ("var", "const", "x")]
        if self.table is None:
            names = [n for n in names if n != "table"]
        weights = np.array([2.0 ** -bits[n] for n in names])
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]

    def mutate(self, node: Node) -> Node:
        return mutate(node, self)

    def crossover(self, a: Node, b: Node) -> Node:
        return crossover(a, b, self.rng)

    def const(self) -> Node:
        length = int(self.rng.integers(0, self.dsl.word_bits + 1))
        return ("const", int(self.rng.integers(1 << max(length - 1, 0), 1 << length)) if length else 0)

    def tree(self, depth: int = MAX_DEPTH, body: bool = False) -> Node:
        op = self._choose(BODY_BITS if body else MAIN_BITS, depth)
        if op == "x":
            return ("x",)
        if op == "var":
            return ("var", int(self.rng.integers(self.dsl.n_vars)))
        if op == "const":
            return self.const()
        if op in BINARY:
            return (op, self.tree(depth - 1, body), self.tree(depth - 1, body))
        if op in UNARY:
            return (op, self.tree(depth - 1, body))
        if op == "if":
            cond = ("eq", self.tree(depth - 1), self.tree(depth - 1))
            return ("if", cond, self.tree(depth - 1), self.tree(depth - 1))
        if op == "search":
            return ("search", self.width, self.tree(depth - 1, body=True), self.tree(depth - 1))
        return self.table


def positions(node: Node, body: bool = False, path: tuple = ()) -> list[tuple[tuple, bool]]:
    """Every subtree's path and whether it sits inside a search body."""
    out = [(path, body)]
    op = node[0]
    if op == "search":
        out += positions(node[2], True, (*path, 2)) + positions(node[3], False, (*path, 3))
    elif op == "table":
        out += positions(node[1], False, (*path, 1))
    elif op not in ("var", "const", "x"):
        for index, child in enumerate(node[1:], start=1):
            out += positions(child, body, (*path, index))
    return out


def subtree(node: Node, path: tuple) -> Node:
    for index in path:
        node = node[index]
    return node


def replace(node: Node, path: tuple, new: Node) -> Node:
    if not path:
        return new
    index = path[0]
    return (*node[:index], replace(node[index], path[1:], new), *node[index + 1 :])


def mutate(node: Node, sampler: Sampler) -> Node:
    """Replace one random subtree by a fresh random one of the same context, or nudge a constant."""
    spots = positions(node)
    path, body = spots[int(sampler.rng.integers(len(spots)))]
    old = subtree(node, path)
    if old[0] == "eq":
        return node
    if old[0] == "const" and sampler.rng.random() < 0.5:
        return replace(node, path, ("const", (old[1] + int(sampler.rng.choice([-1, 1]))) & sampler.dsl.mask))
    return replace(node, path, sampler.tree(int(sampler.rng.integers(0, MAX_DEPTH)), body))


def crossover(a: Node, b: Node, rng: np.random.Generator) -> Node:
    """Put a random subtree of b in place of a random subtree of a with the same context."""
    spots_a = [s for s in positions(a) if subtree(a, s[0])[0] != "eq"]
    path, body = spots_a[int(rng.integers(len(spots_a)))]
    donors = [p for p, bd in positions(b) if bd == body and subtree(b, p)[0] != "eq"]
    if not donors:
        return a
    return replace(a, path, subtree(b, donors[int(rng.integers(len(donors)))]))


Evaluate = Callable[[Node], tuple[float, bool]]


def hill_climb(start: Node, sampler: Sampler, evaluate: Evaluate, steps: int) -> tuple[Node, list[float]]:
    """Accept a mutation when it does not raise the loss; return the final program and the loss after each step."""
    current, (best, _) = start, evaluate(start)
    path = [best]
    for _ in range(steps):
        candidate = sampler.mutate(current)
        value, _ = evaluate(candidate)
        if value <= best:
            current, best = candidate, value
        path.append(best)
    return current, path


def genetic(
    sampler: Sampler, evaluate: Evaluate, population: int, generations: int, mutation_rate: float = 0.5
) -> tuple[Node, list[float]]:
    """Tournament selection, subtree crossover and mutation with one elite; the best loss per generation."""
    rng = sampler.rng
    pop = [sampler.tree() for _ in range(population)]
    losses = [evaluate(p)[0] for p in pop]
    curve = []
    for _ in range(generations):
        elite = int(np.argmin(losses))
        curve.append(float(losses[elite]))
        children = [pop[elite]]
        while len(children) < population:
            parents = []
            for _ in range(2):
                a, b = rng.integers(population, size=2)
                parents.append(pop[a] if losses[a] <= losses[b] else pop[b])
            child = sampler.crossover(parents[0], parents[1])
            if rng.random() < mutation_rate:
                child = sampler.mutate(child)
            children.append(child)
        pop = children
        losses = [evaluate(p)[0] for p in pop]
    elite = int(np.argmin(losses))
    curve.append(float(losses[elite]))
    return pop[elite], curve
