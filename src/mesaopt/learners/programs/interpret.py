"""The step-counting interpreter: runs a program on a batch of instances, vectorized over the batch.

Step counts are deterministic and exact: every node costs one step plus its children's steps, with these
exceptions. `if` runs its condition and only the branch it takes. `search` runs its target once, then for each
candidate tried the body and one comparison (body steps + 1), stopping at the first match or after 2**k tries.
`table` runs its key, then a binary search over its n sorted keys (ceil(log2(n + 1)) steps).
"""

from __future__ import annotations

import math

import numpy as np

from mesaopt.dsl import BINARY, Dsl, Node


def run_body(dsl: Dsl, body: Node, xs: np.ndarray) -> tuple[np.ndarray, int]:
    """A search body on every candidate: values, and the (candidate-independent) steps per evaluation."""
    op = body[0]
    if op == "x":
        return xs & dsl.mask, 1
    if op == "const":
        return np.full(xs.shape, body[1] & dsl.mask, dtype=np.int64), 1
    if op in BINARY:
        a, sa = run_body(dsl, body[1], xs)
        b, sb = run_body(dsl, body[2], xs)
        return _binary(dsl, op, a, b), 1 + sa + sb
    if op in ("h1", "h2"):
        a, sa = run_body(dsl, body[1], xs)
        return getattr(dsl, op)(a), 1 + sa
    raise ValueError(f"production {op!r} is not allowed inside a search body")


def _binary(dsl: Dsl, op: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if op == "add":
        return (a + b) & dsl.mask
    if op == "xor":
        return a ^ b
    return (a * b) & dsl.mask


def first_match(body_values: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each target, whether some candidate's body value equals it, and the first such candidate."""
    uniq, first = np.unique(body_values, return_index=True)
    pos = np.clip(np.searchsorted(uniq, targets), 0, len(uniq) - 1)
    found = uniq[pos] == targets
    return found, np.where(found, first[pos], 0)


def search_result(
    found: np.ndarray, xstar: np.ndarray, width: int, body_steps: int, target_steps: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Answer and steps of a search from its match, shared by the interpreter and the enumerator."""
    tries = np.where(found, xstar + 1, 1 << width)
    return np.where(found, xstar, 0), 1 + target_steps + tries * (body_steps + 1)


def table_steps(n: int) -> int:
    """Steps of a binary search over n sorted keys."""
    return math.ceil(math.log2(n + 1))


def run(dsl: Dsl, node: Node, inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values and steps of a program on every instance; inputs has shape (B, n_vars)."""
    inputs = np.asarray(inputs, dtype=np.int64)
    batch = len(inputs)
    op = node[0]
    if op == "var":
        return inputs[:, node[1]] & dsl.mask, np.ones(batch, dtype=np.int64)
    if op == "const":
        return np.full(batch, node[1] & dsl.mask, dtype=np.int64), np.ones(batch, dtype=np.int64)
    if op in BINARY:
        a, sa = run(dsl, node[1], inputs)
        b, sb = run(dsl, node[2], inputs)
        return _binary(dsl, op, a, b), 1 + sa + sb
    if op in ("h1", "h2"):
        a, sa = run(dsl, node[1], inputs)
        return getattr(dsl, op)(a), 1 + sa
    if op == "if":
        cond = node[1]
        a, sa = run(dsl, cond[1], inputs)
        b, sb = run(dsl, cond[2], inputs)
        yes, syes = run(dsl, node[2], inputs)
        no, sno = run(dsl, node[3], inputs)
        holds = a == b
        return np.where(holds, yes, no), 1 + (1 + sa + sb) + np.where(holds, syes, sno)
    if op == "search":
        width = node[1]
        values, body_steps = run_body(dsl, node[2], np.arange(1 << width, dtype=np.int64))
        target, target_steps = run(dsl, node[3], inputs)
        found, xstar = first_match(values, target)
        return search_result(found, xstar, width, body_steps, target_steps)
    if op == "table":
        key, key_steps = run(dsl, node[1], inputs)
        keys = np.asarray(node[2], dtype=np.int64)
        values = np.asarray(node[3], dtype=np.int64)
        if len(keys) == 0:
            return np.zeros(batch, dtype=np.int64), 1 + key_steps
        order = np.argsort(keys, kind="stable")
        found, where = first_match(keys[order], key)
        return np.where(found, values[order][where], 0), 1 + key_steps + table_steps(len(keys))
    raise ValueError(f"unknown production {op!r}")
