"""``recomart ingest-master``: one sync of the master exports into the day's partition, said per dataset."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from click.testing import CliRunner

from recomart_assets.cli import main
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.sources.master_exports import export_path


@pytest.fixture
def exports(settings):
    return write_master_exports(settings, seed=7, n_products=50, n_customers=80, dirty_rate=0.1)


def _env(settings) -> dict[str, str]:
    return {"RECOMART_RAW_ZONE": settings.raw_zone, "RECOMART_MASTER_EXPORTS": settings.master_exports_dir}


def test_the_sync_writes_the_given_day_and_says_so(zone, settings, exports):
    result = CliRunner().invoke(main, ["ingest-master", "--date", "2026-11-03"], env=_env(settings))
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()[-2:]
    for line, dataset in zip(lines, ("product_catalog", "customers"), strict=True):
        rows = len(pd.read_csv(export_path(settings, dataset)))
        assert line == f"{dataset}: {rows} records -> {dataset}_2026-11-03.csv (partition 2026-11-03)"
    assert len(list((zone.root / "catalog" / "2026-11-03").glob("*.csv"))) == 1
    assert len(list((zone.root / "customers" / "2026-11-03").glob("*.csv"))) == 1


def test_without_a_date_the_partition_is_today_utc(zone, settings, exports):
    before = datetime.now(UTC).date().isoformat()
    result = CliRunner().invoke(main, ["ingest-master"], env=_env(settings))
    after = datetime.now(UTC).date().isoformat()
    assert result.exit_code == 0, result.output
    written = {p.name for p in (zone.root / "catalog").iterdir()}
    assert written in ({before}, {after})  # the command may run across midnight
    assert f"(partition {written.pop()})" in result.output


def test_a_date_that_is_not_a_day_is_a_usage_error(zone, settings, exports):
    result = CliRunner().invoke(main, ["ingest-master", "--date", "../../x"], env=_env(settings))
    assert result.exit_code == 2 and "--date" in result.output
    assert not (zone.root / "catalog").exists() or not list((zone.root / "catalog").iterdir())


def test_unreadable_export_is_a_clear_cli_error(zone, settings, exports):
    export_path(settings, "product_catalog").write_bytes(b"\xff\xfe\x00garbage\x00")
    env = {"RECOMART_RAW_ZONE": settings.raw_zone, "RECOMART_MASTER_EXPORTS": settings.master_exports_dir}
    result = CliRunner().invoke(main, ["ingest-master", "--date", "2026-11-03"], env=env)
    assert result.exit_code == 1
    assert "not a readable CSV" in result.output
    assert not list((zone.root / "catalog").rglob("*.csv"))
