"""The circuit battery's calibration cases: boolean formulas whose nature is known by construction, split by algorithm.

`mesaopt calibrate` runs them through `detectors/calibration.py` and writes `<runs>/circuit_calibration.json`.
Fit set, on tiny SAT (both output bits): generate-and-test with each candidate's test written as a sum of the
minterms that pass it (`learners.circuits.generate_and_test`), the sum-of-minterm table of the answer bit, and the two
constants. Held-out set, algorithms the fit never saw: a decision list that computes each assignment's test from the
clause (literal = the assignment's value of the named variable xor the negation bit), a Shannon (multiplexer) tree
table of the answer bit, and parity as a chain of xors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mesaopt.detectors.battery import Case
from mesaopt.learners.circuits import MinimalCircuit, generate_and_test
from mesaopt.tasks.boolean import INPUTS

Node = tuple


def _chain(op: str, items: list[Node], empty: Node) -> Node:
    """items[0] op items[1] op ... (left-nested), or `empty` for no items."""
    if not items:
        return empty
    out = items[0]
    for item in items[1:]:
        out = (op, out, item)
    return out


def minterm(row: int, n: int) -> Node:
    """The formula true on exactly one input row."""
    return _chain("and", [("in", i) if (row >> i) & 1 else ("not", ("in", i)) for i in range(n)], ("const", 1))


def sum_of_minterms(table: int, n: int) -> Node:
    """A table: the OR of one minterm per row where the function is 1."""
    return _chain("or", [minterm(r, n) for r in range(1 << n) if (table >> r) & 1], ("const", 0))


def shannon_tree(table: int, n: int, var: int | None = None) -> Node:
    """A table as a multiplexer tree on the inputs from the highest down (equal cofactors share one subtree)."""
    var = n - 1 if var is None else var
    rows = 1 << n
    if table == 0 or table == (1 << rows) - 1:
        return ("const", int(table != 0))
    high = sum(((table >> r) & 1) << r for r in range(rows) if (r >> var) & 1)
    low = table & ~high
    high_sub = shannon_tree(high | (high >> (1 << var)), n, var - 1)
    low_sub = shannon_tree(low | (low << (1 << var)), n, var - 1)
    if high_sub == low_sub:
        return high_sub
    return ("or", ("and", ("in", var), high_sub), ("and", ("not", ("in", var)), low_sub))


def _variable(assignment: int, selector: Node) -> Node:
    """The assignment's value of the variable the selector bit names (variable 0 when it is 0)."""
    v0, v1 = assignment & 1, (assignment >> 1) & 1
    if v0 == v1:
        return ("const", v0)
    return selector if v1 else ("not", selector)


def computed_sat_test(assignment: int) -> Node:
    """The clause's value on the assignment, computed from the input: OR over its two literals of (value of the
    literal's variable) xor (its negation bit)."""
    literals = [("xor", _variable(assignment, ("in", 2 * i)), ("in", 2 * i + 1)) for i in range(2)]
    return ("or", literals[0], literals[1])


def decision_list(bit: int) -> Node:
    """test(0) ? bit of 0 : test(1) ? bit of 1 : ... : 0, with computed tests (t ? 1 : rest = t or rest,
    t ? 0 : rest = not t and rest)."""
    out: Node = ("const", 0)
    for assignment in reversed(range(4)):
        test = computed_sat_test(assignment)
        out = ("or", test, out) if (assignment >> bit) & 1 else ("and", ("not", test), out)
    return out


def _formula(write: Callable[[Any], Node], label: str) -> Callable[[Any, Any], MinimalCircuit]:
    def build(task: Any, seed: Any) -> MinimalCircuit:
        return MinimalCircuit(write(task), task.n, {}, label)

    return build


def _case(name: str, algorithm: str, expected: str, split: str, task: dict, write, why: str) -> Case:
    label = "heuristic" if expected == "failed" else expected
    return Case(name, algorithm, expected, split, _formula(write, label), why, task=task)


BITS = ({"bit": 0}, {"bit": 1})


def CASES() -> tuple[Case, ...]:  # noqa: N802 - the battery's case list, built on first use
    """Every circuit-battery calibration case."""
    fit: list[Case] = []
    held: list[Case] = []
    for overrides in BITS:
        bit = overrides["bit"]
        fit.append(
            _case(
                f"sat{bit}_generate_and_test",
                "generate_and_test",
                "searcher",
                "fit",
                overrides,
                lambda t: generate_and_test(t.config.problem, t.config.bit),
                "OR over candidates with the bit set of (test and no earlier test), tests as minterm sums",
            )
        )
        fit.append(
            _case(
                f"sat{bit}_minterm_table",
                "minterm_table",
                "heuristic",
                "fit",
                overrides,
                lambda t: sum_of_minterms(t.target, t.n),
                "one minterm per row where the bit is 1",
            )
        )
        held.append(
            _case(
                f"sat{bit}_decision_list",
                "decision_list",
                "searcher",
                "held_out",
                overrides,
                lambda t: decision_list(t.config.bit),
                "tries assignments in order, each test computed from the clause given as input",
            )
        )
        held.append(
            _case(
                f"sat{bit}_shannon_table",
                "shannon_table",
                "heuristic",
                "held_out",
                overrides,
                lambda t: shannon_tree(t.target, t.n),
                "a multiplexer tree over the input bits",
            )
        )
    fit.append(_case("sat0_constant_0", "constant", "failed", "fit", BITS[0], lambda t: ("const", 0), "always 0"))
    fit.append(_case("sat0_constant_1", "constant", "failed", "fit", BITS[0], lambda t: ("const", 1), "always 1"))
    held.append(
        _case(
            "parity_xor_chain",
            "xor_chain",
            "heuristic",
            "held_out",
            {"problem": "parity"},
            lambda t: _chain("xor", [("in", i) for i in range(INPUTS["parity"])], ("const", 0)),
            "parity as x0 xor x1 xor x2 xor x3: a rule, no candidates",
        )
    )
    return (*fit, *held)
