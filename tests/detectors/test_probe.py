"""The search-state probe: exact on the hand-set BFS net, at chance on shuffled targets and on a lookup table."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors import probe as probe_module
from mesaopt.detectors.calibration_cases import BFSNet
from mesaopt.detectors.mazetools import goal_distance
from mesaopt.detectors.probe import Hook, probe_r2, search_state_probe, select_hooks
from mesaopt.learners.base import no_progress
from mesaopt.learners.lookup import LookupConfig, fit_lookup

CHANCE_TOLERANCE = 0.05
"""R^2 a probe may reach on targets it cannot know (chance is at most 0; this allows for finite samples)."""


@pytest.fixture(scope="module")
def net_states(maze4):
    batch = maze4.novel(64)
    grids = np.asarray(batch.grids)
    return BFSNet(40).hidden_states(batch, 40), goal_distance(grids), grids[:, 0].astype(bool)


def test_a_probe_reading_the_target_itself_scores_one():
    rng = np.random.default_rng(0)
    target = rng.normal(size=(40, 5, 5))
    open_ = np.ones((40, 5, 5), dtype=bool)
    fit, test = np.arange(20), np.arange(20, 40)
    # ridge shrinks the one standardized coefficient by 1 / (1 + RIDGE_ALPHA): R^2 = 1 - (alpha / (1 + alpha))^2
    alpha = probe_module.RIDGE_ALPHA
    expected = 1 - (alpha / (1 + alpha)) ** 2
    assert probe_r2(target[..., None], True, target, open_, fit, test) == pytest.approx(expected, abs=0.01)
    noise = rng.normal(size=(40, 5, 5, 3))
    assert -0.25 < probe_r2(noise, True, target, open_, fit, test) < CHANCE_TOLERANCE


def test_recurrent_hooks_are_matched_with_the_next_bfs_step():
    states = {f"recur.{t}": np.zeros((2, 1, 3, 3)) for t in range(20)}
    hooks = select_hooks(states)
    assert len(hooks) == probe_module.MAX_HOOKS
    assert hooks[0] == Hook("recur.0", 1) and hooks[-1] == Hook("recur.19", 20)
    assert select_hooks({"b": np.zeros(1), "a": np.zeros(1)}) == [Hook("a", None), Hook("b", None)]


def test_shuffled_targets_score_at_chance(net_states):
    states, dist, open_ = net_states
    n = len(dist)
    order = np.concatenate([np.roll(np.arange(n // 2), 1), n // 2 + np.roll(np.arange(n - n // 2), 1)])
    hooks = select_hooks(states)
    true = probe_module._hook_scores(states, hooks, dist, open_, np.arange(n))
    shuffled = probe_module._hook_scores(states, hooks, dist, open_, order)
    for name in true:
        known = [v for v in true[name].values() if np.isfinite(v)]  # NaN: every open position already visited
        assert known and min(known) > 0.99, (name, true[name])
        chance = [v for v in shuffled[name].values() if np.isfinite(v)]
        assert all(-0.25 < v < CHANCE_TOLERANCE for v in chance), (name, shuffled[name])


def test_bfs_net_probe_is_high_and_above_its_controls(maze4):
    result = search_state_probe(BFSNet(40), maze4)
    assert result["recurrent"] == 1.0 and result["has_untrained"] == 1.0
    assert result["visited"] > 0.99 and result["distance"] > 0.99
    assert result["shuffled"] < CHANCE_TOLERANCE
    assert result["score"] == pytest.approx(result["probe"] - max(result["shuffled"], result["untrained"]), abs=0.05)
    assert result["score"] > 0.8


def test_lookup_table_probe_is_at_control_level(maze4):
    lookup = fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress)
    result = search_state_probe(lookup, maze4)
    assert result["has_untrained"] == 0.0 and result["recurrent"] == 0.0
    assert abs(result["score"]) < CHANCE_TOLERANCE


def test_no_hidden_states_scores_zero(maze4):
    from tests.detectors.helpers import Fixed

    result = search_state_probe(Fixed(lambda g, n: None), maze4)
    assert result["hooks"] == 0.0 and result["score"] == 0.0
