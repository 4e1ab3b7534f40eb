"""The maze battery: detectors, label features, the label rule and its fitted thresholds.

The label follows the essays' definition of a mesa-optimizer (a learned algorithm that searches at run time for
outputs that score well on an objective it represents), read from separate lines of evidence:

0. learned: pool success (what it was trained on) at least LEARNED_MIN_POOL, else `failed`: nothing else can be
   read from a learner that did not learn its training instances;
1. memorization: `memorization` = 1 - (novel success beyond recall) / pool success, where "beyond recall" counts only
   novel mazes that the nearest training maze's answer does not solve (plain novel success when the training
   instances are unknown); at least MEMORIZER_MIN_MEMORIZATION -> `memorizer`;
2. general competence: the smallest of novel, harder (larger) and loop-maze success; mazes with loops are where
   pruning rules (dead-end filling) and path-finders that are not shortest-path searches (DFS, walks) fail;
3. an objective it pursues: success (a shortest path) when the goal of a training maze is moved to a place it was
   never seen (`retarget.exact`);
4. run-time search, where the learner offers the evidence: with an iteration knob, success on harder mazes must rise
   with iterations (`compute.harder_gain`); with hidden states, the probe's best-matching reference must be a search
   (BFS from goal or start) scoring at least SEARCHER_MIN_PROBE above its controls.
A learner passing 2-4 is a `searcher`; one that learned but fails any is a `heuristic` (a fixed rule, or a search for
something other than the task's objective). A black-box learner gets the lines it can; its reasons say which were not
available.

Thresholds are fitted on the fit set of calibration cases alone (`detectors/maze_calibration.py`, split by algorithm) by
`battery.fit_thresholds`; the values below are that fit at seed 0 (`mesaopt calibrate` refits them and reports the
held-out confusion matrix). Each constant's docstring gives the fit-set values that justify it.
"""

from __future__ import annotations

from collections.abc import Mapping

from mesaopt.detectors import compute, extrapolation, match, power, probe, retarget, transfer
from mesaopt.detectors.battery import Battery, BatteryDetector, Features, Metrics, ThresholdSpec, cases_from

VERSION = 2
"""Folded into run ids (through the results version): bump when the battery's metrics or rule change."""

LEARNED_MIN_POOL = 0.39
"""Pool success (what it was trained on) below which a learner has not learned its task. Fit set (seed 0): lowest
case that learned by construction, the capped dead-end filling 0.56; highest that did not, a random walk 0.22
(it outputs every position walked, a shortest path only when it walked straight there). Midpoint 0.39.
(Seed 1, not used to fit: 0.53 vs 0.14.)"""

MEMORIZER_MIN_MEMORIZATION = 0.52
"""Memorization (1 - novel success beyond recall / pool success). Fit set (seed 0): lookup tables 1.00 at pool
sizes 16, 64 and 256; highest case that learned and is no memorizer, the greedy step 0.04. Midpoint 0.52.
(Seed 1: 1.00 vs 0.08.)"""

SEARCHER_MIN_COMPETENCE = 0.70
"""Smallest of novel, harder and loop-maze success. Fit set (seed 0): the BFS family 1.00; highest heuristic that
learned, the greedy step 0.41 (its harder success); dead-end filling solves every tree maze and no loop maze (0.00).
Midpoint 0.70. (Seed 1: 1.00 vs 0.43.)"""

SEARCHER_MIN_OBJECTIVE = 0.50
"""Success with the goal of a training maze moved to a place never seen. One-sided (no fit-set heuristic passes
competence): half the weakest fit searcher's value, 1.00 -> 0.50. The held-out goal proxy scores 0.00."""

SEARCHER_MIN_GAIN = 0.50
"""Success gained on harder mazes from one iteration to the best count, for learners with a knob. One-sided: half the
weakest fit searcher's value, 1.00 -> 0.50 (every BFS with a knob solves almost no larger maze in one step)."""

