"""The static HTML report: an index of verdicts and a page per study, built from the run store alone."""

from __future__ import annotations

import json
import math
import shlex
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from mesaopt import __version__
from mesaopt.analysis import VERDICT_RULES, VERDICTS, HypothesisResult, judge
from mesaopt.provenance import made_by_other_code
from mesaopt.report import cache
from mesaopt.report.curves import training_panel
from mesaopt.report.gallery import maze_panels
from mesaopt.report.learning import learned_frame, learning_panel, transition_panel
from mesaopt.report.plots import metric_vs_axis
from mesaopt.report.sections import EXTRA_SECTIONS, environment
from mesaopt.report.sections import Section as Section  # re-exported for pages written against the old place
from mesaopt.store import connect, load_study_documents, metrics_frame, run_dir
from mesaopt.study import SCALES, Study, StudyError, study_from_document
from mesaopt.timing import MeasuredTime, duration, load_timing, measured_time

_environment = environment
"""The template environment under the name the calibration pages' tests import."""

METRICS_SHOWN = 6
"""Metric columns in a study page's run table: the hypotheses' metrics first, then others up to this count."""

STUDY_BUDGET_S = {"quick": 4 * 60.0}
"""Wall-clock budget of one study's sweep by scale, on 2 CPU cores (issue 5); scales without one show no budget."""

RUN_STATES = ("done", "failed", "corrupt", "pending")
"""What a page counts: corrupt runs (damaged files, redone by `mesaopt run`) apart from pending and failed ones."""

SUITE_BUDGET_S = 20 * 60.0
"""Wall-clock budget of the whole quick suite (`make demo`) on 2 CPU cores."""


def _json_safe(value: Any) -> Any:
    """Plain JSON: NaN and infinities become null, anything exotic becomes its string form."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "item"):
        return _json_safe(value.item())
    return str(value)


@dataclass
class StudyView:
    """What the templates need to show one study."""

    id: str
    title: str
    claim: str
    source: str = ""
    description: str = ""
    scale: str = ""
    axes: dict[str, list] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    detectors: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RUN_STATES, 0))
    results: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, str]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    shown_metrics: list[str] = field(default_factory=list)
    config: str = ""
    command: str = ""
    full_command: str = ""
    compute_time: str = ""
    suite: bool = False
    timing: MeasuredTime = field(default_factory=MeasuredTime)
    other_code: int = 0
    source_href: str = ""
    """Link to the study's claim on the Claims page, when its source names one."""
    """Stored runs of this study made by code other than the report's (`provenance`)."""
    time_text: dict[str, str] = field(default_factory=lambda: _time_text(MeasuredTime(), "", 0))
    error: str | None = None
    panels: list[dict[str, Any]] = field(default_factory=list)
    predicted: str = ""
    essay_rows: list[dict[str, Any]] = field(default_factory=list)
    """The results of the hypotheses that state the essay's prediction, each with whether the measurement agrees."""


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:+.3f}"


def _ci(ci: tuple[float, float]) -> str:
    return "[n/a]" if any(math.isnan(v) for v in ci) else f"[{ci[0]:+.3f}, {ci[1]:+.3f}]"


def _number(value: Any) -> float | None:
    if value == "inf":
        return math.inf
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _axis_position(values: pd.Series, order: list) -> pd.Series:
    """Numeric axes keep their values (inf included); other axes take their position in the declared order."""
    if all(_number(v) is not None for v in order):
        return values.map(_number)
    return values.map({v: i for i, v in enumerate(order)})


def _choose_scale(root: Path, study_id: str, documents: dict[str, dict]) -> tuple[str, Study] | None:
    """The largest scale whose saved study has at least one stored run; else the largest saved one."""
    candidates = [s for s in reversed(SCALES) if s in documents]
    fallback = None
    for scale in candidates:
        study = study_from_document(study_id, documents[scale], scale, allow_large=True)
        fallback = fallback or (scale, study)
        if any((root / study_id / spec.id / "DONE").exists() for spec in study.runs()):
            return scale, study
    return fallback


