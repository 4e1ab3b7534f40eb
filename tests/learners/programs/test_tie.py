"""The calibration-flip tie point is always finite or absent, with a separate never-flips flag."""

from __future__ import annotations

import math

from mesaopt.learners.programs.learners import _tie_metrics


def test_tie_point_is_finite_or_left_out_with_a_never_flag():
    # Searcher: 10 bits, 256 steps; stored: 18 bits, 2 steps. Tie at g = 8 / 7.
    out = _tie_metrics("flip", (10.0, 256.0), (18.0, 2.0))
    assert out["flip"] == 8 / 7 and out["flip_never"] == 0.0
    # Equal run times: c decides at every g, there is no tie point; no number is made up for it.
    out = _tie_metrics("flip", (10.0, 4.0), (18.0, 4.0))
    assert "flip" not in out and out["flip_never"] == 1.0
    # Cheaper and faster: the tie lies below g = 0, so it never flips in range; the value stays finite.
    out = _tie_metrics("flip", (10.0, 2.0), (18.0, 4.0))
    assert out["flip"] < 0 and math.isfinite(out["flip"]) and out["flip_never"] == 1.0
