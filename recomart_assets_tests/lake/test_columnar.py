"""Columnar copies of JSON Lines files: what gets one, the values it holds, when a reader may use it,
and how they are put in place (atomically, stale ones removed, a killed writer's leftovers swept)."""

from __future__ import annotations

import os

import duckdb

from recomart_assets.lake import RawZone, manifest_path, read_manifest, verify_tree, write_data_file
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.columnar import (
    ColumnarCopy,
    can_copy,
    column,
    copies_dir,
    copy_path,
    find_copy,
    publish_copies,
    raw_stamp,
    stage_copy,
)
from recomart_assets.lake.scanning import WIDE_LINE_BYTES

DAY = "2026-01-05"
LINES = [b'{"a": "x", "b": 1, "c": {"k": [1, 2]}}', b'{"b": null, "a": "\\u00e9\\"q", "c/d~": true}', b"{}"]


def raw_file(zone: RawZone, name: str = "h00-a.jsonl", lines: list[bytes] = LINES):
    data = b"".join(line + b"\n" for line in lines)
    manifest = write_data_file(zone.partition_dir("clickstream", DAY) / name, data, dataset="clickstream",
                               partition=DAY, record_count=len(lines), fmt="jsonl", source={"type": "test"})
    return zone.partition_dir("clickstream", DAY) / name, manifest


FIELDS = {"a": "string", "b": "integer", "c": "object", "c/d~": "boolean"}


def published(zone: RawZone, tmp_path, name: str = "h00-a.jsonl") -> ColumnarCopy:
    path, manifest = raw_file(zone, name)
    with duckdb.connect() as connection:
        staged = stage_copy(connection, path.path, name, manifest, raw_stamp(path), FIELDS,
                            str(tmp_path / f"{name}.parquet"))
    assert staged is not None
    publish_copies(zone, "clickstream", DAY, [staged], {name})
    copy = find_copy(zone, "clickstream", DAY, path, manifest)
    assert copy is not None
    return copy


def test_only_narrow_files_with_every_field_recorded_get_a_copy():
    assert can_copy({"a": "string"}, 0, 100)
    assert not can_copy({"a": "string"}, 3, 100)  # fields left out: the copy could not hold them
    assert not can_copy({"a": "string"}, 0, WIDE_LINE_BYTES + 1)  # wide: streamed, not parsed by DuckDB
    assert not can_copy({}, 0, 2)  # no fields: nothing to hold


def test_a_copy_holds_each_field_as_the_raw_path_reads_it(zone, tmp_path):
    copy = published(zone, tmp_path)
    assert copy.fields == FIELDS and copy.path == copy_path(zone, "clickstream", DAY, "h00-a.jsonl")
    with duckdb.connect() as connection:
        rows = connection.execute(f"SELECT {', '.join(column(i) for i in range(4))} FROM "
                                  f"read_parquet('{copy.path.path}')").fetchall()
    # json_extract_string's text: strings as they are, other values as JSON text, null and absent as NULL
    assert rows == [("x", "1", '{"k":[1,2]}', None), ('é"q', None, None, "true"), (None, None, None, None)]
    assert copy.manifest.record_count == 3 and copy.manifest.source.inputs["file"] == "h00-a.jsonl"


def test_a_copy_is_used_only_while_it_describes_the_raw_files_manifest(zone, tmp_path):
    published(zone, tmp_path)
    path, _ = raw_file(zone, lines=[*LINES, b'{"a": "late"}'])  # the raw file rewritten: a new manifest
    assert find_copy(zone, "clickstream", DAY, path, read_manifest(path)) is None  # stale
    path, manifest = raw_file(zone)  # the same bytes again, another file since the seal: stale all the same
    assert find_copy(zone, "clickstream", DAY, path, manifest) is None


def test_a_file_changed_behind_its_manifests_back_makes_its_copy_stale(zone, tmp_path):
    published(zone, tmp_path)
    path = zone.partition_dir("clickstream", DAY) / "h00-a.jsonl"
    manifest = read_manifest(path)
    assert find_copy(zone, "clickstream", DAY, path, manifest) is not None
    seen = path.stat()
    path.write_bytes(path.read_bytes().replace(b'"x"', b'"y"'))  # in place: same size, inode and manifest
    os.utime(path.path, ns=(seen.st_atime_ns, seen.st_mtime_ns + 1_000_000))  # written a tick after the seal
    assert find_copy(zone, "clickstream", DAY, path, manifest) is None  # read raw: verification refuses it


def test_a_copy_without_a_readable_manifest_is_never_read(zone, tmp_path):
    published(zone, tmp_path)
    path = zone.partition_dir("clickstream", DAY) / "h00-a.jsonl"
    manifest = read_manifest(path)
    target = copy_path(zone, "clickstream", DAY, "h00-a.jsonl")
    manifest_path(target).unlink()  # a copy without its manifest (killed before it) is never read
    assert find_copy(zone, "clickstream", DAY, path, manifest) is None
    manifest_path(target).write_text("{not json")
    assert find_copy(zone, "clickstream", DAY, path, manifest) is None


def test_a_copy_whose_rows_are_not_the_record_count_is_not_staged(zone, tmp_path):
    path, manifest = raw_file(zone)
    wrong = manifest.__class__(**{**vars(manifest), "record_count": 5})
    with duckdb.connect() as connection:
        assert stage_copy(connection, path.path, path.name, wrong, raw_stamp(path), FIELDS,
                          str(tmp_path / "x.parquet")) is None


def test_publishing_removes_copies_of_files_gone_and_temporary_leftovers(zone, tmp_path):
    published(zone, tmp_path, "h00-a.jsonl")
    published(zone, tmp_path, "h01-b.jsonl")
    folder = copies_dir(zone, "clickstream", DAY)
    (folder / f"{TEMP_PREFIX}{'0' * 32}-h02-c.jsonl.parquet").write_bytes(b"half")  # a killed seal's
    publish_copies(zone, "clickstream", DAY, [], {"h01-b.jsonl"})  # h00 merged away since
    assert sorted(p.name for p in folder.iterdir()) == ["h01-b.jsonl.parquet", "h01-b.jsonl.parquet.manifest"]
    assert not verify_tree(zone.root).problems  # copies live under _state/: no data file of the contract


def test_copies_live_with_the_days_bookkeeping(zone):
    assert copy_path(zone, "clickstream", DAY, "h00-a.jsonl") == (
        zone.state_dir / "columnar" / "clickstream" / DAY / "h00-a.jsonl.parquet")