def _study_view(root: Path, con, study_id: str, documents: dict[str, dict], out: Path) -> StudyView:
    try:
        chosen = _choose_scale(root, study_id, documents)
    except StudyError as exc:
        return StudyView(study_id, study_id, "", error=str(exc))
    scale, study = chosen
    body = study.body
    specs = study.runs()
    view = StudyView(
        study.id,
        study.title,
        body.claim,
        body.source,
        body.description,
        scale,
        study.axes,
        body.seeds,
        body.detectors,
        config=json.dumps(study.document, indent=2, sort_keys=True, default=str),
        command=shlex.join(["mesaopt", "run", study.id, "--scale", scale]),
        full_command=shlex.join(["mesaopt", "run", study.id, "--scale", "full"]),
    )
    run_ids = [s.id for s in specs]
    spec_rows = pd.DataFrame([{"run_id": s.id, "seed": s.seed, **s.axes} for s in specs])
    stored = metrics_frame(con, study.id, run_ids)
    frame = spec_rows.merge(stored, on="run_id", how="left")
    frame["status"] = frame["status"].fillna("pending")
    for state in RUN_STATES:
        view.counts[state] = int((frame["status"] == state).sum())
    view.compute_time = f"{frame['wall_s'].fillna(0).sum():.1f} s"
    view.suite = bool(body.suite)
    produced = set(frame.loc[frame["status"].isin(["done", "failed"]), "run_id"])
    view.source_href = source_href(body.source)
    view.other_code = sum(made_by_other_code(run_dir(root, study.id, run_id)) for run_id in produced)
    view.timing = measured_time(load_timing(root, study.id, scale), produced)
    view.time_text = _time_text(view.timing, scale, len(produced))
    figure_dir = out / "studies" / study.id
    figure_dir.mkdir(parents=True, exist_ok=True)
    fingerprint = cache.study_fingerprint(root, study.id, scale, study.document, run_ids)
    done = frame[frame["status"] == "done"]
    for i, hyp in enumerate(body.hypotheses):
        subset = done
        for axis, value in hyp.where.items():
            subset = subset[subset[axis] == value]
        if hyp.contrast is not None:
            subset = subset[subset[hyp.axis].isin(hyp.contrast)]
        piece = cache.cached(
            figure_dir,
            f"h{i}",
            fingerprint,
            lambda hyp=hyp, i=i, subset=subset: _hypothesis_piece(study, hyp, i, subset, figure_dir),
            lambda piece: [piece["file"]] if piece["file"] else [],
        )
        result = _result_from(piece["result"])
        if piece["file"]:
            view.figures.append({"src": f"{study.id}/{piece['file']}", "caption": piece["caption"]})
        view.results.append(_result_row(hyp, result))
        view.results[-1]["calibration_href"] = _calibration_href() if ".is_" in hyp.metric else ""
        if hyp.essay:
            view.essay_rows.append({**view.results[-1], "agrees": view.results[-1]["verdict"] == "supported"})
    view.predicted = body.predicted
    metric_names = [c for c in frame.columns if "." in c and c not in study.axes and not c.endswith(("_lo", "_hi"))]
    wanted = [h.metric for h in body.hypotheses if h.metric in metric_names]
    view.shown_metrics = list(dict.fromkeys(wanted + metric_names))[:METRICS_SHOWN]
    for row in frame.to_dict("records"):
        view.rows.append(
            {
                "run_id": row["run_id"],
                "seed": row["seed"],
                "axes": {a: row[a] for a in study.axes},
                "status": row["status"],
                "error": row.get("error") if isinstance(row.get("error"), str) else None,
                "metrics": {m: _cell(row.get(m)) for m in view.shown_metrics},
                "wall": _cell(row.get("wall_s"), "{:.2f}"),
            }
        )
    view.panels = [learning_panel(study, frame), transition_panel(study, frame)]
    view.panels += maze_panels(root, con, study, frame, figure_dir, _calibration_href(), fingerprint)
    view.panels.append(training_panel(study, con, frame, figure_dir))
    view.panels = [p for p in view.panels if p is not None]
    return view


