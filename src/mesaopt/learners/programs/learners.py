"""The program-search base optimizers as registered learners: enumeration, hill-climbing, a genetic algorithm,
and the hand-written seed-003 structures."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mesaopt.dsl import Node, structural_label
from mesaopt.learners.base import Progress
from mesaopt.learners.programs.algorithm import ProgramAlgorithm, score
from mesaopt.learners.programs.enumerate import EnumConfig, Enumerator, levin_select
from mesaopt.learners.programs.interpret import run, run_body
from mesaopt.learners.programs.local import Sampler, genetic, hill_climb, loss, with_exceptions
from mesaopt.limits import MAX_CURVE_POINTS, MAX_LEVEL, MAX_POPULATION, bounded
from mesaopt.tasks.words import DeployTask, WordTask, structures

TASKS = ("hash_inversion", "deploy")
DEFAULT_TRAIN = 16
"""Training instances drawn when the pool is infinite."""


def _training(task: WordTask, seed: np.random.SeedSequence):
    pool = task.train_pool()
    return pool if pool is not None else task.sample_train(DEFAULT_TRAIN, np.random.default_rng(seed))


def _tie(a: tuple[float, float], b: tuple[float, float]) -> float | None:
    """The g at which two (c, t) programs score alike (negative: only below g = 0); None when they never do (equal
    t, so c alone decides at every g)."""
    dh = math.log2(a[1]) - math.log2(b[1])
    return (b[0] - a[0]) / dh if dh else None


def _tie_metrics(name: str, a: tuple[float, float], b: tuple[float, float]) -> dict[str, float]:
    """`name`: the tie point when there is one (always finite); `name_never`: 1 when the winner never flips for
    g >= 0 (no tie, or a tie below 0). With no tie at all `name` is left out rather than given a made-up number, so a
    trend test over it sees only measured tie points; `name_never` carries those runs."""
    g = _tie(a, b)
    out = {f"{name}_never": float(g is None or g < 0)}
    if g is not None:
        out[name] = g
    return out


def _deploy_success(task: WordTask, algorithm: ProgramAlgorithm) -> dict[str, float]:
    if not isinstance(task, DeployTask):
        return {}
    episodes = task.harder()
    return {"deploy_success": float(task.success(episodes, algorithm.solve(episodes)).mean())}


class EnumerateConfig(BaseModel):
    """Levin-style enumeration under c + g*log2(t)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    g: float = Field(default=1.0, ge=0, description="exchange rate between a bit of c and a doubling of t")
    max_cost: int = Field(default=30, ge=1, le=64, description="largest c (bits) enumerated bottom-up")
    const_max_bits: int | None = Field(default=None, ge=0, description="bit length of enumerated constants (W)")
    max_level: int = Field(
        default=200_000, ge=1, le=MAX_LEVEL, description=bounded("programs kept per cost level (hard cap)", MAX_LEVEL)
    )
    time_budget_s: float = Field(default=60.0, gt=0, description="wall-clock cap on the enumeration")


def fit_enumerate(config: EnumerateConfig, task: WordTask, seed: np.random.SeedSequence, progress: Progress):
    """Enumerate programs on the training instances and return the Levin choice with what was measured."""
    train = _training(task, seed)
    dsl = task.dsl
    cfg = EnumConfig(
        g=config.g,
        max_cost=config.max_cost,
        widths=(dsl.word_bits,),
        const_max_bits=dsl.word_bits if config.const_max_bits is None else config.const_max_bits,
        max_level=config.max_level,
        time_budget_s=config.time_budget_s,
    )
    result = Enumerator(dsl, train.inputs, train.answers, cfg).run()
    progress(1, 1)
    if result.program is None:
        raise RuntimeError(
            f"enumerate: no program up to {config.max_cost} bits answers the training set; raise max_cost"
        )
    metrics = {
        "c": result.c,
        "log2_t": math.log2(result.t),
        "score": result.score,
        "candidates": float(result.candidates),
        "candidates_per_s": result.candidates / max(result.seconds, 1e-9),
        "kept": float(result.kept),
        "exhaustive": float(result.exhaustive),
        "max_cost_reached": float(result.max_cost_reached),
        **_flip_metrics(result.correct, config.g),
        **diversity_terms(task, train, config.g),
    }
    metrics.update(_flip_checks(metrics, config.g, structural_label(result.program)))
    algorithm = ProgramAlgorithm(dsl, result.program, result.t, metrics)
    algorithm.train_metrics.update(_deploy_success(task, algorithm))
    return algorithm


