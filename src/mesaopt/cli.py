"""`mesaopt`: list studies, run sweeps, inspect results, build the report."""

from __future__ import annotations

import json
import sys
import webbrowser
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mesaopt.locks import store_lock
from mesaopt.store import (
    RunRecord,
    RunState,
    connect,
    iter_runs,
    rebuild_catalog,
    run_state,
    save_study_document,
)
from mesaopt.study import MAX_SWEEP_RUNS, SCALES, RunSpec, Study, StudyError, find_study, list_studies, load_study
from mesaopt.theory.cli import CONTEXT_SETTINGS as THEORY_CONTEXT
from mesaopt.theory.cli import theory_command
from mesaopt.timing import SweepTimer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="mesaopt: test when training produces a learned optimizer. Studies in, verdicts out.",
)
console = Console()
errors = Console(stderr=True)

STUDIES_DIR = Path("studies")
OUT_DIR = Path("runs")
REPORT_DIR = Path("report")


class Scale(StrEnum):
    smoke = "smoke"
    quick = "quick"
    full = "full"


class Backend(StrEnum):
    local = "local"
    ray = "ray"


class Format(StrEnum):
    csv = "csv"
    parquet = "parquet"


StudiesOpt = Annotated[Path, typer.Option("--studies-dir", help="folder holding the study files")]
OutOpt = Annotated[Path, typer.Option("--out", help="run store: run directories and the catalog")]
ReportOpt = Annotated[Path, typer.Option("--report-dir", help="where the HTML report is written")]
ScaleOpt = Annotated[Scale, typer.Option("--scale", help="which of the study's scales to run")]
AllowLargeOpt = Annotated[
    bool, typer.Option("--allow-large", help=f"accept a sweep of more than {MAX_SWEEP_RUNS} runs per study")
]


def _bad_input(message: str) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(2)


def _load(names: list[str] | None, scale: str, studies_dir: Path, allow_large: bool = False) -> list[Study]:
    """The named studies, or the quick suite (suite = true) when none are named; exit 2 on a bad file."""
    try:
        if names:
            return [load_study(find_study(n, studies_dir), scale, allow_large) for n in names]
        studies = [load_study(p, scale, allow_large) for p in list_studies(studies_dir)]
    except StudyError as exc:
        raise _bad_input(str(exc)) from None
    suite = [s for s in studies if s.body.suite]
    if not suite:
        raise _bad_input(f"no study in {studies_dir} has suite = true; name the studies to run")
    return suite


def _runs(study: Study) -> list[RunSpec]:
    """The study's runs; exit 2 when a sweep point of a large study (validated only now) is invalid."""
    try:
        return study.runs()
    except StudyError as exc:
        raise _bad_input(str(exc)) from None


