"""Pictures of one maze grid (3, H, W): ASCII for terminals and tests, PNG with path and heat-map overlays."""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from matplotlib import image as mpl_image

from mesaopt.tasks.maze_grid import GOAL, OPEN, START

WALL_RGB, OPEN_RGB = (30, 30, 40), (245, 245, 245)
START_RGB, GOAL_RGB, PATH_RGB = (40, 170, 70), (220, 50, 50), (60, 110, 230)
HEAT_ALPHA = 0.75
"""Opacity of the heat map over open positions; walls stay dark so the maze stays readable."""


def render_ascii(grid: np.ndarray, path: np.ndarray | None = None) -> str:
    """One line per grid row: '#' wall, ' ' open, 'S' start, 'G' goal, '.' path."""
    grid = np.asarray(grid)
    chars = np.where(grid[OPEN].astype(bool), " ", "#")
    if path is not None:
        chars = np.where(np.asarray(path, dtype=bool), ".", chars)
    chars = np.where(grid[START].astype(bool), "S", chars)
    chars = np.where(grid[GOAL].astype(bool), "G", chars)
    return "\n".join("".join(row) for row in chars)


def render_rgb(
    grid: np.ndarray, path: np.ndarray | None = None, heat: np.ndarray | None = None, cmap: str = "viridis"
) -> np.ndarray:
    """The maze as an (H, W, 3) uint8 image, one pixel per grid position, with optional overlays.

    `heat` (H, W) is scaled to its own min..max and blended over open positions; `path` is drawn on top.
    """
    grid = np.asarray(grid)
    open_ = grid[OPEN].astype(bool)
    image = np.where(open_[..., None], np.array(OPEN_RGB, np.float64), np.array(WALL_RGB, np.float64))
    if heat is not None:
        heat = np.asarray(heat, dtype=np.float64)
        span = np.ptp(heat)
        scaled = (heat - heat.min()) / span if span > 0 else np.zeros_like(heat)
        colours = colormaps[cmap](scaled)[..., :3] * 255.0
        image = np.where(open_[..., None], (1 - HEAT_ALPHA) * image + HEAT_ALPHA * colours, image)
    if path is not None:
        image[np.asarray(path, dtype=bool)] = PATH_RGB
    image[grid[START].astype(bool)] = START_RGB
    image[grid[GOAL].astype(bool)] = GOAL_RGB
    return np.rint(image).astype(np.uint8)


def render_png(
    grid: np.ndarray,
    path: np.ndarray | None = None,
    heat: np.ndarray | None = None,
    scale: int = 12,
    cmap: str = "viridis",
) -> bytes:
    """PNG bytes of the maze, each grid position a `scale` x `scale` block, with optional path and heat overlays."""
    image = render_rgb(grid, path, heat, cmap)
    image = np.repeat(np.repeat(image, scale, axis=0), scale, axis=1)
    buffer = io.BytesIO()
    mpl_image.imsave(buffer, image, format="png")
    return buffer.getvalue()
