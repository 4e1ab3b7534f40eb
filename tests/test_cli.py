"""The smoke study end to end through the CLI, as a user runs it."""

from __future__ import annotations

import json
import re

import duckdb

from tests.conftest import run_cli


def test_smoke_study_end_to_end(workdir):
    first = run_cli("run", "smoke_lookup_vs_bfs", "--scale", "smoke", cwd=workdir)
    assert "report:" in first.stdout
    summary = json.loads((workdir / "report" / "summary.json").read_text())
    verdicts = {r["where"]["learner"]: r["verdict"] for r in summary["smoke_lookup_vs_bfs"]}
    # Ground truth: a lookup table gains novel successes with more stored mazes; BFS solves every maze.
    assert verdicts == {"lookup": "supported", "bfs": "supported"}
    page = (workdir / "report" / "studies" / "smoke_lookup_vs_bfs.html").read_text()
    assert "mesaopt run smoke_lookup_vs_bfs --scale full" in page and "h0.png" in page

    second = run_cli("run", "smoke_lookup_vs_bfs", "--scale", "smoke", cwd=workdir)
    assert "12 already done" in second.stdout and "0 to run" in second.stdout

    status = run_cli("status", "smoke_lookup_vs_bfs", "--scale", "smoke", cwd=workdir)
    assert "12" in status.stdout

    table = run_cli("results", "smoke_lookup_vs_bfs", cwd=workdir).stdout.splitlines()
    assert len(table) == 13 and "transfer.novel_success" in table[0]
    header = table[0].split(",")
    assert header[:4] == ["run_id", "learner", "task.pool_size", "seed"]
    keys = [(r[1], int(r[2]), int(r[3])) for r in (row.split(",") for row in table[1:])]
    assert keys == sorted(keys)  # by axes, then seed
    run_cli("results", "smoke_lookup_vs_bfs", "--format", "parquet", "-o", "r.parquet", cwd=workdir)
    with duckdb.connect() as con:
        assert con.execute(f"SELECT count(*) FROM '{workdir / 'r.parquet'}'").fetchone()[0] == 12

    run_id = table[1].split(",")[0]
    shown = run_cli("show", run_id[:10], cwd=workdir).stdout
    assert run_id in shown and "transfer.novel_success" in shown


def test_studies_lists_claims(workdir):
    out = run_cli("studies", cwd=workdir).stdout
    assert "smoke_lookup_vs_bfs" in out


def test_unknown_run_id_is_a_clear_error(workdir):
    (workdir / "runs").mkdir()
    proc = run_cli("show", "nope", cwd=workdir, check=False)
    assert proc.returncode == 2 and "matches 0 runs" in proc.stderr


def test_a_missing_folder_is_named_with_where_it_was_looked_for(tmp_path):
    for args in (["studies"], ["status"], ["show", "abc"], ["results", "x"]):
        proc = run_cli(*args, cwd=tmp_path, check=False)
        assert proc.returncode == 2 and "no such folder" in proc.stderr and str(tmp_path) in proc.stderr


def _status(workdir) -> list[int]:
    """done, failed, corrupt, pending of the smoke study, read from `mesaopt status`."""
    out = run_cli("status", "smoke_lookup_vs_bfs", "--scale", "smoke", cwd=workdir).stdout
    (row,) = [line for line in out.splitlines() if "smoke_lookup_vs_bfs" in line and "│" in line]
    return [int(n) for n in re.findall(r"\b\d+\b", row.split("smoke_lookup_vs_bfs", 1)[1])][:4]


def test_damaged_files_show_as_corrupt_everywhere_and_run_redoes_them(workdir):
    run_cli("run", "smoke_lookup_vs_bfs", "--scale", "smoke", cwd=workdir)
    runs = sorted(p for p in (workdir / "runs" / "smoke_lookup_vs_bfs").iterdir() if p.is_dir())
    (runs[0] / "DONE").write_text('{"files": []}')
    (runs[1] / "run.json").write_text("{}")
    (workdir / "runs" / "smoke_lookup_vs_bfs" / "study.quick.json").write_text("garbage")
    (workdir / "runs" / "smoke_lookup_vs_bfs" / "timing.smoke.json").write_text('{"sweeps": [{"elapsed_s": "x"}]}')

    assert _status(workdir) == [10, 0, 2, 0]
    results = run_cli("results", "smoke_lookup_vs_bfs", cwd=workdir)
    assert "10 done, 0 failed, 2 corrupt" in results.stderr
    assert sum(",corrupt," in line for line in results.stdout.splitlines()) == 2
    run_cli("report", cwd=workdir)
    page = (workdir / "report" / "studies" / "smoke_lookup_vs_bfs.html").read_text()
    assert "2 corrupt" in page
    index = (workdir / "report" / "index.html").read_text()
    assert "10 done" in index and "2 corrupt" in index

    again = run_cli("run", "smoke_lookup_vs_bfs", "--scale", "smoke", cwd=workdir)
    assert "re-running a corrupt run directory" in again.stdout and "2 to run" in again.stdout
    assert _status(workdir) == [12, 0, 0, 0]


def test_output_paths_are_checked_up_front(workdir):
    (workdir / "a_file").write_text("")
    cases = [
        (["run", "smoke_lookup_vs_bfs", "--out", "a_file"], "--out a_file is a file"),
        (["run", "smoke_lookup_vs_bfs", "--report-dir", "a_file"], "--report-dir a_file is a file"),
        (["report", "--out", "no_such_store"], "--out no_such_store does not exist"),
        (["results", "x", "--out", "no_such_store"], "--out no_such_store does not exist"),
        (["status", "--out", "a_file"], "--out a_file is a file"),
    ]
    for args, message in cases:
        proc = run_cli(*args, cwd=workdir, check=False)
        assert proc.returncode == 2 and message in proc.stderr and "Traceback" not in proc.stderr, args
    (workdir / "runs").mkdir()
    proc = run_cli("results", "x", "-o", "missing/r.csv", cwd=workdir, check=False)
    assert proc.returncode == 2 and "missing" in proc.stderr and "does not exist" in proc.stderr
    assert not (workdir / "no_such_store").exists()
