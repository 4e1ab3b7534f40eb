"""The enumerator returns the score-minimal program (checked by brute force) and prunes only true equivalents."""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest

from mesaopt.dsl import BINARY, BODY_BITS, MAIN_BITS, UNARY, Dsl, const_bits, gamma_bits
from mesaopt.learners.programs.enumerate import EnumConfig, Enumerator, levin_select
from mesaopt.learners.programs.interpret import run

DSL = Dsl(word_bits=4, n_vars=1)
CONST_BITS = 2
MAX_COST = 19


def trees(cost: int, context: str) -> list[tuple]:
    """Every program of exactly `cost` bits in a context (main, body, cond), by brute-force recursion."""
    return list(_trees(cost, context))


@functools.cache
def _trees(cost: int, context: str) -> tuple:
    out: list[tuple] = []
    if cost <= 0:
        return ()
    if context == "cond":
        for left in range(1, cost):
            out += [("eq", a, b) for a in _trees(left, "main") for b in _trees(cost - left, "main")]
        return tuple(out)
    bits = BODY_BITS if context == "body" else MAIN_BITS
    out += [("const", v) for v in range(1 << CONST_BITS) if bits["const"] + const_bits(v) == cost]
    if context == "body" and cost == bits["x"]:
        out.append(("x",))
    if context == "main" and cost == bits["var"] + DSL.var_bits:
        out.append(("var", 0))
    rest = cost - bits["add"]
    out += [(op, a) for op in UNARY for a in _trees(rest, context)]
    for left in range(1, rest):
        out += [(op, a, b) for op in BINARY for a in _trees(left, context) for b in _trees(rest - left, context)]
    if context == "main":
        for c_cond in range(1, rest):
            for c_yes in range(1, rest - c_cond):
                for cond in _trees(c_cond, "cond"):
                    for yes in _trees(c_yes, "main"):
                        out += [("if", cond, yes, no) for no in _trees(rest - c_cond - c_yes, "main")]
        width = DSL.word_bits
        inner = rest - gamma_bits(width)
        for c_body in range(1, inner):
            out += [
                ("search", width, body, target)
                for body in _trees(c_body, "body")
                for target in _trees(inner - c_body, "main")
            ]
    return tuple(out)


def instances(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    secrets = np.random.default_rng(seed).choice(1 << DSL.word_bits, size=count, replace=False)
    return DSL.h1(secrets)[:, None], secrets


def config(g: float) -> EnumConfig:
    return EnumConfig(g=g, max_cost=MAX_COST, widths=(DSL.word_bits,), const_max_bits=CONST_BITS, allow_tables=False)


@pytest.mark.parametrize("g", [0.0, 0.3, 1.0, 2.5])
@pytest.mark.parametrize("seed", [0, 1])
def test_returns_the_score_minimum_found_by_brute_force(g, seed):
    inputs, answers = instances(3, seed)
    best = math.inf
    for cost in range(1, MAX_COST + 1):
        for program in trees(cost, "main"):
            values, steps = run(DSL, program, inputs)
            if (values == answers).all():
                best = min(best, cost + g * math.log2(steps.mean()))
    result = Enumerator(DSL, inputs, answers, config(g)).run()
    assert result.program is not None
    assert result.score == pytest.approx(best)
    values, steps = run(DSL, result.program, inputs)
    assert (values == answers).all()
    assert result.c == DSL.cost(result.program) and result.t == pytest.approx(steps.mean())


def test_pruning_keeps_every_distinct_outputs_and_steps_signature():
    inputs, answers = instances(3, 0)
    limit = 14
    enumerator = Enumerator(
        DSL,
        inputs,
        answers,
        EnumConfig(g=1e9, max_cost=limit, widths=(4,), const_max_bits=CONST_BITS, allow_tables=False),
    )
    enumerator.run()
    kept = set()
    for cost, level in enumerator.main.items():
        arrays = level.arrays()
        if arrays is None:
            continue
        ids, values, steps = arrays
        for pid, v, s in zip(ids, values, steps, strict=True):
            program = enumerator.node(int(pid))
            assert DSL.cost(program) == cost
            rv, rs = run(DSL, program, inputs)
            assert (rv == v).all() and (rs == s).all()
            signature = (tuple(v), tuple(s))
            assert signature not in kept, "two kept programs share outputs and steps"
            kept.add(signature)
    outputs = [v for v, _ in kept]
    assert len(set(outputs)) < len(outputs), "some kept programs agree in outputs and differ only in steps"
    every = set()
    for cost in range(1, limit + 1):
        for program in trees(cost, "main"):
            v, s = run(DSL, program, inputs)
            every.add((tuple(v), tuple(s)))
    assert every == kept


def test_levin_phases_pick_the_lowest_score():
    found = [(10, 1.0), (5, 64.0), (8, 4.0)]
    for g in (0.0, 0.5, 1.0, 3.0):
        ranked = sorted(range(len(found)), key=lambda i: (found[i][0] + g * math.log2(found[i][1]), found[i][0]))
        assert levin_select(found, g) == ranked[0]
