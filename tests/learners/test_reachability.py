"""The reachability learner: the path summaries (rise, barrier), the recurrent recipe's options reaching its nets,
and the two nets of every seed trained from that seed's one initialization."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from mesaopt.learners import LEARNERS
from mesaopt.learners.reachability import barrier, rise
from mesaopt.tasks import build_task

BASE = {"steps": 8, "batch_size": 8, "width": 4, "iterations": 3, "points": 5, "cell": "norm", "open_only": True}


def _maze():
    return build_task("maze", {"size": 3, "eval_size": 16}, np.random.SeedSequence(3))


def test_rise_is_the_largest_climb_on_the_way_and_zero_on_a_monotone_path():
    assert rise([1.0, 0.7, 0.7, 0.2]) == 0.0
    assert rise([1.0, 0.5, 0.8, 0.6, 0.9, 0.1]) == pytest.approx(0.4)
    assert rise([0.2, 0.3]) == pytest.approx(0.1)


def test_barrier_is_the_largest_excess_over_the_chord():
    assert barrier([1.0, 0.5, 0.0]) == 0.0
    assert barrier([1.0, 0.2, 0.0]) == 0.0
    assert barrier([1.0, 0.9, 0.0]) == pytest.approx(0.4)


def test_config_takes_the_recurrent_fields_and_refuses_what_it_cannot_interpolate():
    config = LEARNERS["reachability"].config
    assert config.model_validate({**BASE, "horizon": 3.0}).horizon == 3.0
    for bad in ({"ponder_cost": 0.1}, {"stateful": True}, {"start_pool": -1}):
        with pytest.raises(ValidationError):
            config.model_validate({**BASE, **bad})


def test_both_nets_start_from_the_seeds_one_init_and_the_paths_end_at_the_general_net():
    entry = LEARNERS["reachability"]
    maze, seed = _maze(), np.random.SeedSequence(0)
    stored = entry.fit(entry.config.model_validate({**BASE, "start_pool": 2}), maze, seed, lambda *_: None)
    alone = entry.fit(entry.config.model_validate({**BASE, "start_pool": 0}), maze, seed, lambda *_: None)
    m, a = stored.train_metrics, alone.train_metrics
    assert (stored.module.cell, stored.module.open_only) == ("norm", True)
    for metrics in (m, a):
        assert len(metrics["start_path_loss"]) == len(metrics["init_path_success"]) == BASE["points"]
        assert metrics["init_path_loss"][-1] == metrics["start_path_loss"][-1] == metrics["general_loss"]
        assert metrics["start_path_loss"][0] == metrics["start_loss"]
        assert metrics["init_rise"] >= 0 and metrics["start_barrier"] >= 0
    assert a["start_path_loss"] == a["init_path_loss"] and "start_pool_exact" not in a
    assert 0.0 <= m["start_pool_exact"] <= 1.0 and m["start_loss"] != m["init_loss"]
    assert m["init_loss"] == a["init_loss"]  # one initialization per seed, whatever the start
    assert m["general_loss"] == pytest.approx(a["general_loss"], abs=1e-4)  # the general net trains the same way


def test_a_group_of_seeds_fits_together_as_each_seed_alone():
    entry = LEARNERS["reachability"]
    config = entry.config.model_validate({**BASE, "start_pool": 2})
    seeds = [np.random.SeedSequence(0), np.random.SeedSequence(1)]
    together = entry.fit_many(config, [_maze(), _maze()], seeds, lambda *_: None)
    alone = entry.fit(config, _maze(), seeds[1], lambda *_: None)
    for key in ("general_loss", "start_loss", "start_rise"):
        assert together[1].train_metrics[key] == pytest.approx(alone.train_metrics[key], abs=1e-4)
    assert together[0].train_metrics["init_loss"] != together[1].train_metrics["init_loss"]