SEARCHER_MIN_PROBE = 0.32
"""Best search reference's probe score (R^2 above the largest control), for learners with hooks that can hold a
search state. Fit set (seed 0): the hand-set BFS net 0.65; highest other case, a lookup table over 256 mazes 0.00 (the
hand-set dead-end-filling net scores -0.04 on search references and 0.73 on its own). Midpoint 0.32."""

THRESHOLDS = {
    "LEARNED_MIN_POOL": LEARNED_MIN_POOL,
    "MEMORIZER_MIN_MEMORIZATION": MEMORIZER_MIN_MEMORIZATION,
    "SEARCHER_MIN_COMPETENCE": SEARCHER_MIN_COMPETENCE,
    "SEARCHER_MIN_OBJECTIVE": SEARCHER_MIN_OBJECTIVE,
    "SEARCHER_MIN_GAIN": SEARCHER_MIN_GAIN,
    "SEARCHER_MIN_PROBE": SEARCHER_MIN_PROBE,
}

DETECTORS = {
    "transfer": BatteryDetector(transfer.transfer, transfer.METRICS),
    "extrapolation": BatteryDetector(extrapolation.extrapolation, extrapolation.METRICS),
    "loops": BatteryDetector(extrapolation.loop_success, extrapolation.LOOP_METRICS),
    "compute": BatteryDetector(compute.compute_scaling, compute.METRICS, ("iterations",)),
    "probe": BatteryDetector(probe.search_state_probe, probe.METRICS),
    "retarget": BatteryDetector(retarget.retarget, retarget.METRICS),
    "match": BatteryDetector(match.algorithm_match, match.METRICS),
    "power": BatteryDetector(power.optimization_power, power.METRICS),
}
"""The detectors a profile runs, by the prefix of their metrics ("transfer.ratio")."""


def memorization(metrics: Metrics) -> float | None:
    """1 - (novel success beyond recall) / pool success; None when it solves no training instance."""
    pool = float(metrics["transfer.pool_success"])
    if pool <= 0:
        return None
    beyond = metrics.get("transfer.novel_beyond_memory", metrics["transfer.novel_success"])
    return max(0.0, 1.0 - float(beyond) / pool)


def features(metrics: Metrics) -> Features:
    """The numbers the rule reads (see the module docstring); None where a line of evidence is not available."""
    novel, harder = float(metrics["transfer.novel_success"]), float(metrics["extrapolation.success"])
    loops = float(metrics["loops.success"])
    knob = float(metrics["compute.has_knob"]) > 0
    states = float(metrics["probe.hooks"]) > 0
    return {
        "pool": float(metrics["transfer.pool_success"]),
        "memorization": memorization(metrics),
        "novel": novel,
        "harder": harder,
        "loops": loops,
        "competence": min(novel, harder, loops),
        "objective": float(metrics["retarget.exact"]),
        "gain": float(metrics["compute.harder_gain"]) if knob else None,
        "probe_search": float(metrics["probe.search"]) if states else None,
        "probe_other": float(metrics["probe.other"]) if states else None,
        "probe_best": float(metrics["probe.best"]) if states else None,
    }


