"""Sealing a day, late data after the seal, and the merge of an hour's batch files (CSV exports:
``sources/clickstream/test_exports.py``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from dagster import build_sensor_context, materialize

from recomart_assets.defs.clickstream.assets import clickstream
from recomart_assets.defs.clickstream.sensors import clickstream_seal_sensor
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.errors import PartitionNotClosed
from recomart_assets.lake import complete_files, manifest_path, read_manifest, verify_tree, write_data_file
from recomart_assets.simulate.clickstream import produce_clickstream
from recomart_assets.sources.clickstream.batches import MERGED_FILE, batch_file_name, resume_positions
from recomart_assets.sources.clickstream.consumer import ConsumerOptions, run_consumer
from recomart_assets.sources.clickstream.seal import SEAL_FILE, read_seal, seal_partition
from recomart_assets.sources.clickstream.watermarks import advance_watermark
from recomart_assets_tests.fixtures.kafka import assert_contiguous, batch_ranges, lake_messages

DAY = "2026-03-01"
CLUSTER = "test-cluster"


@pytest.fixture
def resource(kafka_settings, monkeypatch) -> RecomartResource:
    monkeypatch.setenv("RECOMART_CLICKSTREAM_TOPIC", kafka_settings.clickstream_topic)
    return RecomartResource(raw_zone=kafka_settings.raw_zone,
                            kafka_bootstrap_servers=kafka_settings.kafka_bootstrap_servers)


def seal_run(resource: RecomartResource):
    return materialize([clickstream], partition_key=DAY, resources={"recomart": resource})


@pytest.mark.integration
def test_seal_then_late_data_makes_the_day_resealable(kafka_settings, zone, resource):
    produced = produce_clickstream(kafka_settings, 2000, [date(2026, 3, 1)], seed=21, dirty_rate=0.08)
    consume = ConsumerOptions(idle_exit=2, caught_up_after=1)  # caught up on idle: the watermark passes the day
    run_consumer(kafka_settings, consume, handle_signals=False)

    with build_sensor_context(resources={"recomart": resource}) as context:
        requests = clickstream_seal_sensor(context)
    assert [r.partition_key for r in requests] == [DAY]

    assert seal_run(resource).success
    seal = read_seal(zone, DAY)
    assert seal["closed"] and seal["seal_count"] == 1 and seal["late_events"] == 0
    assert seal["duplicate_event_ids"] == produced.duplicates > 0
    assert sum(seal["events_per_type"].values()) == seal["events"] == sum(seal["events_per_hour"].values())
    placed_elsewhere = seal["events"] + seal["quarantined"]
    assert placed_elsewhere <= produced.messages  # sessions near midnight spill into 2026-03-02
    assert read_manifest(zone.partition_dir("clickstream", DAY) / SEAL_FILE).record_count == 1
    with build_sensor_context(resources={"recomart": resource}) as context:
        assert not isinstance(clickstream_seal_sensor(context), list)  # nothing left to seal

    late = produce_clickstream(kafka_settings, 300, [date(2026, 3, 1)], seed=22)
    run_consumer(kafka_settings, consume, handle_signals=False)
    with build_sensor_context(resources={"recomart": resource}) as context:
        requests = clickstream_seal_sensor(context)
    assert [r.partition_key for r in requests] == [DAY]
    assert seal_run(resource).success
    resealed = read_seal(zone, DAY)
    assert resealed["seal_count"] == 2
    assert 0 < resealed["late_events"] <= late.messages
    assert resealed["events"] == seal["events"] + resealed["late_events"]
    assert verify_tree(zone.root).ok


def test_an_open_day_is_not_sealed_unless_forced(zone):
    advance_watermark(zone, "reco_clickstream", 0, timedelta(hours=1),
                      event_time_max=datetime.fromisoformat("2026-03-01T12:00:00+00:00"))
    with pytest.raises(PartitionNotClosed, match="still open"):
        seal_partition(zone, "reco_clickstream", DAY)
    seal = seal_partition(zone, "reco_clickstream", DAY, force=True)
    assert seal["forced"] and seal["events"] == 0


def test_incomplete_last_batch_is_rolled_back(zone):
    """A crash between the files of one batch: the lake drops the partial batch and resumes at its start."""

    def batch_file(hour: int, start: int, end: int, files: int) -> None:
        path = zone.partition_dir("clickstream", DAY) / batch_file_name("t", 1, start, hour, CLUSTER)
        source = {"topic": "t", "partition": 1, "batch_start_offset": start, "batch_end_offset": end,
                  "batch_files": files}
        write_data_file(path, b'{"a":1}\n', dataset="clickstream", partition=DAY, record_count=1, fmt="jsonl",
                        source=source)

    batch_file(10, 0, 99, 1)
    assert resume_positions(zone, "t", [0, 1], CLUSTER) == {1: 100}
    assert resume_positions(zone, "t", [1], "another-cluster") == {}  # its offsets say nothing about ours
    batch_file(10, 100, 199, 2)  # the second file of this batch never made it
    half_written = batch_file_name("t", 1, 100, 12, CLUSTER)
    (zone.partition_dir("clickstream", DAY) / half_written).write_bytes(b"half")  # no manifest
    leftover = zone.partition_dir("clickstream", DAY) / f".tmp-{'0' * 32}-{half_written}.manifest"
    leftover.write_bytes(b"{")  # a manifest write cut short by the crash
    assert resume_positions(zone, "t", [1], CLUSTER) == {1: 100}
    names = sorted(p.name for p, _ in complete_files(zone.partition_dir("clickstream", DAY)))
    assert names == [batch_file_name("t", 1, 0, 10, CLUSTER)] and not leftover.exists()
    assert verify_tree(zone.root).ok


def write_batch(zone, start: int, end: int, hours: dict[int, list[bytes]], topic: str = "t", partition: int = 1) -> None:
    """One consumer batch of ``topic``[``partition``] covering offsets start..end, one file per hour."""
    for hour, lines in hours.items():
        path = zone.partition_dir("clickstream", DAY) / batch_file_name(topic, partition, start, hour, CLUSTER)
        source = {"type": "kafka", "topic": topic, "partition": partition, "cluster_id": CLUSTER,
                  "batch_start_offset": start, "batch_end_offset": end, "batch_files": len(hours)}
        write_data_file(path, b"\n".join(lines) + b"\n", dataset="clickstream", partition=DAY,
                        record_count=len(lines), fmt="jsonl", source=source)


def lines(first: int, count: int) -> list[bytes]:
    return [b'{"event_id":"e-%d","event_type":"view"}' % i for i in range(first, first + count)]


def hour_files(zone, hour: int) -> list[str]:
    return [p.name for p, _ in complete_files(zone.partition_dir("clickstream", DAY), f"h{hour:02d}-*.jsonl")]


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


@pytest.mark.parametrize("newest_hours", [{10: 6, 11: 4}, {10: 10}], ids=["partly-merged", "wholly-merged"])
def test_resume_keeps_a_newest_batch_a_merge_holds(zone, newest_hours):
    """A seal merged batch 30..39 while a newer batch 40.. was being written; the consumer rolled
    the incomplete 40.. back and was killed before it wrote anything again. Batch 30..39 is now the
    newest, and (part of) it lives in a merged file: resume must keep it, not roll it back and read it again."""
    for start in (0, 10, 20):
        write_batch(zone, start, start + 9, {10: lines(start, 10)})
    first = 30
    write_batch(zone, 30, 39, {hour: lines(first + sum(list(newest_hours.values())[:i]), n)
                               for i, (hour, n) in enumerate(newest_hours.items())})
    partial = zone.partition_dir("clickstream", DAY) / batch_file_name("t", 1, 40, 10, CLUSTER)
    partial.write_bytes(b"cut short\n")  # batch 40..: its first file renamed, no manifest yet
    seal_partition(zone, "t", DAY, force=True)
    before = lake_messages(zone)
    assert resume_positions(zone, "t", [1], CLUSTER) == {1: 40}  # rolls back 40..
    assert resume_positions(zone, "t", [1], CLUSTER) == {1: 40}  # and keeps 30..39
    assert lake_messages(zone) == before == dict.fromkeys(lines(0, 40), 1)
    assert verify_tree(zone.root).ok
