"""Measured sweep times: recorded per study and scale, never lost or zeroed by a rerun, shown in the report."""

from __future__ import annotations

import json
import os
import re
import textwrap

import pytest

from mesaopt import store
from mesaopt.store import RunRecord, clean_temporary
from mesaopt.timing import SweepTimer, load_timing, measured_time, timing_file
from tests.conftest import dead_pid, run_cli


def _record(run_id: str, study: str, wall_s: float, job_started: float | None) -> RunRecord:
    return RunRecord(spec={"id": run_id, "study": study}, status="done", wall_s=wall_s, job_started=job_started)


def _timer(tmp_path, study_of):
    timer = SweepTimer(tmp_path, "quick", study_of, workers=2, backend="local")
    timer.started = 1000.0
    return timer


def test_each_study_gets_its_span_and_compute_time(tmp_path):
    timer = _timer(tmp_path, {"a1": "A", "a2": "A", "b1": "B"})
    timer.record(_record("a1", "A", 4.0, 1001.0), now=1005.0)
    timer.record(_record("a2", "A", 6.0, 1002.0), now=1008.0)
    timer.record(_record("b1", "B", 3.0, 1008.0), now=1011.0)
    (a,) = load_timing(tmp_path, "A", "quick")
    assert a["elapsed_s"] == 7.0 and a["compute_s"] == 10.0 and sorted(a["runs"]) == ["a1", "a2"]
    assert a["studies_in_sweep"] == 2 and a["workers"] == 2
    (b,) = load_timing(tmp_path, "B", "quick")
    assert b["elapsed_s"] == 3.0 and b["sweep_elapsed_s"] == 11.0
    assert load_timing(tmp_path, "A", "smoke") == []


def test_a_run_id_shared_by_two_studies_counts_for_each_record_s_own_study(tmp_path):
    """Identical specs in two studies have one id; each record says its study, and only that study is charged."""
    timer = _timer(tmp_path, {"x": "B"})
    timer.record(_record("x", "A", 4.0, 1000.0), now=1004.0)
    timer.record(_record("x", "B", 2.0, 1030.0), now=1032.0)
    (a,) = load_timing(tmp_path, "A", "quick")
    (b,) = load_timing(tmp_path, "B", "quick")
    assert (a["elapsed_s"], a["runs"]) == (4.0, ["x"]) and (b["elapsed_s"], b["runs"]) == (2.0, ["x"])


def test_a_run_fitted_once_for_two_studies_is_charged_to_the_first_only(tmp_path):
    """One job fitted run x for A and B: A's record pays; B's copy is listed as shared, with no time."""
    from dataclasses import replace

    timer = _timer(tmp_path, {"x": "A"})
    paid = _record("x", "A", 4.0, 1000.0)
    timer.record(paid, now=1004.0)
    timer.record(replace(paid, spec={"id": "x", "study": "B"}, fitted_for="A"), now=1004.0)
    timer.record(_record("y", "B", 3.0, 1004.0), now=1007.0)
    (a,) = load_timing(tmp_path, "A", "quick")
    (b,) = load_timing(tmp_path, "B", "quick")
    assert (a["elapsed_s"], a["compute_s"], a["shared_runs"]) == (4.0, 4.0, [])
    assert (b["elapsed_s"], b["compute_s"], b["runs"], b["shared_runs"]) == (3.0, 3.0, ["x", "y"], ["x"])


def test_time_when_only_other_studies_ran_is_not_charged(tmp_path):
    timer = _timer(tmp_path, {"a1": "A", "a2": "A", "b1": "B"})
    timer.record(_record("a1", "A", 3.0, 1000.0), now=1003.0)
    timer.record(_record("b1", "B", 10.0, 1003.0), now=1013.0)
    timer.record(_record("a2", "A", 2.0, 1013.0), now=1015.0)
    timer.record(_record("a2", "A", 2.0, 1013.0), now=1015.0)  # a repeated record is counted once
    (a,) = load_timing(tmp_path, "A", "quick")
    assert a["elapsed_s"] == 5.0 and a["compute_s"] == 5.0 and a["runs"] == ["a1", "a2"]


def test_a_record_without_job_start_counts_back_its_wall_time(tmp_path):
    timer = _timer(tmp_path, {"a1": "A"})
    timer.record(_record("a1", "A", 2.5, None), now=1010.0)
    assert load_timing(tmp_path, "A", "quick")[0]["elapsed_s"] == 2.5


def test_a_rerun_with_nothing_to_do_keeps_the_measured_time(tmp_path):
    timer = _timer(tmp_path, {"a1": "A"})
    timer.record(_record("a1", "A", 30.0, 1000.0), now=1030.0)
    path = tmp_path / "A" / timing_file("quick")
    before = path.read_bytes()
    SweepTimer(tmp_path, "quick", {}, workers=2, backend="local")  # a sweep with 0 runs records nothing
    assert path.read_bytes() == before


