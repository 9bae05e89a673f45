"""How far each running consumer has got: one small JSON file per group member, for monitoring.

``recomart consume`` runs outside Dagster, so it leaves its progress where anyone can read it:
``_state/clickstream/<topic>/progress/<member>.json``, written atomically (the lake's atomic
write) by the member itself, at most every few seconds and at each batch it publishes, never per
message. A file holds per assigned Kafka partition the committed offset (the lake's position:
the next offset after the last published batch), the high watermark and the lag between them,
plus the member's rate, quarantined counts, the time its last batch closed and when the file was
written. A member that stops cleanly says so (``stopped_at``); a member killed with ``kill -9``
leaves its last file, which simply stops being updated and is judged stale
(:mod:`~recomart_assets.sources.clickstream.health`). Like every state file, it is bookkeeping:
nothing in the lake's protocol reads it.

The high watermark is the one the broker sent with its last fetch response (librdkafka's cached
value), never a ListOffsets request: the embedded broker answers ListOffsets wrongly.
"""

from __future__ import annotations

import itertools
import os
import re
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import orjson
from upath import UPath

from recomart_assets.lake import RawZone, write_bytes_atomic
from recomart_assets.lake.atomic import parse_temporary_name
from recomart_assets.lake.manifest import iso_or_none, moment_or_none
from recomart_assets.logs import get_logger
from recomart_assets.sources.clickstream.batches import state_dir

log = get_logger("clickstream.progress")

WRITE_INTERVAL = 2.0  # seconds between two progress files of one member while nothing is published
MIN_INTERVAL = 0.5  # seconds: a published batch is reported at once, but no more often than this
PRUNE_AFTER = timedelta(days=7)  # files of members gone this long are removed when a member starts
TEMP_GRACE = 60.0  # seconds after which a temporary progress file is a killed member's leftover
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class PartitionProgress:
    """One Kafka partition as its owner sees it: committed offset, high watermark and their gap.

    ``None`` means not known yet (no fetch answered, nothing committed and no log start known).
    """

    partition: int
    committed_offset: int | None
    high_watermark: int | None

    @property
    def lag(self) -> int | None:
        """Messages in the log the lake does not hold yet (None while either end is unknown)."""
        if self.committed_offset is None or self.high_watermark is None:
            return None
        return max(0, self.high_watermark - self.committed_offset)


