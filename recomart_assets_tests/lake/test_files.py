"""Removing a data file takes its manifest first, and tolerates either being gone already."""

from __future__ import annotations

from recomart_assets.lake.files import remove_data_file, remove_data_files
from recomart_assets.lake.manifest import manifest_path, write_data_file
from recomart_assets.lake.readers import complete_files


def _write(folder, name):
    path = folder / name
    write_data_file(path, b"a\n1\n", dataset="customers", partition="2026-01-05", record_count=1, fmt="csv",
                    source={"kind": "manual"})
    return path


def test_remove_data_files(zone):
    folder = zone.partition_dir("customers", "2026-01-05")
    paths = [_write(folder, "a.csv"), _write(folder, "b.csv"), _write(folder, "c.csv")]
    remove_data_files(paths[:2])
    assert [p.name for p, _ in complete_files(folder)] == ["c.csv"]
    assert sorted(p.name for p in folder.iterdir()) == ["c.csv", manifest_path(paths[2]).name]


def test_a_half_removed_file_is_removed_again(zone):
    folder = zone.partition_dir("customers", "2026-01-05")
    path = _write(folder, "a.csv")
    manifest_path(path).unlink()  # a crash after the manifest went
    remove_data_file(path)
    remove_data_file(path)  # nothing left: no error
    assert list(folder.iterdir()) == []
