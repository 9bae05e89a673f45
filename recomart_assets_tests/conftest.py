"""Shared fixtures: a temporary raw zone and settings pointing at it; service fixtures as plugins."""

from __future__ import annotations

pytest_plugins = [
    "recomart_assets_tests.fixtures.kafka",
    "recomart_assets_tests.fixtures.landing",
    "recomart_assets_tests.fixtures.metadata_api",
    "recomart_assets_tests.fixtures.quality",
    "recomart_assets_tests.fixtures.services",
]

import os

import pytest
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.lake import RawZone

# The suite's JVMs (the local Spark session, spark-submit through Pipes) live for seconds on tiny data,
# where only the quick C1 compiler pays off: the full tiered JIT made the two Spark modules 74.5 s
# instead of 64.0 s on two cores. Inherited by every JVM the tests start; a user's own setting wins.
os.environ.setdefault("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1")


@pytest.fixture
def zone(tmp_path) -> RawZone:
    zone = RawZone(UPath(tmp_path / "raw_zone"))
    zone.create_tree()
    return zone


@pytest.fixture
def settings(zone, tmp_path) -> Settings:
    return Settings.from_env(
        {"RECOMART_RAW_ZONE": str(zone.root), "RECOMART_MASTER_EXPORTS": str(tmp_path / "master_exports")}
    )


@pytest.fixture
def recomart_resource(settings) -> RecomartResource:
    return RecomartResource(raw_zone=settings.raw_zone, master_exports_dir=settings.master_exports_dir)
