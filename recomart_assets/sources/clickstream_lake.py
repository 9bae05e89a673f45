"""Where the clickstream consumer's batches live in the raw zone, and what the lake already holds.

A *batch* is what one consumer read from one Kafka partition between two commits: offsets
``start..end``. It is written as one JSONL file per event hour (``clickstream/D/hHH-...``) plus one
quarantine file per day (``quarantine/clickstream/D/q-...``), every name ending in
``-<topic>-p<partition>-o<start>-c<cluster tag>.jsonl``, every manifest carrying the batch's offset
range, the cluster id and its number of files. So the lake alone says which offsets it holds: the
highest complete batch of a partition ends at the offset to resume from, and a batch with fewer
complete files than it announces was cut short by a crash and is rolled back (its files removed)
before reading resumes at its start offset. That is how a crash at any instant yields neither loss
nor duplicates, the way Kafka Connect's HDFS and S3 sinks recover from their own files.

Offsets only mean something within one Kafka cluster: the embedded in-memory broker is a new
cluster, with offsets from 0 again, each time it starts. The cluster tag (a short hash of the id
the broker reports) keeps the batches of different clusters apart, both in the positions to resume
from and in the file names, so a new cluster's batches never replace an old one's files. Names
without a tag come from before tags existed; they belong to no cluster we resume from.

The watermark (how far event time has progressed, minus the allowed lateness) is bookkeeping, so
it lives in ``_state/clickstream/``: one small JSON file per topic partition.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from upath import UPath

from recomart_assets.lake import RawZone, manifest_path, read_manifest, write_bytes_atomic
from recomart_assets.lake.atomic import TEMP_PREFIX
from recomart_assets.lake.manifest import MANIFEST_SUFFIX
from recomart_assets.logs import get_logger

log = get_logger("clickstream.lake")

DATASET = "clickstream"
BATCH_FILE = re.compile(
    r"^(?:h(?P<hour>\d\d)|q)-(?P<topic>.+)-p(?P<partition>\d+)-o(?P<offset>\d+)(?:-c(?P<cluster>[0-9a-f]{8}))?\.jsonl$"
)
# What sealing writes when it merges an hour's batch files (see clickstream_seal): the highest batch
# start offset it holds and its number of batch files name it, so each merge gets a new name.
MERGED_FILE = re.compile(
    r"^(?:h(?P<hour>\d\d)|q)-(?P<topic>.+)-p(?P<partition>\d+)-m(?P<offset>\d+)x(?P<segments>\d+)"
    r"-c(?P<cluster>[0-9a-f]{8})\.jsonl$"
)


def cluster_tag(cluster_id: str) -> str:
    """8 hex digits of the cluster id's sha256: short, stable, and safe in a file name."""
    return hashlib.sha256(cluster_id.encode()).hexdigest()[:8]


def batch_file_name(topic: str, partition: int, start_offset: int, hour: int | None, cluster_id: str) -> str:
    """``hHH-<topic>-p<partition>-o<start>-c<cluster tag>.jsonl`` (events) or ``q-...`` (quarantine)."""
    prefix = "q" if hour is None else f"h{hour:02d}"
    return f"{prefix}-{topic}-p{partition}-o{start_offset:012d}-c{cluster_tag(cluster_id)}.jsonl"


def merged_file_name(topic: str, partition: int, last_start: int, segments: int, hour: int | None,
                     cluster_id: str) -> str:
    """``hHH-<topic>-p<partition>-m<highest batch start>x<batch files>-c<cluster tag>.jsonl`` (or ``q-...``)."""
    prefix = "q" if hour is None else f"h{hour:02d}"
    return f"{prefix}-{topic}-p{partition}-m{last_start:012d}x{segments}-c{cluster_tag(cluster_id)}.jsonl"


def batch_folders(zone: RawZone) -> list[UPath]:
    """The roots under which batch files live (one sub-folder per day)."""
    return [zone.root / DATASET, zone.root / "quarantine" / DATASET]


