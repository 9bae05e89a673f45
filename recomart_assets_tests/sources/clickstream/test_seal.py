"""Sealing a clickstream day (no broker: batch files written as the consumer writes them): what the seal
counts, which days need one, and the merge of an hour's batch files that never loses, doubles or
touches the newest batch of a log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from recomart_assets.errors import PartitionNotClosed
from recomart_assets.lake import complete_files, manifest_path, read_manifest, verify_tree, write_data_file
from recomart_assets.lake.columnar import copies_dir, find_copy
from recomart_assets.lake.readers import CorruptFileError
from recomart_assets.lake.scanning import WIDE_LINE_BYTES
from recomart_assets.sources.clickstream import seal as seal_module
from recomart_assets.sources.clickstream.batches import MERGED_FILE, batch_file_name, resume_positions
from recomart_assets.sources.clickstream.seal import (
    SEAL_FILE,
    day_end,
    day_files,
    days_to_seal,
    read_seal,
    recorded_fields,
    seal_partition,
)
from recomart_assets.sources.clickstream.watermarks import advance_watermark
from recomart_assets_tests.fixtures.clickstream_batches import CLUSTER, DAY, hour_files, lines, write_batch
from recomart_assets_tests.fixtures.kafka import assert_contiguous, batch_ranges, lake_messages


def close_day(zone, topic: str = "t") -> None:
    """The consumer's watermark passes the end of DAY."""
    advance_watermark(zone, topic, 1, timedelta(hours=1), event_time_max=datetime(2026, 3, 2, 2, tzinfo=UTC))


def test_a_day_ends_at_the_next_midnight_utc():
    assert day_end("2026-03-01") == datetime(2026, 3, 2, tzinfo=UTC)
    assert day_end("2026-12-31") == datetime(2027, 1, 1, tzinfo=UTC)


def test_the_seal_counts_events_ids_types_hours_and_quarantine(zone):
    write_batch(zone, 0, 9, {10: [b'{"event_id":"a","event_type":"view"}', b'{"event_id":"a","event_type":"view"}',
                                  b'{"event_type":"click"}'],
                             11: [b'{"event_id":"b","event_type":""}', b'{"event_id":5,"event_type":"view"}',
                                  b'{"event_id":"5","event_type":"view"}']})
    write_data_file(zone.quarantine_dir("clickstream", DAY) / batch_file_name("t", 1, 0, None, CLUSTER),
                    b'{"reason":"x"}\n{"reason":"y"}\n', dataset="clickstream", partition=DAY, record_count=2,
                    fmt="jsonl", source={"type": "kafka", "topic": "t", "partition": 1, "cluster_id": CLUSTER,
                                         "batch_start_offset": 0, "batch_end_offset": 9, "batch_files": 3})
    (zone.partition_dir("clickstream", DAY) / "h12-half.jsonl").write_bytes(b"{}\n")  # no manifest yet
    close_day(zone)
    seal = seal_partition(zone, "t", DAY)
    assert seal["closed"] and not seal["forced"] and seal["seal_count"] == 1 and seal["late_events"] == 0
    assert seal["events"] == 6 and seal["quarantined"] == 2
    assert (seal["distinct_event_ids"], seal["duplicate_event_ids"], seal["missing_event_ids"]) == (3, 2, 1)
    assert seal["events_per_type"] == {"(missing)": 1, "click": 1, "view": 4}
    assert seal["events_per_hour"] == {"10": 3, "11": 3} and seal["incomplete_files"] == ["h12-half.jsonl"]
    assert read_seal(zone, DAY) == seal and read_manifest(zone.partition_dir("clickstream", DAY) / SEAL_FILE)
    fields = recorded_fields(zone, DAY)
    assert sorted(fields) == sorted(day_files(zone, DAY)) and all(len(md5) == 32 for md5, _ in fields.values())
    assert [p.path.rsplit("/", 1)[1] for p in verify_tree(zone.root).problems] == ["h12-half.jsonl"]


@pytest.mark.parametrize("per_scan", [1, 2, 1_000])
def test_distinct_ids_are_counted_in_parts_on_a_large_day(zone, monkeypatch, per_scan):
    """A day with more ids than one scan may hold (20M ran out of DuckDB's 512 MB) is counted in parts
    split by the ids' hash: each id in exactly one part, so the sum is the whole day's count."""
    monkeypatch.setattr(seal_module, "DISTINCT_IDS_PER_SCAN", per_scan)
    ids = [b"e%d" % (i % 37) for i in range(120)]  # 37 distinct, each repeated
    write_batch(zone, 0, 119, {10: [b'{"event_id":"%s","event_type":"view"}' % i for i in ids[:60]],
                               11: [b'{"event_id":"%s","event_type":"view"}' % i for i in ids[60:]]})
    close_day(zone)
    seal = seal_partition(zone, "t", DAY)
    assert (seal["events"], seal["distinct_event_ids"], seal["duplicate_event_ids"]) == (120, 37, 83)


