"""`mesaopt`: list studies, run sweeps, inspect results, build the report."""

from __future__ import annotations

import json
import shlex
import sys
import webbrowser
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mesaopt.locks import store_lock
from mesaopt.study import (
    MAX_SWEEP_RUNS,
    SCALES,
    RunSpec,
    Study,
    StudyError,
    find_study,
    list_studies,
    load_scales,
    load_study,
)
from mesaopt.theory.cli import CONTEXT_SETTINGS as THEORY_CONTEXT
from mesaopt.theory.cli import theory_command

if TYPE_CHECKING:  # the run store (numpy) and the executor load inside the commands that use them
    from mesaopt.store import RunRecord

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


class Device(StrEnum):
    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"


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


def _need_dir(option: str, path: Path, what: str) -> None:
    """Exit 2 with a clear message when a folder option points nowhere (the defaults are relative to the current
    folder, so running mesaopt elsewhere than the project's folder lands here)."""
    if not path.is_dir():
        where = path if path.is_absolute() else f"{path} (relative to {Path.cwd()})"
        raise _bad_input(f"{option} {where}: no such folder; expected {what}")


def _load(
    names: list[str] | None, scale: str, studies_dir: Path, check_metrics: bool = True, allow_large: bool = False
) -> list[Study]:
    """The named studies, or the quick suite (suite = true) when none are named; exit 2 on a bad file.

    `check_metrics=False` (for commands that only count runs) leaves the detectors unimported."""
    if not names or not all(n.endswith(".toml") for n in names):
        _need_dir("--studies-dir", studies_dir, "the folder of study files (run mesaopt in the project's folder)")
    try:
        if names:
            return [load_study(find_study(n, studies_dir), scale, check_metrics, allow_large) for n in names]
        studies = [load_study(p, scale, check_metrics, allow_large) for p in list_studies(studies_dir)]
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
        where = "" if path.is_absolute() else f" (relative to {Path.cwd()})"
        raise _bad_input(
            f"{option} {path} does not exist{where}: no such folder; expected a run store (made by `mesaopt run`)"
        )
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
    from mesaopt.store import rebuild_catalog

    rebuild_catalog(out)
    return build_report(out, report_dir)


@app.command()
def studies(studies_dir: StudiesOpt = STUDIES_DIR) -> None:
    """List each study with its claim and the number of runs at each scale."""
    _need_dir("--studies-dir", studies_dir, "the folder of study files (run mesaopt in the project's folder)")
    table = Table("study", "claim", "suite", *SCALES, title=f"studies in {studies_dir}")
    for path in list_studies(studies_dir):
        try:
            loaded = load_scales(path, check_metrics=False)
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
    from mesaopt.registry import broken_plugins

    for line in broken_plugins():
        errors.print(f"[yellow]warning:[/] {line}", highlight=False, markup=True, soft_wrap=True)


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
    device: Annotated[
        Device | None,
        typer.Option(
            help="train every learner that has a device here instead (run ids unchanged); default: as written"
        ),
    ] = None,
    gpus_per_run: Annotated[
        float, typer.Option(help="Ray backend: GPUs a run that trains on a GPU asks for (a fraction shares one)")
    ] = 1.0,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Run studies (default: the quick suite), skipping finished runs, then rebuild the catalog and report."""
    if workers is not None and workers < 1:
        raise _bad_input(f"--workers has value {workers}: expected a positive integer")
    if not gpus_per_run > 0:
        raise _bad_input(f"--gpus-per-run has value {gpus_per_run}: expected a positive number (a fraction of a GPU)")
    _folder(out, "--out")
    _folder(report_dir, "--report-dir")
    chosen = _load(names, scale.value, studies_dir, allow_large=allow_large)
    specs = [spec for study in chosen for spec in _runs(study)]
    chosen_device = device.value if device else None
    with store_lock(out, on_wait=lambda message: errors.print(message, highlight=False, markup=False)):
        _sweep(
            chosen,
            specs,
            scale,
            workers,
            backend,
            ray_address,
            out,
            retry_failed,
            report_dir,
            chosen_device,
            gpus_per_run,
        )


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
    device: str | None = None,
    gpus_per_run: float = 1.0,
) -> None:
    """The body of `run`, under the store's writer lock."""
    from mesaopt.execute import plan_sweep, worker_count
    from mesaopt.store import save_study_document
    from mesaopt.timing import SweepTimer

    for study in chosen:
        save_study_document(out, study.id, scale.value, study.document)
    plan = plan_sweep(out, specs, retry_failed)
    for reason in plan.corrupt:
        console.print(f"[yellow]re-running a corrupt run directory:[/] {reason}")
    console.print(
        f"{len(specs)} runs in {len(chosen)} studies at scale {scale.value}: {plan.done} already done"
        f"{f' ({plan.copied} copied from another study that had the same run)' if plan.copied else ''}, "
        f"{plan.failed} failed before (kept; --retry-failed reruns them), {len(plan.to_run)} to run"
    )
    study_of = {s.id: s.study for s in plan.to_run}
    timer = SweepTimer(out, scale.value, study_of, worker_count(workers), backend.value)
    failures = _run_with_progress(out, plan, backend.value, workers, ray_address, timer.record, device, gpus_per_run)
    index = _build_report(out, report_dir)
    if failures:
        console.print(f"[red]{len(failures)} runs failed[/]; see `mesaopt status` and `mesaopt show RUN_ID`")
    console.print(f"report: {index.resolve()}")


