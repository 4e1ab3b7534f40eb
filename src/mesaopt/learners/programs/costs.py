"""Seed 003's components and structures measured on the DSL interpreter, for `mesaopt.theory.priors`."""

from __future__ import annotations

import numpy as np

from mesaopt.learners.programs.interpret import run
from mesaopt.tasks.words import DeployConfig, DeployTask, structures


def measured_costs(bits: int = 6, key_words: int = 1, episodes: int = 32, seed: int = 0) -> dict[str, dict[str, float]]:
    """{name: {"c": bits, "t": mean steps on training episodes}} for priors.COMPONENTS and Hfh, Hsd, Hfd.

    Components are differences of measured programs: search is Hfh without its objective; deploy_check is what Hfd
    adds to Hfh and simple_obj (the if on the mode); instrumental is what Hsd adds to simple_obj and search (the
    mode check and the rederiving search).
    """
    task = DeployTask(DeployConfig(bits=bits, key_words=key_words, pool_size=episodes), np.random.SeedSequence(seed))
    train = task.train_pool()
    dsl = task.dsl
    programs = structures(bits, key_words)

    def measure(name: str) -> tuple[float, float]:
        node = programs[name]
        return float(dsl.cost(node)), float(run(dsl, node, train.inputs)[1].mean())

    out = {name: measure(name) for name in ("Hfh", "Hsd", "Hfd", "get_base_obj", "simple_obj")}
    search = (out["Hfh"][0] - out["get_base_obj"][0], out["Hfh"][1] - out["get_base_obj"][1])
    check_c = out["Hfd"][0] - out["Hfh"][0] - out["simple_obj"][0]
    check_t = out["Hfd"][1] - out["Hfh"][1]
    out["search"] = search
    out["deploy_check"] = (float(check_c), float(check_t))
    out["instrumental"] = (
        out["Hsd"][0] - out["simple_obj"][0] - search[0],
        out["Hsd"][1] - out["simple_obj"][1] - search[1],
    )
    return {name: {"c": c, "t": t} for name, (c, t) in out.items()}
