"""Did the learners learn? The premise of every verdict: success on the training instances, per learner and condition.

A study's claims are about what training produced, so before a hypothesis is judged the report checks that each
learner it is about solved at least `analysis.TRAIN_SUCCESS_FLOOR` of its training instances (the transfer
detector's pool success, under whatever prefix the study runs it). A study of a family whose battery scores training
instances its own way (games: decisive accuracy; video: exact futures) and that runs no transfer detector is checked
on its battery's `failed` label instead, which that battery's calibration set for exactly this question: a condition
learned when the battery calls it failed in fewer than half its seeds (`training_success`). This module finds those
columns in a study's run table, names each condition, and builds the "did it learn?" table every study page shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from mesaopt.analysis import TRAIN_SUCCESS_FLOOR, TRAIN_SUCCESS_METRIC
from mesaopt.hypothesis import nominal

FAILED_LABEL_METRIC = "is_failed"
"""A battery profile's one-hot `failed` label ("games_profile.is_failed"): the premise when no pool success is run."""
NOVEL_SUCCESS_METRIC = "transfer.novel_success"
POOL_TRAINED_METRIC = "transfer.pool_trained"
HARDER_SUCCESS_METRIC = "extrapolation.success"


def column(frame: pd.DataFrame, metric: str) -> str | None:
    """The run-table column holding a detector metric under any prefix ("profile.transfer.pool_success"), or None."""
    names = [c for c in frame.columns if c == metric or c.endswith("." + metric)]
    return min(names, key=len) if names else None


def condition_names(frame: pd.DataFrame, axes: list[str], learner: str) -> pd.Series:
    """A readable name per run for its condition: "learner recurrent, task.pool_size=inf" (`learner` names the
    study's only learner when the learner is not an axis)."""

    def name(row: pd.Series) -> str:
        parts = [f"{a}={row[a]}" for a in axes if a != "learner"]
        return ", ".join([f"learner {row['learner'] if 'learner' in axes else learner}", *parts])

    if frame.empty:
        return pd.Series([], dtype=str)
    return frame.apply(name, axis=1)


def training_success(frame: pd.DataFrame) -> tuple[pd.Series, str] | None:
    """Per run, what the premise reads and what it is: pool success, or else 1 - the battery's `failed` label (so
    its mean over seeds is the share of seeds the battery does not call failed); None when the study has neither."""
    train = column(frame, TRAIN_SUCCESS_METRIC)
    if train is not None:
        return frame[train].astype(float), "train success"
    failed = column(frame, FAILED_LABEL_METRIC)
    if failed is not None:
        return 1.0 - frame[failed].astype(float), f"share of seeds not labelled failed ({failed})"
    return None


def learned_frame(frame: pd.DataFrame, axes: list[str], learner: str) -> pd.DataFrame | None:
    """One row per run: its condition and its training success; None when the study measures no training success."""
    found = training_success(frame)
    if found is None:
        return None
    return pd.DataFrame({"condition": condition_names(frame, axes, learner), "train": found[0]})


def _mean(values: pd.Series) -> str:
    values = values.dropna().to_numpy(dtype=float)
    if not len(values):
        return "not measured"
    text = f"{values.mean():.2f}"
    return text + (f" ({values.min():.2f}–{values.max():.2f})" if len(values) > 1 else "")


