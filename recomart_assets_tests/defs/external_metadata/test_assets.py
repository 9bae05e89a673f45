"""The ``external_metadata`` asset: same pull, same files, a failed run on faults (its cron:
``defs/shared/test_automation.py``)."""

import pytest
from dagster import materialize

from recomart_assets.defs.external_metadata.assets import external_metadata
from recomart_assets.defs.shared.io_manager import RawZoneFrameIOManager
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.simulate.metadata_server import Faults
from recomart_assets_tests.fixtures.metadata_api import FAST, PRODUCTS

pytestmark = pytest.mark.integration

RUN_CONFIG = {"ops": {"external_metadata": {"config": {
    "page_size": FAST.page_size, "read_timeout": FAST.read_timeout, "wait_initial": FAST.wait_initial,
    "wait_max": FAST.wait_max, "wait_jitter": FAST.wait_jitter,
}}}}


def _materialize(settings, url, day, **kwargs):
    resource = RecomartResource(raw_zone=settings.raw_zone, metadata_api_url=url)
    return materialize(
        [external_metadata], partition_key=day, run_config=RUN_CONFIG,
        resources={"recomart": resource, "raw_zone_io_manager": RawZoneFrameIOManager(recomart=resource)}, **kwargs,
    )


def test_partition_pulls_its_own_day(zone, settings, clean_api):
    result = _materialize(settings, clean_api, "2026-01-07")
    assert result.success
    snapshot = zone.root / "external_metadata" / "2026-01-07" / "external_metadata_2026-01-07.csv"
    manifest = read_manifest(snapshot)
    assert manifest.record_count == PRODUCTS and manifest.source.as_of == "2026-01-07"
    assert read_manifest(zone.latest_file("external_metadata")).partition == "2026-01-07"
    assert verify_tree(zone.root).ok


def test_run_fails_with_the_reason_and_writes_nothing(zone, settings, metadata_api):
    url = metadata_api(Faults(wrong_schema_rate=1.0))
    result = _materialize(settings, url, "2026-01-07", raise_on_error=False)
    assert not result.success
    failure = result.failure_data_for_node("external_metadata")
    assert "unexpected response shape" in failure.user_failure_data.description
    assert failure.user_failure_data.metadata["attempts"].value == 1
    assert not (zone.root / "external_metadata" / "2026-01-07").exists()
