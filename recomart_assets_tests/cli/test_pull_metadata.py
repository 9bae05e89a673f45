"""The pull's options are listed once (``PullOptions``): the Dagster run config and the command's
options are derived from it and stay in step (names, defaults, help, bounds)."""


from click.testing import CliRunner

from recomart_assets.cli.options import options_from
from recomart_assets.cli.pull_metadata import command
from recomart_assets.defs.external_metadata.assets import MetadataPullConfig
from recomart_assets.sources.http.pull import PullOptions

FIELDS = {name: info.default for name, info in PullOptions.__pydantic_fields__.items()}
HELP = {name: info.description for name, info in PullOptions.__pydantic_fields__.items()}


def test_the_run_config_has_the_options_fields_defaults_and_help():
    fields = MetadataPullConfig.model_fields
    assert {name: info.default for name, info in fields.items()} == FIELDS
    assert {name: info.description for name, info in fields.items()} == HELP
    assert MetadataPullConfig(attempts=7).options() == PullOptions(attempts=7)


def test_the_command_has_the_options_fields_defaults_and_help():
    params = {p.name: p for p in command.params if p.name != "day"}
    assert {name: p.default for name, p in params.items()} == FIELDS
    assert {name: p.help for name, p in params.items()} == HELP
    assert options_from(PullOptions, {**FIELDS, "attempts": 7}) == PullOptions(attempts=7)


def test_the_command_refuses_values_the_options_refuse():
    result = CliRunner().invoke(command, ["--attempts", "0"])
    assert result.exit_code == 2 and "--attempts" in result.output
    result = CliRunner().invoke(command, ["--deadline", "0"])
    assert result.exit_code == 2 and "--deadline" in result.output
