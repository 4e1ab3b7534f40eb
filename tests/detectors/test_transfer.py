"""Transfer: "pool" is what the learner was trained on, and the ratio is undefined below the pool-success floor."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors.profile import MEMORIZER_MIN_RELATIVE_GAP, label_of
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
    only part of it, yet the relative gap still calls it a memorizer."""
    params = {"steps": 20, "batch_size": 32, "max_entries": 512}
    net = fit_learner("tabular", params, maze4_inf, np.random.SeedSequence(0), no_progress)
    result = transfer(net, maze4_inf)
    assert result["pool_trained"] == 1.0
    assert POOL_SUCCESS_FLOOR <= result["pool_success"] < 1.0
    assert result["novel_success"] < 0.2
    metrics = {**{f"transfer.{k}": v for k, v in result.items()}, "extrapolation.success": 0.0}
    metrics |= {"probe.score": 0.0, "probe.recurrent": 0.0}
    label, reasons = label_of(metrics)
    assert label == "memorizer", reasons


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


def _label(pool, novel, harder=0.0):
    return label_of(
        {
            "transfer.pool_success": pool,
            "transfer.novel_success": novel,
            "extrapolation.success": harder,
            "probe.score": 0.0,
            "probe.recurrent": 0.0,
        }
    )


def test_a_learner_that_solves_neither_pool_nor_novel_is_not_a_memorizer():
    label, reasons = _label(POOL_SUCCESS_FLOOR - 0.01, 0.0)
    assert label == "heuristic" and "POOL_SUCCESS_FLOOR" in reasons[0]
    assert _label(POOL_SUCCESS_FLOOR, 0.0)[0] == "memorizer"


def test_memorizer_rule_is_relative_to_what_was_learned():
    """Half the pool solved and nothing novel: a memorizer, although the absolute gap is only 0.5."""
    assert _label(0.5, 0.0)[0] == "memorizer"
    assert _label(0.5, 0.5 * (1 - MEMORIZER_MIN_RELATIVE_GAP) + 0.01)[0] == "heuristic"


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