def test_a_later_sweep_adds_its_entry_and_keeps_the_earlier_one(tmp_path):
    first = _timer(tmp_path, {"a1": "A", "a2": "A"})
    first.record(_record("a1", "A", 10.0, 1000.0), now=1010.0)  # then killed before a2
    second = _timer(tmp_path, {"a2": "A"})
    second.record(_record("a2", "A", 5.0, 1000.0), now=1005.0)
    entries = load_timing(tmp_path, "A", "quick")
    assert [e["runs"] for e in entries] == [["a1"], ["a2"]]
    total = measured_time(entries, {"a1", "a2"})
    assert total.elapsed_s == 15.0 and total.covered == 2 and len(total.sweeps) == 2


def test_sweeps_that_produced_none_of_the_shown_runs_do_not_count(tmp_path):
    timer = _timer(tmp_path, {"old": "A"})
    timer.record(_record("old", "A", 10.0, 1000.0), now=1010.0)
    entries = load_timing(tmp_path, "A", "quick")
    assert not measured_time(entries, {"new"}).measured
    assert measured_time(entries, {"old", "new"}).covered == 1


def test_an_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    timer = _timer(tmp_path, {"a1": "A", "a2": "A"})
    timer.record(_record("a1", "A", 1.0, 1000.0), now=1001.0)
    path = tmp_path / "A" / timing_file("quick")
    before = path.read_bytes()
    real = store._write_synced

    def killed(target, payload):
        real(target, payload[: len(payload) // 2])
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_write_synced", killed)
    with pytest.raises(KeyboardInterrupt):
        timer.record(_record("a2", "A", 1.0, 1000.0), now=1002.0)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert clean_temporary(tmp_path) == 0  # the leftover's owner (this process) is alive
    (leftover,) = (tmp_path / "A").glob(".tmp-*")
    leftover.rename(leftover.with_name(leftover.name.replace(f"p{os.getpid()}-", f"p{dead_pid()}-")))
    assert clean_temporary(tmp_path) == 1
    assert len(load_timing(tmp_path, "A", "quick")) == 1


def test_unreadable_timing_reads_as_none(tmp_path):
    (tmp_path / "A").mkdir()
    (tmp_path / "A" / timing_file("quick")).write_text("{not json")
    assert load_timing(tmp_path, "A", "quick") == []


STUDY = """
name = "tiny"
claim = "BFS solves every pool size"
suite = true
seeds = [0, 1]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
eval_size = 8
[learners.bfs]
[sweep]
"task.pool_size" = [1, 2]
[[hypotheses]]
metric = "transfer.novel_success"
axis = "task.pool_size"
direction = "flat"
tolerance = 0.1
[scales.smoke]
[scales.quick]
[scales.full]
"""


def test_run_records_the_time_and_the_report_shows_it_against_the_budget(tmp_path):
    (tmp_path / "studies").mkdir()
    (tmp_path / "studies" / "tiny.toml").write_text(textwrap.dedent(STUDY))
    run_cli("run", "tiny", "--scale", "quick", "--workers", "1", cwd=tmp_path)
    path = tmp_path / "runs" / "tiny" / timing_file("quick")
    entries = json.loads(path.read_text())["sweeps"]
    assert len(entries) == 1 and len(entries[0]["runs"]) == 4 and entries[0]["elapsed_s"] > 0
    page = (tmp_path / "report" / "studies" / "tiny.html").read_text()
    assert re.search(r"Measured time:</b> elapsed [0-9.]+ s wall clock", page), page
    assert "within the 4-minute budget" in page and "from 1 sweep" in page
    index = (tmp_path / "report" / "index.html").read_text()
    assert "Quick suite time" in index and "within the suite&#39;s 20-minute budget" in index
    before = path.read_bytes()
    again = run_cli("run", "tiny", "--scale", "quick", "--workers", "1", cwd=tmp_path)
    assert "0 to run" in again.stdout
    assert path.read_bytes() == before
    assert "from 1 sweep" in (tmp_path / "report" / "studies" / "tiny.html").read_text()


def test_two_sweeps_writing_one_timing_file_merge_their_entries(tmp_path):
    first, second = _timer(tmp_path, {"a1": "A"}), _timer(tmp_path, {"a2": "A"})
    first.record(_record("a1", "A", 1.0, 1000.0), now=1001.0)
    second.record(_record("a2", "A", 2.0, 1000.0), now=1002.0)
    first.record(_record("a3", "A", 1.0, 1001.0), now=1003.0)
    entries = load_timing(tmp_path, "A", "quick")
    assert sorted(e["sweep"] for e in entries) == sorted([first.sweep, second.sweep])
    assert {e["sweep"]: e["runs"] for e in entries} == {first.sweep: ["a1", "a3"], second.sweep: ["a2"]}


def test_malformed_timing_entries_are_dropped(tmp_path):
    (tmp_path / "A").mkdir()
    good = {"sweep": "s", "elapsed_s": 1.0, "runs": ["a"]}
    bad = [
        {"elapsed_s": "x"},
        {"elapsed_s": 1.0, "runs": 3},
        {"elapsed_s": -1},
        {"elapsed_s": 1, "sweep_elapsed_s": "y"},
    ]
    (tmp_path / "A" / timing_file("quick")).write_text(json.dumps({"sweeps": [good, *bad, 7]}))
    assert load_timing(tmp_path, "A", "quick") == [good]
    assert measured_time(load_timing(tmp_path, "A", "quick"), {"a"}).elapsed_s == 1.0