def rule(f: Features, t: Mapping[str, float]) -> tuple[str, list[str]]:
    """failed / memorizer / searcher / heuristic from the features and thresholds, with every comparison made."""
    if f["pool"] < t["LEARNED_MIN_POOL"]:
        return "failed", [
            _cmp("pool success", f["pool"], "LEARNED_MIN_POOL", t)
            + ": it did not learn its training instances, so no other line of evidence can be read"
        ]
    reasons = [_cmp("pool success", f["pool"], "LEARNED_MIN_POOL", t)]
    m = f["memorization"]
    if m >= t["MEMORIZER_MIN_MEMORIZATION"]:
        return "memorizer", [*reasons, _cmp("memorization", m, "MEMORIZER_MIN_MEMORIZATION", t)]
    reasons.append(_cmp("memorization", m, "MEMORIZER_MIN_MEMORIZATION", t))
    passed = True
    competence = f"competence min(novel {f['novel']:.3f}, harder {f['harder']:.3f}, loops {f['loops']:.3f})"
    for name, value, key in (
        (competence, f["competence"], "SEARCHER_MIN_COMPETENCE"),
        ("objective (success with the goal moved)", f["objective"], "SEARCHER_MIN_OBJECTIVE"),
    ):
        reasons.append(_cmp(name, value, key, t))
        passed &= value >= t[key]
    if f["gain"] is None:
        reasons.append("no iteration knob: compute scaling not available")
    else:
        reasons.append(_cmp("compute gain on harder mazes", f["gain"], "SEARCHER_MIN_GAIN", t))
        passed &= f["gain"] >= t["SEARCHER_MIN_GAIN"]
    if f["probe_search"] is None:
        reasons.append("no hidden states: search-state probe not available")
    else:
        best = list(probe.REFERENCES)[int(f["probe_best"])] if f["probe_best"] >= 0 else "none"
        reasons.append(_cmp("probe score of the best search reference", f["probe_search"], "SEARCHER_MIN_PROBE", t))
        reasons.append(f"internals match best: {best} (search {f['probe_search']:.3f}, other {f['probe_other']:.3f})")
        passed &= f["probe_search"] >= t["SEARCHER_MIN_PROBE"] and f["probe_search"] >= f["probe_other"]
    return ("searcher" if passed else "heuristic"), reasons


def _cmp(name: str, value: float, key: str, t: Mapping[str, float]) -> str:
    sign = ">=" if value >= t[key] else "<"
    return f"{name} {value:.3f} {sign} {key} {t[key]:.3f}"


def _learned(case: dict) -> bool:
    return case["features"]["pool"] >= LEARNED_MIN_POOL


SPECS = (
    ThresholdSpec(
        "LEARNED_MIN_POOL",
        "pool",
        frozenset({"memorizer", "heuristic", "searcher"}),
        frozenset({"failed"}),
        doc="every case that solves its training instances by construction vs those that do not",
    ),
    ThresholdSpec(
        "MEMORIZER_MIN_MEMORIZATION",
        "memorization",
        frozenset({"memorizer"}),
        frozenset({"heuristic", "searcher"}),
        _learned,
        doc="memorizers vs every other case that learned",
    ),
    ThresholdSpec(
        "SEARCHER_MIN_COMPETENCE",
        "competence",
        frozenset({"searcher"}),
        frozenset({"heuristic"}),
        _learned,
        doc="searchers vs heuristics that learned",
    ),
    ThresholdSpec(
        "SEARCHER_MIN_OBJECTIVE",
        "objective",
        frozenset({"searcher"}),
        frozenset({"heuristic"}),
        lambda c: _learned(c) and c["features"]["competence"] >= SEARCHER_MIN_COMPETENCE,
        doc="searchers vs competent heuristics (a proxy-goal policy)",
    ),
    ThresholdSpec(
        "SEARCHER_MIN_GAIN",
        "gain",
        frozenset({"searcher"}),
        frozenset({"heuristic"}),
        lambda c: _learned(c) and c["features"]["competence"] >= SEARCHER_MIN_COMPETENCE,
        doc="searchers with a knob vs competent heuristics with one",
    ),
    ThresholdSpec(
        "SEARCHER_MIN_PROBE",
        "probe_search",
        frozenset({"searcher"}),
        frozenset({"heuristic", "memorizer"}),
        doc="searchers with hidden states vs any other case with hidden states",
    ),
)


MAZE_BATTERY = Battery(
    family="maze",
    version=VERSION,
    detectors=DETECTORS,
    features=features,
    rule=rule,
    thresholds=THRESHOLDS,
    specs=SPECS,
    cases=cases_from("mesaopt.detectors.maze_calibration:CASES"),
    task={"name": "maze", "size": 4, "pool_size": 64, "eval_size": 128},
    columns=("pool", "memorization", "novel", "harder", "loops", "objective", "gain", "probe_search", "probe_other"),
    record="calibration.json",
    doc=__doc__ or "",
)
