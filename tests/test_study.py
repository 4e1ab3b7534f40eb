"""Study files: validation errors that name the key, sweep expansion, scales and stable run ids."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mesaopt.cli import app
from mesaopt.study import StudyError, load_study, study_from_document
from tests.conftest import STUDIES

GOOD = """
claim = "a claim"
seeds = [0, 1]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
[learners.lookup]
[learners.bfs]
[sweep]
"task.pool_size" = [1, 4]
[[hypotheses]]
metric = "transfer.novel_success"
axis = "task.pool_size"
direction = "increases"
where = { learner = "lookup" }
[scales.smoke]
[scales.quick]
[scales.full]
"""


def write(tmp_path: Path, text: str, name: str = "study") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_study_expands_learners_pools_and_seeds(tmp_path):
    study = load_study(write(tmp_path, GOOD))
    runs = study.runs()
    assert len(runs) == 2 * 2 * 2
    assert {r.learner["name"] for r in runs} == {"lookup", "bfs"}
    assert study.axes["learner"] == ["lookup", "bfs"]
    assert len({r.id for r in runs}) == len(runs)


def test_scale_overrides_merge_into_the_base(tmp_path):
    text = GOOD.replace("[scales.smoke]", '[scales.smoke]\nseeds = [5]\n[scales.smoke.sweep]\n"task.pool_size" = [2]')
    study = load_study(write(tmp_path, text), "smoke")
    runs = study.runs()
    assert {r.seed for r in runs} == {5}
    assert {r.task["pool_size"] for r in runs} == {2}
    assert all(r.task["size"] == 3 for r in runs)


def test_zip_groups_vary_together(tmp_path):
    text = GOOD.replace(
        '[sweep]\n"task.pool_size" = [1, 4]',
        '[sweep]\n[[sweep.zip]]\n"task.pool_size" = [1, 4]\n"task.eval_size" = [10, 20]',
    )
    runs = load_study(write(tmp_path, text)).runs()
    assert {(r.task["pool_size"], r.task["eval_size"]) for r in runs} == {(1, 10), (4, 20)}


def test_inf_is_an_axis_value(tmp_path):
    text = GOOD.replace('"task.pool_size" = [1, 4]', '"task.pool_size" = [1, inf]')
    runs = load_study(write(tmp_path, text)).runs()
    assert {r.task["pool_size"] for r in runs} == {1, "inf"}
    assert {r.axes["task.pool_size"] for r in runs} == {1, "inf"}


def test_run_ids_are_the_same_in_another_process(tmp_path):
    path = write(tmp_path, GOOD)
    here = [r.id for r in load_study(path).runs()]
    code = (
        "from pathlib import Path; from mesaopt.study import load_study; "
        f"print([r.id for r in load_study(Path({str(path)!r})).runs()])"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert there.strip() == str(here)


def test_every_project_study_is_valid_at_every_scale():
    for path in sorted(STUDIES.glob("*.toml")):
        for scale in ("smoke", "quick", "full"):
            assert load_study(path, scale).runs()


BAD = {
    "unknown top-level key": (GOOD + 'colour = "red"\n', "colour"),
    "unknown task parameter": (GOOD.replace("size = 3", "sise = 3"), "task.sise"),
    "wrong type": (GOOD.replace("seeds = [0, 1]", 'seeds = "many"'), "seeds"),
    "unknown task": (GOOD.replace('name = "maze"', 'name = "mze"'), "task.name"),
    "unknown learner": (GOOD.replace("[learners.bfs]", "[learners.oracle]"), "learners"),
    "unknown detector": (GOOD.replace('detectors = ["transfer"]', 'detectors = ["telepathy"]'), "detectors[0]"),
    "empty sweep": (GOOD.replace('"task.pool_size" = [1, 4]', '"task.pool_size" = []'), "sweep.task.pool_size"),
    "hypothesis on a missing axis": (
        GOOD.replace('axis = "task.pool_size"', 'axis = "task.size"'),
        "hypotheses[0].axis",
    ),
    "bad value in a scale": (GOOD.replace("[scales.full]", "[scales.full]\nseeds = [-1.5]"), "scales.full.seeds[0]"),
    "bad parameter value": (GOOD.replace("size = 3", "size = -3"), "task.size"),
    "not TOML": ("claim = ", "not valid TOML"),
    "detector of another task family": (
        GOOD.replace('detectors = ["transfer"]', 'detectors = ["step_budget"]'),
        "does not apply to task 'maze'",
    ),
    "trend over a nominal axis": (
        GOOD.replace('axis = "task.pool_size"', 'axis = "learner"').replace('where = { learner = "lookup" }', ""),
        "hypotheses[0].direction",
    ),
    "greater without a contrast": (GOOD.replace('direction = "increases"', 'direction = "greater"'), "hypotheses[0]"),
    "contrast value not on the axis": (
        GOOD.replace('direction = "increases"', 'direction = "greater"\ncontrast = [4, 16]'),
        "hypotheses[0].contrast",
    ),
    "negative seed": (GOOD.replace("seeds = [0, 1]", "seeds = [0, -1]"), "seeds[1]"),
    "maze too large for memory": (GOOD.replace("size = 3", "size = 100000"), "task.size"),
    "evaluation set too large": (GOOD.replace("size = 3", "size = 3\neval_size = 10000000"), "task.eval_size"),
    "pool too large": (GOOD.replace('"task.pool_size" = [1, 4]', '"task.pool_size" = [1, 4000000]'), "task.pool_size"),
    "learner too wide": (
        GOOD.replace("[learners.lookup]", "[learners.lookup]\nmax_entries = 100000000"),
        "learners.lookup.max_entries",
    ),
    "sweep over the cap": (
        GOOD.replace('"task.pool_size" = [1, 4]', f'"task.pool_size" = {list(range(1, 2502))}')
        .replace('axis = "task.pool_size"', 'axis = "learner"')
        .replace('direction = "increases"', 'direction = "greater"\ncontrast = ["lookup", "bfs"]')
        .replace('where = { learner = "lookup" }', ""),
        "--allow-large",
    ),
}


def test_a_nominal_axis_is_judged_by_a_named_contrast(tmp_path):
    text = GOOD.replace('axis = "task.pool_size"', 'axis = "learner"').replace(
        'direction = "increases"\nwhere = { learner = "lookup" }', 'direction = "greater"\ncontrast = ["bfs", "lookup"]'
    )
    hyp = load_study(write(tmp_path, text)).body.hypotheses[0]
    assert hyp.contrast == ("bfs", "lookup") and hyp.check_learning and not hyp.control


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_study_files_exit_2_naming_the_key(tmp_path, case):
    text, key = BAD[case]
    path = write(tmp_path, text)
    with pytest.raises(StudyError, match="study.toml"):
        load_study(path)
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    assert key in result.output
    assert str(path) in result.output.replace("\n", "")
    assert "Traceback" not in result.output


def test_bad_study_in_a_subprocess_prints_one_message_and_no_traceback(tmp_path):
    path = write(tmp_path, BAD["unknown task"][0])
    proc = subprocess.run(
        [sys.executable, "-m", "mesaopt", "run", str(path)], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "task.name" in proc.stderr and "'mze'" in proc.stderr and "allowed:" in proc.stderr and "maze" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_a_large_sweep_is_accepted_with_allow_large_and_other_scales_never_refuse(tmp_path):
    big = f'[scales.full.sweep]\n"task.pool_size" = {list(range(1, 2502))}\n'
    path = write(tmp_path, GOOD.replace("[scales.full]\n", "[scales.full]\n" + big))
    assert len(load_study(path, "quick").runs()) == 8  # the full scale's size does not matter at quick
    with pytest.raises(StudyError, match="10004 runs at scale full"):
        load_study(path, "full")
    assert load_study(path, "full", allow_large=True).size() == 10_004


@pytest.mark.parametrize("stem", ["..", ".tmp-x", ".hidden", "-dash", "a.b", "a b"])
def test_study_ids_are_letters_digits_underscore_dash(tmp_path, stem):
    path = write(tmp_path, GOOD, name=stem)
    with pytest.raises(StudyError, match="expected letters, digits"):
        load_study(path)
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_dot_dot_as_a_study_name_is_refused(tmp_path):
    result = CliRunner().invoke(app, ["run", "..", "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2 and "expected letters, digits" in result.output
    with pytest.raises(StudyError, match="study id '..'"):
        study_from_document("..", {}, "quick")
