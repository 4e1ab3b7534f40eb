"""Description lengths and step counts are exact on hand-written programs; the encoding round-trips."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mesaopt.dsl import BODY_BITS, MAIN_BITS, Dsl, decode, encode, structural_label
from mesaopt.learners.programs.interpret import run
from mesaopt.learners.programs.local import Sampler

DSL = Dsl(word_bits=8, n_vars=1)
SEARCH = ("search", 8, ("h1", ("x",)), ("var", 0))


def test_kraft_sums_below_one():
    assert sum(2.0**-b for b in MAIN_BITS.values()) <= 1
    assert sum(2.0**-b for b in BODY_BITS.values()) <= 1


def test_costs_of_hand_written_programs():
    assert DSL.cost(("var", 0)) == 2
    assert DSL.cost(("const", 0)) == 3 + 1
    assert DSL.cost(("const", 200)) == 3 + 7 + 8  # gamma(9) = 7, then 8 bits
    assert DSL.cost(SEARCH) == 4 + 7 + (4 + 2) + 2  # search, gamma(8), h1(x), var0
    table = ("table", ("var", 0), (1, 2), (3, 4))
    assert DSL.cost(table) == 4 + 2 + 3 + 2 * 16  # head, key, gamma(3), two 8+8-bit pairs
    branch = ("if", ("eq", ("var", 0), ("const", 0)), ("var", 0), ("const", 1))
    assert DSL.cost(branch) == 4 + (2 + 4) + 2 + (3 + 3 + 1)
    assert Dsl(word_bits=8, n_vars=3).cost(("var", 2)) == 2 + 2


def test_steps_of_hand_written_programs():
    secrets = np.array([0, 5, 77, 255])
    inputs = DSL.h1(secrets)[:, None]
    values, steps = run(DSL, ("add", ("var", 0), ("const", 1)), inputs)
    assert (steps == 3).all()
    values, steps = run(DSL, SEARCH, inputs)
    assert (values == secrets).all()
    assert (steps == 1 + 1 + (secrets + 1) * (2 + 1)).all()
    _, steps = run(DSL, ("search", 8, ("const", 3), ("var", 0)), np.array([[4]]))
    assert steps[0] == 1 + 1 + 256 * (1 + 1)  # never found: every candidate tried
    values, steps = run(DSL, ("table", ("var", 0), (1, 2), (3, 4)), np.array([[1], [2], [9]]))
    assert values.tolist() == [3, 4, 0] and (steps == 1 + 1 + 2).all()
    branch = ("if", ("eq", ("var", 0), ("const", 0)), ("var", 0), ("add", ("var", 0), ("var", 0)))
    values, steps = run(DSL, branch, np.array([[0], [3]]))
    assert values.tolist() == [0, 6] and steps.tolist() == [1 + 3 + 1, 1 + 3 + 3]


def test_structural_labels():
    assert structural_label(SEARCH) == "searcher"
    assert structural_label(("const", 4)) == "memorizer"
    assert structural_label(("table", ("var", 0), (1,), (2,))) == "memorizer"
    assert structural_label(("h2", ("var", 0))) == "heuristic"


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_encoding_round_trips(seed):
    sampler = Sampler(Dsl(word_bits=6, n_vars=3), 6, ("table", ("var", 0), (1, 2), (3, 4)), np.random.default_rng(seed))
    program = sampler.tree()
    assert decode(encode(program)) == program
