"""A no-op report rebuild reuses the slow pieces (analysis, plots, gallery); a changed run or figure redoes them."""

from __future__ import annotations

import dataclasses
import json
import textwrap

import pytest

import mesaopt.report as report
from mesaopt.execute import execute_run
from mesaopt.report import cache, gallery
from mesaopt.store import read_run, rebuild_catalog, run_dir, save_study_document, write_run
from mesaopt.study import load_study

STUDY = """
name = "cached"
claim = "a tiny CNN on 3 x 3 mazes"
seeds = [0, 1]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
eval_size = 8
[learners.cnn]
steps = 3
width = 4
depth = 2
[sweep]
"task.pool_size" = [1, 2]
[[hypotheses]]
metric = "transfer.novel_success"
axis = "task.pool_size"
direction = "increases"
[scales.smoke]
[scales.quick]
[scales.full]
"""


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A run store holding the study's four smoke runs (trained in this process, no subprocess)."""
    import torch

    torch.set_num_threads(1)
    base = tmp_path_factory.mktemp("cache")
    path = base / "cached.toml"
    path.write_text(textwrap.dedent(STUDY))
    study = load_study(path, "smoke")
    root = base / "runs"
    save_study_document(root, study.id, "smoke", study.document)
    for spec in study.runs():
        write_run(root, execute_run(spec.to_json()))
    return root, study


class Calls:
    """Counts calls of a wrapped function."""

    def __init__(self, fn):
        self.fn, self.n = fn, 0

    def __call__(self, *args, **kwargs):
        self.n += 1
        return self.fn(*args, **kwargs)


def _build(root, out, monkeypatch):
    analyses, galleries = Calls(report.judge), Calls(gallery.gallery_panel)
    monkeypatch.setattr(report, "judge", analyses)
    monkeypatch.setattr(gallery, "gallery_panel", galleries)
    rebuild_catalog(root)
    report.build_report(root, out)
    monkeypatch.undo()
    page = (out / "studies" / "cached.html").read_text()
    return analyses.n, galleries.n, page


def _without_times(page: str) -> str:
    return "\n".join(line for line in page.splitlines() if "built" not in line.lower())


def test_a_second_build_reuses_every_slow_piece_and_shows_the_same_page(stored, tmp_path, monkeypatch):
    root, _ = stored
    out = tmp_path / "report"
    analyses, galleries, first = _build(root, out, monkeypatch)
    assert analyses == 1 and galleries == 1
    assert "gallery_cnn.png" in first
    analyses, galleries, second = _build(root, out, monkeypatch)
    assert analyses == 0 and galleries == 0
    assert _without_times(second) == _without_times(first)
    cached = sorted(p.name for p in (out / "studies" / "cached" / cache.CACHE_DIR).iterdir())
    assert {"gallery.json", "h0.json"} <= set(cached)
    assert all(json.loads(p.read_text())["files"] for p in (out / "studies" / "cached" / ".cache").glob("g*.json"))


def test_a_changed_run_invalidates_the_cache(stored, tmp_path, monkeypatch):
    root, study = stored
    out = tmp_path / "report"
    _build(root, out, monkeypatch)
    spec = study.runs()[0]
    record = read_run(run_dir(root, study.id, spec.id))
    try:
        changed = dataclasses.replace(record, metrics={**record.metrics, "transfer.novel_success": 0.5})
        write_run(root, changed)  # a rerun with another result: new DONE checksums
        analyses, galleries, page = _build(root, out, monkeypatch)
        assert analyses == 1 and galleries == 1
    finally:
        write_run(root, record)


def test_a_damaged_figure_or_a_code_change_redraws(stored, tmp_path, monkeypatch):
    root, _ = stored
    out = tmp_path / "report"
    _build(root, out, monkeypatch)
    (out / "studies" / "cached" / "gallery_cnn.png").write_bytes(b"not a png")
    analyses, galleries, _ = _build(root, out, monkeypatch)
    assert analyses == 0 and galleries == 1
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "other code")
    analyses, galleries, _ = _build(root, out, monkeypatch)
    assert analyses == 1 and galleries == 1


def test_cache_records_are_json_and_a_bad_record_is_rebuilt(tmp_path):
    built = []

    def build():
        built.append(1)
        (tmp_path / "a.png").write_bytes(b"png")
        return {"figures": [{"src": "s/a.png"}], "value": float("nan")}

    files = gallery._figure_files
    first = cache.cached(tmp_path, "piece", "k1", build, files)
    again = cache.cached(tmp_path, "piece", "k1", build, files)
    assert len(built) == 1 and again["figures"] == first["figures"]
    (tmp_path / cache.CACHE_DIR / "piece.json").write_text("{broken")
    cache.cached(tmp_path, "piece", "k1", build, files)
    cache.cached(tmp_path, "piece", "k2", build, files)
    assert len(built) == 3
