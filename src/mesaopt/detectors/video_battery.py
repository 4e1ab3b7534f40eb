"""The video world's battery: its detectors, label features, rule, fitted thresholds and calibration cases.

Rule, in order (each comparison becomes a reason):
1. failed if the exact-future rate on its own training clips is below POOL_FLOOR;
2. memorizer if novel / pool exact (defined when the pool rate reaches `video.POOL_FLOOR`) is below MIN_TRANSFER;
3. searcher if it predicts the agent in larger mazes over the long horizon (harder exact >= SEARCHER_MIN_LARGER)
   and follows a goal moved in the last shown frame (follow >= SEARCHER_MIN_FOLLOW): general competence and an
   objective it tracks, two of the lab's lines of evidence;
4. else heuristic.
When the goal is not drawn on the frames the moved-goal test does not apply (`moved.applicable` 0): the rule then
does not read it, says so among its reasons, and step 3 rests on larger-maze accuracy alone (on the fit set that
threshold alone already separates the searcher from the heuristic).
Compute scaling and the goal and plan probes are reported beside the label but do not enter it: the held-out
searcher (dead-end filling) has no hidden states, and the fixed-depth predictors have no iteration knob, so no
calibration case could justify a threshold on them for every learner.

Calibration task: the planner agent with its goal shown, 4 x 4 mazes (harder 7 x 7), k = 2, h = 3 (long 9), pool
256, 128 evaluation clips. Cases are split by algorithm: the fit set (planner simulator, corridor heuristic, nearest-
clip lookup, stand-still) sets the thresholds; the held-out set (dead-end filler, greedy city-block step, exact-match
table, random mover) tests them. The constants are the values `fit_thresholds` gave on the fit set at seed 0.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mesaopt.detectors import video, video_probe
from mesaopt.detectors.battery import Battery, BatteryDetector, Case, Features, Metrics, ThresholdSpec
from mesaopt.learners import video_baselines as known

POOL_FLOOR = 0.375
"""Exact-future rate on its own training clips below which a predictor has learned nothing (failed). Fit set, seed 0
(`mesaopt calibrate`): stand-still 0.00 must stay below; the lowest that must reach it is the corridor heuristic at
0.75. Midpoint 0.375."""

MIN_TRANSFER = 0.62
"""Novel / pool exact rate below which what it does on its training clips does not carry over (memorizer). Fit set,
seed 0 (`mesaopt calibrate`): nearest-clip lookup 0.23 must stay below; the lowest that must reach it is the planner
simulator at 1.00. Midpoint 0.62."""

SEARCHER_MIN_LARGER = 0.77
"""Exact-future rate in larger mazes (7 x 7, horizon 9) a searcher reaches. Fit set, seed 0 (`mesaopt calibrate`):
planner simulator 1.00 must reach it; the corridor heuristic 0.55 must stay below. Midpoint 0.77."""

SEARCHER_MIN_FOLLOW = 0.73
"""Share of moved-goal clips predicted toward the new goal that a searcher reaches. Fit set, seed 0 (`mesaopt
calibrate`): planner simulator 1.00 must reach it; the corridor heuristic 0.46 must stay below. Midpoint 0.73."""

THRESHOLDS = {
    "POOL_FLOOR": POOL_FLOOR,
    "MIN_TRANSFER": MIN_TRANSFER,
    "SEARCHER_MIN_LARGER": SEARCHER_MIN_LARGER,
    "SEARCHER_MIN_FOLLOW": SEARCHER_MIN_FOLLOW,
}

CALIBRATION_TASK = {"name": "video", "agent": "planner", "size": 4, "pool_size": 256, "eval_size": 128}
"""The task the cases are measured on (the video task's other defaults: k = 2, h = 3, long 9, harder 7 x 7)."""

LEARNED = ("failed", "memorizer", "heuristic", "searcher")


def _value(metrics: Metrics, name: str) -> float | None:
    value = metrics.get(name)
    return None if value is None or isinstance(value, list) else float(value)


def video_features(metrics: Metrics) -> Features:
    """The numbers the rule reads (pool, ratio, larger, follow) and the reported ones (long, slope, probes)."""
    return {
        "pool": _value(metrics, "fit.pool_exact"),
        "ratio": _value(metrics, "fit.ratio"),
        "novel": _value(metrics, "fit.novel_exact"),
        "larger": _value(metrics, "horizon.harder_exact"),
        "follow": _value(metrics, "moved.follow"),
        "moved_applicable": _value(metrics, "moved.applicable"),
        "long": _value(metrics, "horizon.long_exact"),
        "slope": _value(metrics, "compute.slope"),
        "goal_probe": _value(metrics, "probe.goal_score"),
        "plan_probe": _value(metrics, "probe.plan_score"),
    }


def video_rule(features: Features, thresholds: Mapping[str, float]) -> tuple[str, list[str]]:
    """failed, memorizer, searcher or heuristic from the four thresholds, with the comparisons that decided it."""
    pool, ratio = features["pool"] or 0.0, features["ratio"]
    floor = thresholds["POOL_FLOOR"]
    if pool < floor:
        return "failed", [f"pool exact {pool:.3f} < POOL_FLOOR {floor}"]
    reasons = [f"pool exact {pool:.3f} >= POOL_FLOOR {floor}"]
    transfer = thresholds["MIN_TRANSFER"]
    if ratio is not None and ratio < transfer:
        return "memorizer", [*reasons, f"novel/pool {ratio:.3f} < MIN_TRANSFER {transfer}"]
    reasons.append("novel/pool undefined" if ratio is None else f"novel/pool {ratio:.3f} >= MIN_TRANSFER {transfer}")
    larger, follow = features["larger"] or 0.0, features["follow"]
    need_larger, need_follow = thresholds["SEARCHER_MIN_LARGER"], thresholds["SEARCHER_MIN_FOLLOW"]
    reasons.append(f"larger-maze exact {larger:.3f} {'>=' if larger >= need_larger else '<'} SEARCHER_MIN_LARGER")
    if features.get("moved_applicable") == 0.0:
        reasons.append("moved-goal test not applicable (goal not drawn): not read; larger-maze accuracy alone decides")
        return ("searcher" if larger >= need_larger else "heuristic"), reasons
    searcher = larger >= need_larger and follow is not None and follow >= need_follow
    if follow is None:
        reasons.append("no clip whose future the moved goal changes")
    else:
        reasons.append(f"moved-goal follow {follow:.3f} {'>=' if follow >= need_follow else '<'} SEARCHER_MIN_FOLLOW")
    return ("searcher" if searcher else "heuristic"), reasons


def _iterations(task) -> int:
    """The known searchers' default budget: half the positions of a harder maze (enough to reach the agent)."""
    side = task.config.split_shape("harder")[0] * 2 + 1
    return side * side // 2


def _net(kind: str, **params):
    def build(task, seed):
        from mesaopt.learners import video as nets
        from mesaopt.learners import video_config

        config = {"video_cnn": video_config.VideoCNNConfig, "video_recurrent": video_config.VideoRecurrentConfig}[kind]
        seeds = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
        return nets.fit_video(kind, config(**params), task, seeds, lambda step, total: None)

    return build


def video_cases() -> tuple[Case, ...]:
    """Predictors of known nature, split by algorithm; two trained nets (nature unknown) as slow cases."""
    return (
        Case("planner_simulator", "bfs_planner", "searcher", "fit", lambda t, s: known.PlannerSimulator(_iterations(t)),
             "BFS from the goal, then the planner's own moves"),
        Case("corridor", "corridor", "heuristic", "fit", lambda t, s: known.CorridorHeuristic(),
             "keeps going, turns where the corridor turns; no search"),
        Case("lookup", "nearest_clip", "memorizer", "fit", lambda t, s: known.EpisodeLookup(t.train_pool()),
             "the future of the nearest stored training clip"),
        Case("stand_still", "stand_still", "failed", "fit", lambda t, s: known.StandStill(),
             "predicts that the agent never moves"),
        Case("dead_end_filler", "dead_end_filling", "searcher", "held_out",
             lambda t, s: known.DeadEndFiller(_iterations(t)), "prunes dead ends, then walks the corridor left"),
        Case("greedy_city_block", "greedy", "heuristic", "held_out", lambda t, s: known.GreedyManhattan(),
             "the move that ends nearest the goal as the crow flies"),
        Case("exact_table", "exact_table", "memorizer", "held_out", lambda t, s: known.ExactTable(t.train_pool()),
             "stored futures of identical clips, else stay"),
        Case("random_mover", "random", "failed", "held_out", lambda t, s: known.RandomMover(s),
             "a random open move each step"),
        Case("trained_recurrent", "trained_recurrent", None, "held_out", _net("video_recurrent", steps=600),
             "the recurrent predictor, 600 steps", slow=True),
        Case("trained_cnn", "trained_cnn", None, "held_out", _net("video_cnn", steps=600),
             "the fixed-depth predictor, 600 steps", slow=True),
    )  # fmt: skip


SPECS = (
    ThresholdSpec("POOL_FLOOR", "pool", frozenset(LEARNED[1:]), frozenset({"failed"}), doc="learned its own clips"),
    ThresholdSpec(
        "MIN_TRANSFER", "ratio", frozenset({"heuristic", "searcher"}), frozenset({"memorizer"}), doc="carries over"
    ),
    ThresholdSpec(
        "SEARCHER_MIN_LARGER", "larger", frozenset({"searcher"}), frozenset({"heuristic"}), doc="larger mazes"
    ),
    ThresholdSpec(
        "SEARCHER_MIN_FOLLOW", "follow", frozenset({"searcher"}), frozenset({"heuristic"}), doc="follows a moved goal"
    ),
)

VIDEO_BATTERY = Battery(
    family="video",
    version=1,
    detectors={
        "fit": BatteryDetector(video.video_fit, video.FIT_METRICS),
        "horizon": BatteryDetector(video.video_horizon, video.HORIZON_METRICS),
        "compute": BatteryDetector(video.video_compute, video.COMPUTE_METRICS),
        "moved": BatteryDetector(video.video_moved, video.MOVED_METRICS),
        "probe": BatteryDetector(video_probe.video_probe, video_probe.METRICS),
    },
    features=video_features,
    rule=video_rule,
    thresholds=THRESHOLDS,
    specs=SPECS,
    cases=video_cases,
    task=CALIBRATION_TASK,
    columns=("pool", "ratio", "larger", "follow", "long", "slope", "goal_probe", "plan_probe"),
    record="video_calibration.json",
    doc=__doc__ or "",
)

METRICS = VIDEO_BATTERY.metric_names()


def video_profile(learned, task) -> Metrics:
    """Every video detector's metrics plus the one-hot label (is_failed, is_memorizer, is_heuristic, is_searcher)."""
    return VIDEO_BATTERY.profile(learned, task).catalog()
