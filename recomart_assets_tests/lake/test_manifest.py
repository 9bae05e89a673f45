"""Atomic writes and manifests: a crash mid-write leaves the previous file and manifest intact."""

import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest
from upath import UPath

from recomart_assets.lake import (
    RawZone,
    atomic,
    manifest_path,
    open_data_file,
    read_manifest,
    read_verified_bytes,
    write_data_file,
)
from recomart_assets.lake import manifest as manifest_module
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.manifest import open_data_files
from recomart_assets.lake.readers import CorruptFileError, complete_files

CSV = b"a,b\n1,2\n3,4\n"


def _write(path, data=CSV, records=2):
    return write_data_file(
        path, data, dataset="product_catalog", partition="2026-11-01", record_count=records, fmt="csv",
        source={"type": "test"}, columns=["a", "b"],
    )


def test_manifest_fields(zone: RawZone):
    path = zone.partition_dir("product_catalog", "2026-11-01") / "x.csv"
    manifest = _write(path)
    stored = json.loads(manifest_path(path).read_bytes())
    assert stored["file"] == "x.csv"
    assert stored["dataset"] == "product_catalog"
    assert stored["partition"] == "2026-11-01"
    assert stored["record_count"] == 2
    assert stored["bytes"] == len(CSV)
    assert stored["md5"] == hashlib.md5(CSV).hexdigest()
    assert stored["sha256"] == hashlib.sha256(CSV).hexdigest()
    assert stored["columns"] == ["a", "b"]
    assert stored["source"] == {"type": "test"}
    assert stored["created_at"].endswith("Z")
    assert stored["producer"].startswith("recomart-assets")
    assert read_manifest(path) == manifest


def test_exception_mid_write_keeps_previous_file(zone: RawZone):
    path = zone.partition_dir("product_catalog", "2026-11-01") / "x.csv"
    _write(path)
    before = (path.read_bytes(), manifest_path(path).read_bytes())
    with pytest.raises(RuntimeError):
        with open_data_file(path, dataset="product_catalog", partition="2026-11-01", fmt="csv", source={}) as out:
            out.write(b"a,b\n9,9\n", records=1)
            raise RuntimeError("crash between writing and renaming")
    assert (path.read_bytes(), manifest_path(path).read_bytes()) == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.csv", "x.csv.manifest"]


WRITER = """
import sys, time
from upath import UPath
from recomart_assets.lake import open_data_file
with open_data_file(UPath(sys.argv[1]), dataset="product_catalog", partition="2026-11-01", fmt="csv", source={}) as out:
    out.write(b"a,b\\n", records=0)
    print("writing", flush=True)
    while True:
        out.write(b"7,7\\n", records=1)
        time.sleep(0.001)
"""


def test_kill_9_mid_write_keeps_previous_file(zone: RawZone):
    path = zone.partition_dir("product_catalog", "2026-11-01") / "x.csv"
    _write(path)
    before = (path.read_bytes(), manifest_path(path).read_bytes())
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"writing"
        # Mid-write: the writer's temporary file is open beside the previous file.
        assert any(p.name.startswith(TEMP_PREFIX) for p in path.parent.iterdir())
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    assert (path.read_bytes(), manifest_path(path).read_bytes()) == before
    # The killed writer's temporary file is hidden: readers see only the complete file.
    assert [p.name for p, _ in complete_files(path.parent)] == ["x.csv"]


def test_streaming_counts_records_and_checksums(zone: RawZone):
    path = zone.partition_dir("clickstream", "2026-11-01") / "b.jsonl"
    with open_data_file(path, dataset="clickstream", partition="2026-11-01", fmt="jsonl", source={"o": 1}) as out:
        out.write(b'{"a":1}\n', records=1)
        out.write(b'{"a":2}\n', records=1)
        out.update_source(last_offset=2)
    assert out.manifest.record_count == 2
    assert read_manifest(path).source.to_source() == {"o": 1, "last_offset": 2}
    assert read_verified_bytes(path) == b'{"a":1}\n{"a":2}\n'


