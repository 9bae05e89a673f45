"""Master data: the assets and ``recomart ingest-master`` write exact paths, manifests and counts."""

import hashlib

import pandas as pd
import pytest
from dagster import materialize

from recomart_assets.defs.master_data.assets import customers, product_catalog
from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.simulate.master import write_master_exports
from recomart_assets.sources.master_exports import MasterExportError, export_path, ingest_master


@pytest.fixture
def exports(settings):
    return write_master_exports(settings, seed=7, n_products=50, n_customers=80, dirty_rate=0.1)


def _run(recomart_resource, day):
    return materialize(
        [product_catalog, customers],
        partition_key=day,
        resources={"recomart": recomart_resource, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=recomart_resource)},
    )


def test_materialize_writes_snapshots_latest_and_manifests(zone, recomart_resource, exports):
    result = _run(recomart_resource, "2026-11-03")
    assert result.success
    snapshot = zone.root / "catalog" / "2026-11-03" / "product_catalog_2026-11-03.csv"
    people = zone.root / "customers" / "2026-11-03" / "customers_2026-11-03.csv"
    manifest = read_manifest(snapshot)
    # 50 products + 5 injected duplicate rows (dirty rate 0.1), kept as received.
    assert manifest.record_count == 55
    assert manifest.columns == ["product_id", "name", "category", "brand", "price"]
    assert manifest.source.sha256 == hashlib.sha256(exports["product_catalog"].read_bytes()).hexdigest()
    assert read_manifest(people).record_count == 88
    latest = read_manifest(zone.root / "recomart_product_catalog.csv")
    assert latest.partition == "2026-11-03" and latest.md5 == manifest.md5
    assert (zone.root / "recomart_raw_customers.csv.manifest").exists()
    events = result.asset_materializations_for_node("product_catalog")
    assert events[0].metadata["dagster/row_count"].value == 55
    # The dagster-pandas output type summarises the frame as received, blanked cells included.
    [output] = [e for e in result.all_node_events if e.is_successful_output and e.node_name == "product_catalog"]
    type_check = output.event_specific_data.type_check_data
    assert type_check.success and type_check.metadata["rows"].value == 55
    export = pd.read_csv(exports["product_catalog"].path, dtype=str, keep_default_na=False)
    assert type_check.metadata["empty_cells"].value == int((export == "").to_numpy().sum()) > 0
    assert verify_tree(zone.root).ok


def test_backfill_of_older_day_keeps_newer_latest(zone, recomart_resource, exports):
    _run(recomart_resource, "2026-11-05")
    latest_before = (zone.root / "recomart_product_catalog.csv.manifest").read_bytes()
    _run(recomart_resource, "2026-11-01")
    assert (zone.root / "catalog" / "2026-11-01" / "product_catalog_2026-11-01.csv").exists()
    assert (zone.root / "recomart_product_catalog.csv.manifest").read_bytes() == latest_before


def test_missing_export_fails_clearly_and_keeps_previous_files(zone, settings, exports):
    ingest_master(settings, "2026-11-03")
    before = {p: p.read_bytes() for p in zone.root.rglob("*") if p.is_file() and "_logs" not in p.parts}
    export_path(settings, "customers").unlink()
    with pytest.raises(MasterExportError, match="customers.*missing"):
        ingest_master(settings, "2026-11-03")
    after = {p: p.read_bytes() for p in zone.root.rglob("*") if p.is_file() and "_logs" not in p.parts}
    assert after == before


def test_ingest_master_creates_the_tree(zone, settings, exports):
    ingest_master(settings, "2026-11-03")
    for folder in ("landing", "landing/clickstream", "archive/transactions", "quarantine", "reports"):
        assert (zone.root / folder).is_dir()
