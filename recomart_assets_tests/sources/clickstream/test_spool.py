"""An open batch's spool files: hidden while the batch is open, published under the batch file name
with their manifest when it closes, gone without a trace when abandoned or taken back; and the
writer threads that append rounds in order and close files together."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from recomart_assets.lake import read_manifest, verify_tree
from recomart_assets.sources.clickstream.batches import batch_file_name, resume_positions
from recomart_assets.sources.clickstream.spool import ONE_HOUR, PartitionBatch, SpoolWriters, open_spool, unpublish

CLUSTER = "test-cluster"
HOUR = int(datetime(2026, 3, 1, 10, tzinfo=UTC).timestamp()) // ONE_HOUR


def batch() -> PartitionBatch:
    return PartitionBatch(1, first_offset=100, base=100)


def spools(zone, opened: PartitionBatch):
    events = open_spool(zone, "t", "g", opened, HOUR, CLUSTER, epoch=2, topic_id="tid")
    quarantine = open_spool(zone, "t", "g", opened, "2026-03-01", CLUSTER, epoch=2, topic_id="tid")
    return events, quarantine


def visible(folder) -> list[str]:
    return sorted(name for name in os.listdir(folder.path) if not name.startswith(".")) if folder.exists() else []


def test_spool_files_are_hidden_until_the_batch_closes(zone):
    events, quarantine = spools(zone, batch())
    assert events.path == zone.partition_dir("clickstream", "2026-03-01") / batch_file_name("t", 1, 100, 10, CLUSTER, 2)
    assert quarantine.path == zone.quarantine_dir("clickstream", "2026-03-01") / batch_file_name(
        "t", 1, 100, None, CLUSTER, 2)
    events.handle.write(b'{"e":1}\n', records=1)
    assert visible(zone.partition_dir("clickstream", "2026-03-01")) == []
    for spool in (events, quarantine):
        spool.close(batch_end_offset=109, batch_files=2)
    manifest = read_manifest(events.path)
    assert events.path.read_bytes() == b'{"e":1}\n' and manifest.record_count == 1
    source = manifest.source
    assert (source.batch_start_offset, source.batch_end_offset, source.batch_files) == (100, 109, 2)
    assert (source.log_epoch, source.topic_id, source.consumer_group, source.quarantine) == (2, "tid", "g", False)
    assert read_manifest(quarantine.path).source.quarantine is True
    assert verify_tree(zone.root).ok


def test_an_abandoned_spool_file_leaves_nothing(zone):
    events, _ = spools(zone, batch())
    events.handle.write(b'{"e":1}\n', records=1)
    events.abandon()
    assert os.listdir(zone.partition_dir("clickstream", "2026-03-01").path) == []


def test_unpublish_takes_a_closed_batch_back_so_resume_reads_it_again(zone):
    opened = batch()
    closed = spools(zone, opened)
    for spool in closed:
        spool.close(batch_end_offset=109, batch_files=2)
    unpublish(closed)
    assert visible(zone.partition_dir("clickstream", "2026-03-01")) == []
    assert visible(zone.quarantine_dir("clickstream", "2026-03-01")) == []
    assert resume_positions(zone, "t", [1], CLUSTER) == {}


def test_a_batch_counts_its_events_and_quarantined_records():
    opened = batch()
    opened.events, opened.quarantined = 5, 2
    assert opened.messages == 7 and opened.last_offset == opened.first_offset == 100


def test_the_writers_append_rounds_in_order_and_close_files_together(zone):
    writers = SpoolWriters()
    try:
        events, quarantine = spools(zone, batch())
        writers.append([(events.handle, [b"a", b"b"]), (quarantine.handle, [b"q"])])
        writers.wait()
        writers.append([(events.handle, [b"c"])])
        writers.wait()
        writers.wait()  # nothing pending: returns at once
        writers.close([(events, {"batch_end_offset": 102, "batch_files": 2}),
                       (quarantine, {"batch_end_offset": 102, "batch_files": 2})])
    finally:
        writers.shutdown()
    assert events.path.read_bytes() == b"a\nb\nc\n" and read_manifest(events.path).record_count == 3
    assert quarantine.path.read_bytes() == b"q\n" and read_manifest(quarantine.path).record_count == 1


def test_a_failed_write_is_raised_by_wait(zone):
    writers = SpoolWriters()
    try:
        events, _ = spools(zone, batch())
        events.abandon()  # its handle is closed: the next write fails
        writers.append([(events.handle, [b"a"])])
        with pytest.raises(ValueError):
            writers.wait()
    finally:
        writers.shutdown()
