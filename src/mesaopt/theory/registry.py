"""The registry of analytic models; `mesaopt.theory.THEORIES` loads it on first use."""

from __future__ import annotations

from mesaopt.theory import icl_transition, priors, recursion, toy_model
from mesaopt.theory.contract import TheoryEntry

THEORIES: dict[str, TheoryEntry] = {
    "toy_model": TheoryEntry(
        "toy_model",
        "Seed 001 §2.1: how a base optimizer splits its bits between tuning a policy and building a learned search, "
        "as the number of distinct training instances N grows; fitted to the measured optimization power.",
        toy_model.ToyModelParams,
        toy_model.run,
    ),
    "priors": TheoryEntry(
        "priors",
        "Seed 003: description length and run time of the honest (Hfh), simple deceptive (Hsd) and fast deceptive "
        "(Hfd) structures, and which one a speed-plus-simplicity prior favours at each exchange rate g.",
        priors.PriorsParams,
        priors.run,
    ),
    "recursion": TheoryEntry(
        "recursion",
        "Seed 002: a top-level optimizer spawning mesa-optimizers that may overthrow it; the chance its objective "
        "still governs, the depth of the governing optimizer, and when the lineage settles for good.",
        recursion.RecursionParams,
        recursion.run,
    ),
    "icl_transition": TheoryEntry(
        "icl_transition",
        "In-context regression: the number of pretraining tasks M* at which a transformer turns from the dMMSE-like "
        "to the ridge-like predictor, read off measured runs with a bootstrap interval over seeds.",
        icl_transition.ICLTransitionParams,
        icl_transition.run,
    ),
}
"""Every analytic model by name."""