def test_a_file_that_does_not_match_its_manifest_stops_the_seal(zone):
    write_batch(zone, 0, 9, {10: lines(0, 10)})
    [(path, _)] = complete_files(zone.partition_dir("clickstream", DAY))
    path.write_bytes(path.read_bytes().replace(b"e-1", b"e-X"))
    with pytest.raises(CorruptFileError):
        seal_partition(zone, "t", DAY, force=True)
    assert read_seal(zone, DAY) is None


def test_days_to_seal_are_closed_days_unsealed_or_with_late_files(zone):
    write_batch(zone, 0, 9, {10: lines(0, 10)})
    assert days_to_seal(zone, "t") == []  # no watermark yet
    advance_watermark(zone, "t", 1, timedelta(hours=1), event_time_max=datetime(2026, 3, 1, 23, tzinfo=UTC))
    assert days_to_seal(zone, "t") == []  # the day is still open
    close_day(zone)
    [(day, fingerprint)] = days_to_seal(zone, "t")
    assert day == DAY and len(fingerprint) == 16
    seal_partition(zone, "t", DAY)
    assert days_to_seal(zone, "t") == []
    write_batch(zone, 10, 19, {11: lines(10, 3)})  # late data
    [(day, later)] = days_to_seal(zone, "t")
    assert day == DAY and later != fingerprint
    assert seal_partition(zone, "t", DAY)["late_events"] == 3 and days_to_seal(zone, "t") == []


def test_an_open_day_is_not_sealed_unless_forced(zone):
    advance_watermark(zone, "reco_clickstream", 0, timedelta(hours=1),
                      event_time_max=datetime.fromisoformat("2026-03-01T12:00:00+00:00"))
    with pytest.raises(PartitionNotClosed, match="still open"):
        seal_partition(zone, "reco_clickstream", DAY)
    seal = seal_partition(zone, "reco_clickstream", DAY, force=True)
    assert seal["forced"] and seal["events"] == 0

def test_sealing_merges_an_hours_batch_files_and_keeps_lineage(zone):
    # Five batches of partition 1; hour 10 got events in all of them (an offline buffer trickling in).
    write_batch(zone, 0, 9, {10: lines(0, 10)})
    write_batch(zone, 10, 19, {10: lines(10, 4), 11: lines(14, 6)})
    write_batch(zone, 20, 29, {10: lines(20, 10)})
    write_batch(zone, 30, 39, {10: lines(30, 10)})
    write_batch(zone, 40, 49, {10: lines(40, 10)})  # the latest batch: the consumer may still roll it back
    before, resume = lake_messages(zone), resume_positions(zone, "t", [1], CLUSTER)
    assert len(hour_files(zone, 10)) == 5

    seal = seal_partition(zone, "t", DAY, force=True)
    names = hour_files(zone, 10)
    assert len(names) == 2 and MERGED_FILE.match(names[0]) and names[1] == batch_file_name("t", 1, 40, 10, CLUSTER)
    assert len(hour_files(zone, 11)) == 1 and seal["merged_files"] == 4
    assert lake_messages(zone) == before and seal["events"] == 50
    assert resume_positions(zone, "t", [1], CLUSTER) == resume == {1: 50}
    assert_contiguous(batch_ranges(zone, "t"), 50)  # every batch still named by the merged file's lineage
    merged = read_manifest(zone.partition_dir("clickstream", DAY) / names[0])
    assert [s["batch_start_offset"] for s in merged.source.segments] == [0, 10, 20, 30]
    assert merged.record_count == 34 and verify_tree(zone.root).ok

    # Late batches: the hour has three files again; the reseal merges them and counts only the new events.
    write_batch(zone, 50, 59, {10: lines(50, 10)})
    write_batch(zone, 60, 69, {10: lines(60, 10)})
    reseal = seal_partition(zone, "t", DAY, force=True)
    assert len(hour_files(zone, 10)) == 2 and reseal["late_events"] == 20 and reseal["events"] == 70
    write_batch(zone, 70, 79, {10: lines(70, 10)})  # two older files and the latest one: still merged
    assert len(hour_files(zone, 10)) == 3
    assert seal_partition(zone, "t", DAY, force=True)["late_events"] == 10 and len(hour_files(zone, 10)) == 2
    assert_contiguous(batch_ranges(zone, "t"), 80)
    assert verify_tree(zone.root).ok

