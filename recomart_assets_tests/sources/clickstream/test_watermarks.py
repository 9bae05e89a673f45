"""Watermarks move forward only, and a topic's is its slowest partition's minus the lateness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from recomart_assets.sources.clickstream.watermarks import (
    PartitionWatermark,
    advance_watermark,
    read_partition_watermarks,
    read_watermark,
)

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
LATE = timedelta(minutes=10)


def test_progress_is_the_later_of_event_time_and_catch_up():
    mark = PartitionWatermark("t", 0, T0, T0 + timedelta(hours=1), LATE, "c1")
    assert mark.watermark == T0 + timedelta(minutes=50)
    assert PartitionWatermark.from_json(mark.to_json()) == mark
    assert PartitionWatermark("t", 0, None, None, LATE).watermark is None


def test_advance_never_goes_back_and_keeps_the_cluster(zone):
    assert read_watermark(zone, "t") is None and read_partition_watermarks(zone, "t") == []
    advance_watermark(zone, "t", 0, LATE, event_time_max=T0, cluster_id="c1")
    mark = advance_watermark(zone, "t", 0, LATE, event_time_max=T0 - timedelta(hours=1))
    assert (mark.event_time_max, mark.cluster_id) == (T0, "c1")
    advance_watermark(zone, "t", 1, LATE, caught_up_at=T0 + timedelta(hours=2))
    assert [m.partition for m in read_partition_watermarks(zone, "t")] == [0, 1]
    assert read_watermark(zone, "t") == T0 - LATE  # the slowest partition
