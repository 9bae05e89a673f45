"""The ``recomart`` command: every subcommand has ``--help``; failures are clear and non-zero."""

import pytest
from click.testing import CliRunner

from recomart_assets.cli import SUBCOMMANDS, main


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_has_help(name):
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_simulate_all_writes_each_source_and_fails_clearly_without_a_broker(tmp_path):
    env = {
        "RECOMART_RAW_ZONE": str(tmp_path / "raw_zone"),
        "RECOMART_MASTER_EXPORTS": str(tmp_path / "master_exports"),
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # not the default: nothing may be started for it
    }
    result = CliRunner().invoke(main, ["simulate", "all", "--dirty-rate", "0.01", "--events", "10"], env=env)
    assert result.exit_code == 1
    assert "no Kafka broker answers at 127.0.0.1:1" in result.output
    assert (tmp_path / "master_exports" / "product_catalog.csv").exists()
    assert len(list((tmp_path / "raw_zone" / "landing").glob("*.csv"))) == 5
