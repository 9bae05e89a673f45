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

Offsets only mean something within one Kafka log: the embedded in-memory broker is a new
cluster, with offsets from 0 again, each time it starts, and a topic deleted and created again (or a
broker that lost its log) starts again at 0 under the same cluster id. The *log tag* keeps the
batches of different logs apart, both in the positions to resume from and in the file names, so a
new log's batches never replace an old one's files: a short hash of the cluster id the broker
reports (``-c<8 hex>``), followed by the log epoch when it is not 0 (``-c<8 hex>e<epoch>``). The
epoch grows by one each time the consumer is told to restart a partition from the log's start after
a rewind (:class:`LogEpoch`, ``_state/clickstream/<topic>/p<partition>-c<tag>.epoch.json``). Names
without a tag come from before tags existed; they belong to no log we resume from.

Who may touch a batch's files (the protocol, ``docs/protocol.md``): the consumer writes the files of
its partition's newest batch and, on resume, rolls that newest batch forward (every file complete)
or back (deleted); it never touches an older batch. Sealing merges only batches that are *not* the
newest of their log (listed first, the newest found after the listing), so a batch the resume logic
could still roll back is never merged. On a local raw zone both also take the partition's lock
(:func:`partition_lock`) while they decide and write, so they never even interleave.

Log continuity: a rewind or gap the consumer finds is recorded per partition in
``_state/clickstream/<topic>/p<N>.incidents.json`` (:func:`record_incident`, read by the
``clickstream`` asset check).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson
from upath import UPath

from recomart_assets.lake import RawZone, read_manifest, write_bytes_atomic
from recomart_assets.lake.atomic import parse_temporary_name
from recomart_assets.lake.files import remove_data_files
from recomart_assets.lake.lineage import KafkaBatch
from recomart_assets.lake.locks import zone_lock
from recomart_assets.lake.manifest import MANIFEST_SUFFIX
from recomart_assets.logs import get_logger

log = get_logger("clickstream.lake")

DATASET = "clickstream"
BATCH_FILE = re.compile(
    r"^(?:h(?P<hour>\d\d)|q)-(?P<topic>.+)-p(?P<partition>\d+)-o(?P<offset>\d+)"
    r"(?:-c(?P<cluster>[0-9a-f]{8})(?:e(?P<epoch>[1-9]\d*))?)?\.jsonl$"
)
# What sealing writes when it merges an hour's batch files (see seal.py): the highest batch
# start offset it holds and its number of batch files name it, so each merge gets a new name.
MERGED_FILE = re.compile(
    r"^(?:h(?P<hour>\d\d)|q)-(?P<topic>.+)-p(?P<partition>\d+)-m(?P<offset>\d+)x(?P<segments>\d+)"
    r"-c(?P<cluster>[0-9a-f]{8})(?:e(?P<epoch>[1-9]\d*))?\.jsonl$"
)


def cluster_tag(cluster_id: str) -> str:
    """8 hex digits of the cluster id's sha256: short, stable, and safe in a file name."""
    return hashlib.sha256(cluster_id.encode()).hexdigest()[:8]


def log_tag(cluster_id: str, epoch: int = 0) -> str:
    """The tag of one Kafka log in file names: the cluster tag, then ``e<epoch>`` after a restart from the log's start."""
    return cluster_tag(cluster_id) + (f"e{epoch}" if epoch else "")


def name_epoch(match: re.Match) -> int:
    """The log epoch a batch or merged file name carries (0 when it has none)."""
    return int(match["epoch"] or 0)


def batch_file_name(topic: str, partition: int, start_offset: int, hour: int | None, cluster_id: str,
                    epoch: int = 0) -> str:
    """``hHH-<topic>-p<partition>-o<start>-c<log tag>.jsonl`` (events) or ``q-...`` (quarantine)."""
    prefix = "q" if hour is None else f"h{hour:02d}"
    return f"{prefix}-{topic}-p{partition}-o{start_offset:012d}-c{log_tag(cluster_id, epoch)}.jsonl"


def merged_file_name(topic: str, partition: int, last_start: int, segments: int, hour: int | None,
                     cluster_id: str, epoch: int = 0) -> str:
    """``hHH-<topic>-p<partition>-m<highest batch start>x<batch files>-c<log tag>.jsonl`` (or ``q-...``)."""
    prefix = "q" if hour is None else f"h{hour:02d}"
    return f"{prefix}-{topic}-p{partition}-m{last_start:012d}x{segments}-c{log_tag(cluster_id, epoch)}.jsonl"


def batch_folders(zone: RawZone) -> list[UPath]:
    """The roots under which batch files live (one sub-folder per day)."""
    return [zone.root / DATASET, zone.root / "quarantine" / DATASET]


@dataclass
class _LogFiles:
    """What the lake holds of one log's partitions, by name: batch files, merged files, temporary leftovers."""

    batches: dict[int, dict[int, list[UPath]]]  # partition -> batch start offset -> its files (manifest or not)
    merged: dict[int, dict[int, UPath]]  # partition -> highest batch start a merged file holds -> that file
    leftovers: list[UPath]  # hidden temporary files of writes a crash interrupted