def test_reader_rejects_corrupt_and_ignores_incomplete(zone: RawZone):
    folder = zone.partition_dir("product_catalog", "2026-11-01")
    good = folder / "good.csv"
    _write(good)
    (folder / "incomplete.csv").write_bytes(CSV)
    assert [p.name for p, _ in complete_files(folder)] == ["good.csv"]
    good.write_bytes(CSV.replace(b"3", b"8"))
    with pytest.raises(CorruptFileError, match="does not match"):
        read_verified_bytes(good)


def test_memory_filesystem_root():
    zone = RawZone(UPath("memory://recomart-test/zone"))
    path = zone.partition_dir("customers", "2026-11-01") / "c.csv"
    _write(path)
    assert read_verified_bytes(path) == CSV
    assert read_manifest(path).record_count == 2


def test_an_optional_moment_round_trips_through_its_iso_text():
    from datetime import UTC, datetime, timedelta, timezone

    from recomart_assets.lake.manifest import iso_or_none, moment_or_none

    for moment in (datetime(2026, 3, 1, 10, 15, 30, 123456, tzinfo=UTC),
                   datetime(2026, 3, 1, 15, 45, tzinfo=timezone(timedelta(hours=5, minutes=30)))):
        assert moment_or_none(iso_or_none(moment)) == moment
    assert iso_or_none(None) is None and moment_or_none(None) is None


def test_a_block_of_data_files_appears_whole_with_tagged_temporary_files(zone: RawZone, monkeypatch):
    """Published side by side on threads, each file with its manifest; the manifests' temporary files are
    still their owner's (the sweep after a kill -9 recognises them)."""
    owners = []
    original = manifest_module.write_bytes_atomic

    def spy(path, data, before_publish=None):
        owners.append(atomic._owner.get())
        return original(path, data, before_publish)

    monkeypatch.setattr(manifest_module, "write_bytes_atomic", spy)
    paths = [zone.partition_dir("transactions", f"2026-11-0{day}") / "x.csv" for day in range(1, 6)]
    with atomic.temporary_files_owned_by("intake:test"), open_data_files() as files:
        for path in paths:
            files.open(path, dataset="transactions", partition=path.parent.name, fmt="csv",
                       source={"type": "test"}).write(CSV, records=2)
    assert [read_verified_bytes(path) for path in paths] == [CSV] * 5
    assert owners == ["intake:test"] * 5


def test_an_error_in_a_block_of_data_files_publishes_none(zone: RawZone):
    folder = zone.partition_dir("transactions", "2026-11-01")
    with pytest.raises(RuntimeError), open_data_files() as files:
        for name in ("a.csv", "b.csv"):
            files.open(folder / name, dataset="transactions", partition="2026-11-01", fmt="csv",
                       source={"type": "test"}).write(CSV, records=2)
        raise RuntimeError("the split failed")
    assert list(folder.iterdir()) == []


def test_the_folder_is_fsynced_before_the_rename_only_when_a_stale_manifest_went(zone: RawZone, monkeypatch):
    """R2 needs the removal of the old manifest durable before the new bytes appear; with nothing removed
    there is nothing to make durable (one fsync of the folder less per new file)."""
    synced = []
    real = atomic._fsync_dir
    monkeypatch.setattr(atomic, "_fsync_dir", lambda folder: (synced.append(folder), real(folder)))
    path = zone.partition_dir("product_catalog", "2026-11-01") / "c.csv"
    _write(path)
    fresh = len(synced)
    synced.clear()
    _write(path, b"a,b\n5,6\n", records=1)  # new bytes: the old manifest is withdrawn first
    assert len(synced) == fresh + 1
    synced.clear()
    _write(path, b"a,b\n5,6\n", records=1)  # the same bytes again: the manifest stays
    assert len(synced) == fresh
