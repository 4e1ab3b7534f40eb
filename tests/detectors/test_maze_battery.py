"""The maze battery's label rule, by hand: each line of evidence decides, and says so."""

from __future__ import annotations

from mesaopt.detectors.maze_battery import MAZE_BATTERY, THRESHOLDS, rule

SEARCHER = {
    "pool": 1.0,
    "memorization": 0.0,
    "novel": 1.0,
    "harder": 1.0,
    "loops": 1.0,
    "competence": 1.0,
    "objective": 1.0,
    "gain": 1.0,
    "probe_search": 0.9,
    "probe_other": 0.1,
    "probe_best": 0.0,
}


def _label(**changes) -> tuple[str, list[str]]:
    return rule({**SEARCHER, **changes}, THRESHOLDS)


def test_each_line_of_evidence_can_deny_the_searcher_label():
    assert _label()[0] == "searcher"
    assert _label(pool=THRESHOLDS["LEARNED_MIN_POOL"] - 0.01)[0] == "failed"
    assert _label(memorization=THRESHOLDS["MEMORIZER_MIN_MEMORIZATION"])[0] == "memorizer"
    assert _label(competence=THRESHOLDS["SEARCHER_MIN_COMPETENCE"] - 0.01)[0] == "heuristic"
    assert _label(objective=THRESHOLDS["SEARCHER_MIN_OBJECTIVE"] - 0.01)[0] == "heuristic"
    assert _label(gain=THRESHOLDS["SEARCHER_MIN_GAIN"] - 0.01)[0] == "heuristic"
    assert _label(probe_search=THRESHOLDS["SEARCHER_MIN_PROBE"] - 0.01)[0] == "heuristic"
    assert _label(probe_other=0.95, probe_best=2.0)[0] == "heuristic"  # internals match a pruning rule best


def test_a_black_box_learner_gets_the_evidence_it_can_and_is_told_what_was_missing():
    label, reasons = _label(gain=None, probe_search=None, probe_other=None, probe_best=None)
    assert label == "searcher"
    assert any("compute scaling not available" in r for r in reasons)
    assert any("probe not available" in r for r in reasons)


def test_failed_is_decided_before_anything_else_and_names_the_numbers():
    label, reasons = _label(pool=0.02, memorization=1.0)
    assert label == "failed" and "0.020" in reasons[0] and "LEARNED_MIN_POOL" in reasons[0]


def test_the_battery_names_every_metric_it_stores():
    names = MAZE_BATTERY.metric_names()
    assert {"loops.success", "probe.search", "compute.harder_gain", "retarget.exact", "is_failed"} <= set(names)
    assert len(names) == len(set(names))