def _run_with_progress(
    out: Path,
    plan,
    backend: str,
    workers: int | None,
    ray_address: str | None,
    on_record: Callable[[RunRecord], None],
    device: str | None = None,
    gpus_per_run: float = 1.0,
) -> list:
    """Execute the plan with progress bars; `on_record` also sees every record (the sweep's timer)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
        execute_plan(out, plan, backend, workers, ray_address, on_result, on_progress, device, gpus_per_run)
    return failures


@app.command()
def status(
    names: Annotated[list[str] | None, typer.Argument(metavar="[STUDY]...")] = None,
    scale: ScaleOpt = Scale.quick,
    out: OutOpt = OUT_DIR,
    studies_dir: StudiesOpt = STUDIES_DIR,
    allow_large: AllowLargeOpt = False,
) -> None:
    """Done, failed, corrupt and pending runs per study at a scale, and how many stored runs other code made."""
    from mesaopt.provenance import current_code, made_by_other_code
    from mesaopt.store import RunState, run_dir, run_state

    _folder(out, "--out")
    current = current_code()
    names = names or [p.stem for p in list_studies(studies_dir)]
    chosen = _load(names, scale.value, studies_dir, check_metrics=False, allow_large=allow_large)
    table = Table(
        "study", "done", "failed", "corrupt", "pending", "other code", title=f"scale {scale.value}, store {out}"
    )
    for study in chosen:
        counts = dict.fromkeys(RunState, 0)
        other = 0
        for spec in _runs(study):
            state = run_state(out, study.id, spec.id)[0]
            counts[state] += 1
            stored = state in (RunState.DONE, RunState.FAILED)
            other += stored and made_by_other_code(run_dir(out, study.id, spec.id), current)
        table.add_row(
            study.id,
            *(str(counts[s]) for s in (RunState.DONE, RunState.FAILED, RunState.CORRUPT, RunState.MISSING)),
            Text(str(other), style="yellow" if other else ""),
        )
    console.print(table)
    console.print(
        f"code {current}; 'other code': stored runs made by a different version of mesaopt's source "
        "(or one that recorded none). Run ids do not change with the code: `show RUN_ID` says which code made a run."
    )


@app.command()
def results(
    study: Annotated[str, typer.Argument(help="study id")],
    format: Annotated[Format, typer.Option("--format", help="csv or parquet")] = Format.csv,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write; csv default: stdout")] = None,
    out: OutOpt = OUT_DIR,
) -> None:
    """One row per run of a study, sorted by axes and seed: run id, seed, axes, status and every scalar metric
    (corrupt runs: no metrics).

    Reads the catalog as the last `run` or `report` left it, rebuilt first only when the run store changed since
    (a run written, redone or damaged) or it is absent."""
    from mesaopt.store import catalog_stale, connect, rebuild_catalog

    _folder(out, "--out", must_exist=True)
    if output is not None:
        _output_file(output, "--output")
    if catalog_stale(out):
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
    axis_names = sorted(axes["axis"].unique()) if not axes.empty else []
    runs = runs[["run_id", *axis_names, "seed", *(c for c in runs.columns if c not in {"run_id", "seed", *axis_names})]]
    runs = runs.sort_values([*axis_names, "seed", "run_id"], key=_sort_key).reset_index(drop=True)
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


def _sort_key(column):
    """Sort numbers as numbers and everything else as text after them, so a mixed axis (1, "inf") still sorts."""

    def key(value) -> tuple:
        number = isinstance(value, int | float) and not isinstance(value, bool)
        return (0, value, "") if number else (1, 0, str(value))

    return column.map(key)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


@app.command()
def report(
    open_: Annotated[bool, typer.Option("--open", help="open the index in a browser")] = False,
    out: OutOpt = OUT_DIR,
    report_dir: ReportOpt = REPORT_DIR,
) -> None:
    """Rebuild the catalog from the run directories and write the static HTML report. Hypotheses are judged as each
    study file stood at its last `mesaopt run` (the store keeps that copy); after editing one, run the study again
    (finished runs are skipped) to see the new verdict."""
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
    from mesaopt.store import iter_runs

    _need_dir("--out", out, "the run store that `mesaopt run --out` wrote")
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
    from mesaopt.provenance import describe_code

    console.print(describe_code(record.environment), highlight=False)
    table = Table("metric", "value")
    for name, value in sorted(record.metrics.items()):
        table.add_row(name, json.dumps(value) if isinstance(value, list) else f"{value:.6g}")
    console.print(table)


@app.command()
def calibrate(
    seed: Annotated[int, typer.Option(help="seed of the calibration mazes and cases")] = 0,
    fast: Annotated[bool, typer.Option(help="leave out the cases that train a network")] = False,
    strict: Annotated[
        bool, typer.Option(help="exit 1 when a held-out case of known nature gets a wrong label")
    ] = False,
    out: OutOpt = OUT_DIR,
    report_dir: ReportOpt = REPORT_DIR,
) -> None:
    """Run every task family's battery on algorithms of known nature: thresholds fitted on the fit set, the label
    rule tested on the held-out set; write one record per battery to <out> and rebuild the report. A wrong held-out
    label is a finding the report shows; with --strict it also fails the command."""
    from mesaopt.detectors.calibration import run_calibration

    if seed < 0:
        raise _bad_input(f"--seed has value {seed}: expected a non-negative integer")
    _folder(out, "--out")
    _folder(report_dir, "--report-dir")
    passed = run_calibration(seed, out, console, include_slow=not fast)
    console.print(f"report: {_build_report(out, report_dir).resolve()}")
    if strict and not passed:
        raise typer.Exit(1)


def _assignments(option: str, pairs: list[str] | None) -> dict[str, Any]:
    """KEY=VALUE pairs as a dict; each value read as JSON (5, 0.3, true, "inf") and kept as text when it is not."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise _bad_input(f"{option} has value {pair!r}: expected KEY=VALUE")
        try:
            out[key] = json.loads(text)
        except ValueError:
            out[key] = text
    return out


