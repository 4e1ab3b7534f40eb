"""The maze config stores a test region that repeats the train region as None, so that equal experiments written
two ways resolve to one run."""

from __future__ import annotations

from mesaopt.tasks.maze_config import MazeConfig


def test_a_test_region_equal_to_the_train_region_is_stored_as_none():
    plain = MazeConfig(size=4).model_dump(mode="json")
    assert MazeConfig(size=4, test_goal_region="any", test_start_region="ANY").model_dump(mode="json") == plain
    same = MazeConfig(size=4, goal_region="top-right", test_goal_region="top-right:1")
    assert same.test_goal_region is None and same.goal_region == "top-right"


def test_a_different_test_region_is_kept():
    config = MazeConfig(size=4, goal_region="top-right:1", test_goal_region="any", test_start_region="bottom-left")
    assert (config.test_goal_region, config.test_start_region) == ("any", "bottom-left")
    assert config.regions("novel") == ("bottom-left", "any") and config.regions("train") == ("any", "top-right:1")