def test_an_interrupted_merge_is_invisible_and_tidied(zone):
    for start in range(0, 40, 10):
        write_batch(zone, start, start + 9, {10: lines(start, 10)})
    folder = zone.partition_dir("clickstream", DAY)
    originals = {p.name: (p.read_bytes(), manifest_path(p).read_bytes()) for p, _ in complete_files(folder)}
    before = lake_messages(zone)
    seal_partition(zone, "t", DAY, force=True)
    (merged,) = [p for p, _ in complete_files(folder) if MERGED_FILE.match(p.name)]

    # A crash after the merged manifest, before the replaced files were deleted: they are back on disk.
    for name, (data, manifest) in originals.items():
        (folder / name).write_bytes(data)
        manifest_path(folder / name).write_bytes(manifest)
    # And a later merge cut short before its manifest.
    half = folder / merged.name.replace("x3-", "x9-")
    half.write_bytes(merged.read_bytes())
    assert lake_messages(zone) == before  # readers see each event once
    assert resume_positions(zone, "t", [1], CLUSTER) == {1: 40}

    seal = seal_partition(zone, "t", DAY, force=True)
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(("_partition", "."))) == sorted(
        [merged.name, f"{merged.name}.manifest", batch_file_name("t", 1, 30, 10, CLUSTER),
         f"{batch_file_name('t', 1, 30, 10, CLUSTER)}.manifest"])
    assert seal["events"] == 40 and lake_messages(zone) == before and verify_tree(zone.root).ok

def test_a_batch_published_while_the_seal_runs_is_never_merged(zone, monkeypatch):
    """Class 1 of issue 20: the consumer publishes a batch while a seal lists the day, then crashes
    before the batch's last file; the restarted consumer rolls the batch back and reads it again
    (a larger batch now). No event may be lost or doubled, whatever the seal merged."""
    from recomart_assets.sources.clickstream import seal as clickstream_seal

    for start in (0, 10, 20):
        write_batch(zone, start, start + 9, {10: lines(start, 10)})
    folder = zone.partition_dir("clickstream", DAY)
    listing = clickstream_seal.complete_files
    published = []

    def consumer_publishes_meanwhile(where, *args, **kwargs):
        if where == folder and not published:  # the first file of batch 30..39; the crash comes before its second
            published.append(True)
            path = folder / batch_file_name("t", 1, 30, 10, CLUSTER)
            write_data_file(path, b"\n".join(lines(30, 5)) + b"\n", dataset="clickstream", partition=DAY,
                            record_count=5, fmt="jsonl",
                            source={"type": "kafka", "topic": "t", "partition": 1, "cluster_id": CLUSTER,
                                    "batch_start_offset": 30, "batch_end_offset": 39, "batch_files": 2})
        return listing(where, *args, **kwargs)

    monkeypatch.setattr(clickstream_seal, "complete_files", consumer_publishes_meanwhile)
    seal_partition(zone, "t", DAY, force=True)
    monkeypatch.undo()

    position = resume_positions(zone, "t", [1], CLUSTER)[1]  # the restarted consumer
    write_batch(zone, position, 49, {10: lines(position, 50 - position)})  # reads on to 49 in one batch
    seal = seal_partition(zone, "t", DAY, force=True)
    expected = {line: 1 for line in lines(0, 50)}
    assert dict(lake_messages(zone)) == expected and seal["events"] == 50
    assert_contiguous(batch_ranges(zone, "t"), 50)
    assert verify_tree(zone.root).ok


def test_the_seal_writes_a_columnar_copy_of_each_narrow_file_and_keeps_them_current(zone):
    write_batch(zone, 0, 9, {10: lines(0, 10)})
    write_batch(zone, 10, 19, {10: lines(10, 4), 11: lines(14, 6)})
    write_batch(zone, 20, 29, {10: lines(20, 5), 12: [b'{"event_id":"w","pad":"' + b"x" * WIDE_LINE_BYTES + b'"}']})
    seal_partition(zone, "t", DAY, force=True)
    files = dict(complete_files(zone.partition_dir("clickstream", DAY), "*.jsonl"))
    copies = {path.name: find_copy(zone, "clickstream", DAY, path, manifest) for path, manifest in files.items()}
    wide = batch_file_name("t", 1, 20, 12, CLUSTER)
    assert copies.pop(wide) is None  # a wide file is streamed, never parsed by DuckDB: no copy
    assert all(copy is not None and copy.fields == {"event_id": "string", "event_type": "string"}
               for copy in copies.values())
    inodes = {name: copy.path.stat().st_ino for name, copy in copies.items() if copy is not None}

    write_batch(zone, 30, 39, {10: lines(30, 10)})  # hour 10 now has four files: the reseal merges three
    seal_partition(zone, "t", DAY, force=True)
    folder = copies_dir(zone, "clickstream", DAY)
    names = sorted(p.name.removesuffix(".parquet") for p in folder.iterdir() if p.name.endswith(".parquet"))
    assert names == sorted(name for name in day_files(zone, DAY) if name != wide)  # merged-away files' copies gone
    kept = batch_file_name("t", 1, 10, 11, CLUSTER)
    assert (folder / f"{kept}.parquet").stat().st_ino == inodes[kept]  # a current copy is not written again
    assert verify_tree(zone.root).ok
