"""The ``recomart`` command: every subcommand has ``--help``; failures are clear and non-zero."""

import pytest
from click.testing import CliRunner

from recomart_assets.cli import SUBCOMMANDS, main


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
