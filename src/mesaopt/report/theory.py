"""The report's Theory page: every analytic model at its default assumptions, held against the measured data."""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import shlex
import traceback
from pathlib import Path
from typing import Any

import jinja2

from mesaopt.report.sections import EXTRA_SECTIONS, Section

PAGE = "theory.html"
"""The page, relative to the report folder."""

FIGURE_DIR = "theory"
"""Folder of the page's figures, relative to the report folder."""

CACHE_FILE = "cache.json"
"""Outputs of the last build with the key they were computed for; reused when nothing they depend on changed."""


def _format(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def _cache_key(context) -> str:
    """A digest of everything the page depends on: the theory code and the measured data."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1] / "theory"
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    frame = context.diversity_power
    digest.update(b"none" if frame is None else frame.to_csv(index=False).encode())
    digest.update(json.dumps(context.program_costs, sort_keys=True, default=str).encode())
    digest.update((context.diversity_note + context.program_costs_note).encode())
    icl = context.icl_transition
    digest.update(b"none" if icl is None else icl.to_csv(index=False).encode())
    return digest.hexdigest()


def _model_view(name: str, entry, out: Path, context) -> dict[str, Any]:
    """Run one model at its defaults and describe it for the template; an error is shown, not raised."""
    params = entry.params()
    view: dict[str, Any] = {
        "name": name,
        "summary": entry.summary,
        "doc": inspect.getdoc(inspect.getmodule(entry.run)) or "",
        "command": shlex.join(["mesaopt", "theory", name]),
        "params": [
            {"name": key, "default": _format(getattr(params, key)), "help": info.description or ""}
            for key, info in entry.params.model_fields.items()
        ],
        "error": None,
        "text": "",
        "table": [],
        "figures": [],
        "data_used": [],
    }
    try:
        output = entry.run(params, out / FIGURE_DIR / name, context)
    except Exception:  # one broken model must not take the whole report down; the page shows the failure
        view["error"] = traceback.format_exc(limit=3)
        return view
    view["text"] = output.text
    view["table"] = [{"key": key, "value": _format(value)} for key, value in output.table.items()]
    view["figures"] = [f"{FIGURE_DIR}/{name}/{Path(figure).name}" for figure in output.figures]
    view["data_used"] = list(output.data_used)
    return view


def build_theory_page(out: Path, env: jinja2.Environment, common: dict[str, Any]) -> None:
    """Write theory.html and its figures into the report folder `out`."""
    from mesaopt.theory import THEORIES
    from mesaopt.theory.data import load_context

    store = common.get("store_root")
    context = load_context(Path(store) if store else None)
    key = _cache_key(context)
    cache = out / FIGURE_DIR / CACHE_FILE
    models = None
    if cache.exists():
        try:
            saved = json.loads(cache.read_text())
        except ValueError:
            saved = {}
        if saved.get("key") == key and all((out / f).exists() for m in saved["models"] for f in m["figures"]):
            models = saved["models"]
    if models is None:
        models = [_model_view(name, entry, out, context) for name, entry in THEORIES.items()]
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "models": models}), encoding="utf-8")
    page = env.get_template("theory.html.j2").render(
        models=models,
        diversity_note=context.diversity_note,
        program_costs_note=context.program_costs_note,
        page_title="Theory",
        root="",
        **common,
    )
    (out / PAGE).write_text(page, encoding="utf-8")


EXTRA_SECTIONS.append(
    Section(
        title="Theory",
        href=PAGE,
        summary="the essays' analytic models (the §2.1 toy model, the speed/simplicity priors, nested optimizers) "
        "at their default assumptions, fitted to the measured data where it exists",
        build=build_theory_page,
    )
)
