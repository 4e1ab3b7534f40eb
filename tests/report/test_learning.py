"""The "did it learn?" table and the premise frame read training success under any detector prefix."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from mesaopt.analysis import premise_failures
from mesaopt.report.learning import learned_frame, learning_panel


def _study(axes: dict) -> SimpleNamespace:
    return SimpleNamespace(axes=axes, body=SimpleNamespace(learners={"recurrent": {}, "tabular": {}}))


def _frame() -> pd.DataFrame:
    rows = []
    for learner, train, novel in (("recurrent", 0.02, 0.0), ("tabular", 1.0, 0.1)):
        for seed in (0, 1):
            rows.append(
                {
                    "learner": learner,
                    "task.pool_size": "inf",
                    "seed": seed,
                    "status": "done",
                    "profile.transfer.pool_success": train,
                    "profile.transfer.novel_success": novel,
                    "profile.transfer.pool_trained": 0.0,
                }
            )
    return pd.DataFrame(rows)


def test_the_table_names_each_condition_and_says_which_did_not_learn():
    panel = learning_panel(_study({"task.pool_size": ["inf"], "learner": ["recurrent", "tabular"]}), _frame())
    rows = {row[0]: row for row in panel["table"]["rows"]}
    recurrent = rows["learner recurrent, task.pool_size=inf"]
    assert recurrent[2] == "0.02 (0.02–0.02)" and recurrent[-1] == "NO"
    assert rows["learner tabular, task.pool_size=inf"][-1] == "yes"
    assert recurrent[3] == "fresh draws of its training distribution" and recurrent[5] == "not measured"


def test_the_premise_names_the_learner_that_did_not_learn():
    learned = learned_frame(_frame(), ["learner", "task.pool_size"], "recurrent")
    assert premise_failures(learned) == ["learner recurrent, task.pool_size=inf: train success 0.02 < 0.5"]
    no_success = _frame().drop(columns=["profile.transfer.pool_success"])
    assert learned_frame(no_success, ["learner"], "recurrent") is None
    assert learning_panel(_study({"learner": ["recurrent"]}), no_success)["table"] is None


def test_without_pool_success_the_premise_reads_the_battery_failed_label():
    rows = [
        {
            "learner": learner,
            "seed": seed,
            "status": "done",
            "games_profile.is_failed": failed,
            "label_agreement.battery_is_failed": 0.0,
        }
        for learner, labels in (("mlp", (1.0, 1.0)), ("recurrent", (1.0, 0.0)))
        for seed, failed in enumerate(labels)
    ]
    frame = pd.DataFrame(rows)
    learned = learned_frame(frame, ["learner"], "mlp")
    assert premise_failures(learned) == ["learner mlp: train success 0.00 < 0.5"]
    panel = learning_panel(_study({"learner": ["mlp", "recurrent"]}), frame)
    assert {row[0]: row[-1] for row in panel["table"]["rows"]} == {"learner mlp": "NO", "learner recurrent": "yes"}
    assert "not labelled failed (games_profile.is_failed)" in panel["text"]


def test_the_transition_is_the_first_value_reaching_half_with_a_seed_interval():
    from mesaopt.report.learning import transition

    order = [1, 16, 256, "inf"]
    novel = {0: [0.0, 0.0, 0.9, 1.0], 1: [0.0, 0.1, 0.8, 0.9], 2: [0.0, 0.6, 0.9, 1.0]}
    values = pd.DataFrame(
        [{"seed": s, "x": x, "y": y} for s, ys in novel.items() for x, y in zip(order, ys, strict=True)]
    )
    point, lo, hi = transition(values, order)
    assert (point, lo, hi) == (2, 1, 2)  # mean at 16 is 0.23; one seed alone crosses there
    never = values.assign(y=0.1)
    assert transition(never, order) == (4, 4, 4)
