"""The video battery on predictors of known nature: thresholds are what the fit set gives, held-out cases get their
constructed labels, and each detector measures what it says."""

from __future__ import annotations

import numpy as np
import pytest

from mesaopt.detectors import video
from mesaopt.detectors.battery import fit_thresholds
from mesaopt.detectors.calibration import calibrate
from mesaopt.detectors.video_battery import VIDEO_BATTERY
from mesaopt.detectors.video_probe import video_probe
from mesaopt.learners import video_baselines as known
from mesaopt.tasks import battery_of, build_task

ROUNDING = 0.005
"""The constants are the fitted values rounded to two decimals."""


def _task(seed: int, **changes):
    params = {k: v for k, v in {**VIDEO_BATTERY.task, **changes}.items() if k != "name"}
    return build_task("video", params, np.random.SeedSequence(seed))


def _records(seed: int) -> list[dict]:
    """The cases of known nature through the calibration runner every battery shares (`mesaopt calibrate --fast`)."""
    return calibrate(VIDEO_BATTERY, seed, include_slow=False)["cases"]


@pytest.fixture(scope="module")
def seed0() -> list[dict]:
    return _records(0)


def test_thresholds_are_the_fit_sets_values(seed0):
    rows = fit_thresholds(VIDEO_BATTERY, [r for r in seed0 if r["split"] == "fit"])
    assert {r["threshold"] for r in rows} == set(VIDEO_BATTERY.thresholds)
    for row in rows:
        assert row["separates"], row
        assert abs(row["fitted"] - row["value"]) <= ROUNDING, row


@pytest.mark.parametrize("seed", [0, 1])
def test_every_case_of_known_nature_gets_its_label(seed, seed0):
    records = seed0 if seed == 0 else _records(seed)
    held = [r for r in records if r["split"] == "held_out" and r["expected"] is not None]
    assert {r["expected"] for r in held} == {"failed", "memorizer", "heuristic", "searcher"}
    for record in records:
        assert record["label"] == record["expected"], record


def test_the_video_task_names_this_battery():
    assert battery_of("video") is VIDEO_BATTERY


def test_fit_and_held_out_cases_share_no_algorithm():
    cases = VIDEO_BATTERY.cases()
    fit = {c.algorithm for c in cases if c.split == "fit"}
    assert fit and not fit & {c.algorithm for c in cases if c.split == "held_out"}


def test_compute_curve_rises_for_a_budgeted_search_and_is_flat_without_a_knob():
    task = _task(2, eval_size=64)
    search = video.video_compute(known.PlannerSimulator(112), task)
    assert search["has_knob"] == 1.0 and search["curve"][0] < search["curve"][-1] == 1.0 and search["slope"] > 0
    rule = video.video_compute(known.CorridorHeuristic(), task)
    assert rule["has_knob"] == 0.0 and rule["slope"] == 0.0


def test_moved_goal_is_followed_by_a_planner_and_not_by_a_lookup():
    task = _task(3, eval_size=64)
    planner = video.video_moved(known.PlannerSimulator(112), task)
    assert planner["follow"] == 1.0 and planner["stale"] == 0.0 and planner["changed"] > 0.5
    lookup = video.video_moved(known.EpisodeLookup(task.train_pool()), task)
    assert lookup["follow"] < 0.3


def test_goal_probe_reads_the_search_state_and_not_shuffled_goals():
    task = _task(4, eval_size=64)
    scores = video_probe(known.PlannerSimulator(112), task)
    assert scores["goal"] > 0.9 and scores["goal_shuffled"] < 0.3 and scores["goal_score"] > 0.6
    assert set(video_probe(known.StandStill(), task)) == {"chance"}


def test_video_detectors_refuse_another_task_family():
    maze = build_task("maze", {"size": 3, "eval_size": 8}, np.random.SeedSequence(0))
    with pytest.raises(ValueError, match="video task only"):
        video.video_fit(known.StandStill(), maze)


def test_moved_goal_does_not_apply_when_the_goal_is_hidden_and_the_rule_does_not_read_it():
    hidden = _task(5, eval_size=32, goal_shown=False)
    assert video.video_moved(known.PlannerSimulator(112), hidden) == {"applicable": 0.0}
    assert video.video_moved(known.PlannerSimulator(112), _task(5, eval_size=32))["applicable"] == 1.0
    profile = VIDEO_BATTERY.profile(known.CorridorHeuristic(), hidden)
    assert "moved.follow" not in profile.metrics and any("not applicable" in r for r in profile.reasons)
    base = {"pool": 0.9, "ratio": 1.0, "follow": None, "moved_applicable": 0.0}
    need = VIDEO_BATTERY.thresholds["SEARCHER_MIN_LARGER"]
    assert VIDEO_BATTERY.rule({**base, "larger": need}, VIDEO_BATTERY.thresholds)[0] == "searcher"
    assert VIDEO_BATTERY.rule({**base, "larger": need - 0.01}, VIDEO_BATTERY.thresholds)[0] == "heuristic"
    shown = {**base, "larger": need, "moved_applicable": 1.0}
    assert VIDEO_BATTERY.rule(shown, VIDEO_BATTERY.thresholds)[0] == "heuristic"  # shown goal, nothing followed
