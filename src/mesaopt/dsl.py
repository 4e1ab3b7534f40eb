"""The program DSL: typed integer expressions over W-bit words, a prefix-code description length, and an encoding.

A program is a tree of tuples ``(op, ...)``. Its type is Int unless noted:

| node                          | meaning                                                             |
|-------------------------------|---------------------------------------------------------------------|
| ("var", i)                    | the instance's i-th input feature                                   |
| ("const", v)                  | a constant word                                                     |
| ("x",)                        | the search candidate (only inside a search body)                    |
| ("add"/"xor"/"mul", a, b)     | word arithmetic modulo 2**W                                         |
| ("h1"/"h2", a)                | two cheap bijective hashes of a word                                |
| ("eq", a, b)                  | Bool: a == b (only as the condition of "if")                        |
| ("if", cond, a, b)            | a where cond holds, else b                                          |
| ("search", k, body, target)   | the first x in [0, 2**k) with body(x) == target; 0 when none        |
| ("table", key, keys, values)  | the stored value whose key equals key; 0 when none                  |

Search bodies are pure functions of the candidate x (constants, x, arithmetic, hashes): the instance enters a search
only through its target, which is evaluated once.

Description length c (bits) comes from a PCFG whose production probabilities are powers of two, so every code
length is a whole number of bits and the code is prefix-free (Kraft sums below 1). Integers use stated codes:
a constant v of bit length L costs gamma(L + 1) + L bits (Elias gamma of the length, then the bits); a search width k
costs gamma(k); a table of n entries costs gamma(n + 1) + n * 2W (each key and value a fixed W-bit word); a variable
index costs ceil(log2(number of inputs)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Node = tuple

MAIN_BITS = {"var": 2, "const": 3, "add": 4, "xor": 4, "mul": 4, "h1": 4, "h2": 4, "if": 4, "search": 4, "table": 4}
"""-log2 of each Int production's probability outside search bodies (Kraft sum 0.875)."""

BODY_BITS = {"x": 2, "const": 3, "add": 4, "xor": 4, "mul": 4, "h1": 4, "h2": 4}
"""-log2 of each production's probability inside a search body (Kraft sum 0.6875)."""

EQ_BITS = 0
"""A condition has one production, eq, so choosing it costs nothing."""

BINARY = ("add", "xor", "mul")
UNARY = ("h1", "h2")

OPCODES = {
    "var": 0,
    "const": 1,
    "x": 2,
    "add": 3,
    "xor": 4,
    "mul": 5,
    "h1": 6,
    "h2": 7,
    "if": 8,
    "search": 9,
    "table": 10,
    "eq": 11,
}
OPNAMES = {code: name for name, code in OPCODES.items()}

H1_MUL, H1_ADD = 0x9E3B, 0x5B
H2_MUL, H2_ADD = 0x6A09, 0x3C
"""Odd multipliers and offsets of the two hashes (each a bijection on W-bit words)."""


def gamma_bits(n: int) -> int:
    """Length of the Elias gamma code of a positive integer."""
    if n < 1:
        raise ValueError(f"Elias gamma codes positive integers, got {n}")
    return 2 * (n.bit_length() - 1) + 1


def const_bits(value: int) -> int:
    """Bits of the constant code: the bit length L in Elias gamma (of L + 1), then L bits."""
    length = int(value).bit_length()
    return gamma_bits(length + 1) + length