def _hypothesis_piece(study: Study, hyp, i: int, subset: pd.DataFrame, figure_dir: Path) -> dict[str, Any]:
    """The slow part of a hypothesis: its premise check, bootstrap analysis and plot (cached by the caller).

    A contrast [A, B] places A at 1 and B at 0, so the endpoint difference is mean(A) - mean(B).
    """
    order = list(reversed(hyp.contrast)) if hyp.contrast is not None else study.axes[hyp.axis]
    position = (
        _axis_position(subset[hyp.axis], order)
        if hyp.contrast is None
        else subset[hyp.axis].map({hyp.contrast[1]: 0.0, hyp.contrast[0]: 1.0})
    )
    data = pd.DataFrame(
        {
            "seed": subset["seed"],
            "x": position,
            "y": subset[hyp.metric] if hyp.metric in subset.columns else float("nan"),
            "label": subset[hyp.axis],
        }
    ).dropna(subset=["y"])
    conditions = [a for a in study.axes if a not in hyp.where]
    only = hyp.where.get("learner", next(iter(study.body.learners)))
    learned = learned_frame(subset, conditions, str(only)) if hyp.check_learning else None
    result = judge(
        data, hyp.metric, hyp.axis, hyp.direction, hyp.where, hyp.tolerance, learned, hyp.control, hyp.min_effect
    )
    piece = {"result": _json_safe(result.as_dict()), "caption": "", "file": ""}
    if data.empty:
        return piece
    series = [a for a in study.axes if a not in (hyp.axis, *hyp.where)]
    name = f"h{i}.png"
    left_out = metric_vs_axis(subset, hyp.axis, order, hyp.metric, series, figure_dir / name, _hypothesis_text(hyp))
    caption = f"{hyp.metric} against {hyp.axis}: mean over seeds with a 95% bootstrap band"
    if left_out:
        caption += f" ({left_out} series left out)"
    return {**piece, "caption": caption, "file": name}


def _result_from(saved: dict[str, Any]) -> HypothesisResult:
    """A HypothesisResult back from its cached JSON form (null intervals and effects are NaN again)."""
    nan = float("nan")

    def number(value: Any) -> float:
        return nan if value is None else float(value)

    return HypothesisResult(
        **{
            **saved,
            "rho": number(saved["rho"]),
            "diff": number(saved["diff"]),
            "rho_ci": tuple(number(v) for v in saved["rho_ci"]),
            "diff_ci": tuple(number(v) for v in saved["diff_ci"]),
        }
    )


def _budget_text(seconds: float, budget: float | None, what: str) -> tuple[str, str]:
    """('within the 4-minute budget' or 'OVER ...', css class), or empty when the scale has no budget."""
    if budget is None:
        return "", ""
    minutes = f"{budget / 60:g}-minute budget"
    if seconds <= budget:
        return f"within {what} {minutes}", "supported"
    return f"OVER {what} {minutes}", "contradicted"


def _time_text(timing: MeasuredTime, scale: str, produced: int) -> dict[str, str]:
    """The study's measured elapsed time, its budget and how much of the shown runs the timed sweeps cover."""
    if not timing.measured:
        note = "no timed sweep produced these runs"
        return {"elapsed": "not recorded", "budget": "", "budget_class": "", "note": note}
    budget, css = _budget_text(timing.elapsed_s, STUDY_BUDGET_S.get(scale), "the")
    sweeps = len(set(timing.sweeps))
    note = f"from {sweeps} sweep{'s' if sweeps != 1 else ''}"
    if timing.covered < produced:
        note += f"; only {timing.covered} of the {produced} runs shown were produced by a timed sweep"
    return {"elapsed": duration(timing.elapsed_s), "budget": budget, "budget_class": css, "note": note}


def suite_time(views: list[StudyView]) -> dict[str, str] | None:
    """The quick suite's measured time: the distinct sweeps that produced its studies' runs, against the budget."""
    suite = [v for v in views if v.suite and v.scale == "quick"]
    timed = [v for v in suite if v.timing.measured]
    if not timed:
        return None
    sweeps: dict[str, float] = {}
    for view in timed:
        for sweep, seconds in view.timing.sweep_elapsed_s.items():
            sweeps[sweep] = max(sweeps.get(sweep, 0.0), seconds)
    total = sum(sweeps.values())
    budget, css = _budget_text(total, SUITE_BUDGET_S, "the suite's")
    untimed = len(suite) - len(timed)
    return {
        "total": duration(total),
        "spans": duration(sum(v.timing.elapsed_s for v in timed)),
        "studies": str(len(timed)),
        "sweeps": str(len(sweeps)),
        "budget": budget,
        "budget_class": css,
        "untimed": str(untimed) if untimed else "",
    }