def _log_files(zone: RawZone, topic: str, epochs: dict[int, int], cluster_id: str) -> _LogFiles:
    """The files of the log (cluster ``cluster_id``, each partition's epoch in ``epochs``) of ``topic``."""
    tag = cluster_tag(cluster_id)
    found = _LogFiles(defaultdict(lambda: defaultdict(list)), defaultdict(dict), [])
    for root in batch_folders(zone):
        if not root.exists():
            continue
        for day in root.iterdir():
            if not day.is_dir():
                continue
            for path in day.iterdir():
                name = path.name
                parsed = parse_temporary_name(name)
                temporary = parsed is not None
                if parsed is not None:
                    name = parsed.final_name.removesuffix(MANIFEST_SUFFIX)
                batch, merged = BATCH_FILE.match(name), MERGED_FILE.match(name)
                match = batch or merged
                if not (match and match["cluster"] == tag and match["topic"] == topic
                        and epochs.get(int(match["partition"])) == name_epoch(match)):
                    continue
                if temporary:
                    if batch:  # a merge's leftovers are the seal's to tidy
                        found.leftovers.append(path)
                elif batch:
                    found.batches[int(match["partition"])][int(match["offset"])].append(path)
                elif read_manifest(path) is not None:
                    found.merged[int(match["partition"])][int(match["offset"])] = path
    return found


def _newest_position(files: _LogFiles, partition: int, epoch: int) -> tuple[int, LakePosition | None]:
    """(start of the partition's newest batch, the position after it, or None if it is incomplete).

    A batch any file of which a merge holds is complete: sealing merges only batches that were not
    the newest, and a batch is started only once the one before it is in place. So a newest batch
    that is (partly) inside a merged file, after a newer incomplete one was rolled back, is kept.
    """
    named, merged = files.batches.get(partition, {}), files.merged.get(partition, {})
    start = max([*named, *merged])
    manifests = [read_manifest(path) for path in named.get(start, ())]
    if manifests and all(manifests):
        source = manifests[0].source
        if isinstance(source, KafkaBatch) and (start in merged or len(manifests) == source.batch_files):
            return start, LakePosition(int(source.batch_end_offset) + 1, epoch, source.last_message, source.topic_id)
    if start in merged and not manifests:
        merged_source = read_manifest(merged[start]).source
        segments = merged_source.segments if isinstance(merged_source, KafkaBatch) else None
        segment = next(s for s in segments or () if s["batch_start_offset"] == start)
        return start, LakePosition(int(segment["batch_end_offset"]) + 1, epoch, segment.get("last_message"),
                                   segment.get("topic_id"))
    return start, None


def _roll_back(paths: Iterable[UPath]) -> None:
    remove_data_files(paths)  # each manifest first: the file turns invisible at once


@contextmanager
def partition_lock(zone: RawZone, topic: str, partitions: Iterable[int]) -> Iterator[None]:
    """Hold the zone locks of ``topic``'s ``partitions`` (sorted, so two holders never wait on each other).

    The consumer holds a partition's lock while it publishes a batch (files, manifests, commit) and
    while it decides where to resume; sealing holds it while it merges that partition's files. An
    ``flock`` on a local raw zone, a lease object on S3 (:mod:`recomart_assets.lake.leases`).
    """
    with ExitStack() as held:
        for partition in sorted(set(partitions)):
            held.enter_context(zone_lock(zone, f"kafka:{topic}:p{partition}"))
        yield


@dataclass(frozen=True)
class LakePosition:
    """Where the lake says a partition's log continues, and what identifies that log there."""

    next_offset: int  # the offset to read next
    epoch: int = 0  # the log epoch (see :class:`LogEpoch`)
    last_message: str | None = None  # fingerprint of the message at next_offset - 1 (None: not recorded)
    topic_id: str | None = None  # the topic id the lake's newest batch was read under (None: not given)


@dataclass(frozen=True)
class LogEpoch:
    """A partition restarted from its log's start after a rewind: the new epoch and where it begins."""

    cluster_id: str
    epoch: int
    log_start: int
    topic_id: str | None = None

    @staticmethod
    def path(zone: RawZone, topic: str, partition: int, cluster_id: str) -> UPath:
        """``_state/clickstream/<topic>/p<partition>-c<cluster tag>.epoch.json``: one epoch file per partition and
        cluster, so a log from another cluster never resets this one."""
        return state_dir(zone, topic) / f"p{partition}-c{cluster_tag(cluster_id)}.epoch.json"

    @classmethod
    def read(cls, zone: RawZone, topic: str, partition: int, cluster_id: str) -> LogEpoch | None:
        """The recorded epoch of ``partition`` in ``cluster_id``'s log, or None when it was never restarted there
        (epoch 0: file names carry no epoch)."""
        path = cls.path(zone, topic, partition, cluster_id)
        if not path.exists():
            return None
        data = orjson.loads(path.read_bytes())
        return cls(data["cluster_id"], int(data["epoch"]), int(data["log_start"]), data.get("topic_id"))

    def write(self, zone: RawZone, topic: str, partition: int) -> None:
        """Record this epoch atomically, with the time written; the consumer calls it under the partition's lock when
        it restarts a rewound log from its start, so a later resume continues in the new epoch."""
        write_bytes_atomic(self.path(zone, topic, partition, self.cluster_id), orjson.dumps({
            "cluster_id": self.cluster_id, "epoch": self.epoch, "log_start": self.log_start,
            "topic_id": self.topic_id, "written_at": datetime.now(UTC).isoformat()}))


