"""Registries load implementations on demand; plugins come from entry points, namespaced, and a broken one is
reported, not fatal; every built-in reference resolves."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from mesaopt.registry import Deferred, Lazy, Registry, check_all, resolve

HEAVY = ("torch", "numba", "matplotlib", "pandas", "duckdb")


def test_importing_the_cli_imports_no_heavy_library():
    code = f"import sys, mesaopt.cli; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_validating_every_study_imports_no_heavy_library():
    code = (
        "import sys; from pathlib import Path; from mesaopt.study import list_studies, load_scales\n"
        "[load_scales(p, check_metrics=False) for p in list_studies(Path('studies'))]\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == "[]"


def test_every_builtin_entry_resolves():
    from mesaopt.detectors import DETECTORS
    from mesaopt.learners import LEARNERS
    from mesaopt.tasks import TASKS

    failures = [
        *check_all(TASKS, ("config", "build")),
        *check_all(LEARNERS, ("config", "fit", "fit_many")),
        *check_all(DETECTORS, ("run", "metrics", "summary")),
    ]
    assert failures == []
    assert all(callable(LEARNERS[n].fit) for n in LEARNERS) and all(DETECTORS[n].metrics for n in DETECTORS)


class Entry:
    thing = Lazy()

    def __init__(self, thing):
        self.thing = thing


def test_lazy_fields_resolve_references_once():
    calls = []
    deferred = Entry(Deferred(lambda: calls.append(1) or 42))
    assert (deferred.thing, deferred.thing, calls) == (42, 42, [1])
    assert Entry("json:dumps").thing is resolve("json:dumps")
    assert Entry(len).thing is len
    with pytest.raises(ValueError, match="package.module:attribute"):
        resolve("no_colon_here")


@pytest.fixture
def plugin_dist(tmp_path, monkeypatch):
    """An installed distribution `Demo-Plugins` with entry points to a good learner, a broken one and a wrong type."""
    (tmp_path / "demo_plugin.py").write_text(
        textwrap.dedent(
            """
            from mesaopt.learners import LearnerEntry
            GOOD = LearnerEntry("mesaopt.learners.config:BFSConfig", "mesaopt.learners.bfs:fit_bfs", "bfs again",
                                ("maze",))
            NOT_AN_ENTRY = 3
            """
        )
    )
    info = tmp_path / "Demo_Plugins-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: Demo-Plugins\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[mesaopt.learners]\ngood = demo_plugin:GOOD\nbroken = demo_plugin_missing:GOOD\n"
        "wrong = demo_plugin:NOT_AN_ENTRY\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_plugins_are_namespaced_and_loaded_only_when_asked(plugin_dist):
    from mesaopt.learners import BUILTIN_LEARNERS, LearnerEntry

    registry = Registry("mesaopt.learners", LearnerEntry, dict(BUILTIN_LEARNERS))
    assert "good" not in registry and "bfs" in registry
    assert registry["demo_plugins/good"].summary == "bfs again"
    assert "demo_plugins/broken" not in registry and not registry.plugins().get("demo_plugins/wrong")
    names = list(registry)
    assert "demo_plugins/good" in names and "bfs" in names and "demo_plugins/broken" not in names
    problems = registry.problems()
    assert len(problems) == 2
    assert any("demo_plugins/broken" in p and "ModuleNotFoundError" in p for p in problems)
    assert any("demo_plugins/wrong" in p and "expected a LearnerEntry" in p for p in problems)


def test_a_study_can_name_a_plugin_learner(plugin_dist):
    from mesaopt.study import study_from_document

    document = {
        "claim": "c",
        "seeds": [0],
        "detectors": ["transfer"],
        "task": {"name": "maze", "size": 3},
        "learners": {"demo_plugins/good": {}},
        "sweep": {"task.pool_size": [4]},
    }
    study = study_from_document("s", document, "quick")
    assert [spec.learner["name"] for spec in study.runs()] == ["demo_plugins/good"]
