"""How far a topic's event time has progressed: one small JSON file per Kafka partition.

The consumer moves a partition's recorded progress forward (never back) as it publishes batches and
when the stream goes quiet; the watermark is that progress minus the allowed lateness, and a topic's
watermark is its slowest partition's. Sealing closes a day once the watermark has passed its end.
It is bookkeeping, so it lives in ``_state/clickstream/<topic>/p<N>.watermark.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from upath import UPath

from recomart_assets.lake import RawZone, write_bytes_atomic
from recomart_assets.lake.manifest import iso_or_none, moment_or_none
from recomart_assets.sources.clickstream.batches import state_dir


@dataclass(frozen=True)
class PartitionWatermark:
    """Event-time progress of one topic partition as recorded by the consumer that owns it.

    Event time is not tied to a cluster, so the progress carries over when the cluster changes;
    ``cluster_id`` says which cluster the partition was last read from.
    """

    topic: str
    partition: int
    event_time_max: datetime | None
    caught_up_at: datetime | None
    allowed_lateness: timedelta
    cluster_id: str | None = None

    @property
    def watermark(self) -> datetime | None:
        """Latest time before which no more events are expected: progress minus lateness."""
        progress = max((t for t in (self.event_time_max, self.caught_up_at) if t is not None), default=None)
        return None if progress is None else progress - self.allowed_lateness

    def to_json(self) -> bytes:
        """The file's content: progress, lateness and the watermark they give (for people reading it)."""
        return orjson.dumps({
            "topic": self.topic, "partition": self.partition, "cluster_id": self.cluster_id,
            "event_time_max": iso_or_none(self.event_time_max),
            "caught_up_at": iso_or_none(self.caught_up_at), "allowed_lateness_s": self.allowed_lateness.total_seconds(),
            "watermark": iso_or_none(self.watermark), "updated_at": datetime.now(UTC).isoformat(),
        }, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> PartitionWatermark:
        """Read back what :meth:`to_json` wrote."""
        data = orjson.loads(raw)

        return cls(data["topic"], int(data["partition"]), moment_or_none(data["event_time_max"]),
                   moment_or_none(data["caught_up_at"]), timedelta(seconds=data["allowed_lateness_s"]), data.get("cluster_id"))


def _watermark_path(zone: RawZone, topic: str, partition: int) -> UPath:
    return state_dir(zone, topic) / f"p{partition}.watermark.json"


def read_partition_watermarks(zone: RawZone, topic: str) -> list[PartitionWatermark]:
    """Every partition's recorded progress of ``topic``, by partition file name."""
    folder = state_dir(zone, topic)
    if not folder.exists():
        return []
    return [PartitionWatermark.from_json(p.read_bytes()) for p in sorted(folder.glob("p*.watermark.json"))]


def advance_watermark(
    zone: RawZone, topic: str, partition: int, allowed_lateness: timedelta,
    event_time_max: datetime | None = None, caught_up_at: datetime | None = None, cluster_id: str | None = None,
) -> PartitionWatermark:
    """Move a partition's recorded progress forward (never back) and return it.

    ``cluster_id``: the cluster the progress was read from (None keeps the recorded one).
    """
    path = _watermark_path(zone, topic, partition)
    current = PartitionWatermark.from_json(path.read_bytes()) if path.exists() else None

    def later(old: datetime | None, new: datetime | None) -> datetime | None:
        return max((t for t in (old, new) if t is not None), default=None)

    updated = PartitionWatermark(
        topic, partition,
        later(current and current.event_time_max, event_time_max),
        later(current and current.caught_up_at, caught_up_at),
        allowed_lateness,
        cluster_id or (current and current.cluster_id),
    )
    write_bytes_atomic(path, updated.to_json())
    return updated


def read_watermark(zone: RawZone, topic: str) -> datetime | None:
    """The topic's watermark: the slowest partition's. None until the consumer recorded any."""
    marks = [w.watermark for w in read_partition_watermarks(zone, topic) if w.watermark is not None]
    return min(marks, default=None)