def learning_panel(study, frame: pd.DataFrame) -> dict[str, Any]:
    """The "did it learn?" table: train, novel and harder success per learner and condition, mean (min–max) over
    seeds, and whether the mean train success reaches the floor."""
    done = frame[frame["status"] == "done"]
    axes = list(study.axes)
    found = training_success(done)
    title = "Did it learn?"
    if found is None:
        text = (
            "No detector of this study measures success on the training instances, so whether the learners learned "
            "them is not checked here; the verdicts rest on the study's own metrics."
        )
        return {"title": title, "text": text, "link": None, "table": None, "figures": []}
    novel, trained = column(done, NOVEL_SUCCESS_METRIC), column(done, POOL_TRAINED_METRIC)
    harder = column(done, HARDER_SUCCESS_METRIC)
    rows = []
    train_values, train_name = found
    done = done.assign(_train=train_values)
    for condition, group in done.groupby(condition_names(done, axes, next(iter(study.body.learners))), sort=False):
        mean_train = group["_train"].dropna().to_numpy(dtype=float)
        learned = len(mean_train) and mean_train.mean() >= TRAIN_SUCCESS_FLOOR
        pool_is = "not measured"
        if trained is not None and group[trained].notna().any():
            exact = np.all(group[trained].dropna().to_numpy() == 1)
            pool_is = "its training set" if exact else "fresh draws of its training distribution"
        rows.append(
            [
                condition,
                str(len(group)),
                _mean(group["_train"]),
                pool_is,
                _mean(group[novel]) if novel else "not measured",
                _mean(group[harder]) if harder else "not measured",
                "yes" if learned else "NO",
            ]
        )
    text = (
        f"Success on the instances each learner was trained on (train), on novel instances of the same size, and on "
        f"harder (larger) ones: mean over seeds, with the range. A condition whose mean train success is below "
        f"{TRAIN_SUCCESS_FLOOR:g} did not learn what it was trained on, and every hypothesis about it is untestable."
        " Learners trained on an infinite pool are scored on fresh draws of the training distribution."
    )
    if train_name != "train success":
        text += (
            f" This study runs no pool-success detector: its train column is the {train_name}, the battery's own "
            "verdict on whether the learner learned its training instances."
        )
    head = ["condition", "runs", "train success", "train scored on", "novel success", "harder success", "learned?"]
    return {"title": title, "text": text, "link": None, "table": {"head": head, "rows": rows}, "figures": []}


TRANSITION_SUCCESS = 0.5
"""Novel success that marks the transition along an ordered axis (the diversity studies' N*): the first axis value at
which a learner solves more novel instances than it fails. The same bar as TRAIN_SUCCESS_FLOOR, read on novel
instances; not tuned to any study."""

TRANSITION_RESAMPLES = 1000
"""Resamples of whole seeds behind the transition's interval."""


def _first_crossing(means: np.ndarray) -> int:
    """Index of the first axis value whose mean reaches TRANSITION_SUCCESS; len(means) when none does."""
    reached = np.flatnonzero(means >= TRANSITION_SUCCESS)
    return int(reached[0]) if len(reached) else len(means)


def transition(values: pd.DataFrame, order: list, seed: int = 0) -> tuple[int, int, int]:
    """Index in `order` of the transition and its 95% interval over seed resamples (len(order): not reached).

    `values` has one row per run: seed, x (an axis value from `order`) and y (novel success).
    """
    table = values.pivot_table(index="seed", columns="x", values="y", aggfunc="mean").reindex(columns=order)
    matrix = table.to_numpy(dtype=float)
    point = _first_crossing(np.nanmean(matrix, axis=0))
    rng = np.random.default_rng(seed)
    picks = rng.integers(len(matrix), size=(TRANSITION_RESAMPLES, len(matrix)))
    crossings = [_first_crossing(np.nanmean(matrix[p], axis=0)) for p in picks]
    lo, hi = np.percentile(crossings, [2.5, 97.5], method="nearest")
    return point, int(lo), int(hi)


def transition_panel(study, frame: pd.DataFrame) -> dict[str, Any] | None:
    """Where along each ordered axis of three or more values each learner starts solving novel instances."""
    done = frame[frame["status"] == "done"]
    novel = column(done, NOVEL_SUCCESS_METRIC)
    axes = [a for a, v in study.axes.items() if len(v) >= 3 and not nominal(v)]
    if novel is None or not axes or done.empty:
        return None
    rows = []
    for axis in axes:
        order = study.axes[axis]
        others = [a for a in study.axes if a != axis]
        names = condition_names(done, others, next(iter(study.body.learners)))
        for condition, group in done.groupby(names, sort=False):
            values = pd.DataFrame({"seed": group["seed"], "x": group[axis], "y": group[novel]}).dropna()
            point, lo, hi = transition(values, order)
            shown = [*map(str, order), "not reached"]
            rows.append([axis, condition, shown[point], f"[{shown[lo]}, {shown[hi]}]"])
    text = (
        f"The transition is the first axis value at which mean novel success reaches {TRANSITION_SUCCESS:g}; the "
        f"interval is the 2.5th–97.5th percentile over {TRANSITION_RESAMPLES} resamples of whole seeds. With few "
        "axis values it can only say between which two values the transition lies."
    )
    head = ["axis", "condition", "transition", "95% interval"]
    return {"title": "Transition", "text": text, "link": None, "table": {"head": head, "rows": rows}, "figures": []}
