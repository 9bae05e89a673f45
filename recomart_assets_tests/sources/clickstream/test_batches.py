"""Where the consumer's batches live, and what the lake says about them: file names per log, log
epochs, the position to resume from (rolling the newest batch forward or back), and log incidents."""

from __future__ import annotations

import pytest

from recomart_assets.lake import complete_files, verify_tree, write_data_file
from recomart_assets.sources.clickstream.batches import (
    BATCH_FILE,
    INCIDENTS_KEPT,
    MERGED_FILE,
    LakePosition,
    LogEpoch,
    batch_file_name,
    cluster_tag,
    lake_position,
    log_tag,
    merged_file_name,
    name_epoch,
    read_incidents,
    record_incident,
    resume,
    resume_positions,
)
from recomart_assets.sources.clickstream.seal import seal_partition
from recomart_assets_tests.fixtures.clickstream_batches import CLUSTER, DAY, lines, write_batch
from recomart_assets_tests.fixtures.kafka import lake_messages


def test_file_names_say_which_log_partition_and_offsets_they_hold():
    tag = cluster_tag(CLUSTER)
    assert len(tag) == 8 and tag == cluster_tag(CLUSTER) != cluster_tag("other")
    assert (log_tag(CLUSTER), log_tag(CLUSTER, 3)) == (tag, f"{tag}e3")
    name = batch_file_name("reco-clicks", 2, 120, 7, CLUSTER, epoch=3)
    assert name == f"h07-reco-clicks-p2-o000000000120-c{tag}e3.jsonl"
    match = BATCH_FILE.match(name)
    assert (match["hour"], match["topic"], match["partition"], int(match["offset"]), name_epoch(match)) == (
        "07", "reco-clicks", "2", 120, 3)
    quarantine = BATCH_FILE.match(batch_file_name("t", 0, 5, None, CLUSTER))
    assert quarantine["hour"] is None and name_epoch(quarantine) == 0
    merged = MERGED_FILE.match(merged_file_name("t", 1, 40, 4, 10, CLUSTER))
    assert (int(merged["offset"]), merged["segments"], merged["cluster"]) == (40, "4", tag)
    assert not BATCH_FILE.match(merged.string) and not MERGED_FILE.match(name)


def test_a_log_epoch_is_recorded_per_partition_and_cluster(zone):
    assert LogEpoch.read(zone, "t", 1, CLUSTER) is None
    LogEpoch(CLUSTER, 2, 500, "topic-id").write(zone, "t", 1)
    assert LogEpoch.read(zone, "t", 1, CLUSTER) == LogEpoch(CLUSTER, 2, 500, "topic-id")
    assert LogEpoch.read(zone, "t", 1, "another-cluster") is None and LogEpoch.read(zone, "t", 0, CLUSTER) is None
    # the new epoch holds no batch yet: resume at its log start; epoch 0's files belong to the old log
    write_batch(zone, 0, 9, {10: lines(0, 10)})
    assert resume(zone, "t", [1], CLUSTER) == {1: LakePosition(500, 2, topic_id="topic-id")}
    write_batch(zone, 500, 509, {10: lines(0, 10)}, epoch=2)
    assert resume_positions(zone, "t", [1], CLUSTER) == {1: 510}


def test_lake_position_reads_without_rolling_back(zone):
    assert lake_position(zone, "t", 1, CLUSTER) is None
    write_batch(zone, 0, 9, {10: lines(0, 10)})
    assert lake_position(zone, "t", 1, CLUSTER) == 10
    write_batch(zone, 10, 19, {10: lines(10, 5), 11: lines(15, 5)})
    (zone.partition_dir("clickstream", DAY) / batch_file_name("t", 1, 10, 11, CLUSTER)).with_name(
        batch_file_name("t", 1, 10, 11, CLUSTER) + ".manifest").unlink()  # batch 10.. incomplete
    assert lake_position(zone, "t", 1, CLUSTER) == 10  # its start: the batch is not complete
    assert (zone.partition_dir("clickstream", DAY) / batch_file_name("t", 1, 10, 11, CLUSTER)).exists()


def test_incidents_keep_the_latest_few_per_partition(zone):
    assert read_incidents(zone, "t") == []
    for n in range(INCIDENTS_KEPT + 3):
        record_incident(zone, "t", 1, {"kind": "gap", "n": n, "detected_at": f"2026-03-01T10:{n:02d}:00Z"})
    record_incident(zone, "t", 0, {"kind": "rewind", "n": -1, "detected_at": "2026-03-01T09:00:00Z"})
    found = read_incidents(zone, "t")
    assert [i["n"] for i in found] == [-1, *range(3, INCIDENTS_KEPT + 3)]


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
