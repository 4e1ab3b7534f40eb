"""The smoke study end to end through the CLI, as a user runs it."""

from __future__ import annotations

import json

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
