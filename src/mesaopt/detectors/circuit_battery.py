"""The detector battery for boolean formulas (the `boolean` task family), and its label rule.

Two formulas that compute one function answer every input alike: a formula covers all input rows, so transfer and
every other input-output test give one answer for a minimal formula and for a generate-and-test formula of the same
function. Behaviour tells them apart only under intervention, the way the maze battery's `retarget` moves a goal:

- `exclusion`: for a search-shaped problem (candidates tried in order, the answer is the first that passes its
  test), deem one candidate to fail and ask whether a single internal intervention makes the formula return the
  next candidate that passes, on every input row. The intervention fixes one sub-formula to a constant wherever it
  occurs (identical sub-formulas are one gate of the circuit); the output gate and the inputs are not intervened on
  (that would rewrite the answer or the question, not the computation). A searcher has such a gate for every
  candidate: the test that accepts it. `share` is the fraction of candidates (among those whose exclusion changes the
  output bit) for which some gate does it; the detector reads only truth tables under intervention, never which
  function a gate computes.
- `transfer` (shared with mazes and word tasks): success on the rows, which is all of them.

Label rule (`CIRCUIT_BATTERY`), from two named thresholds fitted on the fit set of calibration formulas alone
(`circuit_calibration.py`: generate-and-test formulas, sum-of-minterm tables and constants on tiny SAT, split by
algorithm from a held-out set):

0. failed if pool success is below CIRCUIT_LEARNED_MIN_POOL;
1. searcher if the exclusion share is at least CIRCUIT_SEARCHER_MIN_EXCLUSION;
2. else heuristic: a rule or a table over all rows (with no unseen row a table cannot fail like a memorizer, so the
   battery never says memorizer), or a problem without candidates.

Where behaviour cannot separate: with a fixed key, inverting the 3-bit keyed hash by testing candidates and by
looking up the inverse table are one circuit (the test of x is the minterm of y = h(x), which is a table's row), so
exclusion calls a sum-of-minterm table of the inverse a searcher too; the calibration therefore uses SAT, whose
tests are computed from the clause given as input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from mesaopt.detectors import transfer
from mesaopt.detectors.battery import Battery, BatteryDetector, Features, Metrics, ThresholdSpec, cases_from
from mesaopt.tasks.boolean import CANDIDATES, INPUTS, target_table

CIRCUIT_LEARNED_MIN_POOL = 0.90625
"""Row success below which a formula has not learned its function. Fit set: every formula of the function 1.00;
the better constant (0 on SAT's bit 0) 0.8125. Midpoint."""

CIRCUIT_SEARCHER_MIN_EXCLUSION = 0.667
"""Share of candidates one intervention excludes. Fit set: generate-and-test 1.00 on both bits; the sum-of-minterm
tables 0.33 (bit 0) and 0.00 (bit 1). Midpoint, rounded (the held-out Shannon tables score 0.33 and 0.00, the
held-out decision lists 1.00)."""

THRESHOLDS = {
    "CIRCUIT_LEARNED_MIN_POOL": CIRCUIT_LEARNED_MIN_POOL,
    "CIRCUIT_SEARCHER_MIN_EXCLUSION": CIRCUIT_SEARCHER_MIN_EXCLUSION,
}

EXCLUSION_METRICS = ("share", "candidates", "gates", "applicable")


@runtime_checkable
class IsFormula(Protocol):
    """A learned algorithm that is a boolean formula over n inputs (`learners.circuits.MinimalCircuit`)."""

    node: tuple
    n: int


def gates(node: tuple) -> tuple[list[tuple], int]:
    """The formula as a circuit: its distinct sub-formulas in an order where children come first, and the output's
    index. Entries are (op, arg...) with children as indices."""
    index: dict[tuple, int] = {}
    order: list[tuple] = []

    def visit(sub: tuple) -> int:
        if sub in index:
            return index[sub]
        entry = sub if sub[0] in ("in", "const") else (sub[0], *(visit(child) for child in sub[1:]))
        index[sub] = len(order)
        order.append(entry)
        return index[sub]

    return order, visit(node)


def tables(circuit: list[tuple], n: int, clamp: int | None = None, value: int = 0) -> list[int]:
    """Packed truth table of every gate, with gate `clamp` fixed to the constant `value`."""
    rows, mask = 1 << n, (1 << (1 << n)) - 1
    out: list[int] = []
    for i, entry in enumerate(circuit):
        op = entry[0]
        if i == clamp:
            out.append(mask if value else 0)
        elif op == "in":
            out.append(sum(1 << r for r in range(rows) if (r >> entry[1]) & 1))
        elif op == "const":
            out.append(mask if entry[1] else 0)
        elif op == "not":
            out.append(~out[entry[1]] & mask)
        else:
            a, b = out[entry[1]], out[entry[2]]
            out.append(a & b if op == "and" else (a | b if op == "or" else a ^ b))
    return out


def exclusion(learned: Any, task: Any) -> dict[str, float]:
    """Share of candidates that one internal intervention excludes, the formula then returning the next candidate
    that passes (module doc). `applicable` is 0 (and `share` 0) where the problem has no candidates, no candidate's
    exclusion changes this output bit, or the learner is not a formula."""
    problem, bit = task.config.problem, task.config.bit
    if not isinstance(learned, IsFormula) or problem not in CANDIDATES:
        return {"share": 0.0, "candidates": 0.0, "gates": 0.0, "applicable": 0.0}
    n = INPUTS[problem]
    circuit, output = gates(learned.node)
    base = target_table(problem, bit)
    wanted = [t for t in (target_table(problem, bit, c) for c in range(CANDIDATES[problem])) if t != base]
    inner = [i for i, entry in enumerate(circuit) if entry[0] not in ("in", "const") and i != output]
    reachable = {tables(circuit, n, i, v)[output] for i in inner for v in (0, 1)}
    share = sum(t in reachable for t in wanted) / len(wanted) if wanted else 0.0
    return {
        "share": share,
        "candidates": float(len(wanted)),
        "gates": float(len(inner) + 1),
        "applicable": float(bool(wanted)),
    }


DETECTORS = {
    "transfer": BatteryDetector(transfer.transfer, transfer.METRICS),
    "exclusion": BatteryDetector(exclusion, EXCLUSION_METRICS),
}
"""The detectors of the circuit battery, by the prefix their metrics carry ("exclusion.share")."""


def label_features(metrics: Metrics) -> Features:
    """Row success and the exclusion share (None where it does not apply)."""
    share = float(metrics["exclusion.share"]) if metrics["exclusion.applicable"] else None
    return {"pool": float(metrics["transfer.pool_success"]), "exclusion": share}


def label_rule(f: Features, t: Mapping[str, float]) -> tuple[str, list[str]]:
    """failed / searcher / heuristic from the features and thresholds, with the comparisons made."""
    pool = float(f["pool"])
    sign = ">=" if pool >= t["CIRCUIT_LEARNED_MIN_POOL"] else "<"
    reasons = [f"row success {pool:.3f} {sign} CIRCUIT_LEARNED_MIN_POOL {t['CIRCUIT_LEARNED_MIN_POOL']:.3f}"]
    if pool < t["CIRCUIT_LEARNED_MIN_POOL"]:
        return "failed", reasons
    share = f["exclusion"]
    if share is None:
        return "heuristic", [*reasons, "no candidate to exclude: the problem has none, or none changes this bit"]
    limit = t["CIRCUIT_SEARCHER_MIN_EXCLUSION"]
    sign = ">=" if share >= limit else "<"
    reasons.append(f"exclusion share {share:.2f} {sign} CIRCUIT_SEARCHER_MIN_EXCLUSION {limit:.2f}")
    return ("searcher" if share >= limit else "heuristic"), reasons


def _learned(case: dict) -> bool:
    return case["features"]["pool"] >= CIRCUIT_LEARNED_MIN_POOL


SPECS = (
    ThresholdSpec(
        "CIRCUIT_LEARNED_MIN_POOL",
        "pool",
        frozenset({"heuristic", "searcher"}),
        frozenset({"failed"}),
        doc="formulas of the function vs constants",
    ),
    ThresholdSpec(
        "CIRCUIT_SEARCHER_MIN_EXCLUSION",
        "exclusion",
        frozenset({"searcher"}),
        frozenset({"heuristic"}),
        _learned,
        doc="generate-and-test formulas vs tables of the same function",
    ),
)


CIRCUIT_BATTERY = Battery(
    family="boolean",
    version=1,
    detectors=DETECTORS,
    features=label_features,
    rule=label_rule,
    thresholds=THRESHOLDS,
    specs=SPECS,
    cases=cases_from("mesaopt.detectors.circuit_calibration:CASES"),
    task={"name": "boolean", "problem": "sat", "bit": 0},
    columns=("pool", "exclusion"),
    record="circuit_calibration.json",
    doc=__doc__ or "",
)


def circuit_profile_detector(learned: Any, task: Any) -> dict[str, float | list[float]]:
    """The circuit battery as catalog metrics plus one-hot is_<label>."""
    return CIRCUIT_BATTERY.profile(learned, task).catalog()


PROFILE_METRICS = CIRCUIT_BATTERY.metric_names()