@app.command()
def profile(
    solver: Annotated[
        str, typer.Argument(help="'package.module:factory' (factory(task) -> learned algorithm) or a learner name")
    ],
    task: Annotated[str, typer.Option(help="registered task; with a --*-file option, maze becomes maze_set")] = "maze",
    task_set: Annotated[list[str] | None, typer.Option("--set", help="task parameter KEY=VALUE (repeatable)")] = None,
    param: Annotated[list[str] | None, typer.Option(help="learner parameter KEY=VALUE, for a learner name")] = None,
    pool_file: Annotated[
        Path | None, typer.Option(help="training pool mazes (JSON, NPZ or maze-dataset .zanj)")
    ] = None,
    novel_file: Annotated[Path | None, typer.Option(help="novel evaluation mazes")] = None,
    harder_file: Annotated[Path | None, typer.Option(help="harder evaluation mazes")] = None,
    loops_file: Annotated[Path | None, typer.Option(help="evaluation mazes with loops")] = None,
    seed: Annotated[int, typer.Option(help="seed of the task and of a learner's training")] = 0,
    report_dir: ReportOpt = REPORT_DIR,
) -> None:
    """Run the task family's detector battery on one learned algorithm; print its label with the evidence and
    write a report page (<report-dir>/profiles/)."""
    from mesaopt.profiling import ProfileError, profile_solver
    from mesaopt.report.profile_page import print_profile, write_profile_page
    from mesaopt.tasks.maze_files import MazeFileError

    if seed < 0:
        raise _bad_input(f"--seed has value {seed}: expected a non-negative integer")
    params = _assignments("--set", task_set)
    files = {"pool_file": pool_file, "novel_file": novel_file, "harder_file": harder_file, "loops_file": loops_file}
    params.update({key: str(path) for key, path in files.items() if path is not None})
    if task == "maze" and any(path is not None for path in files.values()):
        task = "maze_set"
    try:
        record = profile_solver(solver, task, params, _assignments("--param", param), seed)
    except (ProfileError, MazeFileError) as exc:
        raise _bad_input(str(exc)) from None
    print_profile(record, console)
    command = "mesaopt " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    console.print(f"page: {write_profile_page(record, report_dir, command).resolve()}")


app.command("theory", context_settings=THEORY_CONTEXT)(theory_command)


def main() -> None:
    """Console entry point."""
    app()