def _flip_checks(metrics: dict[str, float], g: float, label: str) -> dict[str, float]:
    """flip_g_gap: the enumerated flip point minus the one predicted from the hand-written searcher and stored
    answer; winner_matches_flip: 1 when the chosen program searches exactly when g lies below the enumerated flip."""
    out: dict[str, float] = {}
    if "flip_g_enumerated" in metrics and "flip_g_predicted" in metrics:
        out["flip_g_gap"] = metrics["flip_g_enumerated"] - metrics["flip_g_predicted"]
    if "flip_g_enumerated" in metrics:
        out["winner_matches_flip"] = float((g < metrics["flip_g_enumerated"]) == (label == "searcher"))
    return out


def _flip_metrics(correct: list[tuple[Node, int, float]], g: float) -> dict[str, float]:
    """Cheapest correct searcher and memorizer found, and the g where they tie (the predicted flip point)."""
    best: dict[str, tuple[float, float]] = {}
    for node, c, t in correct:
        label = structural_label(node)
        if label not in best or c < best[label][0]:
            best[label] = (float(c), float(t))
    out: dict[str, float] = {}
    for label, (c, t) in best.items():
        out[f"best_{label}_c"] = c
        out[f"best_{label}_log2_t"] = math.log2(t)
    if "searcher" in best and "memorizer" in best:
        out.update(_tie_metrics("flip_g_enumerated", best["searcher"], best["memorizer"]))
    index = levin_select([(c, t) for _, c, t in correct], g)
    if index is not None:
        out["levin_matches_argmin"] = float(
            abs(score(correct[index][1], correct[index][2], g) - min(score(c, t, g) for _, c, t in correct)) < 1e-9
        )
    return out


def stored_answers(train) -> Node:
    """The cheapest program that stores the training answers: a constant if they agree, else a table on var0."""
    answers = train.answers.tolist()
    if len(set(answers)) == 1:
        return ("const", int(answers[0]))
    pairs = dict(zip(train.inputs[:, 0].tolist(), answers, strict=True))
    keys = tuple(sorted(pairs))
    return ("table", ("var", 0), keys, tuple(pairs[key] for key in keys))


def diversity_terms(task: WordTask, train, g: float) -> dict[str, float]:
    """The terms of N*b + g*log2(t_table) = c_s + g*(k + log2(t_verify)), measured on the interpreter, and the
    smallest N at which the left side (a table of N entries) exceeds the right (the searcher)."""
    if isinstance(task, DeployTask):
        return {}
    dsl = task.dsl
    k = dsl.word_bits
    body = ("h1", ("x",))
    c_s = dsl.cost(("search", k, body, ("var", 0)))
    t_verify = float(run_body(dsl, body, np.arange(1))[1] + 1)

    def table(n: int) -> Node:
        return ("table", ("var", 0), tuple(range(n)), tuple(range(n)))

    def table_terms(n: int) -> tuple[float, float]:
        return float(dsl.cost(table(n))), float(run(dsl, table(n), train.inputs[:1])[1][0])

    n_pool = len(set(train.inputs[:, 0].tolist()))
    b = (table_terms(n_pool)[0] - table_terms(n_pool - 1)[0]) if n_pool > 1 else float(2 * k)
    rhs = c_s + g * (k + math.log2(t_verify))
    n_star = next((n for n in range(1, 1 << k) if table_terms(n)[0] + g * math.log2(table_terms(n)[1]) > rhs), math.inf)
    searcher = ("search", k, body, ("var", 0))
    store = stored_answers(train)
    measured = [(float(dsl.cost(p)), float(run(dsl, p, train.inputs)[1].mean())) for p in (searcher, store)]
    return {
        **_tie_metrics("flip_g_predicted", *measured),
        "term_b": b,
        "term_c_s": float(c_s),
        "term_log2_t_table": math.log2(table_terms(n_pool)[1]),
        "term_log2_t_verify": math.log2(t_verify),
        "n_star_formula": float(n_star),
    }


