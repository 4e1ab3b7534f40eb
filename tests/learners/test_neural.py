"""Every neural learner trains at smoke scale, keeps the detector contract, and is deterministic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mesaopt.learners import LEARNERS, fit_learner
from mesaopt.learners.base import LearnedAlgorithm, no_progress
from mesaopt.learners.neural import fit_neural_many
from mesaopt.tasks import build_task

SMOKE = {
    "tabular": {"steps": 30},
    "mlp": {"steps": 30, "width": 64},
    "cnn": {"steps": 30, "width": 8, "depth": 3},
    "recurrent": {"steps": 30, "width": 8, "iterations": 4},
    "transformer": {"steps": 30, "width": 16, "heads": 2},
    "planner": {"steps": 30, "width": 4, "depth": 1},
    "hypernet": {"steps": 30, "width": 8, "iterations": 4, "code_size": 8},
}
ITERATING = ("recurrent", "planner", "hypernet")
CONV = ("cnn", "recurrent", "planner", "hypernet", "transformer")
HOOKS = {
    "tabular": "table",
    "mlp": "layer",
    "cnn": "layer",
    "recurrent": "recur",
    "transformer": "block",
    "planner": "vi",
    "hypernet": "recur",
}


@pytest.fixture(scope="module")
def maze():
    return build_task("maze", {"size": 3, "pool_size": 16, "eval_size": 32}, np.random.SeedSequence(7))


@pytest.fixture(scope="module")
def trained(maze):
    out = {}
    for kind, params in SMOKE.items():
        entry = LEARNERS[kind]
        out[kind] = entry.fit(entry.config.model_validate(params), maze, np.random.SeedSequence(1), lambda s, t: None)
    return out


def _bce(solver, batch, target) -> float:
    logits = solver.logits(batch)
    return float(torch.nn.functional.binary_cross_entropy_with_logits(logits, torch.from_numpy(target).float()))


@pytest.mark.parametrize("kind", list(SMOKE))
def test_training_beats_initialization(kind, maze, trained):
    solver = trained[kind]
    pool = maze.train_pool()
    target = maze.solutions(pool)
    assert _bce(solver, pool, target) < _bce(solver.untrained(), pool, target)
    assert solver.train_metrics["loss"][0] > solver.train_metrics["final_loss"]


@pytest.mark.parametrize("kind", list(SMOKE))
def test_contract(kind, maze, trained):
    solver = trained[kind]
    assert isinstance(solver, LearnedAlgorithm)
    novel = maze.novel(8)
    answer = solver.solve(novel)
    assert answer.dtype == bool and answer.shape == (8, 7, 7)
    states = solver.hidden_states(novel)
    assert states and all(name.startswith(HOOKS[kind] + ".") for name in states)
    assert all(len(v) == 8 for v in states.values())
    assert solver.size_bits() == 32 * solver.trained_parameters() > 0
    assert solver.compute_per_call() > 0
    assert isinstance(solver.describe(), str) and solver.describe()
    assert all(isinstance(v, np.ndarray) for v in solver.artifacts().values())
    assert (solver.default_iterations is not None) == (kind in ITERATING)


def test_cnn_states_its_receptive_field(trained):
    assert "receptive field 7x7" in trained["cnn"].describe()


def test_hypernet_size_is_its_code(trained):
    assert trained["hypernet"].size_bits() == 32 * SMOKE["hypernet"]["code_size"]


def test_hypernet_codes_a_recurrent_net_with_the_recipe_options(maze):
    """The recurrent target takes the recurrent learner's cell and open-only options and trains with its loss."""
    params = {**SMOKE["hypernet"], "cell": "norm", "open_only": True, "horizon": 3}
    solver = fit_learner("hypernet", params, maze, np.random.SeedSequence(1), no_progress)
    target = solver.module.target
    assert target.cell == "norm" and target.open_only
    assert "unit RMS" in solver.describe() and "open cells only" in solver.describe()
    pool = maze.train_pool()
    assert _bce(solver, pool, maze.solutions(pool)) < _bce(solver.untrained(), pool, maze.solutions(pool))


def test_hypernet_refuses_recurrent_options_for_a_cnn_target():
    with pytest.raises(ValueError, match="recurrent target only"):
        LEARNERS["hypernet"].config.model_validate({"target": "cnn", "cell": "relu"})


@pytest.mark.parametrize("kind", ITERATING)
def test_iterations_are_free_and_sizes_too(kind, trained):
    solver = trained[kind]
    big = build_task("maze", {"size": 5, "eval_size": 4}, np.random.SeedSequence(3)).novel()
    for k in (1, 3, 9):
        assert solver.solve(big, iterations=k).shape == (4, 11, 11)
    states = solver.hidden_states(big, iterations=5)
    prefix = HOOKS[kind]
    assert sorted(states) == sorted(f"{prefix}.{t}" for t in range(5))
    assert solver.hidden_states(big, iterations=5)[f"{prefix}.4"].shape[0] == 4