def _batch_files(zone: RawZone, topic: str, partitions: set[int], cluster_id: str
                 ) -> tuple[dict[int, dict[int, list[UPath]]], list[UPath]]:
    """(partition -> batch start offset -> files with or without a manifest yet, temporary leftovers).

    Only batches of cluster ``cluster_id`` count. Leftovers are the hidden temporary files of writes
    that a crash interrupted (a data file or a manifest that never got renamed into place).
    """
    tag = cluster_tag(cluster_id)
    found: dict[int, dict[int, list[UPath]]] = defaultdict(lambda: defaultdict(list))
    leftovers: list[UPath] = []
    for root in batch_folders(zone):
        if not root.exists():
            continue
        for day in root.iterdir():
            if not day.is_dir():
                continue
            for path in day.iterdir():
                name = path.name
                temporary = name.startswith(TEMP_PREFIX)
                if temporary:  # .tmp-<uuid hex>-<final name>
                    name = name[len(TEMP_PREFIX) + 33:].removesuffix(MANIFEST_SUFFIX)
                match = BATCH_FILE.match(name)
                if (match and match["cluster"] == tag and match["topic"] == topic
                        and int(match["partition"]) in partitions):
                    if temporary:
                        leftovers.append(path)
                    else:
                        found[int(match["partition"])][int(match["offset"])].append(path)
    return found, leftovers


def _roll_back(paths: Iterable[UPath]) -> None:
    for path in paths:
        for victim in (manifest_path(path), path):  # manifest first: the file turns invisible at once
            if victim.exists():
                victim.unlink()


def resume_positions(zone: RawZone, topic: str, partitions: Iterable[int], cluster_id: str) -> dict[int, int]:
    """For each partition the lake holds batches of from cluster ``cluster_id``: the offset to read next.

    Rolls back the partition's last batch if it is incomplete and resumes at its start. Partitions
    the lake holds nothing of (from this cluster) are absent: the consumer then uses the group's
    committed offset, which a new cluster does not have either, so it reads from the beginning.
    """
    wanted = set(partitions)
    positions: dict[int, int] = {}
    batch_files, leftovers = _batch_files(zone, topic, wanted, cluster_id)
    for path in leftovers:  # only this partition's owner writes these names: nobody is writing them now
        path.unlink(missing_ok=True)
    for partition, batches in batch_files.items():
        start = max(batches)
        paths = batches[start]
        manifests = [read_manifest(path) for path in paths]
        if all(manifests) and len(paths) == manifests[0].source.get("batch_files"):
            positions[partition] = int(manifests[0].source["batch_end_offset"]) + 1
            continue
        log.warning("rolling back incomplete batch %s[%d] from offset %d (%d of its files found)",
                    topic, partition, start, len(paths))
        _roll_back(paths)
        positions[partition] = start
    return positions


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
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat()

        return orjson.dumps({
            "topic": self.topic, "partition": self.partition, "cluster_id": self.cluster_id,
            "event_time_max": iso(self.event_time_max),
            "caught_up_at": iso(self.caught_up_at), "allowed_lateness_s": self.allowed_lateness.total_seconds(),
            "watermark": iso(self.watermark), "updated_at": datetime.now(UTC).isoformat(),
        }, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> PartitionWatermark:
        data = orjson.loads(raw)

        def moment(value: str | None) -> datetime | None:
            return None if value is None else datetime.fromisoformat(value)

        return cls(data["topic"], int(data["partition"]), moment(data["event_time_max"]),
                   moment(data["caught_up_at"]), timedelta(seconds=data["allowed_lateness_s"]), data.get("cluster_id"))


def watermark_dir(zone: RawZone, topic: str) -> UPath:
    return zone.state_dir / DATASET / topic


def _watermark_path(zone: RawZone, topic: str, partition: int) -> UPath:
    return watermark_dir(zone, topic) / f"p{partition}.watermark.json"


def read_partition_watermarks(zone: RawZone, topic: str) -> list[PartitionWatermark]:
    folder = watermark_dir(zone, topic)
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
