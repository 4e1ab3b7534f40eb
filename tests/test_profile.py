"""`mesaopt profile` on a solver outside mesaopt: the worked example (examples/wavefront) in a temporary package,
profiled by its import path and through an entry point, on generated mazes and on a maze set from a file.

The battery here is a stub registered by a plugin task (one detector, one threshold), so these tests exercise the
profile command and the plugin paths whatever the maze battery's rule is; its own calibration is tested apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT

STUB = textwrap.dedent(
    """
    from mesaopt.detectors import transfer
    from mesaopt.detectors.battery import Battery, BatteryDetector
    from mesaopt.tasks import TaskEntry

    NOVEL = 0.9

    def rule(features, thresholds):
        novel = features["novel"]
        label = "searcher" if novel >= thresholds["NOVEL"] else "memorizer"
        return label, [f"novel success {novel:.2f} against NOVEL {thresholds['NOVEL']} <b>"]

    BATTERY = Battery(
        family="maze",
        version=0,
        detectors={"transfer": BatteryDetector(transfer.transfer, transfer.METRICS)},
        features=lambda metrics: {"novel": metrics["transfer.novel_success"]},
        rule=rule,
        thresholds={"NOVEL": NOVEL},
        specs=(),
        cases=lambda: (),
        task={},
        columns=("novel",),
        record="stub.json",
    )
    MAZE = TaskEntry("mesaopt.tasks.maze_config:MazeConfig", "mesaopt.tasks.maze:MazeTask", "stub", "maze",
                     "stub_battery:BATTERY")
    MAZE_SET = TaskEntry("mesaopt.tasks.maze_files:MazeSetConfig", "mesaopt.tasks.maze_set:MazeSetTask", "stub",
                         "maze", "stub_battery:BATTERY")
    """
)


def dist_info(folder: Path, name: str, entry_points: str) -> None:
    info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    """A folder on PYTHONPATH holding the example solver as an installed plugin and the stub battery's tasks."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(ROOT / "examples" / "wavefront" / "wavefront.py", site / "wavefront.py")
    dist_info(site, "wavefront-example", "[mesaopt.learners]\nwavefront = wavefront:ENTRY\n")
    (site / "stub_battery.py").write_text(STUB)
    dist_info(site, "stub-battery", "[mesaopt.tasks]\nmaze = stub_battery:MAZE\nmaze_set = stub_battery:MAZE_SET\n")
    (site / "not_a_solver.py").write_text("def make(task):\n    return 42\n")
    return tmp_path


def profile(folder: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "PYTHONPATH": os.pathsep.join([str(folder / "site"), str(ROOT / "src")])}
    proc = subprocess.run(
        [sys.executable, "-m", "mesaopt", "profile", *args, "--report-dir", str(folder / "report")],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_an_external_solver_is_profiled_by_import_path_and_as_a_plugin(packages):
    task = ["--task", "stub_battery/maze", "--set", "size=3", "--set", "pool_size=8", "--set", "eval_size=32"]
    by_path = profile(packages, "wavefront:make", *task)
    assert "label: searcher" in by_path.stdout and "transfer.novel_success" in by_path.stdout
    assert "external breadth-first wavefront" in by_path.stdout
    page = packages / "report" / "profiles" / "wavefront_make-stub_battery_maze-seed0.html"
    html = page.read_text()
    assert "searcher" in html and "&lt;b&gt;" in html and "<b>" not in html.split("<h2>Label")[1].split("</ul>")[0]
    record = json.loads(page.with_suffix(".json").read_text())
    assert record["label"] == "searcher" and record["metrics"]["transfer.novel_success"] == 1.0

    by_plugin = profile(packages, "wavefront_example/wavefront", *task)
    assert "label: searcher" in by_plugin.stdout
    plugin_record = json.loads(
        (packages / "report" / "profiles" / "wavefront_example_wavefront-stub_battery_maze-seed0.json").read_text()
    )
    assert plugin_record["metrics"] == record["metrics"]


def test_a_registered_memorizer_is_told_apart_on_mazes_from_a_file(packages):
    from mesaopt.tasks.maze import generate
    from mesaopt.tasks.maze_files import write_maze_set
    from mesaopt.tasks.maze_set import maze_set_of

    write_maze_set(maze_set_of(generate(40, 3, np.random.default_rng(0))), packages / "mine.json")
    common = ["--task", "stub_battery/maze_set", "--set", "pool_file=mine.json", "--set", "pool_size=8"]
    lookup = profile(packages, "lookup", *common)
    assert "label: memorizer" in lookup.stdout
    wave = profile(packages, "wavefront:make", *common)
    assert "label: searcher" in wave.stdout


@pytest.mark.parametrize(
    ("solver", "words"),
    [
        ("no_such_module:make", ["cannot import", "no_such_module"]),
        ("not_a_solver:make", ["gave a int", "LearnedAlgorithm"]),
        ("no_such_learner", ["neither", "registered learner"]),
    ],
)
def test_a_bad_solver_is_one_clear_error(packages, solver, words):
    proc = profile(packages, solver, "--task", "stub_battery/maze", "--set", "size=3", check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert all(w in proc.stderr for w in words), proc.stderr


def test_a_task_without_battery_or_a_bad_file_is_one_clear_error(packages):
    proc = profile(packages, "wavefront:make", "--task", "icl", check=False)
    assert proc.returncode == 2 and "battery" in proc.stderr and "Traceback" not in proc.stderr
    (packages / "bad.json").write_text("{}")
    proc = profile(
        packages, "wavefront:make", "--task", "stub_battery/maze_set", "--novel-file", "bad.json", check=False
    )
    assert proc.returncode == 2 and "bad.json" in proc.stderr and "Traceback" not in proc.stderr