def _calibration_href() -> str:
    """The Calibration page's address when a section registered it, else empty (no link)."""
    return next((s.href for s in EXTRA_SECTIONS if "calibration" in s.href), "")


def _cell(value: Any, pattern: str = "{:.4g}") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return pattern.format(value)


def _hypothesis_text(hyp) -> str:
    where = ", ".join(f"{k}={v}" for k, v in hyp.where.items())
    text = f"{hyp.metric} {hyp.direction} with {hyp.axis}"
    if hyp.direction == "flat":
        text = f"{hyp.metric} stays within ±{hyp.tolerance} along {hyp.axis}"
    if hyp.contrast is not None:
        a, b = hyp.contrast
        text = f"{hyp.metric} is greater at {hyp.axis}={a} than at {b}"
        if hyp.direction == "flat":
            text = f"{hyp.metric} at {hyp.axis}={a} stays within ±{hyp.tolerance} of its value at {b}"
    if hyp.min_effect is not None:
        text += f" by at least {hyp.min_effect:g}"
    if hyp.control:
        text += " [control]"
    return f"{hyp.label + ': ' if hyp.label else ''}{text}{f' ({where})' if where else ''}"


def _result_row(hyp, result: HypothesisResult) -> dict[str, Any]:
    return {
        "text": _hypothesis_text(hyp),
        "verdict": result.verdict,
        "reason": result.reason,
        "n_runs": result.n_runs,
        "n_seeds": result.n_seeds,
        "diff_text": f"{_fmt(result.diff)} ({result.x_low} → {result.x_high})" if result.n_runs else "no data",
        "diff_ci_text": _ci(result.diff_ci),
        "rho_text": f"{_fmt(result.rho)} {_ci(result.rho_ci)}",
        "result": result.as_dict(),
    }


def verdict_counts(views: list[StudyView]) -> dict[str, int]:
    """How many hypotheses of the report earned each verdict, every verdict listed."""
    counts = dict.fromkeys(VERDICTS, 0)
    for view in views:
        for row in view.results:
            counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    return counts


def summary_entry(value: Any) -> Any:
    """A result as plain JSON with no null anywhere: undefined numbers (NaN, an unknown endpoint) are left out."""
    if isinstance(value, dict):
        kept = {str(k): summary_entry(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None}
    if isinstance(value, list | tuple):
        items = [summary_entry(v) for v in value]
        return None if any(v is None for v in items) else items
    return _json_safe(value)


def build_report(root: Path, out: Path) -> Path:
    """Write index.html, a page per study and the extra sections into `out`; return the index path."""
    started = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    saved = load_study_documents(root)
    common = {
        "version": __version__,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "store_root": str(root),
        "nav_links": [{"href": s.href, "title": s.title} for s in EXTRA_SECTIONS],
    }
    with connect(root) as con:
        views = [_study_view(root, con, sid, docs, out) for sid, docs in sorted(saved.documents.items())]
    for sid, problems in sorted(saved.problems.items()):
        if sid not in saved.documents:
            views.append(StudyView(sid, sid, "", error="; ".join(problems)))
    views.sort(key=lambda v: v.id)
    (out / "studies").mkdir(exist_ok=True)
    for view in views:
        page = env.get_template("study.html.j2").render(
            s=view, rules=VERDICT_RULES, page_title=view.title, root="../", **common
        )
        (out / "studies" / f"{view.id}.html").write_text(page, encoding="utf-8")
    for section in EXTRA_SECTIONS:
        section.build(out, env, common)
    index = env.get_template("index.html.j2").render(
        studies=views,
        sections=EXTRA_SECTIONS,
        store=str(root),
        page_title="Studies",
        root="",
        suite=suite_time(views),
        counts=verdict_counts(views),
        build_time=duration(time.perf_counter() - started),
        **common,
    )
    path = out / "index.html"
    path.write_text(index, encoding="utf-8")
    (out / "summary.json").write_text(
        json.dumps({v.id: [summary_entry(r["result"]) for r in v.results] for v in views}, indent=2, allow_nan=False),
        encoding="utf-8",
    )
    return path


# Pages that register themselves in EXTRA_SECTIONS on import.
from mesaopt.report import calibration as _calibration_page  # noqa: E402, F401
from mesaopt.report import theory as _theory_page  # noqa: E402, F401
from mesaopt.report.claims import source_href  # noqa: E402  (the import registers the Claims page)
