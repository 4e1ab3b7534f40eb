"""Levin-style program enumeration under the prior score c + g*log2(t), with observational-equivalence pruning.

Programs are generated bottom-up by description length c (whole bits), every candidate of a cost level evaluated at
once as NumPy arrays over the training instances: a binary production over two levels is one broadcast over all
pairs. Two programs are merged only when their outputs AND their step counts agree on every training instance (and
search bodies when their values agree on every candidate and their steps agree), so a searcher is never merged with
a table giving the same answers; the cheaper one, enumerated first, is kept.

The program returned is the one Levin search would return: in phase i every program with c <= i runs for
2**((i - c)/g) steps on average per training instance, and the first phase in which some program answers every
training instance correctly decides; among the programs finishing in that phase the lowest score wins (ties: lower c,
then enumeration order), which makes the result the exact score minimum. Counting the steps once, under the hard cap,
and comparing them to each phase's budget gives the same outcome as re-running the program in every phase.
Enumeration stops once the next cost level cannot beat the incumbent (c >= best score), or at the caps.

`LevelSearch` is the language-independent core (levels, pruning, stop rule, Levin choice); `Enumerator` is the word
language on it, `maze_search.MazeEnumerator` the maze language.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from mesaopt.dsl import BINARY, BODY_BITS, MAIN_BITS, UNARY, Dsl, Node, const_bits, gamma_bits
from mesaopt.learners.programs.interpret import run, search_result

CHUNK_ROWS = 1 << 17
"""Candidates evaluated per NumPy batch; bounds memory at about CHUNK_ROWS * instances * 16 bytes."""

OP_VAR, OP_CONST, OP_X, OP_UNARY, OP_BINARY, OP_EQ, OP_IF, OP_SEARCH, OP_TABLE = range(9)


@dataclass(frozen=True)
class EnumConfig:
    """Knobs of the enumerator (the learner's pydantic config maps onto these)."""

    g: float = 1.0
    max_cost: int = 30
    widths: tuple[int, ...] = (8,)
    const_max_bits: int = 8
    max_steps: int = 1 << 20
    max_level: int = 200_000
    time_budget_s: float = 60.0
    allow_if: bool = True
    allow_tables: bool = True


class SignatureSet:
    """The (h1, h2) signatures met so far, as a few sorted runs merged now and then (vectorized membership).

    Two programs are merged only when both signatures of their full (outputs, steps) rows agree: equal rows, or a
    collision of two independent random hashes (2**-128 for instance rows, below 2**-48 for search-body rows).
    """

    MAX_RUNS = 8

    def __init__(self) -> None:
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def contains(self, h1: np.ndarray, h2: np.ndarray) -> np.ndarray:
        found = np.zeros(len(h1), dtype=bool)
        for r1, r2 in self.runs:
            pos = np.minimum(np.searchsorted(r1, h1), len(r1) - 1)
            found |= (r1[pos] == h1) & (r2[pos] == h2)
        return found

    def add(self, h1: np.ndarray, h2: np.ndarray) -> None:
        order = np.argsort(h1, kind="stable")
        self.runs.append((h1[order], h2[order]))
        if len(self.runs) > self.MAX_RUNS:
            a = np.concatenate([r[0] for r in self.runs])
            b = np.concatenate([r[1] for r in self.runs])
            order = np.argsort(a, kind="stable")
            self.runs = [(a[order], b[order])]


@dataclass
class Level:
    """The surviving programs of one cost level in one context."""

    ids: list[np.ndarray] = field(default_factory=list)
    vals: list[np.ndarray] = field(default_factory=list)
    steps: list[np.ndarray] = field(default_factory=list)
    size: int = 0

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        if not self.size:
            return None
        if len(self.ids) > 1:
            self.ids, self.vals, self.steps = (
                [np.concatenate(self.ids)],
                [np.concatenate(self.vals)],
                [np.concatenate(self.steps)],
            )
        return self.ids[0], self.vals[0], self.steps[0]


@dataclass
class EnumResult:
    """The chosen program, the correct programs met on the way, and what the enumeration cost."""

    program: Node | None
    c: float
    t: float
    score: float
    correct: list[tuple[Node, int, float]]
    candidates: int
    kept: int
    seconds: float
    max_cost_reached: int
    exhaustive: bool


def levin_select(correct: list[tuple[int, float]], g: float) -> int | None:
    """Index of the program Levin search returns among (c, t) pairs listed in enumeration order."""
    if not correct:
        return None
    costs = np.array([c for c, _ in correct], dtype=float)
    log_t = np.log2(np.array([t for _, t in correct], dtype=float))
    finish = costs if g == 0 else np.ceil(np.round(costs + g * log_t, 9))
    phase = finish.min()
    in_phase = np.flatnonzero(finish == phase)
    scores = costs[in_phase] + g * log_t[in_phase]
    order = np.lexsort((in_phase, costs[in_phase], np.round(scores, 9)))
    return int(in_phase[order[0]])


class LevelSearch:
    """The generic core of bottom-up enumeration by cost level, shared by the word and the maze languages.

    A subclass supplies `expand(cost)` (emit every candidate of exactly `cost` bits through `_emit`), `node(pid)`
    (rebuild a stored program), `_signature(vals, steps)` (two 64-bit hashes of a row of outputs and step counts)
    and `_hits(vals)` (which rows answer every training instance); optionally `_tables()` (the correct tables of the
    training answers, by cost: built directly, emitted at their level through `_tables_at`) with `_mean_steps(node)`.
    The core keeps the levels per context, prunes by (outputs, steps) signatures, records the correct programs, stops
    when the next level cannot beat the incumbent's score (or at the caps), and returns the Levin choice.
    `require_labels` with `label_of` keeps going until a correct program of each named label has been met (the
    cheapest of each, by c).
    """

    def __init__(self, config, n: int) -> None:
        self.config = config
        self.n = n
        self.store: list[tuple] = []
        self.levels: dict[str, dict[int, Level]] = {}
        self.seen: dict[str, SignatureSet] = {}
        self.candidates = 0
        self.correct: list[tuple[int, int, float]] = []
        self.extra: list[tuple[Node, int, float]] = []
        self.truncated = False
        self.require_labels: tuple[str, ...] = ()
        self.label_of = None
        self._labels_met: set[str] = set()
        self._tables_left: dict[int, list[Node]] | None = None

    # ---- hooks -------------------------------------------------------------------------------------------------
    def expand(self, cost: int) -> None:
        raise NotImplementedError

    def node(self, pid: int) -> Node:
        raise NotImplementedError

    def _signature(self, vals: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _hits(self, vals: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _tables(self) -> dict[int, list[Node]]:
        """The tables that reproduce every training answer, by cost (the only correct tables); none by default."""
        return {}

    def _mean_steps(self, node: Node) -> float:
        """Mean steps of one program on the training instances."""
        raise NotImplementedError

    # ---- tables ------------------------------------------------------------------------------------------------
    def _tables_at(self, cost: int) -> list[Node]:
        """The correct tables of exactly `cost` bits, handed out once; `finish` counts the ones never reached."""
        if self._tables_left is None:
            self._tables_left = self._tables()
        return self._tables_left.pop(cost, [])

    def finish(self) -> None:
        """Tables dearer than the last level enumerated still count as found (they are correct by construction)."""
        for cost, nodes in (self._tables_left or {}).items():
            for node in nodes:
                self.extra.append((node, cost, self._mean_steps(node)))

    # ---- bookkeeping -------------------------------------------------------------------------------------------
    def _level(self, context: str, cost: int) -> Level:
        return self.levels.setdefault(context, {}).setdefault(cost, Level())

    def _get(self, context: str, cost: int):
        if cost <= 0:
            return None
        level = self.levels.get(context, {}).get(cost)
        return level.arrays() if level else None

    def _emit(self, context: str, cost: int, vals: np.ndarray, steps: np.ndarray, make: tuple) -> None:
        """Prune a batch of candidates by equivalence and keep the new ones; `make` describes their provenance."""
        count = len(vals)
        self.candidates += count
        if count == 0:
            return
        cap = self.config.max_steps
        ok = (steps <= cap) if steps.ndim == 1 else (steps <= cap).all(axis=1)
        h1, h2 = self._signature(vals, steps)
        _, reps = np.unique(h1, return_index=True)
        reps = reps[ok[reps]]
        seen = self.seen.setdefault(context, SignatureSet())
        reps = reps[~seen.contains(h1[reps], h2[reps])]
        level = self._level(context, cost)
        room = self.config.max_level - level.size
        if len(reps) > room:
            self.truncated = True
            reps = reps[: max(room, 0)]
        if not len(reps):
            return
        seen.add(h1[reps], h2[reps])
        start = len(self.store)
        self.store.extend(make[0](reps))
        ids = np.arange(start, start + len(reps))
        kept_vals, kept_steps = vals[reps], steps[reps]
        level.ids.append(ids)
        level.vals.append(kept_vals)
        level.steps.append(kept_steps)
        level.size += len(reps)
        if context == "main":
            for h in np.flatnonzero(self._hits(kept_vals)).tolist():
                self.correct.append((int(ids[h]), cost, float(kept_steps[h].mean())))
                if self.require_labels:
                    self._labels_met.add(self.label_of(self.node(int(ids[h]))))

    # ---- driver ------------------------------------------------------------------------------------------------
    def run(self, deadline: float | None = None) -> EnumResult:
        """Enumerate cost levels until the incumbent cannot be beaten or a cap is hit; return the Levin choice."""
        cfg = self.config
        start = time.perf_counter()
        deadline = deadline or (start + cfg.time_budget_s)
        exhaustive = True
        reached = 0
        for cost in range(1, cfg.max_cost + 1):
            reached = cost
            self.expand(cost)
            best = self._best_score()
            labels_done = set(self.require_labels) <= self._labels_met
            if best is not None and cost + 1 >= best and labels_done:
                break
            if time.perf_counter() > deadline:
                exhaustive = False
                break
        else:
            best = self._best_score()
            exhaustive = best is not None and cfg.max_cost + 1 >= best
        self.finish()
        return self._result(time.perf_counter() - start, reached, exhaustive and not self.truncated)

    def _best_score(self) -> float | None:
        pairs = [(c, t) for _, c, t in self.correct]
        if not pairs:
            return None
        g = self.config.g
        return min(c + g * math.log2(t) for c, t in pairs)

    def _result(self, seconds: float, reached: int, exhaustive: bool) -> EnumResult:
        found = [(self.node(pid), c, t) for pid, c, t in self.correct] + self.extra
        index = levin_select([(c, t) for _, c, t in found], self.config.g)
        kept = len(self.store)
        if index is None:
            return EnumResult(
                None, math.inf, math.inf, math.inf, found, self.candidates, kept, seconds, reached, exhaustive
            )
        node, c, t = found[index]
        score = c + self.config.g * math.log2(t)
        return EnumResult(node, c, t, score, found, self.candidates, kept, seconds, reached, exhaustive)


class Enumerator(LevelSearch):
    """Bottom-up enumeration of one word DSL's programs on fixed training inputs; see the module docstring."""

    def __init__(self, dsl: Dsl, inputs: np.ndarray, answers: np.ndarray, config: EnumConfig) -> None:
        super().__init__(config, len(inputs))
        self.dsl = dsl
        self.inputs = np.asarray(inputs, dtype=np.int64)
        self.answers = np.asarray(answers, dtype=np.int64) & dsl.mask
        self.body_match: dict[int, dict[int, tuple]] = {k: {} for k in config.widths}
        rng = np.random.default_rng(0)
        self._weights = rng.integers(1, 2**63, size=(2, self.n), dtype=np.uint64) | np.uint64(1)
        body_width = (1 << max(config.widths, default=0)) + 1
        spare = 52 - max(dsl.word_bits, 8) - math.ceil(math.log2(body_width))
        self._body_weights = rng.integers(1, 2 ** max(spare, 8), size=(body_width, 2)).astype(np.float64)

    @property
    def main(self) -> dict[int, Level]:
        """The main-context levels by cost."""
        return self.levels.setdefault("main", {})

    def _hits(self, vals: np.ndarray) -> np.ndarray:
        return (vals == self.answers).all(axis=1)

    def _signature(self, vals: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Two independent signatures of each (outputs, steps) row, computed exactly (independent of batching).

        Instance rows are narrow: each (value, steps) pair packed into one word (values have at most 16 bits), then
        64-bit multiply-add with wraparound. Search-body rows are wide (one value per
        candidate): a float projection with integer weights small enough that every sum is an exact integer.
        """
        if steps.ndim == 1:
            sums = vals @ self._body_weights[: vals.shape[1]] + steps[:, None] * self._body_weights[-1]
            sums = np.ascontiguousarray(sums)
            return sums[:, 0].view(np.uint64), sums[:, 1].view(np.uint64)
        packed = (vals | (steps << 16)).view(np.uint64)
        return (packed * self._weights[0]).sum(axis=1), (packed * self._weights[1]).sum(axis=1)

    # ---- leaves ------------------------------------------------------------------------------------------------
    def _consts(self, cost: int, head: int) -> list[int]:
        return [v for v in range(1 << self.config.const_max_bits) if head + const_bits(v) == cost]

    def _leaves(self, context: str, cost: int, width: int | None) -> None:
        shape = (1 << width) if width is not None else self.n
        head = BODY_BITS["const"] if width is not None else MAIN_BITS["const"]
        consts = self._consts(cost, head)
        if consts:
            values = np.asarray(consts, dtype=np.int64)
            vals = np.repeat(values[:, None], shape, axis=1)
            steps = (
                np.ones(len(values), dtype=np.int64)
                if width is not None
                else np.ones((len(values), self.n), dtype=np.int64)
            )
            self._emit(context, cost, vals, steps, (lambda keep: [(OP_CONST, int(values[i])) for i in keep],))
        if width is not None and cost == BODY_BITS["x"]:
            xs = np.arange(1 << width, dtype=np.int64)[None]
            self._emit(context, cost, xs, np.ones(1, dtype=np.int64), (lambda keep: [(OP_X,)],))
        if width is None and cost == MAIN_BITS["var"] + self.dsl.var_bits:
            vals = (self.inputs.T & self.dsl.mask).copy()
            steps = np.ones_like(vals)
            self._emit(context, cost, vals, steps, (lambda keep: [(OP_VAR, int(i)) for i in keep],))

    def _tables(self) -> dict[int, list[Node]]:
        """Tables keyed on each input feature that reproduce the training answers (the only useful tables)."""
        out: dict[int, list[Node]] = {}
        if not self.config.allow_tables:
            return out
        for var in range(self.dsl.n_vars):
            pairs = dict()
            consistent = True
            for key, answer in zip(self.inputs[:, var].tolist(), self.answers.tolist(), strict=True):
                key &= self.dsl.mask
                if pairs.setdefault(key, answer) != answer:
                    consistent = False
                    break
            if not consistent:
                continue
            keys = tuple(sorted(pairs))
            node = ("table", ("var", var), keys, tuple(pairs[k] for k in keys))
            out.setdefault(self.dsl.cost(node), []).append(node)
        if len(set(self.answers.tolist())) == 1:
            node = ("const", int(self.answers[0]))
            out.setdefault(self.dsl.cost(node), []).append(node)
        return out

    # ---- composite productions -----------------------------------------------------------------------------------
    def _unary(self, context: str, cost: int, width: int | None) -> None:
        head = BODY_BITS["h1"] if width is not None else MAIN_BITS["h1"]
        child = self._get(context, cost - head)
        if child is None:
            return
        ids, vals, steps = child
        for name in UNARY:
            fn = getattr(self.dsl, name)
            self._emit(
                context,
                cost,
                fn(vals),
                steps + 1,
                (lambda keep, ids=ids, name=name: [(OP_UNARY, name, int(ids[i])) for i in keep],),
            )

    def _pairs(self, context_a: str, context_b: str, total: int):
        """Every (left level, right level) pair whose costs sum to `total`."""
        for ca in range(1, total):
            left, right = self._get(context_a, ca), self._get(context_b, total - ca)
            if left is not None and right is not None:
                yield left, right

    def _binary(self, context: str, cost: int, width: int | None) -> None:
        head = BODY_BITS["add"] if width is not None else MAIN_BITS["add"]
        mask = self.dsl.mask
        for (ia, va, sa), (ib, vb, sb) in self._pairs(context, context, cost - head):
            step = max(1, CHUNK_ROWS // len(ib))
            for lo in range(0, len(ia), step):
                a, b = va[lo : lo + step, None], vb[None]
                left_ids = ia[lo : lo + step]
                if width is not None:
                    steps = (1 + sa[lo : lo + step, None] + sb[None]).reshape(-1)
                else:
                    steps = (1 + sa[lo : lo + step, None] + sb[None]).reshape(-1, self.n)
                for name in BINARY:
                    if name == "add":
                        out = (a + b) & mask
                    elif name == "xor":
                        out = a ^ b
                    else:
                        out = (a * b) & mask
                    out = out.reshape(len(steps), -1)
                    nb = len(ib)
                    self._emit(
                        context,
                        cost,
                        out,
                        steps,
                        (
                            lambda keep, L=left_ids, R=ib, nb=nb, name=name: [
                                (OP_BINARY, name, int(L[i // nb]), int(R[i % nb])) for i in keep
                            ],
                        ),
                    )

    def _eq(self, cost: int) -> None:
        for (ia, va, sa), (ib, vb, sb) in self._pairs("main", "main", cost):
            step = max(1, CHUNK_ROWS // len(ib))
            for lo in range(0, len(ia), step):
                holds = (va[lo : lo + step, None] == vb[None]).reshape(-1, self.n).astype(np.int64)
                steps = (1 + sa[lo : lo + step, None] + sb[None]).reshape(-1, self.n)
                nb, left_ids = len(ib), ia[lo : lo + step]
                self._emit(
                    "cond",
                    cost,
                    holds,
                    steps,
                    (lambda keep, L=left_ids, R=ib, nb=nb: [(OP_EQ, int(L[i // nb]), int(R[i % nb])) for i in keep],),
                )

    def _if(self, cost: int) -> None:
        rest = cost - MAIN_BITS["if"]
        for cc in range(0, rest):
            cond = self._get("cond", cc) if cc > 0 else None
            if cond is None:
                continue
            ic, vc, sc = cond
            for (iy, vy, sy), (iz, vz, sz) in self._pairs("main", "main", rest - cc):
                for j in range(len(ic)):
                    holds = vc[j].astype(bool)
                    step = max(1, CHUNK_ROWS // len(iz))
                    for lo in range(0, len(iy), step):
                        yes_v, yes_s = vy[lo : lo + step, None], sy[lo : lo + step, None]
                        out = np.where(holds, yes_v, vz[None]).reshape(-1, self.n)
                        steps = (1 + sc[j] + np.where(holds, yes_s, sz[None])).reshape(-1, self.n)
                        nz, ys, cj = len(iz), iy[lo : lo + step], int(ic[j])
                        self._emit(
                            "main",
                            cost,
                            out,
                            steps,
                            (
                                lambda keep, Y=ys, Z=iz, nz=nz, cj=cj: [
                                    (OP_IF, cj, int(Y[i // nz]), int(Z[i % nz])) for i in keep
                                ],
                            ),
                        )

    def _search(self, cost: int) -> None:
        for width in self.config.widths:
            rest = cost - MAIN_BITS["search"] - gamma_bits(width)
            for cb in range(1, rest):
                bodies = self._get(f"body{width}", cb)
                targets = self._get("main", rest - cb)
                if bodies is None or targets is None:
                    continue
                ib, vb, sb = bodies
                it, vt, st = targets
                cache = self.body_match[width]
                for j in range(len(ib)):
                    key = int(ib[j])
                    if key not in cache:
                        cache[key] = np.unique(vb[j], return_index=True)
                    uniq, first = cache[key]
                    pos = np.minimum(np.searchsorted(uniq, vt), len(uniq) - 1)
                    found = uniq[pos] == vt
                    out, steps = search_result(found, np.where(found, first[pos], 0), width, int(sb[j]), st)
                    self._emit(
                        "main",
                        cost,
                        out,
                        steps,
                        (lambda keep, T=it, b=key, w=width: [(OP_SEARCH, w, b, int(T[i])) for i in keep],),
                    )

    # ---- driver ------------------------------------------------------------------------------------------------
    def node(self, pid: int, context: str = "main") -> Node:
        """The program tree of a stored id."""
        entry = self.store[pid]
        kind = entry[0]
        if kind == OP_VAR:
            return ("var", entry[1])
        if kind == OP_CONST:
            return ("const", entry[1])
        if kind == OP_X:
            return ("x",)
        if kind == OP_UNARY:
            return (entry[1], self.node(entry[2]))
        if kind == OP_BINARY:
            return (entry[1], self.node(entry[2]), self.node(entry[3]))
        if kind == OP_EQ:
            return ("eq", self.node(entry[1]), self.node(entry[2]))
        if kind == OP_IF:
            return ("if", self.node(entry[1]), self.node(entry[2]), self.node(entry[3]))
        if kind == OP_SEARCH:
            return ("search", entry[1], self.node(entry[2]), self.node(entry[3]))
        return entry[1]

    def expand(self, cost: int) -> None:
        """Every word program of exactly `cost` bits: search bodies, conditions, then main-context programs."""
        cfg = self.config
        for width in cfg.widths:
            ctx = f"body{width}"
            self._leaves(ctx, cost, width)
            self._unary(ctx, cost, width)
            self._binary(ctx, cost, width)
        if cfg.allow_if:
            self._eq(cost)
        self._leaves("main", cost, None)
        for node in self._tables_at(cost):
            vals, steps = run(self.dsl, node, self.inputs)
            self._emit("main", cost, vals[None], steps[None], (lambda keep, node=node: [(OP_TABLE, node)],))
        self._unary("main", cost, None)
        self._binary("main", cost, None)
        if cfg.allow_if:
            self._if(cost)
        self._search(cost)

    def _mean_steps(self, node: Node) -> float:
        return float(run(self.dsl, node, self.inputs)[1].mean())