def resume(zone: RawZone, topic: str, partitions: Iterable[int], cluster_id: str) -> dict[int, LakePosition]:
    """For each partition the lake holds batches of (this cluster, the partition's current epoch): where to read next.

    Under the partitions' locks: removes temporary leftovers of a crashed writer, rolls the
    partition's newest batch forward if every file of it is complete (it was durable, only the
    commit to Kafka was missing) or back if not, and resumes at its start. Older batches are never
    touched (sealing may have merged them). A partition whose current epoch holds no batch yet
    resumes at the epoch's log start; one the lake holds nothing of is absent: the consumer then
    uses the group's committed offset, which a new cluster does not have either, so it reads from
    the beginning.
    """
    wanted = sorted(set(partitions))
    positions: dict[int, LakePosition] = {}
    with partition_lock(zone, topic, wanted):
        epochs = {p: LogEpoch.read(zone, topic, p, cluster_id) for p in wanted}
        numbers = {p: e.epoch if e else 0 for p, e in epochs.items()}
        files = _log_files(zone, topic, numbers, cluster_id)
        for path in files.leftovers:  # only this partition's owner writes these names, under the lock we hold
            path.unlink(missing_ok=True)
        for partition, epoch in epochs.items():
            if not files.batches.get(partition) and not files.merged.get(partition):
                if epoch is not None:
                    positions[partition] = LakePosition(epoch.log_start, epoch.epoch, topic_id=epoch.topic_id)
                continue
            start, position = _newest_position(files, partition, numbers[partition])
            if position is None:
                paths = files.batches[partition][start]
                log.warning("rolling back incomplete batch %s[%d] from offset %d (%d of its files found)",
                            topic, partition, start, len(paths))
                _roll_back(paths)
                position = LakePosition(start, numbers[partition])
            positions[partition] = position
    return positions


def resume_positions(zone: RawZone, topic: str, partitions: Iterable[int], cluster_id: str) -> dict[int, int]:
    """:func:`resume`, as offsets only."""
    return {p: position.next_offset for p, position in resume(zone, topic, partitions, cluster_id).items()}


def lake_position(zone: RawZone, topic: str, partition: int, cluster_id: str) -> int | None:
    """The offset after the partition's newest complete batch (current epoch), read by names and manifests only.

    Call under the partition's lock. Unlike :func:`resume` it changes nothing: a consumer that lost
    its partition asks it whether anyone wrote past the batch it still holds.
    """
    epoch = LogEpoch.read(zone, topic, partition, cluster_id)
    files = _log_files(zone, topic, {partition: epoch.epoch if epoch else 0}, cluster_id)
    if not files.batches.get(partition) and not files.merged.get(partition):
        return epoch.log_start if epoch else None
    start, position = _newest_position(files, partition, epoch.epoch if epoch else 0)
    return start if position is None else position.next_offset


def state_dir(zone: RawZone, topic: str) -> UPath:
    """``_state/clickstream/<topic>/``: the consumer's bookkeeping (log epochs, incidents, watermarks)."""
    return zone.state_dir / DATASET / topic


INCIDENTS_KEPT = 20  # per topic partition: the incident file stays small whatever happens to the log


def _incidents_path(zone: RawZone, topic: str, partition: int) -> UPath:
    return state_dir(zone, topic) / f"p{partition}.incidents.json"


def record_incident(zone: RawZone, topic: str, partition: int, incident: dict) -> None:
    """Append a log incident (a rewind, a gap, a recreated topic) to the partition's record, keeping the latest few."""
    path = _incidents_path(zone, topic, partition)
    kept = orjson.loads(path.read_bytes()) if path.exists() else []
    write_bytes_atomic(path, orjson.dumps([*kept, incident][-INCIDENTS_KEPT:], option=orjson.OPT_INDENT_2))


def read_incidents(zone: RawZone, topic: str) -> list[dict]:
    """Every recorded log incident of ``topic``, oldest first."""
    folder = state_dir(zone, topic)
    found = [i for p in (folder.glob("p*.incidents.json") if folder.exists() else ())
             for i in orjson.loads(p.read_bytes())]
    return sorted(found, key=lambda incident: incident["detected_at"])
