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
