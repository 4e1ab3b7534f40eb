"""The maze studies: each runs end to end at smoke scale, a second run does no work, and the diversity verdicts
for tabular and recurrent agree with the battery's calibrated labels for those learners."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mesaopt.study import load_study
from tests.conftest import STUDIES, run_cli

MAZE_STUDIES = sorted(p.stem for p in STUDIES.glob("maze_*.toml"))
ISSUE_STUDIES = {
    "maze_diversity",
    "maze_compression",
    "maze_algorithmic_range",
    "maze_simplicity_vs_speed",
    "maze_information_funnel",
    "maze_statefulness",
    "maze_hard_coded_optimization",
    "maze_speed_prior_training",
    "maze_reachability",
    "maze_goal_proxy",
    "maze_loops",
}


def test_every_issue_study_exists_with_three_seeds_at_quick_and_claim_fields():
    """Each is in the quick suite, or its description says why it is not (a study that cannot conclude within its
    time budget leaves the suite and says so on its page)."""
    assert set(MAZE_STUDIES) >= ISSUE_STUDIES
    for name in ISSUE_STUDIES:
        study = load_study(STUDIES / f"{name}.toml", "quick")
        body = study.body
        assert body.suite or "quick suite" in body.description.lower(), f"{name}: out of the suite without saying why"
        assert len(body.seeds) >= 3, name
        assert body.claim and body.source and body.description, name
        assert body.hypotheses, name


def test_goal_proxy_control_runs_are_maze_diversitys_recurrent_runs_at_an_infinite_pool():
    """The control writes its test goal region out; stored as unset, its runs resolve to the same ids as
    maze_diversity's, so a sweep of both trains them once."""
    diversity = {spec.id for spec in load_study(STUDIES / "maze_diversity.toml", "quick").runs()}
    control = [
        s for s in load_study(STUDIES / "maze_goal_proxy.toml", "quick").runs() if s.axes["task.goal_region"] == "any"
    ]
    assert control and all(spec.id in diversity for spec in control)


def _copy_maze_studies(tmp_path: Path) -> Path:
    folder = tmp_path / "studies"
    folder.mkdir()
    for name in MAZE_STUDIES:
        shutil.copy(STUDIES / f"{name}.toml", folder / f"{name}.toml")
    return tmp_path


@pytest.mark.slow
def test_every_maze_study_runs_at_smoke_scale_and_a_rerun_does_no_work(tmp_path):
    work = _copy_maze_studies(tmp_path)
    first = run_cli("run", *MAZE_STUDIES, "--scale", "smoke", cwd=work, timeout=1800)
    assert "runs failed" not in first.stdout, first.stdout
    report = work / "report"
    summary = json.loads((report / "summary.json").read_text())
    for name in MAZE_STUDIES:
        page = (report / "studies" / f"{name}.html").read_text()
        study = load_study(STUDIES / f"{name}.toml", "smoke")
        assert f"{len(study.runs())} runs done" in page, name
        assert "Hypotheses and verdicts" in page and "--scale full" in page, name
        assert len(summary[name]) == len(study.body.hypotheses), name
        assert all(r is not None for r in summary[name]), name
    index = (report / "index.html").read_text()
    assert all(f"studies/{name}.html" in index for name in MAZE_STUDIES)
    before = {p: p.stat().st_mtime_ns for p in (work / "runs").rglob("DONE")}
    second = run_cli("run", *MAZE_STUDIES, "--scale", "smoke", cwd=work, timeout=600)
    assert re.search(r"0 to run", second.stdout), second.stdout
    after = {p: p.stat().st_mtime_ns for p in (work / "runs").rglob("DONE")}
    assert before == after
    assert (report / "index.html").stat().st_mtime_ns >= (report / "summary.json").stat().st_mtime_ns - 10**9


def _labels(runs: Path, study: str) -> list[tuple[str, dict, dict]]:
    out = []
    for done in sorted((runs / study).glob("*/DONE")):
        spec = json.loads((done.parent / "spec.json").read_text())
        metrics = json.loads((done.parent / "metrics.json").read_text())
        label = next(lab for lab in ("memorizer", "heuristic", "searcher") if metrics[f"profile.is_{lab}"] == 1.0)
        out.append((spec["learner"]["name"], spec["axes"], {"label": label, **metrics}))
    return out


@pytest.mark.slow
def test_diversity_quick_verdicts_agree_with_calibrated_labels(tmp_path):
    """Tabular is a lookup table by construction: the calibration's lookup case is a memorizer, so at every N
    (inf included: its pool is the sample it stored) the battery must call it one, the study's 'stays a memorizer'
    verdict must be supported, and it must not be found to solve novel mazes beyond what its nearest stored answer
    solves (its raw transfer ratio may rise: coverage). For the recurrent net the
    verdict on 'stops memorizing' must agree with the labels the same runs got: supported only if the memorizer
    share really falls from the smallest to the largest pool."""
    work = _copy_maze_studies(tmp_path)
    run_cli("run", "maze_diversity", "--scale", "quick", cwd=work, timeout=3600)
    runs = _labels(work / "runs", "maze_diversity")
    tabular = [m for name, axes, m in runs if name == "tabular"]
    assert tabular and all(m["label"] == "memorizer" for m in tabular)
    summary = json.loads((work / "report" / "summary.json").read_text())["maze_diversity"]
    by_label = {(r["metric"], r["where"].get("learner"), r["direction"]): r for r in summary if r is not None}
    assert by_label[("profile.is_memorizer", "tabular", "flat")]["verdict"] == "supported"
    assert by_label[("profile.transfer.novel_beyond_memory", "tabular", "flat")]["verdict"] != "contradicted"
    recurrent = [(axes["task.pool_size"], m["label"]) for name, axes, m in runs if name == "recurrent"]
    share = {
        n: sum(lab == "memorizer" for p, lab in recurrent if p == n) / sum(1 for p, _ in recurrent if p == n)
        for n in {p for p, _ in recurrent}
    }
    verdict = by_label[("profile.is_memorizer", "recurrent", "decreases")]["verdict"]
    smallest = min(p for p in share if p != "inf")
    if verdict == "supported":
        assert share[smallest] > share["inf"]
    if verdict == "contradicted":
        assert share[smallest] < share["inf"]


def test_stateful_seeds_are_separate_jobs_and_plain_ones_a_joint_group():
    """A stateful net is fitted seed after seed even in a group, so its seeds are not grouped (workers share them)."""
    runs = load_study(STUDIES / "maze_statefulness.toml", "quick").runs()
    stateful = [r for r in runs if r.learner.get("stateful")]
    plain = [r for r in runs if r.learner["name"] == "recurrent" and not r.learner["stateful"]]
    assert len(stateful) == 3 and all(r.fit_with == () for r in stateful)
    assert plain and all(r.fit_with == (0, 1, 2) for r in plain)
