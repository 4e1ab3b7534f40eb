"""The search-state probe: it names the reference algorithm a net's states follow, above input, untrained and
shuffled controls."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors import probe as probe_module
from mesaopt.detectors.calibration_cases import BFSNet
from mesaopt.detectors.maze_cases import FillingNet
from mesaopt.detectors.probe import REFERENCES, SEARCH_REFERENCES, probe_r2, search_state_probe, select_hooks
from mesaopt.learners.base import no_progress
from mesaopt.learners.lookup import LookupConfig, fit_lookup

CHANCE_TOLERANCE = 0.05
"""R^2 a probe may reach on targets it cannot know (chance is at most 0; this allows for finite samples)."""


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


def test_recurrent_hooks_are_thinned_keeping_the_last():
    states = {f"recur.{t}": np.zeros((2, 1, 3, 3)) for t in range(20)}
    hooks = select_hooks(states)
    assert len(hooks) == probe_module.MAX_HOOKS and hooks[0] == "recur.0" and hooks[-1] == "recur.19"
    assert select_hooks({"b": np.zeros(1), "a": np.zeros(1)}) == ["a", "b"]


def test_the_bfs_net_matches_bfs_best_and_above_every_control(maze4):
    result = search_state_probe(BFSNet(40), maze4)
    assert list(REFERENCES)[int(result["best"])] in SEARCH_REFERENCES
    assert result["search"] > 0.5 and result["search"] > result["other"] + 0.3
    assert result["shuffled"] < CHANCE_TOLERANCE and result["has_untrained"] == 1.0


def test_the_filling_net_matches_dead_end_filling_not_search(maze4):
    result = search_state_probe(FillingNet(40), maze4)
    assert list(REFERENCES)[int(result["best"])] == "dead_end_filling"
    assert result["other"] > 0.5 and result["search"] < 0.2


def test_a_lookup_table_is_at_control_level(maze4):
    lookup = fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress)
    result = search_state_probe(lookup, maze4)
    assert result["has_untrained"] == 0.0 and result["recurrent"] == 0.0
    assert result["score"] < 0.1


def test_no_hidden_states_scores_zero(maze4):
    from tests.detectors.helpers import Fixed

    result = search_state_probe(Fixed(lambda g, n: None), maze4)
    assert result["hooks"] == 0.0 and result["score"] == 0.0 and result["best"] == -1.0
