"""The raw-zone layout: paths derived from the specs, day keys, roots and the folder tree."""

from __future__ import annotations

from datetime import date

import pytest
from upath import UPath

from recomart_assets.lake.zone import FOLDER_MARKER, RawZone, dataset_folders, day_key, latest_files


def test_day_keys():
    assert day_key(date(2026, 1, 5)) == "2026-01-05"
    assert day_key("2026-01-05") == "2026-01-05"
    with pytest.raises(ValueError):
        day_key("2026-1-5x")


def test_paths_come_from_the_specs(tmp_path):
    zone = RawZone.at(tmp_path)
    assert zone.partition_dir("product_catalog", "2026-01-05") == zone.root / "catalog" / "2026-01-05"
    assert zone.quarantine_dir("transactions", date(2026, 1, 5)) == zone.root / "quarantine/transactions/2026-01-05"
    assert zone.latest_file("customers") == zone.root / "recomart_raw_customers.csv"
    with pytest.raises(KeyError, match="keeps no latest file"):
        zone.latest_file("transactions")
    assert dataset_folders()["product_catalog"] == "catalog"
    assert "transactions" not in latest_files()


def test_a_local_root_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    zone = RawZone.at("lake")
    assert zone.is_local and zone.root.path == str(tmp_path / "lake")


def test_object_store_listing_cache_is_turned_off():
    zone = RawZone.at("s3://bucket/prefix")
    assert not zone.is_local and zone.root.storage_options["use_listings_cache"] is False


def test_create_tree_is_idempotent_and_marks_folders_on_object_storage(tmp_path):
    local = RawZone.at(tmp_path)
    folders = local.create_tree()
    assert all(f.is_dir() for f in folders) and local.logs_dir in folders
    assert local.create_tree() == folders
    assert not (local.landing / FOLDER_MARKER).exists()
    memory = RawZone(UPath("memory://zone-tree-test"))
    made = memory.create_tree()
    assert memory.logs_dir not in made and (memory.landing / FOLDER_MARKER).exists()
    assert memory.log_file("x.log") is None


def test_log_file_creates_the_logs_folder(tmp_path):
    zone = RawZone.at(tmp_path)
    assert zone.log_file("consumer.log") == str(tmp_path / "_logs" / "consumer.log")
    assert (tmp_path / "_logs").is_dir()