@dataclass(frozen=True)
class Dsl:
    """The word size and the instance's input features; both change codes and semantics."""

    word_bits: int = 8
    n_vars: int = 1

    @property
    def mask(self) -> int:
        return (1 << self.word_bits) - 1

    @property
    def var_bits(self) -> int:
        return math.ceil(math.log2(self.n_vars)) if self.n_vars > 1 else 0

    def h1(self, x: np.ndarray) -> np.ndarray:
        """First hash: xorshift, then an odd multiply and an add (a bijection)."""
        x = x & self.mask
        x = x ^ (x >> max(1, self.word_bits // 3))
        return (x * H1_MUL + H1_ADD) & self.mask

    def h2(self, x: np.ndarray) -> np.ndarray:
        """Second hash: an odd multiply and an add, then xorshift (a bijection)."""
        x = (x * H2_MUL + H2_ADD) & self.mask
        return x ^ (x >> max(1, self.word_bits // 2))

    def table_bits(self, n: int) -> int:
        """Bits of a table's payload: its size, then n fixed-width key/value pairs."""
        return gamma_bits(n + 1) + n * 2 * self.word_bits

    def cost(self, node: Node, body: bool = False) -> int:
        """Description length c of a program in bits (exact, from the PCFG and the integer codes)."""
        op = node[0]
        bits = BODY_BITS if body else MAIN_BITS
        if op == "eq":
            return EQ_BITS + self.cost(node[1], body) + self.cost(node[2], body)
        if op not in bits:
            raise ValueError(f"production {op!r} is not allowed {'inside a search body' if body else 'here'}")
        head = bits[op]
        if op == "var":
            return head + self.var_bits
        if op == "const":
            return head + const_bits(node[1])
        if op == "x":
            return head
        if op in BINARY:
            return head + self.cost(node[1], body) + self.cost(node[2], body)
        if op in UNARY:
            return head + self.cost(node[1], body)
        if op == "if":
            return head + self.cost(node[1]) + self.cost(node[2]) + self.cost(node[3])
        if op == "search":
            return head + gamma_bits(node[1]) + self.cost(node[2], body=True) + self.cost(node[3])
        if op == "table":
            return head + self.cost(node[1]) + self.table_bits(len(node[2]))
        raise ValueError(f"unknown production {op!r}")


def uses(node: Node, op: str) -> bool:
    """Whether the production `op` occurs anywhere in the program."""
    if node[0] == op:
        return True
    return any(isinstance(child, tuple) and uses(child, op) for child in node[1:])


def reads_input(node: Node) -> bool:
    """Whether the program's answer can depend on the instance."""
    return uses(node, "var")


def structural_label(node: Node) -> str:
    """searcher if it uses the search construct; memorizer if it stores answers (a table or a bare constant);
    heuristic otherwise (a closed-form rule of the inputs)."""
    if uses(node, "search"):
        return "searcher"
    if uses(node, "table") or not reads_input(node):
        return "memorizer"
    return "heuristic"


LABELS = ("searcher", "memorizer", "heuristic")


def show(node: Node) -> str:
    """The program as text, e.g. search(8, λx. h1(x), var0)."""
    op = node[0]
    if op == "var":
        return f"var{node[1]}"
    if op == "const":
        return str(node[1])
    if op == "x":
        return "x"
    if op == "search":
        return f"search({node[1]}, λx. {show(node[2])}, {show(node[3])})"
    if op == "table":
        return f"table({show(node[1])}, {len(node[2])} entries)"
    return f"{op}({', '.join(show(child) for child in node[1:])})"


def encode(node: Node) -> np.ndarray:
    """The program as a flat int64 array in preorder: opcode, its integer fields, then its children."""
    out: list[int] = []

    def walk(n: Node) -> None:
        op = n[0]
        out.append(OPCODES[op])
        if op in ("var", "const"):
            out.append(int(n[1]))
        elif op == "search":
            out.append(int(n[1]))
            walk(n[2])
            walk(n[3])
        elif op == "table":
            out.append(len(n[2]))
            out.extend(int(k) for k in n[2])
            out.extend(int(v) for v in n[3])
            walk(n[1])
        elif op != "x":
            for child in n[1:]:
                walk(child)

    walk(node)
    return np.asarray(out, dtype=np.int64)


def decode(codes: np.ndarray) -> Node:
    """Inverse of `encode`."""
    items = [int(c) for c in codes]
    pos = 0

    def take() -> int:
        nonlocal pos
        pos += 1
        return items[pos - 1]

    def walk() -> Node:
        op = OPNAMES[take()]
        if op in ("var", "const"):
            return (op, take())
        if op == "x":
            return ("x",)
        if op == "search":
            k = take()
            body = walk()
            return ("search", k, body, walk())
        if op == "table":
            n = take()
            keys = tuple(take() for _ in range(n))
            values = tuple(take() for _ in range(n))
            return ("table", walk(), keys, values)
        if op in UNARY:
            return (op, walk())
        if op == "if":
            return (op, walk(), walk(), walk())
        return (op, walk(), walk())

    node = walk()
    if pos != len(items):
        raise ValueError("trailing codes after a complete program")
    return node