def _folder(path: Path, option: str, must_exist: bool = False) -> Path:
    """Check a folder option up front: exit 2 when it names a file, or is missing and must exist."""
    if path.exists() and not path.is_dir():
        raise _bad_input(f"{option} {path} is a file: expected a folder")
    if must_exist and not path.is_dir():
        raise _bad_input(f"{option} {path} does not exist: expected a run store (made by `mesaopt run`)")
    if not path.exists():
        parent = next((p for p in path.absolute().parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise _bad_input(f"{option} {path} cannot be created: {parent} is a file")
    return path


def _output_file(path: Path, option: str) -> Path:
    """Check an output file option up front: its folder must exist and it must not be a folder."""
    if path.is_dir():
        raise _bad_input(f"{option} {path} is a folder: expected a file name")
    if not path.absolute().parent.is_dir():
        raise _bad_input(f"{option} {path}: folder {path.absolute().parent} does not exist")
    return path


def _build_report(out: Path, report_dir: Path) -> Path:
    from mesaopt.report import build_report

    rebuild_catalog(out)
    return build_report(out, report_dir)


@app.command()
def studies(studies_dir: StudiesOpt = STUDIES_DIR) -> None:
    """List each study with its claim and the number of runs at each scale."""
    table = Table("study", "claim", "suite", *SCALES, title=f"studies in {studies_dir}")
    for path in list_studies(studies_dir):
        try:
            loaded = {s: load_study(path, s, allow_large=True) for s in SCALES}
        except StudyError as exc:
            table.add_row(path.stem, Text(f"invalid: {exc}", style="red"), "", "", "", "")
            continue
        body = loaded["quick"].body
        sizes = {s: loaded[s].size() for s in SCALES}
        counts = [
            f"{len(loaded[s].runs())} runs" if sizes[s] <= MAX_SWEEP_RUNS else f"{sizes[s]} runs (--allow-large)"
            for s in SCALES
        ]
        table.add_row(path.stem, Text(body.claim), "yes" if body.suite else "", *counts)
    console.print(table)


@app.command()
def run(
    names: Annotated[list[str] | None, typer.Argument(metavar="[STUDY]...", help="names or .toml paths")] = None,
    scale: ScaleOpt = Scale.quick,
    workers: Annotated[int | None, typer.Option(help="parallel runs; default: CPU cores")] = None,
    backend: Annotated[Backend, typer.Option(help="local process pool or Ray core tasks")] = Backend.local,
    ray_address: Annotated[str | None, typer.Option(help="existing Ray cluster; default: start one")] = None,
    out: OutOpt = OUT_DIR,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="run failed runs again")] = False,
    report_dir: ReportOpt = REPORT_DIR,
    studies_dir: StudiesOpt = STUDIES_DIR,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run studies (default: the quick suite), skipping finished runs, then rebuild the catalog and report."""
    if workers is not None and workers < 1:
        raise _bad_input(f"--workers has value {workers}: expected a positive integer")
    _folder(out, "--out")
    _folder(report_dir, "--report-dir")
    chosen = _load(names, scale.value, studies_dir, allow_large)
    specs = [spec for study in chosen for spec in _runs(study)]
    with store_lock(out, on_wait=lambda message: errors.print(message, highlight=False, markup=False)):
        _sweep(chosen, specs, scale, workers, backend, ray_address, out, retry_failed, report_dir)


def _sweep(
    chosen: list[Study],
    specs: list[RunSpec],
    scale: Scale,
    workers: int | None,
    backend: Backend,
    ray_address: str | None,
    out: Path,
    retry_failed: bool,
    report_dir: Path,
) -> None:
    """The body of `run`, under the store's writer lock."""
    from mesaopt.execute import plan_sweep, worker_count

    for study in chosen:
        save_study_document(out, study.id, scale.value, study.document)
    plan = plan_sweep(out, specs, retry_failed)
    for reason in plan.corrupt:
        console.print(f"[yellow]re-running a corrupt run directory:[/] {reason}")
    console.print(
        f"{len(specs)} runs in {len(chosen)} studies at scale {scale.value}: {plan.done} already done, "
        f"{plan.failed} failed before (kept; --retry-failed reruns them), {len(plan.to_run)} to run"
    )
    study_of = {s.id: s.study for s in plan.to_run}
    timer = SweepTimer(out, scale.value, study_of, worker_count(workers), backend.value)
    failures = _run_with_progress(out, plan, backend.value, workers, ray_address, timer.record)
    index = _build_report(out, report_dir)
    if failures:
        console.print(f"[red]{len(failures)} runs failed[/]; see `mesaopt status` and `mesaopt show RUN_ID`")
    console.print(f"report: {index.resolve()}")


def _run_with_progress(
    out: Path, plan, backend: str, workers: int | None, ray_address: str | None, on_record: Callable[[RunRecord], None]
) -> list:
    """Execute the plan with progress bars; `on_record` also sees every record (the sweep's timer)."""
    from mesaopt.execute import execute_plan

    failures: list[RunRecord] = []
    total = len(plan.to_run)
    if not total:
        return failures
    interactive = console.is_terminal
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not interactive,
    )
    sweep_bar = progress.add_task("sweep", total=total)
    run_bars: dict[str, int] = {}
    finished = [0]

    def on_progress(run_id: str, step: int, steps: int) -> None:
        if run_id not in run_bars:
            run_bars[run_id] = progress.add_task(f"  train {run_id[:8]}", total=steps)
        progress.update(run_bars[run_id], completed=step, total=steps)

    def on_result(record: RunRecord) -> None:
        on_record(record)
        finished[0] += 1
        progress.advance(sweep_bar)
        if record.run_id in run_bars:
            progress.remove_task(run_bars.pop(record.run_id))
        if record.status != "done":
            failures.append(record)
        axes = " ".join(f"{k}={v}" for k, v in record.spec.get("axes", {}).items())
        line = (
            f"[{finished[0]}/{total}] {record.status:6} {record.spec['study']}/{record.run_id} {axes} "
            f"seed={record.spec['seed']} ({record.wall_s:.1f} s)"
        )
        if record.error:
            line += f": {record.error}"
        progress.console.print(line, highlight=False, markup=False, soft_wrap=True)

    with progress:
        execute_plan(out, plan, backend, workers, ray_address, on_result, on_progress)
    return failures


