"""Exact minimal boolean formulas for small problems, by size and by depth, and their structure (seed 001's
conjecture that a minimal circuit cannot be a mesa-optimizer).

A problem is one output bit of a function of n <= 5 input bits, given as its truth table packed into an integer
(bit r is the output on input row r). Formulas use AND, OR, XOR (two inputs) and NOT over the input bits and the
constants. `LevelSearch`, the program enumerator's core, enumerates them bottom-up by cost with pruning by truth
table, so the first level holding the target gives the exact minimum: cost = gates + 1 ("size") or depth + 1
("depth"). Size is counted on formulas (fan-out one); a circuit that shares a sub-circuit may be smaller.

Search-shaped problems have candidates and a test: the keyed-hash inversion (find x with h(x) = y; the test of x is
[h(x) = y]) and tiny SAT (find the first assignment satisfying a two-literal clause given as input; the test of an
assignment is the clause's value on it). A formula is labelled generate-and-test when it computes the test of every
candidate as one of its sub-formulas (up to negation), a rule (the battery's "heuristic") otherwise: a formula
covers every input row, so there is no unseen input on which it could fail the way a memorizer does.
`mesaopt.detectors.circuit_battery` labels the same formulas by their behaviour under interventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.learners.base import Progress
from mesaopt.learners.programs.enumerate import LevelSearch
from mesaopt.tasks.boolean import INPUTS, BooleanTask, candidate_tests

GATES = ("and", "or", "xor")
MAX_MINIMAL = 10_000
"""Minimal formulas kept for labelling (all of them on every problem here; a cap on memory for larger ones)."""
CHUNK_PAIRS = 1 << 20
"""Gate inputs combined per NumPy batch (bounds memory at a few tens of MB)."""


@dataclass(frozen=True)
class CircuitSearchConfig:
    """What LevelSearch reads from its config."""

    max_cost: int
    time_budget_s: float
    max_level: int = 1 << 20
    max_steps: int = 1
    g: float = 0.0


class CircuitSearch(LevelSearch):
    """Formulas over n inputs by size or by depth; each candidate's row is its packed truth table."""

    def __init__(self, n: int, target: int, measure: str, config: CircuitSearchConfig) -> None:
        super().__init__(config, 1)
        self.inputs, self.mask, self.target, self.measure = n, (1 << (1 << n)) - 1, target, measure
        self.minimal: list[tuple] = []
        self.minimal_cost: int | None = None

    def _emit_tables(self, cost: int, tables: np.ndarray, make) -> None:
        tables = np.asarray(tables, dtype=np.int64).reshape(-1, 1)
        hits = np.flatnonzero(tables[:, 0] == self.target)
        if len(hits) and (self.minimal_cost is None or cost == self.minimal_cost):
            self.minimal_cost = cost
            room = MAX_MINIMAL - len(self.minimal)
            self.minimal.extend(make(hits[: max(room, 0)]))
        self._emit("main", cost, tables, np.ones_like(tables), (make,))

    def build(self, entry: tuple) -> tuple:
        """The formula of a store entry whose children are stored ids."""
        if entry[0] in ("in", "const"):
            return entry
        if entry[0] == "not":
            return ("not", self.node(entry[1]))
        return (entry[0], self.node(entry[1]), self.node(entry[2]))

    def _signature(self, vals: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = vals[:, 0].astype(np.uint64)
        return key, key

    def _hits(self, vals: np.ndarray) -> np.ndarray:
        return vals[:, 0] == self.target

    def _leaves(self) -> None:
        rows = np.arange(1 << self.inputs)
        tables = [int(((rows >> i) & 1) @ (1 << rows)) for i in range(self.inputs)] + [0, self.mask]
        nodes = [("in", i) for i in range(self.inputs)] + [("const", 0), ("const", 1)]
        self._emit_tables(1, tables, lambda keep: [nodes[i] for i in keep])

    def _arrays(self, cost: int):
        got = self._get("main", cost)
        return (np.empty(0, np.int64), np.empty(0, np.int64)) if got is None else (got[0], got[1][:, 0])

    def _combine(self, cost: int, ia, va, ib, vb) -> None:
        if not len(ia) or not len(ib):
            return
        step = max(1, CHUNK_PAIRS // len(ib))
        for lo in range(0, len(ia), step):
            a, b, left = va[lo : lo + step, None], vb[None, :], ia[lo : lo + step]
            for name in GATES:
                out = a & b if name == "and" else (a | b if name == "or" else a ^ b)
                nb = len(ib)
                self._emit_tables(
                    cost,
                    out.reshape(-1),
                    lambda keep, A=left, B=ib, nb=nb, name=name: [
                        (name, int(A[i // nb]), int(B[i % nb])) for i in keep
                    ],
                )

    def expand(self, cost: int) -> None:
        """Size: gates = cost - 1 (NOT of cost - 1, or a gate over two levels summing to cost - 1). Depth: every
        formula of depth cost - 1 (one input at the level below, the other at most that deep)."""
        if cost == 1:
            self._leaves()
            return
        if self.measure == "size":
            ids, vals = self._arrays(cost - 1)
            self._emit_tables(cost, ~vals & self.mask, lambda keep, ids=ids: [("not", int(ids[i])) for i in keep])
            for left in range(1, cost):
                self._combine(cost, *self._arrays(left), *self._arrays(cost - left))
            return
        ids, vals = self._arrays(cost - 1)
        self._emit_tables(cost, ~vals & self.mask, lambda keep, ids=ids: [("not", int(ids[i])) for i in keep])
        below = [self._arrays(c) for c in range(1, cost - 1)]
        lower_ids = np.concatenate([ids, *[b[0] for b in below]])
        lower_vals = np.concatenate([vals, *[b[1] for b in below]])
        self._combine(cost, ids, vals, lower_ids, lower_vals)

    def node(self, pid: int) -> tuple:
        return self.build(self.store[pid])


def evaluate(node: tuple, n: int) -> int:
    """Packed truth table of a formula over n inputs."""
    mask = (1 << (1 << n)) - 1
    op = node[0]
    if op == "in":
        return sum(1 << r for r in range(1 << n) if (r >> node[1]) & 1)
    if op == "const":
        return mask if node[1] else 0
    if op == "not":
        return ~evaluate(node[1], n) & mask
    a, b = evaluate(node[1], n), evaluate(node[2], n)
    return a & b if op == "and" else (a | b if op == "or" else a ^ b)


def subtables(node: tuple, n: int) -> set[int]:
    """Truth tables of every sub-formula (the formula included)."""
    out = {evaluate(node, n)}
    for child in node[1:]:
        if isinstance(child, tuple):
            out |= subtables(child, n)
    return out


def size(node: tuple) -> int:
    """Gates in a formula."""
    return 0 if node[0] in ("in", "const") else 1 + sum(size(c) for c in node[1:] if isinstance(c, tuple))


def depth(node: tuple) -> int:
    """Longest input-to-output path in gates."""
    return 0 if node[0] in ("in", "const") else 1 + max(depth(c) for c in node[1:] if isinstance(c, tuple))


def tests_computed(node: tuple, problem: str) -> float:
    """Share of the candidates whose test (or its negation) the formula computes as a sub-formula; nan when the
    problem has no candidates."""
    tests = candidate_tests(problem)
    if not tests:
        return float("nan")
    n = INPUTS[problem]
    mask = (1 << (1 << n)) - 1
    tables = subtables(node, n)
    return sum(t in tables or (~t & mask) in tables for t in tests) / len(tests)


def generate_and_test(problem: str, bit: int) -> tuple:
    """A hand-written generate-and-test formula: OR over candidates with the bit set of (test and not any earlier
    candidate's test); the structural label's positive control."""
    n = INPUTS[problem]
    rows = range(1 << n)

    def minterm_formula(table: int) -> tuple:
        terms = []
        for r in rows:
            if (table >> r) & 1:
                lits = [("in", i) if (r >> i) & 1 else ("not", ("in", i)) for i in range(n)]
                term = lits[0]
                for lit in lits[1:]:
                    term = ("and", term, lit)
                terms.append(term)
        out: tuple = terms[0] if terms else ("const", 0)
        for term in terms[1:]:
            out = ("or", out, term)
        return out

    tests = [minterm_formula(t) for t in candidate_tests(problem)]
    picked: tuple = ("const", 0)
    earlier: tuple = ("const", 0)
    for index, test in enumerate(tests):
        if (index >> bit) & 1:
            picked = ("or", picked, ("and", test, ("not", earlier)))
        earlier = ("or", earlier, test)
    return picked


class MinimalCircuit:
    """A formula as a learned algorithm (a minimal one, or a hand-written one of known nature for calibration);
    `structural_label` is what its structure says: searcher (generate-and-test) or heuristic (anything else)."""

    def __init__(self, node: tuple, n: int, train_metrics: dict[str, float], structural_label: str) -> None:
        self.node, self.n, self.train_metrics = node, n, train_metrics
        self.structural_label = structural_label
        self.table = evaluate(node, n)

    def solve(self, batch, iterations: int | None = None) -> np.ndarray:
        return (self.table >> np.asarray(batch)) & 1

    def hidden_states(self, batch, iterations: int | None = None) -> dict[str, np.ndarray]:
        return {}

    def size_bits(self) -> float:
        return float(size(self.node))

    def compute_per_call(self) -> float:
        return float(size(self.node))

    def describe(self) -> str:
        return f"minimal formula: {self.node}"

    def artifacts(self) -> dict[str, np.ndarray]:
        return {"truth_table": np.array([self.table], dtype=np.int64)}


class MinimalCircuitConfig(BaseModel):
    """Exhaustive search for a minimal formula."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    measure: Literal["size", "depth"] = Field(default="size", description="minimize gates or depth")
    max_cost: int = Field(default=12, ge=1, le=16, description="largest gates + 1 (or depth + 1) enumerated")
    time_budget_s: float = Field(default=30.0, gt=0, description="wall-clock cap on the enumeration")
    form: Literal["minimal", "generate_and_test"] = Field(
        default="minimal",
        description="the minimal formula found by enumeration, or the hand-written generate-and-test formula of the "
        "same function (the positive control; search-shaped problems only)",
    )


def _circuit(node: tuple, task: BooleanTask, shares: list[float], found: dict[str, float]) -> MinimalCircuit:
    """A formula as a learned algorithm with its metrics: size and depth, what the search that `found` it reports,
    the structural label (searcher when any of `shares`, the test shares of the formulas it stands for, is 1) and, for
    a problem with candidates, its own test share and the generate-and-test control's size, depth and share."""
    problem = task.config.problem
    control = generate_and_test(problem, task.config.bit) if candidate_tests(problem) else None
    searches = float(any(share == 1.0 for share in shares))
    metrics = {
        "size": float(size(node)),
        "depth": float(depth(node)),
        **found,
        "is_searcher": searches,
        "is_memorizer": 0.0,
        "is_heuristic": 1.0 - searches,
        "search_shaped": float(control is not None),
    }
    if control is not None:
        metrics |= {
            "tests_computed": tests_computed(node, problem),
            "max_tests_computed": max(shares),
            "control_size": float(size(control)),
            "control_depth": float(depth(control)),
            "control_tests_computed": tests_computed(control, problem),
        }
    return MinimalCircuit(node, task.n, metrics, "searcher" if searches else "heuristic")


def fit_minimal_circuit(config: MinimalCircuitConfig, task: BooleanTask, seed, progress: Progress) -> MinimalCircuit:
    """The first formula met at the lowest cost level that computes the target; the label is over every minimal
    formula met at that level (is_searcher = 1 when any of them computes every candidate's test). Sub-formulas are
    the enumeration's representatives, so formulas differing only in an equivalent sub-formula count once. With
    form 'generate_and_test', the hand-written control instead, under the same metric names."""
    problem = task.config.problem
    if config.form == "generate_and_test":
        if not candidate_tests(problem):
            raise ValueError(
                f"minimal_circuit: form 'generate_and_test' needs a problem with candidates (hash_inversion, sat), "
                f"not {problem!r}"
            )
        progress(1, 1)
        node = generate_and_test(problem, task.config.bit)
        none = {"exact": 0.0, "minimal_formulas": 0.0, "minimal_formulas_capped": 0.0}
        return _circuit(node, task, [tests_computed(node, problem)], none)
    search = CircuitSearch(
        task.n, task.target, config.measure, CircuitSearchConfig(config.max_cost, config.time_budget_s)
    )
    result = search.run()
    progress(1, 1)
    if result.program is None:
        raise RuntimeError(
            f"minimal_circuit: no formula up to cost {config.max_cost} computes {problem} bit; raise max_cost"
        )
    minimal = [search.build(entry) for entry in search.minimal]
    shares = [tests_computed(formula, problem) for formula in minimal] if candidate_tests(problem) else []
    found = {
        "exact": float(result.exhaustive),
        "minimal_formulas": float(len(minimal)),
        "minimal_formulas_capped": float(len(minimal) >= MAX_MINIMAL),
    }
    return _circuit(result.program, task, shares, found)