@dataclass(frozen=True)
class ConsumerProgress:
    """What one member of the consumer group reported in its progress file."""

    member_id: str
    topic: str
    group: str
    partitions: tuple[PartitionProgress, ...]
    updated_at: datetime
    started_at: datetime
    last_progress_at: datetime  # when its committed offsets last moved, or it last had no lag
    last_batch_closed_at: datetime | None = None
    events_per_second: float = 0.0
    events: int = 0  # written since the member started
    quarantined: int = 0  # quarantined since the member started
    quarantined_by_reason: Mapping[str, int] = field(default_factory=dict)
    kafka_member_id: str | None = None
    stopped_at: datetime | None = None

    @property
    def lag(self) -> int:
        """The member's lag over its partitions (unknown ones count 0)."""
        return sum(p.lag or 0 for p in self.partitions)

    @property
    def committed_total(self) -> int:
        """The next offset to commit, summed over the member's partitions (0 for a partition with none yet)."""
        return sum(p.committed_offset or 0 for p in self.partitions)

    def to_json(self) -> bytes:
        """The file's content (indented: people read it too)."""
        return orjson.dumps({
            "member_id": self.member_id, "kafka_member_id": self.kafka_member_id, "topic": self.topic,
            "group": self.group,
            "partitions": [{"partition": p.partition, "committed_offset": p.committed_offset,
                            "high_watermark": p.high_watermark, "lag": p.lag} for p in self.partitions],
            "lag": self.lag, "events_per_second": round(self.events_per_second, 1), "events": self.events,
            "quarantined": self.quarantined, "quarantined_by_reason": dict(sorted(self.quarantined_by_reason.items())),
            "last_batch_closed_at": iso_or_none(self.last_batch_closed_at),
            "last_progress_at": iso_or_none(self.last_progress_at), "started_at": iso_or_none(self.started_at),
            "updated_at": iso_or_none(self.updated_at), "stopped_at": iso_or_none(self.stopped_at),
        }, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> ConsumerProgress:
        """Read back what :meth:`to_json` wrote (raises ``ValueError``/``KeyError``/``TypeError`` on anything else)."""
        data = orjson.loads(raw)

        partitions = tuple(PartitionProgress(int(p["partition"]), p.get("committed_offset"), p.get("high_watermark"))
                           for p in data["partitions"])
        return cls(
            member_id=str(data["member_id"]), topic=str(data["topic"]), group=str(data["group"]),
            partitions=partitions, updated_at=datetime.fromisoformat(data["updated_at"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            last_progress_at=datetime.fromisoformat(data["last_progress_at"]),
            last_batch_closed_at=moment_or_none(data.get("last_batch_closed_at")),
            events_per_second=float(data.get("events_per_second", 0.0)), events=int(data.get("events", 0)),
            quarantined=int(data.get("quarantined", 0)),
            quarantined_by_reason={str(k): int(v) for k, v in (data.get("quarantined_by_reason") or {}).items()},
            kafka_member_id=data.get("kafka_member_id"), stopped_at=moment_or_none(data.get("stopped_at")),
        )


def progress_dir(zone: RawZone, topic: str) -> UPath:
    """``_state/clickstream/<topic>/progress/``: one file per consumer group member."""
    return state_dir(zone, topic) / "progress"


def member_file(zone: RawZone, topic: str, member_id: str) -> UPath:
    """The progress file of one member."""
    return progress_dir(zone, topic) / f"{_UNSAFE.sub('_', member_id)}.json"


_members = itertools.count(1)


def process_member_id() -> str:
    """A new member's name: host, PID and the consumer's number within the process (stable across group
    rejoins, unlike Kafka's member id; two consumers in one process, as in tests, get two files)."""
    return f"{socket.gethostname()}-{os.getpid()}-{next(_members)}"


def write_progress(zone: RawZone, progress: ConsumerProgress) -> None:
    """Replace the member's progress file atomically (readers see the old file or the new one)."""
    write_bytes_atomic(member_file(zone, progress.topic, progress.member_id), progress.to_json())


def read_progress(zone: RawZone, topic: str) -> list[ConsumerProgress]:
    """Every member's last report for ``topic`` (a file that cannot be read is skipped with a warning)."""
    folder = progress_dir(zone, topic)
    if not folder.exists():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            found.append(ConsumerProgress.from_json(path.read_bytes()))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("skipping unreadable consumer progress file %s: %s", path.name, exc)
    return found


def prune_progress(zone: RawZone, topic: str, now: datetime, keep: timedelta = PRUNE_AFTER) -> int:
    """Remove the files of members not heard of for ``keep`` (each start leaves one file), and temporary
    files a killed member left (its process on this host is gone, or the file is older than
    ``TEMP_GRACE``: a live member's exists for milliseconds); returns how many files were removed."""
    removed = 0
    for progress in read_progress(zone, topic):
        if now - progress.updated_at > keep:
            member_file(zone, topic, progress.member_id).unlink(missing_ok=True)
            removed += 1
    folder = progress_dir(zone, topic)
    if folder.exists():
        for path in folder.iterdir():
            temporary = parse_temporary_name(path.name)
            if temporary and (_writer_gone(temporary.final_name.removesuffix(".json"))
                              or time.time() - path.stat().st_mtime > TEMP_GRACE):
                path.unlink(missing_ok=True)
                removed += 1
    return removed


def _writer_gone(member: str) -> bool:
    """True when ``member`` names a process of this host (see :func:`process_member_id`) that no longer runs."""
    parts = member.rsplit("-", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's live process
        return False
    return False


class ProgressReporter:
    """The consumer's side: decides when a report is due and writes it.

    :meth:`due` is called once per round of messages (never per message); :meth:`report` builds
    the file from the offsets the consumer passes and the counts it has, and works out the rate
    (messages published since the last report per second) and when progress was last made.
    """

    def __init__(self, zone: RawZone, topic: str, group: str, member_id: str | None = None,
                 interval: float = WRITE_INTERVAL, clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.zone = zone
        self.interval = interval
        self._clock = clock
        self._wall = wall_clock
        now = wall_clock()
        self.last: ConsumerProgress = ConsumerProgress(
            member_id=member_id or process_member_id(), topic=topic, group=group, partitions=(),
            updated_at=now, started_at=now, last_progress_at=now)
        self._written_at: float | None = None
        self._messages_at_last = 0
        self._published = False  # a batch was published since the last report

    def start(self) -> None:
        """Tidy files of long-gone members and announce this one (no partitions yet)."""
        try:
            prune_progress(self.zone, self.last.topic, self._wall())
        except OSError as exc:
            log.warning("cannot tidy old consumer progress files: %s", exc)
        self._write(self.last)

    def batch_published(self) -> None:
        """Note a published batch: the next :meth:`due` is true once ``MIN_INTERVAL`` has passed."""
        self._published = True

    def due(self) -> bool:
        """Whether the consumer should report now (at most every ``interval`` s; sooner after a batch)."""
        if self._written_at is None:
            return True
        elapsed = self._clock() - self._written_at
        return elapsed >= self.interval or (self._published and elapsed >= MIN_INTERVAL)

    def report(self, partitions: list[PartitionProgress], messages: int, events: int, quarantined: int,
               reasons: Mapping[str, int], kafka_member_id: str | None = None,
               last_batch_closed_at: datetime | None = None, stopped: bool = False) -> ConsumerProgress:
        """Write the member's progress: ``messages`` (received, published or not), ``events`` and ``quarantined``
        (published) are totals since it started; the rate is received messages per second since the last report."""
        now_mono, now = self._clock(), self._wall()
        previous = self.last
        elapsed = None if self._written_at is None else now_mono - self._written_at
        rate = (messages - self._messages_at_last) / elapsed if elapsed else 0.0
        current = tuple(sorted(partitions, key=lambda p: p.partition))
        before = {p.partition: p.committed_offset or 0 for p in previous.partitions}
        progressed = (set(before) != {p.partition for p in current}  # a new assignment starts a new window
                      or any((p.committed_offset or 0) > before[p.partition] for p in current)
                      or all((p.lag or 0) == 0 for p in current))
        progress = replace(
            previous, partitions=current, updated_at=now,
            last_progress_at=now if progressed else previous.last_progress_at,
            last_batch_closed_at=last_batch_closed_at or previous.last_batch_closed_at,
            events_per_second=max(0.0, rate), events=events, quarantined=quarantined,
            quarantined_by_reason=dict(reasons), kafka_member_id=kafka_member_id or previous.kafka_member_id,
            stopped_at=now if stopped else None)
        self._messages_at_last = messages
        self._write(progress)
        return progress

    def _write(self, progress: ConsumerProgress) -> None:
        try:
            write_progress(self.zone, progress)
        except OSError as exc:  # monitoring must never stop the consumer
            log.warning("cannot write the consumer's progress file: %s", exc)
        self.last = progress
        self._written_at = self._clock()
        self._published = False