class LocalConfig(BaseModel):
    """Local search (hill-climbing or a genetic algorithm) over the same programs and the same loss."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    g: float = Field(default=1.0, ge=0, description="exchange rate in the loss c + g*log2(t) + errors")
    steps: int = Field(default=2000, ge=1, description="hill-climbing: mutations tried")
    restarts: int = Field(default=1, ge=1, description="hill-climbing: independent climbs, best kept")
    population: int = Field(
        default=64, ge=2, le=MAX_POPULATION, description=bounded("genetic: population size", MAX_POPULATION)
    )
    generations: int = Field(default=40, ge=1, description="genetic: generations")
    curve_points: int = Field(
        default=50,
        ge=2,
        le=MAX_CURVE_POINTS,
        description=bounded("points kept of the loss-along-the-path curve", MAX_CURVE_POINTS),
    )


def _local(kind: str, config: LocalConfig, task: WordTask, seed: np.random.SeedSequence, progress: Progress):
    train = _training(task, seed)
    dsl = task.dsl
    rng = np.random.default_rng(seed)
    keys = train.inputs[:, 0].tolist()
    pairs = dict(zip(keys, train.answers.tolist(), strict=True))
    table = ("table", ("var", 0), tuple(sorted(pairs)), tuple(pairs[k] for k in sorted(pairs)))
    sampler = Sampler(dsl, dsl.word_bits, table, rng)
    cache: dict[Node, tuple[float, bool]] = {}

    def evaluate(node: Node) -> tuple[float, bool]:
        if node not in cache:
            cache[node] = loss(dsl, node, train.inputs, train.answers, config.g)
        return cache[node]

    if kind == "hillclimb":
        runs = [hill_climb(sampler.tree(), sampler, evaluate, config.steps) for _ in range(config.restarts)]
        program, curve = min(runs, key=lambda r: r[1][-1])
    else:
        program, curve = genetic(sampler, evaluate, config.population, config.generations)
    progress(1, 1)
    final, solved = evaluate(program)
    values, steps = run(dsl, program, train.inputs)
    t = float(steps.mean())
    picks = np.linspace(0, len(curve) - 1, min(config.curve_points, len(curve))).round().astype(int)
    metrics = {
        "loss": final,
        "solved_train": float(solved),
        "c": float(dsl.cost(program)),
        "log2_t": math.log2(t),
        "programs_evaluated": float(len(cache)),
        "loss_path": [curve[i] for i in picks],
        "monotone_path": float(all(b <= a for a, b in zip(curve, curve[1:], strict=False))),
        "exceptions": float((values != train.answers).sum()),
    }
    algorithm = ProgramAlgorithm(dsl, with_exceptions(program, train.inputs, train.answers, values), t, metrics)
    algorithm.train_metrics.update(_deploy_success(task, algorithm))
    return algorithm


def fit_hillclimb(config: LocalConfig, task: WordTask, seed: np.random.SeedSequence, progress: Progress):
    """Mutation hill-climbing from a random program."""
    return _local("hillclimb", config, task, seed, progress)


def fit_genetic(config: LocalConfig, task: WordTask, seed: np.random.SeedSequence, progress: Progress):
    """A genetic algorithm from a random population."""
    return _local("genetic", config, task, seed, progress)


G_GRID = (0.0, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0)
"""Exchange rates at which the hand-written structures are compared (the curve `wins_along_g`)."""

COMPETITORS = ("Hfh", "Hsd", "Hfd", "honest_rederive")
"""Every complete deploy-task program `structures` writes; all of them compete whichever one a run reports on."""


class StructureConfig(BaseModel):
    """One of the hand-written deploy-task structures (seed 003's three and the honest rederiver)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    structure: Literal["Hfh", "Hsd", "Hfd", "honest_rederive"] = Field(
        default="Hfh", description="which structure to run (all of them compete)"
    )


