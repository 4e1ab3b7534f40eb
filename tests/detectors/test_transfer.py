"""Transfer: "pool" is what the learner was trained on, and the ratio is undefined below the pool-success floor."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.maze_battery import THRESHOLDS, memorization
from mesaopt.detectors.transfer import POOL_SUCCESS_FLOOR, transfer
from mesaopt.learners import fit_learner
from mesaopt.learners.base import no_progress
from mesaopt.learners.lookup import LookupConfig, fit_lookup
from mesaopt.tasks import build_task


@pytest.fixture(scope="module")
def maze4_inf():
    """4 x 4 mazes with an infinite pool (every training draw fresh), 64 evaluation mazes."""
    return build_task("maze", {"size": 4, "pool_size": "inf", "eval_size": 64}, np.random.SeedSequence(3))


class Nothing:
    """Answers every maze with an empty path: solves neither pool nor novel mazes."""

    def solve(self, batch, iterations=None):
        return np.zeros(np.asarray(batch.inputs).shape[:1] + np.asarray(batch.inputs).shape[-2:], dtype=bool)


def test_lookup_at_infinite_pool_is_scored_on_the_instances_it_stored(maze4_inf):
    lookup = fit_lookup(LookupConfig(max_entries=256), maze4_inf, np.random.SeedSequence(0), no_progress)
    result = transfer(lookup, maze4_inf)
    assert result["pool_trained"] == 1.0
    assert result["pool_success"] == 1.0  # it answers every stored maze from memory
    assert result["ratio_defined"] == 1.0 and result["ratio"] == result["novel_success"]


def test_tabular_net_at_infinite_pool_is_scored_on_its_table(maze4_inf):
    """The tabular net fills a table from its own sample; trained for fewer steps than it has rows, it has learned
    only part of it, yet nothing it solves goes beyond recall: its memorization is that of a memorizer."""
    params = {"steps": 20, "batch_size": 32, "max_entries": 512}
    net = fit_learner("tabular", params, maze4_inf, np.random.SeedSequence(0), no_progress)
    result = transfer(net, maze4_inf)
    assert result["pool_trained"] == 1.0
    assert POOL_SUCCESS_FLOOR <= result["pool_success"] < 1.0
    assert result["novel_success"] < 0.2
    metrics = {f"transfer.{k}": v for k, v in result.items()}
    assert memorization(metrics) >= THRESHOLDS["MEMORIZER_MIN_MEMORIZATION"]


def test_network_trained_on_fresh_draws_is_scored_on_a_fresh_sample(maze4_inf):
    result = transfer(Nothing(), maze4_inf)
    assert result["pool_trained"] == 0.0


def test_ratio_left_out_below_the_floor(maze4_inf):
    result = transfer(Nothing(), maze4_inf)
    assert result["pool_success"] == 0.0 and result["ratio_defined"] == 0.0
    assert not {"ratio", "ratio_lo", "ratio_hi"} & set(result)


def test_ratio_interval_brackets_the_ratio(maze4):
    lookup = fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress)
    result = transfer(lookup, maze4)
    assert result["pool_trained"] == 1.0 and result["ratio_defined"] == 1.0
    assert result["ratio_lo"] <= result["ratio"] <= result["ratio_hi"]
    assert transfer(lookup, maze4) == result  # deterministic


def test_memorization_is_relative_to_what_was_learned_and_reads_success_beyond_recall():
    """Half the pool solved and nothing novel: fully memorized, although the absolute gap is only 0.5."""
    assert memorization({"transfer.pool_success": 0.5, "transfer.novel_success": 0.0}) == 1.0
    assert memorization({"transfer.pool_success": 0.0, "transfer.novel_success": 0.0}) is None
    recalled = {"transfer.pool_success": 1.0, "transfer.novel_success": 0.6, "transfer.novel_beyond_memory": 0.0}
    assert memorization(recalled) == 1.0  # all its novel success is recall


def test_a_lookup_table_transfers_nothing_beyond_memory(maze4):
    """Whatever novel mazes a lookup table solves, recall of the nearest stored maze solves too."""
    lookup = fit_lookup(LookupConfig(), maze4, np.random.SeedSequence(0), no_progress)
    result = transfer(lookup, maze4)
    assert result["novel_success"] == result["memory_success"]
    assert result["novel_beyond_memory"] == 0.0


def test_exact_search_transfers_beyond_memory(maze4):
    from mesaopt.learners.bfs import BFSConfig, fit_bfs

    result = transfer(fit_bfs(BFSConfig(), maze4, np.random.SeedSequence(0), no_progress), maze4)
    assert result["memory_success"] < 0.5 and result["novel_beyond_memory"] == 1.0


def test_no_memory_baseline_without_known_training_instances(maze4_inf):
    assert not {"memory_success", "novel_beyond_memory"} & set(transfer(Nothing(), maze4_inf))
