"""ASCII and PNG pictures of a maze, with path and heat-map overlays."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from mesaopt.tasks.maze import distances, generate, render_ascii, render_png, shortest_path
from mesaopt.tasks.maze_render import GOAL_RGB, PATH_RGB, START_RGB, WALL_RGB, render_rgb


def test_ascii_marks_walls_path_start_and_goal():
    batch = generate(1, 3, np.random.default_rng(0), width=4)
    grid, path = batch.grids[0], shortest_path(batch.grids)[0]
    lines = render_ascii(grid, path).splitlines()
    assert len(lines) == 7 and {len(line) for line in lines} == {9}
    text = "".join(lines)
    assert text.count("S") == 1 and text.count("G") == 1
    assert text.count(".") == path.sum() - 2
    assert text.count("#") == (grid[0] == 0).sum()
    assert "." not in render_ascii(grid)


def test_png_scales_each_position_and_draws_overlays():
    batch = generate(1, 4, np.random.default_rng(1))
    grid, path = batch.grids[0], shortest_path(batch.grids)[0]
    heat = distances(batch.grids)[0].astype(float)
    data = render_png(grid, path=path, heat=heat, scale=5)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert image.shape == (45, 45, 3)
    assert (image[::5, ::5] == render_rgb(grid, path, heat)).all()
    rgb = render_rgb(grid, path, heat)
    (sr, sc), (gr, gc) = np.argwhere(grid[1])[0], np.argwhere(grid[2])[0]
    assert tuple(rgb[sr, sc]) == START_RGB and tuple(rgb[gr, gc]) == GOAL_RGB and tuple(rgb[0, 0]) == WALL_RGB
    assert (rgb[path & (grid[1] == 0) & (grid[2] == 0)] == PATH_RGB).all()
    off_path = (grid[0] == 1) & ~path
    assert len({tuple(c) for c in render_rgb(grid, heat=heat)[off_path]}) > 3
    assert len({tuple(c) for c in render_rgb(grid)[off_path]}) == 1
