"""`mesaopt theory`: every model runs and writes its plot; bad input is one clear message and exit 2."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from mesaopt.theory import THEORIES
from mesaopt.theory.cli import CONTEXT_SETTINGS, TheoryInputError, parse_params, theory_command
from tests.conftest import run_cli

app = typer.Typer()
app.command("theory", context_settings=CONTEXT_SETTINGS)(theory_command)


@app.callback()
def _group() -> None:
    """Keep `theory` a subcommand, as in `mesaopt.cli.app`; the real registration is tested in a subprocess."""


CHEAP = {
    "toy_model": ["--f", "linear", "--scale", "3", "--x", "12", "--n-max", "1000"],
    "priors": ["--exchange=power", "--c_get_base_obj", "20"],
    "recursion": ["--periods", "20", "--paths", "300", "--resources", "inf"],
    "icl_transition": ["--level", "0.4", "--resamples", "20"],
}
"""A quick, non-default setting of each model."""


def invoke(tmp_path, *args: str):
    return CliRunner().invoke(app, ["theory", *args, "--report-dir", str(tmp_path / "out"), "--out", str(tmp_path)])


@pytest.mark.parametrize("name", list(THEORIES))
def test_every_model_runs_and_writes_its_plot(tmp_path, name):
    result = invoke(tmp_path, name, *CHEAP[name])
    assert result.exit_code == 0, result.output
    plots = sorted((tmp_path / "out" / name).glob("*.png"))
    assert plots, result.output
    assert all(path.stat().st_size > 1000 for path in plots)
    for path in plots:
        assert str(path.name) in result.output
    if name == "toy_model":  # the settings reach the model, and the empty store in tmp_path is named as such
        assert "f(m) = 3*m" in result.output and "above N = 3" in result.output
        assert "Nothing is fitted" in result.output and "power.novel_bits" in result.output


def test_without_a_name_the_models_are_listed(tmp_path):
    result = CliRunner().invoke(app, ["theory"])
    assert result.exit_code == 0
    for name in THEORIES:
        assert name in result.output
    assert "--spawn_rate" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nonsense"], "unknown model 'nonsense'; available: toy_model, priors, recursion"),
        (["toy_model", "--bogus", "1"], "unknown parameter --bogus for toy_model"),
        (["toy_model", "--x", "-3"], "--x has value '-3'"),
        (["toy_model", "--f", "cubic"], "--f has value 'cubic'"),
        (["recursion", "--resources", "2.5"], "whole number"),
        (["recursion", "--periods"], "--periods needs a value"),
        (["recursion", "--resources", "1000000", "--depth", "50"], "too large"),
        (["priors", "stray"], "expected a parameter"),
    ],
)
def test_bad_input_is_a_clear_error(tmp_path, args, message):
    result = invoke(tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_bad_value_in_a_real_process(tmp_path):
    """Also shows that `mesaopt theory` is registered and hands the model's parameters through."""
    proc = run_cli("theory", "recursion", "--p_win", "1.5", cwd=tmp_path, check=False)
    assert proc.returncode == 2
    assert "--p_win has value '1.5'" in proc.stderr and "Traceback" not in proc.stderr


def test_parse_params():
    assert parse_params(["--a", "1", "--b-c=x"]) == {"a": "1", "b_c": "x"}
    with pytest.raises(TheoryInputError, match="twice"):
        parse_params(["--a", "1", "--a", "2"])