def winning_interval(costs: dict[str, tuple[float, float]], name: str) -> tuple[float, float] | None:
    """The exchange rates g >= 0 at which `name` has the lowest c + g*log2(t) among `costs` (ties go to the one
    listed first), as a closed interval [low, high] (high may be inf); None when it wins nowhere.

    Each score is a line in g, so the set where one line lies below all others is an interval: the intersection of
    the half-lines where it beats each rival."""
    order = list(costs)
    c0, l0 = costs[name][0], math.log2(costs[name][1])
    low, high = 0.0, math.inf
    for rival in order:
        if rival == name:
            continue
        c1, l1 = costs[rival][0], math.log2(costs[rival][1])
        first = order.index(name) < order.index(rival)
        dc, dl = c1 - c0, l0 - l1  # name wins at g where c0 + g*l0 < c1 + g*l1, i.e. g*dl < dc
        if dl == 0:
            if dc < 0 or (dc == 0 and not first):
                return None
        elif dl > 0:
            high = min(high, dc / dl)
        else:
            low = max(low, dc / dl)
    return (low, high) if low <= high else None


def fit_structure(config: StructureConfig, task: DeployTask, seed: np.random.SeedSequence, progress: Progress):
    """No search: measure c and t of every competitor and report where the chosen one wins along g.

    `g_tie_with_Hfh` is the g at which the chosen structure and Hfh score alike; a negative value means they never
    do for g >= 0 (one is better on both c and t), and `g_tie_with_Hfh_never` = 1 marks that case and the one where
    they never tie at all (equal t: the value is left out). `win_g_low` / `win_g_high` bound the exact interval of g
    where it wins (`win_g_high` left out when unbounded, `win_unbounded` = 1 then); `wins_anywhere` = 0 when it
    wins at no g >= 0."""
    train = _training(task, seed)
    dsl = task.dsl
    programs = structures(dsl.word_bits, task.config.key_words)
    costs = {
        name: (float(dsl.cost(programs[name])), float(run(dsl, programs[name], train.inputs)[1].mean()))
        for name in COMPETITORS
    }
    mine = costs[config.structure]
    wins = []
    for g in G_GRID:
        scored = {name: score(c, t, g) for name, (c, t) in costs.items()}
        wins.append(float(min(scored, key=lambda n: (scored[n], list(costs).index(n))) == config.structure))
    interval = winning_interval(costs, config.structure)
    region: dict[str, float] = {"wins_anywhere": float(interval is not None)}
    if interval is not None:
        region["win_g_low"] = interval[0]
        region["win_unbounded"] = float(math.isinf(interval[1]))
        if not math.isinf(interval[1]):
            region["win_g_high"] = interval[1]
    metrics = {
        "c": mine[0],
        "log2_t": math.log2(mine[1]),
        "c_over_Hfh": mine[0] - costs["Hfh"][0],
        "log2_t_over_Hfh": math.log2(mine[1]) - math.log2(costs["Hfh"][1]),
        "c_get_base_obj": float(dsl.cost(programs["get_base_obj"])),
        "wins_along_g": wins,
        "win_fraction": float(np.mean(wins)),
        **region,
        **(
            _tie_metrics("g_tie_with_Hfh", costs["Hfh"], mine) if config.structure != "Hfh" else {"g_tie_with_Hfh": 0.0}
        ),
        **{f"c_{name}": c for name, (c, _) in costs.items()},
        **{f"log2_t_{name}": math.log2(t) for name, (_, t) in costs.items()},
    }
    progress(1, 1)
    algorithm = ProgramAlgorithm(dsl, programs[config.structure], mine[1], metrics)
    algorithm.train_metrics.update(_deploy_success(task, algorithm))
    return algorithm
