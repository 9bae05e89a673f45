"""``RECOMART_RAW_ZONE=s3://bucket/prefix``: writers, readers, the IO manager, ``ingest-master``
and ``verify`` against a local S3-compatible server (moto), configured by the AWS variables."""

from __future__ import annotations

import boto3
import pytest
from click.testing import CliRunner
from dagster import materialize

from recomart_assets.cli import main
from recomart_assets.config import Settings
from recomart_assets.defs.master_data.assets import customers, product_catalog
from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake import (
    RawZone,
    complete_files,
    open_data_file,
    read_manifest,
    read_verified_bytes,
    verify_tree,
    write_data_file,
)
from recomart_assets.lake.readers import CorruptFileError
from recomart_assets.simulate.master import write_master_exports

pytestmark = pytest.mark.integration

DAY = "2026-03-04"


@pytest.fixture
def s3_settings(s3_bucket, tmp_path) -> Settings:
    return Settings.from_env(
        {"RECOMART_RAW_ZONE": f"s3://{s3_bucket}/lake", "RECOMART_MASTER_EXPORTS": str(tmp_path / "exports")}
    )


@pytest.fixture
def s3_zone(s3_settings) -> RawZone:
    zone = RawZone.from_settings(s3_settings)
    zone.create_tree()
    return zone


def _put_behind_our_back(bucket: str, key: str, body: bytes) -> None:
    """Write like another process would (its own client, none of our caches)."""
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=body)


def test_tree_writers_and_readers(s3_zone):
    assert s3_zone.landing.is_dir() and s3_zone.clickstream_landing.is_dir()
    path = s3_zone.partition_dir("transactions", DAY) / "ingested_a.csv"
    write_data_file(path, b"transaction_id\nT1\nT2\n", dataset="transactions", partition=DAY, record_count=2,
                    fmt="csv", source={"landing_file": "a.csv"})
    streamed = s3_zone.partition_dir("clickstream", DAY) / "events_h10.jsonl"
    with open_data_file(streamed, dataset="clickstream", partition=DAY, fmt="jsonl", source={"topic": "t"}) as out:
        for n in range(3):
            out.write(b'{"event_id": "%d"}\n' % n, records=1)
        out.update_source(last_offset=2)
    assert read_verified_bytes(path) == b"transaction_id\nT1\nT2\n"
    assert read_manifest(streamed).record_count == 3
    assert read_manifest(streamed).source.to_source() == {"topic": "t", "last_offset": 2}
    assert [p.name for p, _ in complete_files(s3_zone.partition_dir("clickstream", DAY))] == ["events_h10.jsonl"]
    result = verify_tree(s3_zone.root)
    assert result.ok and result.checked == 2


def test_a_failed_write_leaves_nothing(s3_zone):
    path = s3_zone.partition_dir("clickstream", DAY) / "events_h11.jsonl"
    with pytest.raises(RuntimeError), open_data_file(path, dataset="clickstream", partition=DAY, fmt="jsonl",
                                                     source={}) as out:
        out.write(b'{"event_id": "1"}\n', records=1)
        raise RuntimeError("crash mid-batch")
    assert not path.exists()
    assert verify_tree(s3_zone.root).ok


def test_listings_see_files_written_by_another_process(s3_zone, s3_bucket):
    assert "tx_1.csv" not in [p.name for p in s3_zone.landing.iterdir()]  # listed once, before the drop
    _put_behind_our_back(s3_bucket, "lake/landing/tx_1.csv", b"transaction_id\n")
    assert "tx_1.csv" in [p.name for p in s3_zone.landing.iterdir()]
    assert (s3_zone.landing / "tx_1.csv").exists()


def test_io_manager_writes_partitions_and_latest(s3_settings, s3_zone):
    write_master_exports(s3_settings, seed=3, n_products=20, n_customers=30)
    resource = RecomartResource(raw_zone=s3_settings.raw_zone, master_exports_dir=s3_settings.master_exports_dir)
    result = materialize(
        [product_catalog, customers], partition_key=DAY,
        resources={"recomart": resource, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=resource)},
    )
    assert result.success
    snapshot = s3_zone.root / "catalog" / DAY / f"product_catalog_{DAY}.csv"
    assert read_manifest(snapshot).record_count == 20
    assert read_manifest(s3_zone.latest_file("customers")).partition == DAY
    assert verify_tree(s3_zone.root).ok


def test_ingest_master_and_verify_commands(s3_settings, s3_zone, s3_bucket):
    write_master_exports(s3_settings, seed=3, n_products=20, n_customers=30)
    env = {"RECOMART_RAW_ZONE": s3_settings.raw_zone, "RECOMART_MASTER_EXPORTS": s3_settings.master_exports_dir}
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest-master", "--date", DAY], env=env)
    assert ingested.exit_code == 0, ingested.output
    verified = runner.invoke(main, ["verify"], env=env)
    assert verified.exit_code == 0, verified.output
    assert "4 data files" in verified.output and "0 problem(s)" in verified.output

    # Another process overwrites a snapshot, and drops a data file without a manifest.
    _put_behind_our_back(s3_bucket, f"lake/customers/{DAY}/customers_{DAY}.csv", b"customer_id\nC1\n")
    _put_behind_our_back(s3_bucket, "lake/quarantine/transactions/stray.csv", b"x\n")
    verified = runner.invoke(main, ["verify"], env=env)
    assert verified.exit_code == 1
    assert f"size: s3://{s3_bucket}/lake/customers/{DAY}/customers_{DAY}.csv" in verified.output
    assert f"missing-manifest: s3://{s3_bucket}/lake/quarantine/transactions/stray.csv" in verified.output
    with pytest.raises(CorruptFileError):
        read_verified_bytes(s3_zone.partition_dir("customers", DAY) / f"customers_{DAY}.csv")


def test_a_sealed_clickstream_day_is_validated_from_its_columnar_copies(s3_zone, monkeypatch):
    """The seal writes its copies into the bucket; validation fetches and verifies them (no raw file
    read) and gives the raw files' results."""
    from recomart_assets.lake.columnar import copies_dir
    from recomart_assets.quality.engines import duckdb_engine
    from recomart_assets.quality.engines.references import load_references
    from recomart_assets.sources.clickstream.seal import seal_partition
    from recomart_assets_tests.fixtures.quality import DAY as QUALITY_DAY
    from recomart_assets_tests.fixtures.quality import build_demo_zone

    zone = build_demo_zone(s3_zone)
    references = load_references(zone, QUALITY_DAY)
    raw = duckdb_engine.validate_partition(zone, "clickstream", QUALITY_DAY, references)
    seal_partition(zone, "reco_clickstream", QUALITY_DAY, force=True)
    assert len([p for p in copies_dir(zone, "clickstream", QUALITY_DAY).iterdir() if p.name.endswith(".parquet")]) == 3
    monkeypatch.setattr(duckdb_engine, "load_table", None)  # reading a raw file now would fail the test
    copied = duckdb_engine.validate_partition(zone, "clickstream", QUALITY_DAY, references)
    assert (copied.validation, copied.columns, copied.segments) == (raw.validation, raw.columns, raw.segments)
    assert verify_tree(zone.root).ok
