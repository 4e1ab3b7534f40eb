"""docs/claims.md: every study's source points at one of its anchors, the report renders it safely, and nothing
cites documents outside the repository."""

from __future__ import annotations

import re

from mesaopt.report.claims import DOCUMENT, SOURCE_PREFIX, anchor, render_claims, source_href
from mesaopt.study import list_studies, load_study
from tests.conftest import ROOT, STUDIES


def anchors() -> set[str]:
    return set(re.findall(r'<h[1-6] id="([^"]+)"', render_claims(DOCUMENT.read_text(encoding="utf-8"))))


def test_every_study_source_names_a_claim_of_the_document():
    known = anchors()
    for path in list_studies(STUDIES):
        source = load_study(path, "smoke", check_metrics=False).body.source
        assert source.startswith(SOURCE_PREFIX), path
        assert source[len(SOURCE_PREFIX) :] in known, (path, source)
        assert source_href(source) == "claims.html#" + source[len(SOURCE_PREFIX) :]


def test_study_files_and_pages_cite_nothing_outside_the_repository():
    cited = re.compile(r"CLAIMS\.md|seed 00\d")
    templates = ROOT / "src" / "mesaopt" / "report" / "templates"
    files = [*STUDIES.glob("*.toml"), templates / "study.html.j2", templates / "index.html.j2"]
    assert [p.name for p in files if cited.search(p.read_text(encoding="utf-8"))] == []


def test_the_rendering_escapes_raw_html_and_gives_headings_anchors():
    html = render_claims("# Claims\n\n### goal-proxy\n\n<script>alert(1)</script> text\n")
    assert '<h3 id="goal-proxy">' in html and "<script>" not in html and "&lt;script&gt;" in html
    assert anchor("Simplicity vs. speed") == "simplicity-vs-speed"
