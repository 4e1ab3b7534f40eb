"""Figure helpers shared by the analytic models; they draw with matplotlib's Agg canvas, never pyplot."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

PANEL_INCHES = (5.0, 4.0)
"""Width and height of one panel."""

DPI = 110
"""Resolution of the written PNG files."""

INF_GAP = 4.0
"""Where N = inf is drawn, as a multiple of the largest finite N on a log axis."""


def new_figure(panels: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure with `panels` side-by-side axes."""
    width, height = PANEL_INCHES
    figure = Figure(figsize=(width * panels, height), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, panels, squeeze=False)[0]
    return figure, list(axes)


def save(figure: Figure, out_dir: Path, name: str) -> Path:
    """Write `figure` as `out_dir/name.png` and return the path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.png"
    figure.savefig(path, dpi=DPI)
    return path


def inf_position(finite_max: float) -> float:
    """The x coordinate standing in for N = inf on a log axis whose finite values end at `finite_max`."""
    return max(finite_max, 1.0) * INF_GAP


def place_inf(n: np.ndarray, finite_max: float) -> np.ndarray:
    """Replace inf in `n` by the stand-in coordinate, for plotting."""
    n = np.asarray(n, dtype=float)
    return np.where(np.isinf(n), inf_position(finite_max), n)


def mark_inf_tick(axes: Axes, finite_max: float) -> None:
    """Label the stand-in coordinate for N = inf on a log x axis."""
    position = inf_position(finite_max)
    ticks = [tick for tick in axes.get_xticks() if 0 < tick < position / math.sqrt(INF_GAP)]
    axes.set_xticks([*ticks, position], [*(f"{tick:g}" for tick in ticks), "inf"])
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.axvline(position / math.sqrt(INF_GAP), color="0.8", linewidth=0.8, linestyle=":")
