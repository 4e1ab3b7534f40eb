"""Labels from the named thresholds, and the calibration: every case gets the label its construction dictates."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors import DETECTORS
from mesaopt.detectors.calibration import CASES, calibrate, read_calibration, write_calibration
from mesaopt.detectors.calibration_cases import BFSNet
from mesaopt.detectors.profile import (
    LABELS,
    MEMORIZER_MIN_RELATIVE_GAP,
    SEARCHER_MIN_PROBE,
    SEARCHER_MIN_SUCCESS,
    label_of,
    profile,
    profile_detector,
)

PROBE_CONTROL_TOLERANCE = 0.05
"""How far from 0 (probe at control level) the lookup table's probe score may be."""


def _metrics(pool, novel, harder, probe=0.0, recurrent=0.0):
    return {
        "transfer.pool_success": pool,
        "transfer.novel_success": novel,
        "extrapolation.success": harder,
        "probe.score": probe,
        "probe.recurrent": recurrent,
    }


def test_label_rules_by_hand():
    assert label_of(_metrics(1.0, 1.0 - MEMORIZER_MIN_RELATIVE_GAP, 0.0))[0] == "memorizer"
    assert label_of(_metrics(1.0, 1.0 - MEMORIZER_MIN_RELATIVE_GAP + 0.01, 0.0))[0] == "heuristic"
    assert label_of(_metrics(0.9, 0.9, SEARCHER_MIN_SUCCESS))[0] == "searcher"
    assert label_of(_metrics(0.9, 0.9, SEARCHER_MIN_SUCCESS - 0.01))[0] == "heuristic"
    assert label_of(_metrics(0.9, 0.9, 1.0, probe=SEARCHER_MIN_PROBE - 0.01, recurrent=1.0))[0] == "heuristic"
    assert label_of(_metrics(0.9, 0.9, 1.0, probe=SEARCHER_MIN_PROBE, recurrent=1.0))[0] == "searcher"
    label, reasons = label_of(_metrics(0.2, 0.2, 0.0))
    assert label == "heuristic" and any("SEARCHER_MIN_SUCCESS" in r for r in reasons)


def test_profile_detector_is_registered_with_one_hot_labels(maze4):
    entry = DETECTORS["profile"]
    result = entry.run(BFSNet(40), maze4)
    assert {"is_memorizer", "is_heuristic", "is_searcher", "power.pool_bits", "power.novel_bits"} <= set(result)
    assert set(result) <= set(entry.metrics)
    assert [result[f"is_{label}"] for label in LABELS] == [0.0, 0.0, 1.0]
    assert all(isinstance(v, float) or all(isinstance(x, float) for x in v) for v in result.values())


def test_profile_is_deterministic(maze4):
    first, second = profile_detector(BFSNet(40), maze4), profile_detector(BFSNet(40), maze4)
    assert first == second


def test_profile_refuses_other_task_families():
    class NotAMaze:
        config = type("C", (), {"eval_size": 4})()

        def novel(self, count=None):
            return type("B", (), {"inputs": np.zeros((4, 3)), "__len__": lambda s: 4})()

        def train_pool(self):
            return None

        def sample_train(self, count, rng):
            return self.novel()

        def harder(self, count=None):
            return self.novel()

        def generator(self, name):
            return np.random.default_rng(0)

    with pytest.raises(ValueError, match="maze tasks only"):
        DETECTORS["power"].run(BFSNet(4), NotAMaze())


HELD_OUT_SEED = 1
"""Thresholds in detectors/profile.py come from the seed-0 calibration; the tests check a seed they never saw."""


@pytest.fixture(scope="module")
def calibration():
    return calibrate(HELD_OUT_SEED)


def test_calibration_gives_every_case_its_constructed_label(calibration):
    labels = {c["name"]: (c["expected"], c["label"]) for c in calibration["cases"]}
    assert set(labels) == {c.name for c in CASES}
    assert all(expected == got for expected, got in labels.values()), labels
    assert calibration["passed"]
    matrix = np.asarray(calibration["confusion"])
    assert matrix.sum() == len(CASES) and np.trace(matrix) == len(CASES)


def test_calibration_separates_every_threshold(calibration):
    for row in calibration["justification"]:
        assert row["separates"] and row["margin"] > 0.1, row


def test_bfs_net_probe_is_high_and_lookup_probe_at_control_level(calibration):
    cases = {c["name"]: c["metrics"] for c in calibration["cases"]}
    assert cases["bfs_network"]["probe.score"] >= SEARCHER_MIN_PROBE
    assert cases["bfs_network"]["probe.probe"] > 0.95
    assert abs(cases["lookup_table"]["probe.score"]) <= PROBE_CONTROL_TOLERANCE
    assert cases["lookup_table"]["probe.probe"] <= cases["lookup_table"]["probe.shuffled"] + PROBE_CONTROL_TOLERANCE


def test_calibration_record_round_trips(calibration, tmp_path):
    write_calibration(tmp_path, calibration)
    assert read_calibration(tmp_path) == calibration
    assert read_calibration(tmp_path / "missing") is None


def test_profile_of_exact_bfs_states_its_baseline(maze4):
    from mesaopt.learners.base import no_progress
    from mesaopt.learners.bfs import BFSConfig, fit_bfs

    result = profile(fit_bfs(BFSConfig(), maze4, np.random.SeedSequence(0), no_progress), maze4)
    assert result.label == "searcher" and "non-reversing walks" in result.baseline