def test_recurrent_compute_grows_with_iterations(maze):
    entry = LEARNERS["recurrent"]
    costs = []
    for t in (2, 8):
        config = entry.config.model_validate({**SMOKE["recurrent"], "steps": 1, "iterations": t})
        costs.append(entry.fit(config, maze, np.random.SeedSequence(0), lambda s, t: None).compute_per_call())
    assert 3 < costs[1] / costs[0] < 4.5


@pytest.mark.parametrize("kind", ["cnn", "recurrent"])
def test_same_seed_same_metrics(kind, maze):
    entry = LEARNERS[kind]
    config = entry.config.model_validate({**SMOKE[kind], "steps": 8})
    runs = [entry.fit(config, maze, np.random.SeedSequence(s), lambda *_: None).train_metrics for s in (4, 4, 5)]
    assert runs[0]["loss"] == runs[1]["loss"]
    assert runs[0]["loss"] != runs[2]["loss"]


@pytest.mark.parametrize(
    "kind",
    [
        "cnn",
        "tabular",
        pytest.param("recurrent", marks=pytest.mark.slow),
        pytest.param("planner", marks=pytest.mark.slow),
    ],
)
def test_group_training_matches_one_by_one(kind):
    seeds = [np.random.SeedSequence(s) for s in (0, 1, 2)]
    tasks = [build_task("maze", {"size": 3, "pool_size": 8, "eval_size": 8}, s) for s in seeds]
    entry = LEARNERS[kind]
    params = {**SMOKE[kind], "steps": 10}
    together = fit_neural_many(kind, entry.config.model_validate({**params, "ensemble": "vmap"}), tasks, seeds)
    apart = [
        entry.fit(entry.config.model_validate(params), t, s, lambda *_: None) for t, s in zip(tasks, seeds, strict=True)
    ]
    for a, b, task in zip(together, apart, tasks, strict=True):
        np.testing.assert_allclose(a.train_metrics["loss"], b.train_metrics["loss"], atol=1e-5, rtol=0)
        np.testing.assert_array_equal(a.solve(task.novel()), b.solve(task.novel()))


def test_recurrent_options_train(maze):
    entry = LEARNERS["recurrent"]
    options = (
        {"stateful": True},
        {"ponder_cost": 0.01},
        {"tied": False, "progressive": False},
        {"deep_supervision": True},
        {"cell": "norm", "open_only": True, "horizon": 3.0},
        {"stateful": True, "cell": "norm", "open_only": True, "horizon": 3.0},
    )
    for extra in options:
        config = entry.config.model_validate({**SMOKE["recurrent"], **extra})
        solver = entry.fit(config, maze, np.random.SeedSequence(0), lambda *_: None)
        assert solver.solve(maze.novel(40)).shape == (40, 7, 7)
        assert solver.train_metrics["loss"][0] > solver.train_metrics["final_loss"]
        if "ponder_cost" in extra:
            assert 1 <= solver.train_metrics["expected_steps"] <= SMOKE["recurrent"]["iterations"]


def test_a_stateful_group_fitted_one_by_one_carries_no_memory_from_one_member_to_the_next():
    """Stateful nets cannot be stacked, so a group trains its members in turn with one loss function: each must
    start with no memory, exactly as when fitted alone."""
    seeds = [np.random.SeedSequence(s) for s in (0, 1)]
    tasks = [build_task("maze", {"size": 3, "pool_size": 8, "eval_size": 8}, s) for s in seeds]
    entry = LEARNERS["recurrent"]
    config = entry.config.model_validate({**SMOKE["recurrent"], "steps": 6, "stateful": True, "cell": "norm"})
    together = fit_neural_many("recurrent", config, tasks, seeds)
    for solver, task, seed in zip(together, tasks, seeds, strict=True):
        alone = entry.fit(config, task, seed, lambda *_: None)
        assert solver.train_metrics["loss"] == alone.train_metrics["loss"]


def test_the_stateful_loss_starts_from_the_carried_state_unless_the_memory_is_wiped(maze):
    from mesaopt.learners.neural import STATE_RESET, STATE_STREAM, make_loss

    config = LEARNERS["recurrent"].config.model_validate({**SMOKE["recurrent"], "stateful": True, "progressive": False})
    seen: list[torch.Tensor | None] = []

    def model(x, iterations=None, state=None, start=0, output="logits"):
        if output == "state":
            seen.append(state)
            return torch.full((len(x), 2, *x.shape[2:]), float(len(seen)))
        return state[:, 0]

    loss_fn = make_loss(config)
    x = torch.from_numpy(np.asarray(maze.novel(4).inputs)).float()
    y = torch.zeros(4, *x.shape[2:])
    steps = range(12)
    for step in steps:
        loss_fn(model, (x, y), step)
    wiped = [np.random.default_rng([STATE_STREAM, step]).random() < STATE_RESET for step in steps]
    assert 0 < sum(wiped) < len(wiped)
    assert seen[0] is None
    for step in steps[1:]:
        if wiped[step]:
            assert seen[step] is None
        else:
            torch.testing.assert_close(seen[step], torch.tanh(torch.full_like(seen[step], float(step))))


