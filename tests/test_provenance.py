"""Provenance: the code fingerprint follows the source, every run records it with the commit and package versions,
and `status` counts the stored runs that other code made."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from mesaopt.cli import app
from mesaopt.execute import execute_run
from mesaopt.provenance import (
    CODE_KEY,
    PACKAGE_DIR,
    PACKAGE_PREFIX,
    code_fingerprint,
    current_code,
    made_by_other_code,
)
from mesaopt.store import run_dir, write_run
from mesaopt.study import load_study
from tests.conftest import STUDIES


def test_the_fingerprint_changes_when_the_code_changes(tmp_path):
    copy = tmp_path / "mesaopt"
    shutil.copytree(PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    first = code_fingerprint(copy)
    assert first == code_fingerprint(PACKAGE_DIR) == current_code()
    (copy / "notes.txt").write_text("not code")
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "cli.cpython-311.pyc").write_bytes(b"compiled")
    assert code_fingerprint(copy) == first
    study = copy / "study.py"
    study.write_text(study.read_text() + "\n# an edit\n")
    edited = code_fingerprint(copy)
    assert edited != first
    (copy / "report" / "templates" / "base.html.j2").write_text("changed")
    assert code_fingerprint(copy) not in (first, edited)
    (copy / "study.py").rename(copy / "study_renamed.py")
    assert code_fingerprint(copy) not in (first, edited)


def test_runs_record_their_code_and_status_flags_other_code(tmp_path, monkeypatch):
    study = load_study(STUDIES / "smoke_lookup_vs_bfs.toml", "smoke")
    specs = study.runs()[:2]
    old, new = (execute_run(s.to_json()) for s in specs)
    assert new.environment[CODE_KEY] == current_code()
    assert new.environment[f"{PACKAGE_PREFIX}numpy"] and "commit" in new.environment
    old.environment[CODE_KEY] = "0" * 16
    store = tmp_path / "runs"
    for record in (old, new):
        write_run(store, record)
    assert made_by_other_code(run_dir(store, study.id, old.run_id))
    assert not made_by_other_code(run_dir(store, study.id, new.run_id))

    monkeypatch.setenv("COLUMNS", "200")
    args = ["status", "smoke_lookup_vs_bfs", "--scale", "smoke", "--out", str(store), "--studies-dir", str(STUDIES)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "smoke_lookup_vs_bfs" in line)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[1:] == ["2", "0", "0", str(len(study.runs()) - 2), "1"]
    shown = CliRunner().invoke(app, ["show", old.run_id, "--out", str(store)])
    assert "other code" in shown.output and "0" * 16 in shown.output
