"""Small boolean problems as tasks: one output bit of a function of n <= 5 input bits, every input row at once.

A problem's truth table is packed into an integer (bit r is the output on input row r). The search-shaped problems
have candidates and a test: the keyed-hash inversion (find x with h(x) = y; the test of x is [h(x) = y]) and tiny SAT
(find the first assignment satisfying a two-literal clause given as input; the test of an assignment is the clause's
value on it). `mesaopt.learners.circuits` finds the minimal formulas that compute them.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from mesaopt.tasks.base import TaskConfig, derive

SBOX3 = (0, 1, 3, 6, 7, 4, 5, 2)
"""A nonlinear 3-bit S-box (PRINTcipher's): every output bit of it and of its inverse has degree 2."""
HASH_KEY = 5
"""The key of the 3-bit hash h(x) = SBOX3[x xor key] (a bijection for any key)."""

Problem = Literal["parity", "majority", "hash_inversion", "sat"]
INPUTS: dict[str, int] = {"parity": 4, "majority": 3, "hash_inversion": 3, "sat": 4}
OUTPUTS: dict[str, int] = {"parity": 1, "majority": 1, "hash_inversion": 3, "sat": 2}


def _bits(row: int, n: int) -> list[int]:
    return [(row >> i) & 1 for i in range(n)]


def keyed_hash(x: int) -> int:
    """h(x) = SBOX3[x xor HASH_KEY]."""
    return SBOX3[x ^ HASH_KEY]


def _sat_clause(row: int, assignment: int) -> int:
    """Input row: literal i (i = 0, 1) is variable bit 2i and negation bit 2i + 1; value of the clause."""
    bits = _bits(row, 4)
    values = _bits(assignment, 2)
    return int(any(values[bits[2 * i]] ^ bits[2 * i + 1] for i in range(2)))


CANDIDATES: dict[str, int] = {"hash_inversion": 8, "sat": 4}
"""Candidates of the search-shaped problems, tried in the order 0, 1, ...; the answer is the first that passes."""


def passes(problem: str, row: int, candidate: int) -> bool:
    """The test of a candidate on one input row: h(x) = y, or the clause's value on the assignment."""
    return keyed_hash(candidate) == row if problem == "hash_inversion" else bool(_sat_clause(row, candidate))


def answer(problem: str, row: int, excluded: int | None = None) -> int:
    """The problem's full answer word on one input row. For a search-shaped problem, `excluded` names a candidate
    deemed to fail its test: the answer is then the next candidate that passes (0 when none does)."""
    n = INPUTS[problem]
    bits = _bits(row, n)
    if problem == "parity":
        return sum(bits) & 1
    if problem == "majority":
        return int(sum(bits) >= 2)
    return next((c for c in range(CANDIDATES[problem]) if c != excluded and passes(problem, row, c)), 0)


def candidate_tests(problem: str) -> list[int]:
    """Truth tables of the test of each candidate (empty for problems that are not search-shaped)."""
    rows = range(1 << INPUTS[problem])
    return [sum(1 << r for r in rows if passes(problem, r, c)) for c in range(CANDIDATES.get(problem, 0))]


def target_table(problem: str, bit: int, excluded: int | None = None) -> int:
    """Packed truth table of output bit `bit` (with candidate `excluded` deemed to fail, see `answer`)."""
    return sum(((answer(problem, r, excluded) >> bit) & 1) << r for r in range(1 << INPUTS[problem]))


class BooleanConfig(TaskConfig):
    """One output bit of a small boolean problem."""

    problem: Problem = Field(default="parity", description="which problem (see mesaopt.tasks.boolean)")
    bit: int = Field(default=0, ge=0, le=2, description="which output bit of the problem's answer")


class BooleanTask:
    """All input rows of the problem at once; the answer is the chosen output bit."""

    def __init__(self, config: BooleanConfig, seed: np.random.SeedSequence) -> None:
        if config.bit >= OUTPUTS[config.problem]:
            raise ValueError(
                f"problem {config.problem!r} has {OUTPUTS[config.problem]} output bits, not bit {config.bit}"
            )
        self.config, self.seed = config, seed
        self.n = INPUTS[config.problem]
        self.target = target_table(config.problem, config.bit)
        self.rows = np.arange(1 << self.n)

    def train_pool(self) -> np.ndarray:
        return self.rows

    def sample_train(self, count: int, rng: np.random.Generator) -> np.ndarray:
        return rng.choice(self.rows, size=count)

    def novel(self, count: int | None = None) -> np.ndarray:
        return self.rows

    def harder(self, count: int | None = None) -> np.ndarray:
        return self.rows

    def solutions(self, batch: np.ndarray) -> np.ndarray:
        return (self.target >> np.asarray(batch)) & 1

    def success(self, batch: np.ndarray, outputs: np.ndarray) -> np.ndarray:
        return np.asarray(outputs) == self.solutions(batch)

    def generator(self, name: str) -> np.random.Generator:
        return np.random.default_rng(derive(self.seed, f"generator:{name}"))
