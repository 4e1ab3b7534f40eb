"""Maze study panels for the report: profile labels, success against iterations, and a gallery of solved mazes.

The gallery re-instantiates a trained network from its run directory: the task from the run's spec and seed (the
task is deterministic), the module from the learner's config under the same seeded initialization, and the trained
weights from `artifacts.safetensors`. It then shows the network's own output on one pool, one novel and one harder
maze next to the BFS answer. Nothing is re-trained.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mesaopt.detectors.battery import LABELS
from mesaopt.report import cache
from mesaopt.report.plots import plt, seed_band

GALLERY_SPLITS = ("pool", "novel", "harder")


def _label_prefix(frame: pd.DataFrame) -> str | None:
    for prefix in ("profile.", ""):
        if f"{prefix}is_searcher" in frame.columns:
            return prefix
    return None


def _conditions(study) -> list[str]:
    return [a for a in study.axes]


def label_panel(study, frame: pd.DataFrame, calibration_href: str) -> dict[str, Any] | None:
    """How many runs of each condition the battery labelled failed, memorizer, heuristic or searcher."""
    prefix = _label_prefix(frame)
    if prefix is None:
        return None
    done = frame[frame["status"] == "done"]
    axes = _conditions(study)
    rows = []
    for key, group in done.groupby(axes, sort=False) if axes else [((), done)]:
        key = key if isinstance(key, tuple) else (key,)
        counts = [int(group[f"{prefix}is_{label}"].fillna(0).sum()) if f"{prefix}is_{label}" in group else 0
                  for label in LABELS]  # fmt: skip
        majority = LABELS[int(np.argmax(counts))] if sum(counts) else "n/a"
        evidence = [_available(group, f"{prefix}compute.has_knob"), _available(group, f"{prefix}probe.hooks")]
        condition = ", ".join(f"{a}={v}" for a, v in zip(axes, key, strict=True))
        rows.append([condition, *map(str, counts), majority, *evidence])
    return {
        "title": "Profile label of each learner",
        "text": "Runs per condition labelled by the detector battery's calibrated rule (thresholds and the "
        "confusion matrix of the calibration cases are on the Calibration page). The last two columns say which "
        "run-time-search evidence the learner offered: an iteration knob (compute scaling on harder mazes) and "
        "hidden states a search state fits in (the probe); a learner without them is judged on the other lines.",
        "link": {"href": calibration_href, "text": "Calibration page"} if calibration_href else None,
        "table": {"head": ["condition", *LABELS, "most runs", "iteration knob", "probe-able states"], "rows": rows},
        "figures": [],
    }


def _available(group: pd.DataFrame, column: str) -> str:
    """'yes' or 'no' (not available) for a line of evidence, from a run-level metric that is positive when it is."""
    if column not in group:
        return "n/a"
    return "yes" if (group[column].fillna(0) > 0).any() else "no (not available)"


def compute_panel(study, con, frame: pd.DataFrame, figure_dir: Path) -> dict[str, Any] | None:
    """Success on novel mazes against run-time iterations, one line per condition, for learners with the knob."""
    from mesaopt.store import curves_frame

    done = frame[frame["status"] == "done"]
    prefix = next((p for p in ("profile.", "") if f"{p}compute.has_knob" in done.columns), None)
    if prefix is None:
        return None
    knob = done[done[f"{prefix}compute.has_knob"] == 1.0]
    if knob.empty:
        return None
    curves = curves_frame(con, study.id, knob["run_id"].tolist())
    curves = curves[curves["metric"].isin([f"{prefix}compute.curve", f"{prefix}compute.iterations"])]
    if curves.empty:
        return None
    wide = curves.pivot_table(index=["run_id", "idx"], columns="metric", values="value").reset_index()
    wide = wide.merge(knob[["run_id", "seed", *study.axes]], on="run_id")
    rng = np.random.default_rng(0)
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    axes = list(study.axes)
    for key, group in wide.groupby(axes, sort=False) if axes else [((), wide)]:
        key = key if isinstance(key, tuple) else (key,)
        points = []
        for _idx, at in group.groupby("idx"):
            iterations = float(at[f"{prefix}compute.iterations"].mean())
            mean, lo, hi = seed_band(at[f"{prefix}compute.curve"].to_numpy(dtype=float), rng)
            points.append((iterations, mean, lo, hi))
        points.sort()
        xs, means, los, his = (list(v) for v in zip(*points, strict=True))
        label = ", ".join(f"{a}={v}" for a, v in zip(axes, key, strict=True))
        (line,) = ax.plot(xs, means, marker="o", label=label)
        ax.fill_between(xs, los, his, color=line.get_color(), alpha=0.2)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("run-time iterations")
    ax.set_ylabel("success on novel mazes")
    ax.set_title("compute scaling: success against iterations", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(figure_dir / "compute.png")
    plt.close(fig)
    return {
        "title": "Success against iterations (recurrent learners)",
        "text": "Mean over seeds with a 95% bootstrap band; the iteration counts are fractions and multiples of "
        "each learner's training iterations (the compute-scaling detector).",
        "link": None,
        "table": None,
        "figures": [{"src": f"{study.id}/compute.png", "caption": "success on novel mazes against iterations"}],
    }


def rebuild(run_dir: Path, spec: dict[str, Any], metrics: dict[str, Any]):
    """The trained network of a run and its task (`learners.restore.load_learned`); None when not a network."""
    from mesaopt.learners.restore import load_learned

    return load_learned(run_dir, spec, metrics)


def _example(task, split: str):
    if split == "pool":
        pool = task.train_pool()
        return pool if pool is not None else task.sample_train(1, task.generator("gallery"))
    return task.novel(1) if split == "novel" else task.harder(1)


def gallery_panel(study, root: Path, frame: pd.DataFrame, figure_dir: Path) -> dict[str, Any] | None:
    """One figure per learner: its output and BFS's on a pool, a novel and a harder maze (first seed, last point)."""
    from mesaopt.tasks.maze_render import render_rgb

    done = frame[frame["status"] == "done"].sort_values("seed", kind="stable")
    figures, notes = [], []
    learners = study.axes.get("learner") or [None]
    for learner in learners:
        runs = done if learner is None else done[done["learner"] == learner]
        if runs.empty:
            continue
        row = runs.iloc[-1] if learner is None else runs.iloc[0]
        run_dir = root / study.id / row["run_id"]
        spec = json.loads((run_dir / "spec.json").read_text())
        metrics = json.loads((run_dir / "metrics.json").read_text())
        built = rebuild(run_dir, spec, metrics)
        name = spec["learner"]["name"]
        if built is None:
            notes.append(f"{name}: not a network the gallery can rebuild")
            continue
        solver, task = built
        fig, axes = plt.subplots(2, 3, figsize=(7.2, 5.0), dpi=100)
        for col, split in enumerate(GALLERY_SPLITS):
            batch = _example(task, split)
            grid = np.asarray(batch.inputs)[:1]
            one = type(batch)(grid) if hasattr(batch, "grids") else batch
            output = solver.solve(one)[0]
            truth = task.solutions(one)[0]
            ok = bool((output == truth).all())
            axes[0, col].imshow(render_rgb(grid[0], output))
            axes[0, col].set_title(f"{split}: {'solved' if ok else 'wrong'}", fontsize=9)
            axes[1, col].imshow(render_rgb(grid[0], truth))
            axes[1, col].set_title(f"{split}: BFS", fontsize=9)
        for ax in axes.ravel():
            ax.set_xticks([])
            ax.set_yticks([])
        fig.suptitle(f"{name} (run {row['run_id'][:8]}, seed {row['seed']})", fontsize=10)
        fig.tight_layout()
        file = f"gallery_{name}.png"
        fig.savefig(figure_dir / file)
        plt.close(fig)
        figures.append({"src": f"{study.id}/{file}", "caption": f"{name}: learned output (top) vs BFS (bottom)"})
    if not figures and not notes:
        return None
    return {
        "title": "Gallery: the learned algorithm on pool, novel and harder mazes",
        "text": "Top row: the network's own output (path cells in blue), rebuilt from the run's saved weights; "
        "bottom row: the BFS shortest path. " + "; ".join(notes),
        "link": None,
        "table": None,
        "figures": figures,
    }


