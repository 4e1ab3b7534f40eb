"""`mesaopt theory NAME [--param value ...]`: run one analytic model with the reader's assumptions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

console = Console()
errors = Console(stderr=True)

CONTEXT_SETTINGS = {"allow_extra_args": True, "ignore_unknown_options": True}
"""Click settings that hand the model's `--param value` pairs to the command untouched."""


class TheoryInputError(ValueError):
    """The command line names an unknown model or parameter, or gives a bad value."""


def _fail(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(2)


def parse_params(tokens: list[str]) -> dict[str, str]:
    """`--key value` and `--key=value` pairs as {key: value}; dashes in keys become underscores."""
    found: dict[str, str] = {}
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if not token.startswith("--") or token == "--":
            raise TheoryInputError(f"expected a parameter such as --name value, got {token!r}")
        key, has_value, value = token[2:].partition("=")
        if not has_value:
            if index + 1 >= len(tokens) or tokens[index + 1].startswith("--"):
                raise TheoryInputError(f"parameter --{key} needs a value")
            value = tokens[index + 1]
            index += 1
        key = key.replace("-", "_")
        if key in found:
            raise TheoryInputError(f"parameter --{key} is given twice")
        found[key] = value
        index += 1
    return found


def describe_params(params_cls) -> list[tuple[str, str, str]]:
    """(name, default, help) for each knob of a model."""
    return [(name, repr(info.default), info.description or "") for name, info in params_cls.model_fields.items()]


def build_params(name: str, raw: dict[str, str]):
    """Validate the raw strings into the model's params; TheoryInputError names the parameter, value and rule."""
    import pydantic

    from mesaopt.theory import THEORIES

    entry = THEORIES.get(name)
    if entry is None:
        raise TheoryInputError(f"unknown model {name!r}; available: {', '.join(THEORIES)}")
    known = list(entry.params.model_fields)
    unknown = [key for key in raw if key not in known]
    if unknown:
        raise TheoryInputError(
            f"unknown parameter {', '.join('--' + key for key in unknown)} for {name}; known: "
            + ", ".join("--" + key for key in known)
        )
    try:
        return entry.params.model_validate(raw)
    except pydantic.ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = ".".join(str(part) for part in error["loc"])
            value: Any = raw.get(key, error.get("input"))
            problems.append(f"--{key} has value {value!r}: {error['msg']}")
        raise TheoryInputError(f"{name}: " + "; ".join(problems)) from None


def _list_models() -> None:
    from mesaopt.theory import THEORIES

    for name, entry in THEORIES.items():
        table = Table("parameter", "default", "meaning", title=f"{name}: {entry.summary}", title_justify="left")
        for row in describe_params(entry.params):
            table.add_row(f"--{row[0]}", row[1], row[2])
        console.print(table)


def theory_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="model: toy_model, priors, recursion or icl_transition")] = None,
    out_dir: Annotated[
        Path, typer.Option("--report-dir", "--out-dir", help="where the model's plots are written")
    ] = Path("theory"),
    store: Annotated[Path, typer.Option("--out", "--store", help="run store to read measured data from")] = Path(
        "runs"
    ),
) -> None:
    """Run an analytic model of the essays with your own assumptions: `mesaopt theory NAME --param value ...`.

    Without NAME, list the models and their parameters.
    """
    from mesaopt.theory import THEORIES

    if name is None:
        _list_models()
        return
    if name not in THEORIES:
        _list_models()
        raise _fail(f"unknown model {name!r}; available: {', '.join(THEORIES)}")
    try:
        params = build_params(name, parse_params(list(ctx.args)))
    except TheoryInputError as exc:
        raise _fail(str(exc)) from None
    from mesaopt.theory.data import load_context

    context = load_context(store if store.is_dir() else None, rebuild=store.is_dir())
    try:
        output = THEORIES[name].run(params, out_dir / name, context)
    except ValueError as exc:
        raise _fail(f"{name}: {exc}") from None
    console.print(output.text, highlight=False, markup=False, soft_wrap=True)
    table = Table("quantity", "value", title=name, title_justify="left")
    for key, value in output.table.items():
        table.add_row(key, f"{value:.6g}" if isinstance(value, float) else str(value))
    console.print(table)
    for figure in output.figures:
        console.print(f"plot: {figure}", highlight=False, markup=False, soft_wrap=True)
