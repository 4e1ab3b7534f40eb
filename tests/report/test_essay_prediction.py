"""A study page sets the essay's prediction beside the verdicts of the hypotheses that state it, and says where
they differ."""

from __future__ import annotations

import textwrap

from tests.conftest import run_cli

STUDY = """
name = "essay"
claim = "BFS solves every maze"
predicted = "success <b>rises</b> with the pool"
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
label = "novel success rises with the pool"
metric = "transfer.novel_success"
axis = "task.pool_size"
direction = "increases"
essay = true
[[hypotheses]]
label = "novel success stays put"
metric = "transfer.novel_success"
axis = "task.pool_size"
direction = "flat"
tolerance = 0.01
[scales.smoke]
[scales.quick]
[scales.full]
"""


def test_page_lists_the_essays_prediction_and_where_the_measurement_differs(tmp_path):
    (tmp_path / "essay.toml").write_text(textwrap.dedent(STUDY))
    run_cli("run", "essay.toml", "--scale", "smoke", "--workers", "1", cwd=tmp_path)
    html = (tmp_path / "report" / "studies" / "essay.html").read_text()
    assert "The essay&#39;s prediction against the measurement" in html or "The essay's prediction" in html
    assert "success &lt;b&gt;rises&lt;/b&gt; with the pool" in html
    differ = html.split("Where they differ:")[1].split("</p>")[0]
    # BFS is perfect at every pool size, so the essay's "increases" is not supported; the flat one is not the essay's.
    assert "novel success rises with the pool" in differ and "stays put" not in differ