@app.command()
def status(
    names: Annotated[list[str] | None, typer.Argument(metavar="[STUDY]...")] = None,
    scale: ScaleOpt = Scale.quick,
    out: OutOpt = OUT_DIR,
    studies_dir: StudiesOpt = STUDIES_DIR,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Done, failed, corrupt and pending runs per study at a scale."""
    _folder(out, "--out")
    chosen = _load(names or [p.stem for p in list_studies(studies_dir)], scale.value, studies_dir, allow_large)
    table = Table("study", "done", "failed", "corrupt", "pending", title=f"scale {scale.value}, store {out}")
    for study in chosen:
        counts = dict.fromkeys(RunState, 0)
        for spec in _runs(study):
            counts[run_state(out, study.id, spec.id)[0]] += 1
        table.add_row(
            study.id,
            *(str(counts[s]) for s in (RunState.DONE, RunState.FAILED, RunState.CORRUPT, RunState.MISSING)),
        )
    console.print(table)


@app.command()
def results(
    study: Annotated[str, typer.Argument(help="study id")],
    format: Annotated[Format, typer.Option("--format", help="csv or parquet")] = Format.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write; csv default: stdout")] = None,
    out: OutOpt = OUT_DIR,
) -> None:
    """One row per run of a study: run id, seed, axes, status and every scalar metric (corrupt runs: no metrics)."""
    _folder(out, "--out", must_exist=True)
    if output is not None:
        _output_file(output, "--output")
    rebuild_catalog(out)
    with connect(out) as con:
        runs = con.execute("SELECT run_id, seed, status, error, wall_s FROM runs WHERE study = ?", [study]).df()
        if runs.empty:
            raise _bad_input(f"study {study!r} has no runs in {out}")
    counts = runs["status"].value_counts()
    summary = ", ".join(f"{int(counts.get(s, 0))} {s}" for s in ("done", "failed", "corrupt"))
    note = " (corrupt: damaged files, no metrics; `mesaopt run` redoes them)" if counts.get("corrupt") else ""
    errors.print(f"{study}: {summary}{note}", highlight=False, markup=False, soft_wrap=True)
    with connect(out) as con:
        axes = con.execute("SELECT run_id, axis, value FROM axes WHERE study = ?", [study]).df()
        metrics = con.execute("SELECT run_id, metric, value FROM metrics WHERE study = ?", [study]).df()
    if not axes.empty:
        axes["value"] = axes["value"].map(json.loads)
        wide = axes.pivot(index="run_id", columns="axis", values="value").reset_index()
        runs = runs.merge(wide, on="run_id", how="left")  # corrupt runs have no axes
    if not metrics.empty:
        runs = runs.merge(
            metrics.pivot(index="run_id", columns="metric", values="value").reset_index(),
            on="run_id",
            how="left",
        )
    runs = runs.sort_values(["run_id"]).reset_index(drop=True)
    if format is Format.csv:
        runs.to_csv(output or sys.stdout, index=False)
        return
    if output is None:
        raise _bad_input("--format parquet needs --output FILE")
    import duckdb

    with duckdb.connect() as con:
        con.register("frame", runs.astype({c: "string" for c in runs.columns if runs[c].dtype == object}))
        con.execute(f"COPY frame TO '{_sql_path(output)}' (FORMAT PARQUET)")
    console.print(f"wrote {output}")


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


@app.command()
def report(
    open_: Annotated[bool, typer.Option("--open", help="open the index in a browser")] = False,
    out: OutOpt = OUT_DIR,
    report_dir: ReportOpt = REPORT_DIR,
) -> None:
    """Rebuild the catalog from the run directories and write the static HTML report."""
    _folder(out, "--out", must_exist=True)
    _folder(report_dir, "--report-dir")
    index = _build_report(out, report_dir)
    console.print(f"report: {index.resolve()}")
    if open_:
        webbrowser.open(index.resolve().as_uri())


@app.command()
def show(
    run_id: Annotated[str, typer.Argument(help="a run id, or a unique prefix of one")],
    out: OutOpt = OUT_DIR,
) -> None:
    """Show one run: its spec, status, metrics and where its files are."""
    matches = [(p, r) for p, r in iter_runs(out) if p.name.startswith(run_id)]
    if len(matches) != 1:
        found = ", ".join(str(p) for p, _ in matches[:5]) or "none"
        raise _bad_input(f"run id {run_id!r} matches {len(matches)} runs in {out} (expected one): {found}")
    path, record = matches[0]
    console.print(f"[bold]{path}[/]")
    if isinstance(record, Exception):
        console.print(f"[red]corrupt:[/] {record}")
        raise typer.Exit(1)
    console.print_json(json.dumps(record.spec))
    console.print(f"status: {record.status}" + (f" ({record.error})" if record.error else ""))
    table = Table("metric", "value")
    for name, value in sorted(record.metrics.items()):
        table.add_row(name, json.dumps(value) if isinstance(value, list) else f"{value:.6g}")
    console.print(table)


@app.command()
def calibrate(
    seed: Annotated[int, typer.Option(help="seed of the calibration mazes and cases")] = 0,
    out: OutOpt = OUT_DIR,
    report_dir: ReportOpt = REPORT_DIR,
) -> None:
    """Run the detector batteries on learned algorithms of known nature; write <out>/calibration.json (mazes),
    <out>/program_calibration.json (word-task programs) and the report."""
    from mesaopt.detectors.calibration import run_calibration
    from mesaopt.detectors.program_calibration import run_program_calibration

    if seed < 0:
        raise _bad_input(f"--seed has value {seed}: expected a non-negative integer")
    _folder(out, "--out")
    _folder(report_dir, "--report-dir")
    passed = run_calibration(seed, out, console)
    passed = run_program_calibration(seed, out, console) and passed
    console.print(f"report: {_build_report(out, report_dir).resolve()}")
    if not passed:
        raise typer.Exit(1)


app.command("theory", context_settings=THEORY_CONTEXT)(theory_command)


def main() -> None:
    """Console entry point."""
    app()
