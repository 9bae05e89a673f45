"""The ``transactions`` asset's metadata: each day of a range run carries its own row count."""

from __future__ import annotations

from dagster import AssetKey, AssetRecordsFilter, DagsterInstance, materialize

from recomart_assets.defs.transactions.assets import transactions
from recomart_assets.lake import intake
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_records, row

# Different counts per day, so a range's total (or one day's count) copied onto every day shows.
ROWS = ([row(i, f"2026-03-01T{i:02d}:10:00Z") for i in range(3)]
        + [row(10 + i, f"2026-03-02T{i:02d}:20:00Z") for i in range(7)]
        + [row(30 + i, f"2026-03-03T0{i}:30:00Z") for i in range(2)])


def materializations(instance: DagsterInstance, day: str) -> list:
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("transactions"), asset_partitions=[day]), limit=10).records
    return [record.asset_materialization for record in records]


def materialization_metadata(instance: DagsterInstance, day: str) -> dict:
    found = materializations(instance, day)
    assert len(found) == 1, day
    return {key: getattr(value, "value", value) for key, value in found[0].metadata.items()}


def test_a_range_run_gives_each_day_its_own_row_count(zone, recomart_resource):
    drop(zone, "orders.csv", csv_text(ROWS))
    intake.run_pass(LANDING, zone)
    assert partition_records(zone) == {"2026-03-01": 3, "2026-03-02": 7, "2026-03-03": 2}
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [transactions], resources={"recomart": recomart_resource}, instance=instance,
        tags={"dagster/asset_partition_range_start": "2026-03-01", "dagster/asset_partition_range_end": "2026-03-02"},
    )
    assert result.success
    assert len(result.get_asset_materialization_events()) == 2  # one run, one materialization per day
    first, second = (materialization_metadata(instance, day) for day in ("2026-03-01", "2026-03-02"))
    assert (first["dagster/row_count"], first["dagster/partition_row_count"]) == (3, 3)
    assert (second["dagster/row_count"], second["dagster/partition_row_count"]) == (7, 7)
    assert (first["rederived_records"], second["rederived_records"]) == (3, 7)
    assert first["files"] == second["files"] and len(first["files"]) == 1
    assert materializations(instance, "2026-03-03") == []