def _figure_files(panel: dict[str, Any]) -> list[str]:
    """The PNG files a panel shows, relative to its study's figure folder."""
    return [Path(f["src"]).name for f in panel["figures"]]


def maze_panels(
    root: Path,
    con,
    study,
    frame: pd.DataFrame,
    figure_dir: Path,
    calibration_href: str,
    fingerprint: str,
) -> list[dict]:
    """Every maze panel that applies to a study; studies on other tasks get none.

    The compute and gallery panels, the slow ones (the gallery rebuilds networks and runs them), are reused from the
    last build when its `fingerprint` (report/cache.py: the study's document, runs and code) is the same.
    """
    if study.body.task.name != "maze":
        return []

    def reuse(name: str, build):
        return cache.cached(figure_dir, name, fingerprint, build, _figure_files)

    panels = [
        label_panel(study, frame, calibration_href),
        reuse("compute", lambda: compute_panel(study, con, frame, figure_dir)),
    ]
    try:
        panels.append(reuse("gallery", lambda: gallery_panel(study, root, frame, figure_dir)))
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        panels.append(
            {"title": "Gallery", "text": f"gallery unavailable: {exc}", "link": None, "table": None, "figures": []}
        )
    return [p for p in panels if p is not None and not (isinstance(p, float) and math.isnan(p))]
