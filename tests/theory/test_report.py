"""The Theory report page: measured power from the catalog, fits, plain notes when data is missing, escaping."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from mesaopt.report import EXTRA_SECTIONS, build_report
from mesaopt.store import RunRecord, write_run
from mesaopt.theory import THEORIES
from mesaopt.theory.data import load_context
from mesaopt.theory.toy_model import CostFunction, predicted_power

HOSTILE_LEARNER = "<img src=x onerror=alert(1)>"
LEVELS = (1, 4, 16, 64, 256, "inf")


def write_power_runs(root: Path, study: str, learner: str, seeds: int = 2) -> None:
    """Runs that learned their pool and whose measured power follows the toy model with f = 2*(exp(0.3 m) - 1) and
    x = 40, plus noise."""
    truth = CostFunction("exponential", 2.0, 0.3)
    rng = np.random.default_rng(5)
    for level in LEVELS:
        n = math.inf if level == "inf" else float(level)
        for seed in range(seeds):
            novel = float(predicted_power(n, 40.0, truth, "novel")) + rng.normal(0, 0.2)
            pool = float(predicted_power(n, 40.0, truth, "pool")) + rng.normal(0, 0.2)
            spec = {
                "id": f"{learner[:3].encode().hex()}-{level}-{seed}",
                "study": study,
                "seed": seed,
                "task": {"name": "maze"},
                "learner": {"name": learner},
                "axes": {"task.pool_size": level},
            }
            metrics = {
                "power.novel_bits": novel,
                "power.pool_bits": pool,
                "power.pool_max_bits": pool,  # every pool instance solved: these runs learned their task
                "transfer.novel_success": 0.5,
            }
            write_run(root, RunRecord(spec=spec, status="done", metrics=metrics))


def test_context_reads_power_against_pool_size(tmp_path):
    write_power_runs(tmp_path, "diversity", "recurrent")
    context = load_context(tmp_path, rebuild=True)
    frame = context.diversity_power
    assert len(frame) == 2 * len(LEVELS)
    assert set(frame["source"]) == {"maze/recurrent"} and set(frame["study"]) == {"diversity"}
    assert np.isinf(frame["N"]).sum() == 2
    assert frame["novel_bits"].notna().all() and frame["pool_bits"].notna().all()
    assert "diversity" in context.diversity_note


def test_context_reads_power_inside_the_profile_battery(tmp_path):
    spec = {"study": "s", "seed": 0, "task": {"name": "maze"}, "learner": {"name": "cnn"}}
    both = {"power.novel_bits": 3.0, "profile.power.novel_bits": 9.0, "profile.power.pool_bits": 5.0}
    write_run(tmp_path, RunRecord({**spec, "id": "a", "axes": {"task.pool_size": 4}}, "done", both))
    write_run(tmp_path, RunRecord({**spec, "id": "b", "axes": {"task.pool_size": 8}}, "done", {"other.x": 1.0}))
    frame = load_context(tmp_path, rebuild=True).diversity_power
    assert len(frame) == 1
    row = frame.iloc[0]
    # The power detector's own number wins over the battery's copy; the battery fills what it alone has.
    assert (row["N"], row["novel_bits"], row["pool_bits"]) == (4.0, 3.0, 5.0)


def test_page_fits_the_data_names_the_study_and_escapes(tmp_path, monkeypatch):
    root, out = tmp_path / "runs", tmp_path / "report"
    write_power_runs(root, "div<b>", HOSTILE_LEARNER)
    assert any(section.href == "theory.html" for section in EXTRA_SECTIONS)
    build_report(root, out)
    page = (out / "theory.html").read_text()
    assert "Fitted to novel-instance power (power.novel_bits) from studies div&lt;b&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "div<b>" not in page
    for name in THEORIES:
        assert f'id="{name}"' in page
    figures = sorted(path.name for path in (out / "theory").rglob("*.png"))
    assert figures == [
        "icl_transition.png",
        "priors_phase.png",
        "recursion.png",
        "toy_model_fit.png",
        "toy_model_heatmap.png",
    ]
    assert 'href="theory.html"' in (out / "index.html").read_text()

    # Nothing changed, so a second build reuses the first one's outputs instead of running the models.
    def refuse(*_args):
        raise AssertionError("the model ran again")

    for name, entry in THEORIES.items():
        monkeypatch.setitem(THEORIES, name, dataclasses.replace(entry, run=refuse))
    build_report(root, out)
    assert "failed to run" not in (out / "theory.html").read_text()


def test_page_without_data_says_so_and_survives_a_broken_model(tmp_path, monkeypatch):
    def broken(*_args):
        raise RuntimeError("boom <script>")

    monkeypatch.setitem(THEORIES, "recursion", dataclasses.replace(THEORIES["recursion"], run=broken))
    root, out = tmp_path / "runs", tmp_path / "report"
    root.mkdir()
    build_report(root, out)
    page = (out / "theory.html").read_text()
    assert "Nothing is fitted" in page and "has measured power against task.pool_size yet" in page
    assert "This model failed to run" in page and "boom &lt;script&gt;" in page
    assert (out / "theory" / "toy_model" / "toy_model_heatmap.png").is_file()
