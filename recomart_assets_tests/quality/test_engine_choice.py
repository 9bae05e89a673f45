"""Which engine validates a partition: its size from the manifests against the Spark threshold."""

from __future__ import annotations

import pytest

from recomart_assets.lake import complete_files
from recomart_assets.quality.engine_choice import ONE_SPLIT_BYTES, engine_for, fits_one_split, partition_bytes
from recomart_assets_tests.fixtures.quality import DAY


def test_partition_bytes_are_the_complete_files_sizes(fixture_zone):
    folder = fixture_zone.partition_dir("transactions", DAY)
    on_disk = sum(path.stat().st_size for path, _ in complete_files(folder, "*.csv"))
    assert len(list(complete_files(folder, "*.csv"))) == 2
    assert partition_bytes(fixture_zone, "transactions", DAY) == on_disk > 0
    (folder / "ingested_c.csv").write_text("transaction_id\nT9\n")  # no manifest: not complete, not counted
    assert partition_bytes(fixture_zone, "transactions", DAY) == on_disk
    assert partition_bytes(fixture_zone, "external_metadata", DAY) == 0  # missing for the day


@pytest.mark.parametrize(("size", "threshold", "engine"), [
    (10**12, None, "duckdb"),  # no threshold: never Spark
    (1000, 1000, "duckdb"),
    (1001, 1000, "spark"),
    (1, 0, "spark"),
    (0, 0, "duckdb"),
])
def test_engine_for(size, threshold, engine):
    assert engine_for(size, threshold) == engine


def test_one_split():
    assert fits_one_split(ONE_SPLIT_BYTES) and not fits_one_split(ONE_SPLIT_BYTES + 1)
    assert ONE_SPLIT_BYTES == 128 * 1024 * 1024
