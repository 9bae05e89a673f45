"""Readers see complete files only, skip superseded ones, and verify bytes against the manifest."""

from __future__ import annotations

import pytest

from recomart_assets.errors import CorruptFileError
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.lineage import KafkaBatch
from recomart_assets.lake.manifest import MANIFEST_SUFFIX, write_data_file
from recomart_assets.lake.readers import (
    complete_files,
    content_mismatch,
    is_data_file_name,
    read_csv_verified,
    read_verified_bytes,
    verify_streaming,
)

CSV = b"customer_id,n\nC000001,007\n"


def _write(path, data=CSV, source=None):
    return write_data_file(path, data, dataset="customers", partition="2026-01-05", record_count=1, fmt="csv",
                           source=source or {"kind": "manual"})


def test_data_file_names():
    assert is_data_file_name("a.csv")
    assert not is_data_file_name(f"a.csv{MANIFEST_SUFFIX}")
    assert not is_data_file_name(".keep") and not is_data_file_name(f"{TEMP_PREFIX}a.csv")


def test_complete_files_skip_missing_manifests_and_superseded_files(zone):
    folder = zone.partition_dir("customers", "2026-01-05")
    assert list(complete_files(folder)) == []  # no folder yet
    _write(folder / "b.csv")
    _write(folder / "a.csv")
    (folder / "c.csv").write_bytes(CSV)  # still being written
    assert [p.name for p, _ in complete_files(folder)] == ["a.csv", "b.csv"]
    merge = KafkaBatch(topic="t", partition=0, batch_start_offset=0, batch_end_offset=1, supersedes=["a.csv", "b.csv"])
    _write(folder / "merged.csv", source=merge)  # a seal's merge: the files it lists are hidden
    assert [p.name for p, _ in complete_files(folder, "*.csv")] == ["merged.csv"]


def test_content_mismatch_names_size_then_md5(zone):
    manifest = _write(zone.root / "x.csv")
    assert content_mismatch(CSV, manifest) is None
    assert content_mismatch(CSV + b"\n", manifest)[0] == "size"
    assert content_mismatch(CSV.replace(b"7", b"8"), manifest)[0] == "md5"


def test_verified_reads(zone, tmp_path):
    path = zone.root / "x.csv"
    manifest = _write(path)
    assert read_verified_bytes(path) == CSV
    frame = read_csv_verified(path)
    assert frame["n"].tolist() == ["007"]  # text, as the raw zone holds it
    copy = tmp_path / "copy.csv"
    verify_streaming(path, manifest, copy_to=str(copy))
    assert copy.read_bytes() == CSV
    path.write_bytes(CSV.replace(b"7", b"8"))
    with pytest.raises(CorruptFileError, match="sha256"):
        verify_streaming(path, manifest)
    with pytest.raises(CorruptFileError, match="md5"):
        read_verified_bytes(path)
    with pytest.raises(CorruptFileError, match="no manifest"):
        read_verified_bytes(zone.root / "other.csv")
