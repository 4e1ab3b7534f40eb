"""The report escapes everything it shows."""

from __future__ import annotations

import json
import textwrap

from tests.conftest import run_cli

HOSTILE = """
name = "<script>alert(1)</script>"
claim = "<img src=x onerror=alert(2)>"
seeds = [0, 1]
detectors = ["transfer"]
[task]
name = "maze"
size = 3
eval_size = 16
[learners.bfs]
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


def test_study_name_and_claim_are_escaped(tmp_path):
    (tmp_path / "xss.toml").write_text(textwrap.dedent(HOSTILE))
    run_cli("run", "xss.toml", "--scale", "smoke", "--workers", "1", cwd=tmp_path)
    for page in (tmp_path / "report" / "index.html", tmp_path / "report" / "studies" / "xss.html"):
        html = page.read_text()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html


def test_summary_is_strict_json_even_when_a_hypothesis_has_no_effect(tmp_path):
    """BFS is perfect at every pool size, so its effect has no spread; NaN must not leak into summary.json."""
    (tmp_path / "flat.toml").write_text(textwrap.dedent(HOSTILE).replace("<script>alert(1)</script>", "flat"))
    run_cli("run", "flat.toml", "--scale", "smoke", "--workers", "1", cwd=tmp_path)

    def refuse(token):
        raise AssertionError(f"summary.json holds {token}")

    text = (tmp_path / "report" / "summary.json").read_text()
    summary = json.loads(text, parse_constant=refuse)
    assert summary["flat"], "the study's hypothesis is missing from the summary"


def test_a_constant_metric_is_untestable_with_its_reason_and_the_pages_show_counts_and_learning(tmp_path):
    """BFS solves every maze at every pool size: nothing varies, so there is nothing to judge, and the report says
    so (verdict, reason, counts on the index, a "did it learn?" table on the study page, no null in the summary)."""
    (tmp_path / "flat.toml").write_text(textwrap.dedent(HOSTILE).replace("<script>alert(1)</script>", "flat"))
    run_cli("run", "flat.toml", "--scale", "smoke", "--workers", "1", cwd=tmp_path)

    def no_null(pairs):
        assert all(v is not None for _, v in pairs), pairs
        return dict(pairs)

    summary = json.loads((tmp_path / "report" / "summary.json").read_text(), object_pairs_hook=no_null)
    (entry,) = summary["flat"]
    assert entry["verdict"] == "untestable"
    assert entry["reason"] == "transfer.novel_success is 1 in all 4 runs: it does not vary"
    assert "rho_ci" not in entry
    index = (tmp_path / "report" / "index.html").read_text()
    assert "0 supported" in index and "1 untestable" in index and "it does not vary" in index
    page = (tmp_path / "report" / "studies" / "flat.html").read_text()
    assert "Did it learn?" in page and "learner bfs, task.pool_size=1" in page