def test_the_progressive_prefix_grows_from_t_to_horizon_t():
    from mesaopt.learners.neural import prefix_bound

    entry = LEARNERS["recurrent"]
    plain = entry.config.model_validate({"steps": 100, "iterations": 10, "horizon": 1.0})
    assert {prefix_bound(plain, step) for step in range(100)} == {10}
    grown = entry.config.model_validate({"steps": 100, "iterations": 10, "horizon": 3.0, "horizon_start": 0.5})
    bounds = [prefix_bound(grown, step) for step in range(100)]
    assert bounds[:51] == [10] * 51
    assert bounds == sorted(bounds) and 28 <= bounds[-1] <= 30


def test_norm_cell_state_is_bounded_and_open_only_state_stays_off_walls(maze):
    from mesaopt.learners.models.recurrent import RecurrentNet

    torch.manual_seed(0)
    x = torch.from_numpy(np.asarray(maze.novel(4).inputs)).float()
    for cell, bounded in (("relu", False), ("norm", True)):
        net = RecurrentNet(width=8, depth=2, iterations=4, cell=cell, open_only=True)
        with torch.no_grad():
            for block in net.blocks:
                for conv in block.convs:
                    conv.weight.mul_(4.0)  # an expanding step: the relu state grows without bound
            h = net(x, iterations=60, output="state")
        rms = h.pow(2).mean(dim=1).sqrt()
        assert (rms.max() <= 1.0) == bounded
        walls = x[:, 0] == 0
        assert float(h.abs().sum(dim=1)[walls].max()) == 0.0


def test_nan_loss_makes_a_failed_run_with_the_reason(monkeypatch):
    from mesaopt import execute
    from mesaopt.learners import neural
    from mesaopt.study import RunSpec

    real = neural.make_loss

    def poisoned(config):
        loss_fn = real(config)
        return lambda model, batch, step: loss_fn(model, batch, step)[0] * float("nan")

    monkeypatch.setattr(neural, "make_loss", poisoned)
    task = {"name": "maze", "size": 3, "pool_size": 4, "eval_size": 8}
    spec = RunSpec("nan", task, {"name": "cnn", **SMOKE["cnn"]}, ("transfer",), 0)
    record = execute.execute_run(spec.to_json())
    assert record.status == "failed"
    assert "TrainingDiverged" in record.error and "loss is nan at step 0" in record.error


def test_a_run_group_gives_each_spec_its_metrics_alone():
    from mesaopt.execute import execute_group, execute_run, plan_jobs
    from mesaopt.study import RunSpec

    task = {"name": "maze", "size": 3, "pool_size": 8, "eval_size": 16}
    learner = {"name": "cnn", **SMOKE["cnn"], "steps": 6}
    specs = [RunSpec("g", task, learner, ("transfer",), seed, fit_with=(0, 1, 2)) for seed in (0, 1, 2)]
    other = RunSpec("g", task, {"name": "lookup"}, ("transfer",), 0)
    jobs = plan_jobs([*specs, other])
    assert [len(j.specs) for j in jobs] == [3, 1]
    together = execute_group(jobs[0].specs)
    alone = [execute_run(s.to_json()) for s in specs]
    for a, b in zip(together, alone, strict=True):
        assert a.status == b.status == "done" and a.run_id == b.run_id
        assert a.metrics.keys() == b.metrics.keys()
        for key in a.metrics:
            np.testing.assert_allclose(a.metrics[key], b.metrics[key], atol=1e-5, rtol=0, err_msg=key)


def test_solve_at_equals_one_solve_per_count():
    """Reading out on the way gives exactly what a fresh solve at each count gives (the compute detector relies
    on it to pay for the largest count only)."""
    from mesaopt.learners.base import solve_at

    task = build_task("maze", {"size": 3, "eval_size": 16, "pool_size": 16}, np.random.SeedSequence(0))
    params = {"steps": 5, "width": 4, "iterations": 4, "cell": "norm", "open_only": True}
    net = fit_learner("recurrent", params, task, np.random.SeedSequence(0), no_progress)
    batch = task.harder(40)
    counts = [1, 8, 2, 3, 8]
    for answer, n in zip(solve_at(net, batch, counts), counts, strict=True):
        assert (answer == net.solve(batch, n)).all()


def test_ponder_cost_off_is_no_halting_and_the_same_config():
    """A sweep writes "off" for no halting (TOML has no null); it must resolve to exactly the default config, so that
    a run with halting switched off shares its id with the same net written without ponder_cost."""
    config = LEARNERS["recurrent"].config
    assert config.model_validate({"ponder_cost": "off"}).model_dump() == config().model_dump()
    assert config.model_validate({"ponder_cost": 0.0}).ponder_cost == 0.0
    with pytest.raises(ValueError):
        config.model_validate({"ponder_cost": "none"})


def test_weight_decay_lowers_the_reported_weight_norm(maze):
    entry = LEARNERS["recurrent"]
    norms = []
    for decay in (0.0, 30.0):
        config = entry.config.model_validate({**SMOKE["recurrent"], "weight_decay": decay, "lr": 0.01})
        solver = entry.fit(config, maze, np.random.SeedSequence(0), lambda *_: None)
        norms.append(solver.train_metrics["weight_norm"])
    assert norms[1] < norms[0]
