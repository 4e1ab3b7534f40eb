"""The package's import graph: no cycles among module-level imports, and tasks never import learners."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src"


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name)."""
    found = {}
    for path in (ROOT / "mesaopt").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_at_load(path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules a module imports when it loads: top-level imports, not those under TYPE_CHECKING and
    not those inside functions (which run later)."""
    out = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        for sub in ast.walk(node) if isinstance(node, ast.If | ast.Try) else [node]:
            if isinstance(sub, ast.Import):
                out.update(a.name for a in sub.names)
            elif isinstance(sub, ast.ImportFrom) and sub.module and sub.level == 0:
                out.update(
                    f"{sub.module}.{a.name}" if f"{sub.module}.{a.name}" in known else sub.module for a in sub.names
                )
    return {name for name in out if name in known}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_at_load(path, known) - {name} for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def test_the_package_has_no_import_cycle():
    assert cycles(graph()) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_tasks_never_import_learners_or_detectors_when_they_load():
    edges = graph()
    wrong = {
        m: sorted(t for t in targets if t.startswith(("mesaopt.learners", "mesaopt.detectors")))
        for m, targets in edges.items()
        if m.startswith("mesaopt.tasks")
    }
    assert {m: t for m, t in wrong.items() if t} == {}


def test_every_builtin_task_lives_in_tasks():
    """The task registry's config and constructor of every built-in task are defined in mesaopt.tasks (a task is
    never defined inside a learner)."""
    from mesaopt.tasks import BUILTIN_TASKS

    places = {name: (entry.config.__module__, entry.build.__module__) for name, entry in BUILTIN_TASKS.items()}
    assert {n: pair for n, pair in places.items() if not all(p.startswith("mesaopt.tasks.") for p in pair)} == {}
