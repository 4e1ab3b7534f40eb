"""The report's Claims page: docs/claims.md rendered to HTML, one anchor per claim, so each study links to its claim.

The page is built only from a source checkout (the document lives in the repository's docs/ folder, beside src/);
an installed package without it gets no Claims page, and study pages show their `source` as plain text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

from mesaopt.report.sections import EXTRA_SECTIONS, Section

PAGE = "claims.html"
"""The page, relative to the report folder."""

DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "claims.md"
"""docs/claims.md of the checkout this package runs from."""

SOURCE_PREFIX = "docs/claims.md#"
"""How a study file's `source` names a claim."""


def anchor(title: str) -> str:
    """The anchor of a heading: lower case, runs of anything but letters, digits and '-' as one '-' (as GitHub)."""
    return re.sub(r"[^a-z0-9-]+", "-", title.strip().lower()).strip("-")


def render_claims(text: str) -> str:
    """The document as HTML (raw HTML in it escaped), each heading with its anchor as id."""
    md = MarkdownIt("commonmark", {"html": False})
    tokens = md.parse(text)
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            token.attrSet("id", anchor(tokens[i + 1].content))
    return md.renderer.render(tokens, md.options, {})


def source_href(source: str) -> str:
    """The report link of a study's source when it names a claim of docs/claims.md and the page exists; else ''."""
    if source.startswith(SOURCE_PREFIX) and DOCUMENT.is_file():
        return PAGE + "#" + source[len(SOURCE_PREFIX) :]
    return ""


def build_claims_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write claims.html from docs/claims.md (nothing when the document is not there)."""
    if not DOCUMENT.is_file():
        return
    body = Markup(render_claims(DOCUMENT.read_text(encoding="utf-8")))  # noqa: S704 - rendered with html disabled
    page = env.get_template("claims.html.j2").render(body=body, page_title="Claims", root="", **common)
    (out / PAGE).write_text(page, encoding="utf-8")


EXTRA_SECTIONS.append(
    Section(
        title="Claims",
        href=PAGE,
        summary="the essays' claims in the project's words, one anchor per claim; each study links to its own",
        build=build_claims_page,
    )
)
