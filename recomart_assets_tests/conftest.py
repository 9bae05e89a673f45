"""Shared fixtures: a temporary raw zone and settings pointing at it."""

from __future__ import annotations

import pytest
from upath import UPath

from recomart_assets.lake import RawZone
from recomart_assets.resources import RecomartResource
from recomart_assets.settings import Settings


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


def pytest_addoption(parser):
    parser.addoption(
        "--update-snapshots", action="store_true", default=False, help="Rewrite committed snapshot files."
    )
