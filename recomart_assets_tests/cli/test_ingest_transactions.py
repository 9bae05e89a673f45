"""``recomart simulate transactions`` and ``recomart ingest-transactions`` from the command line."""

from __future__ import annotations

from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.lake import verify_tree
from recomart_assets_tests.fixtures.landing import partition_records


def test_simulate_then_ingest(zone, settings):
    runner = CliRunner()
    env = {"RECOMART_RAW_ZONE": settings.raw_zone}
    simulated = runner.invoke(main, ["simulate", "transactions", "--files", "2", "--rows", "300", "--dirty-rate",
                                     "0.02"], env=env)
    assert simulated.exit_code == 0, simulated.output
    assert "malformed_lines=12" in simulated.output and "files_extra_column=1" in simulated.output
    ingested = runner.invoke(main, ["ingest-transactions", "--settle-seconds", "0"], env=env)
    assert ingested.exit_code == 0, ingested.output
    assert "4 file(s): 2 ingested, 2 quarantined, 0 duplicate, 0 refused, 0 failed" in ingested.output
    assert sum(partition_records(zone).values()) == 2 * (300 + 6 - 12)  # + duplicates - rejects
    assert verify_tree(zone.root).ok
