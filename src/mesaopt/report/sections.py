"""What the report's extra pages share, apart from the report builder so a page module never imports it back:
the list pages register themselves in, and the template environment."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2


@dataclass
class Section:
    """An extra report page (calibration, theory): a title, a one-line summary and a builder writing the page."""

    title: str
    href: str
    summary: str
    build: Callable[[Path, jinja2.Environment, dict[str, Any]], None]


EXTRA_SECTIONS: list[Section] = []
"""Pages every report carries beyond the studies; features register theirs here."""


def environment() -> jinja2.Environment:
    """The report's jinja2 environment: package templates, autoescape on, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mesaopt.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
