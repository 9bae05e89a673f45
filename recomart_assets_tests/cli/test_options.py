"""Options derived from an options class: one click option per field, bounds checked, values back."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner
from pydantic import Field
from pydantic.dataclasses import dataclass

from recomart_assets.cli.options import click_options, options_from


@dataclass
class Toy:
    """Toy options."""

    page_size: int = Field(default=500, ge=1, description="Items per page.")
    deadline: float = Field(default=30.0, gt=0, description="Seconds allowed.")


@click.command()
@click_options(Toy)
def command(**values):
    click.echo(repr(options_from(Toy, values)) + f" rest={values}")


def test_defaults_and_given_values_become_the_options_class():
    assert "Toy(page_size=500, deadline=30.0) rest={}" in CliRunner().invoke(command, []).output
    result = CliRunner().invoke(command, ["--page-size", "7", "--deadline", "0.5"])
    assert "Toy(page_size=7, deadline=0.5)" in result.output


@pytest.mark.parametrize("args", [["--page-size", "0"], ["--deadline", "0"]])
def test_bounds_are_checked_by_click(args):
    result = CliRunner().invoke(command, args)
    assert result.exit_code == 2 and "range" in result.output


def test_help_shows_descriptions_and_defaults():
    output = CliRunner().invoke(command, ["--help"]).output
    assert "Items per page." in output and "default: 500" in output


def test_a_field_without_a_command_line_type_is_refused():
    @dataclass
    class Bad:
        name: str = "x"

    with pytest.raises(TypeError, match="no command-line type"):
        click_options(Bad)(lambda **_: None)
