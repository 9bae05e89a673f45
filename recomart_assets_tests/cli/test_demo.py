"""``recomart demo --incident``: refused clearly when the days cannot give the anomaly detection its history."""

from __future__ import annotations

from click.testing import CliRunner

from recomart_assets.cli import main


def test_an_incident_demo_needs_a_week_of_history(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--incident", "source_stops", "--days", "5"],
                                env={"RECOMART_RAW_ZONE": str(tmp_path / "raw_zone")})
    assert result.exit_code == 2 and "needs 7 earlier days: use --days 9 or more" in result.output
