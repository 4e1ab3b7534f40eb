"""The essays' analytic models as plain functions: seed 001's toy model, seed 003's priors, seed 002's recursion.

Each model has a pydantic params class (its documented knobs), a `run(params, out_dir, context)` that writes its
plots and returns a `TheoryOutput`, and an entry in `THEORIES`, which the CLI (`mesaopt theory NAME`) and the
report's Theory page read.
"""

from __future__ import annotations

from typing import Any

__all__ = ["THEORIES"]


def __getattr__(name: str) -> Any:
    """Load the registry (and with it matplotlib) only when someone asks for it, keeping `mesaopt` quick to start."""
    if name == "THEORIES":
        from mesaopt.theory.registry import THEORIES

        return THEORIES
    raise AttributeError(f"module 'mesaopt.theory' has no attribute {name!r}")
