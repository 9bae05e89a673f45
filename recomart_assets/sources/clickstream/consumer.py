"""``recomart consume``: the clickstream listener that writes Kafka events into the raw zone exactly once.

A *batch* is what the consumer read from one Kafka partition between two commits. While it is
open, its events are appended to one hidden spool file per event hour (and one quarantine file per
day), so memory stays flat however large the batch: each ``consume()`` round is parsed, placed and
handed, hour by hour, to a writer thread. A batch closes when the consumer holds ``batch_size``
messages, when it is ``batch_timeout`` seconds old, when the stream goes quiet, on a revoke and
on shutdown; closing fsyncs its files, renames them into place, writes their manifests (see
:mod:`~recomart_assets.sources.clickstream.batches`), and only then commits the offsets. On
assignment the consumer seeks each partition to the offset after the last complete batch the lake
holds, so the lake, not the broker, decides where to resume. Offsets only mean something within
one cluster, so the consumer reads the cluster id from the broker's metadata at start and on
every assignment, and only resumes from that cluster's batches.

Placement: each round is parsed and placed by :mod:`~recomart_assets.sources.clickstream.messages`
(an event line for its hour, or a quarantine record with its reason); the open batch's files and the
threads that write and close them are :mod:`~recomart_assets.sources.clickstream.spool`'s.

Publishing a batch (the protocol, ``docs/protocol.md``): under the partitions' locks
(:func:`~recomart_assets.sources.clickstream.batches.partition_lock`) each spool file is fsynced,
renamed into place and given its manifest (``consumer.file-published``); once every file of the
batch is in place the batch is part of the lake (``consumer.batch-published``, the commit point:
resume rolls such a batch forward), and only then are the offsets committed to Kafka
(``consumer.offsets-committed``), which is a hint, not the record. Sealing never merges a log's
newest batch, so nothing resume may roll back is ever merged.

Rebalances: on revoke the open batch is closed and committed before the partitions go. On loss
(another member may already own them, or the broker restarted and kept nothing) the open batch is
still published when the lake shows that nobody wrote past its start (checked under the
partition's lock, so a new owner either sees it or publishes first), and dropped only when another
member already did, which proves the broker still held those offsets. SIGTERM/SIGINT end the loop
after the open batch is closed and committed. A broker that goes away is retried by librdkafka and
logged here; the consumer neither exits nor loses what it holds.

Rewinds and gaps: on assignment the lake's position of each partition is compared with the log.
A topic id that changed (the topic was deleted and created again), a log start beyond the position
(messages deleted before the lake got them), and the message just before the position not being the
one the lake recorded (its fingerprint is kept in the newest batch's manifest; the consumer reads it
again before anything else) are each a discontinuity: logged as an error with its numbers, recorded
in ``_state/clickstream/<topic>/p<N>.incidents.json`` (which the ``clickstream`` asset check
reports), and then the consumer stops (the default, :class:`~recomart_assets.errors.KafkaLogDiscontinuity`)
or, with ``on_rewind="restart-from-log-start"``, reads the partition again from the log's start
under a new log epoch, whose file names never collide with the old log's. The high watermark is
never trusted (the embedded broker answers a wrong one).

Monitoring: once per round of messages (never per message) the consumer checks whether its progress
report is due (every 2 s, sooner after a published batch) and writes it with
:class:`~recomart_assets.sources.clickstream.progress.ProgressReporter`: per assigned partition the
lake's position and the high watermark the broker sent with its last fetch response; a clean stop
marks the file stopped. The Dagster sensor and ``recomart dev`` judge these files.

Closing days: the watermark moves with the events' own times; when the stream is quiet it moves to
"caught up as of now", where now is the Kafka timestamp of the newest message plus the time that
has passed since it arrived (a monotonic clock), never later than the host clock: a host whose
clock runs ahead cannot close today early.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from confluent_kafka import (
    OFFSET_BEGINNING,
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    TopicCollection,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from recomart_assets.config import Settings
from recomart_assets.errors import ConfigError, ConsumerStartError, ConsumerWriteError, KafkaLogDiscontinuity
from recomart_assets.lake import RawZone, steps
from recomart_assets.lake.manifest import StreamingDataFile
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources.clickstream.batches import (
    LakePosition,
    LogEpoch,
    cluster_tag,
    lake_position,
    partition_lock,
    record_incident,
    resume,
)
from recomart_assets.sources.clickstream.messages import MessagePlacer, Routed, fingerprint
from recomart_assets.sources.clickstream.progress import PartitionProgress, ProgressReporter
from recomart_assets.sources.clickstream.spool import ONE_HOUR, PartitionBatch, SpoolWriters, open_spool, unpublish
from recomart_assets.sources.clickstream.watermarks import advance_watermark

log = get_logger("clickstream.consumer")

steps.declare(
    "consumer.resumed",  # on assignment: leftovers removed, the newest batch rolled forward or back
    "consumer.batch-published",  # every file of the batch in place: the lake holds the batch (commit point)
    "consumer.offsets-committed",  # the batch's offsets committed to Kafka (a hint for the group)
)

ON_REWIND = ("stop", "restart-from-log-start")

UNKNOWN_CLUSTER = "unknown"  # for brokers that report no cluster id (Kafka before 0.10.1)
GROUP_JOIN_ALLOWANCE = 20.0  # seconds a consumer may wait for its first assignment before --idle-exit counts
# The client's tuning, which a properties file (RECOMART_KAFKA_CONFIG) may change: a member that dies
# is expelled after session.timeout.ms, so the group's next join waits about that long; shorter
# expels faster but risks rebalances on a loaded machine. The options exactly-once relies on (the
# group, manual commits, starting from the earliest offset, the callbacks) are not in here.
# fetch.queue.backoff.ms: once the prefetch queue holds queued.min.messages (100,000), librdkafka
# postpones that partition's next fetch by this long (default 1 s); a consumer that drains the queue
# in a fraction of that then idles in consume() for the rest, which capped it at about 135,000
# messages a second. A short backoff lets fetching resume as soon as the queue has room.
CONSUMER_TUNING: dict[str, object] = {
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 1000,
    "max.poll.interval.ms": 300_000,
    "queued.max.messages.kbytes": 32_768,
    "fetch.queue.backoff.ms": 50,
}
_ROUND = 10_000  # messages asked of consume() at a time (what the bare-client baseline uses too)
_STRATEGY = "partition.assignment.strategy"
# How long the client may take to close (leave the group, run the revoke callback) before the
# consumer stops waiting for it: by then the raw zone and the committed offsets are complete, and a
# client stuck in close() must not keep the process from exiting.
CLOSE_DEADLINE_SECONDS = 30.0


def eager_strategy(settings: Settings) -> None:
    """Refuse a cooperative assignment strategy from the user's Kafka options (:class:`ConfigError`).

    The consumer's callbacks assign and give up a member's whole assignment at each rebalance (the
    eager protocol of librdkafka's default ``range,roundrobin``): resuming from the raw zone on
    assignment and closing the open batches on revocation are written for that. Under
    ``cooperative-sticky`` librdkafka refuses those calls, so the consumer would fail at its first
    rebalance instead of at its start.
    """
    strategy = str(settings.kafka_options.get(_STRATEGY, ""))
    if "cooperative" in strategy.lower():
        raise ConfigError(f"{_STRATEGY}={strategy}: the clickstream consumer assigns and revokes whole assignments "
                          "(eager rebalancing); use range and/or roundrobin")


@dataclass(frozen=True)
class ConsumerOptions:
    """How the consumer batches and when it stops (None: run until signalled)."""

    batch_size: int = 1_000_000  # messages (all partitions) that close a batch
    batch_timeout: float = 30.0  # seconds after which an open batch is closed anyway
    max_events: int | None = None  # stop after this many messages (events + quarantined)
    idle_exit: float | None = None  # stop when no message arrived for this many seconds
    caught_up_after: float = 10.0  # seconds without messages after which the batch closes and partitions count as caught up
    allowed_lateness: timedelta = timedelta(hours=1)
    group: str | None = None  # default: settings.consumer_group
    connect_timeout: float = 10.0  # seconds to reach the broker at start before giving up with a clear error
    on_rewind: str = "stop"  # a log that rewound or skipped past the lake: "stop", or "restart-from-log-start"


@dataclass
class ConsumeCounts:
    """What one run of the consumer wrote."""

    messages: int = 0
    events: int = 0
    quarantined: int = 0
    files: int = 0
    batches: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    busy_seconds: float = 0.0  # from the first message received to the last batch committed
    first_message_at: float | None = None  # when the first message arrived (seconds since the epoch)
    # when the last round with messages was placed: with --idle-exit the last batch closes only after
    # the idle period, so a group's members' busy time includes that wait, and this does not
    last_placed_at: float | None = None

    @property
    def rate(self) -> float:
        """Messages per second while busy."""
        return self.messages / self.busy_seconds if self.busy_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, int | float]:
        """The counts as flat numbers, for logs and run metadata."""
        return {"messages": self.messages, "events": self.events, "quarantined": self.quarantined,
                "files": self.files, "batches": self.batches, "busy_seconds": round(self.busy_seconds, 3),
                "rate": round(self.rate), "first_message_at": round(self.first_message_at or 0, 3),
                "last_placed_at": round(self.last_placed_at or 0, 3),
                **{f"quarantined_{k}": v for k, v in sorted(self.reasons.items())}}


class ClickstreamConsumer:
    """One member of the consumer group; :meth:`run` is the loop."""

    def __init__(self, settings: Settings, options: ConsumerOptions = ConsumerOptions(), topic: str | None = None):
        eager_strategy(settings)
        self.settings = settings
        self.options = options
        self.topic = topic or settings.clickstream_topic
        self.group = options.group or settings.consumer_group
        self.zone = RawZone.from_settings(settings)
        self.bounds = TimeBounds(clock_skew=settings.clock_skew)
        self.counts = ConsumeCounts()
        self.batches: dict[int, PartitionBatch] = {}
        self.assigned: set[int] = set()
        self.stop_requested = threading.Event()
        self._pending = 0
        self._placer = MessagePlacer(self.topic, self.bounds, self.counts.reasons, self._on_message_error)
        self._writers = SpoolWriters()
        self._batch_opened = 0.0
        self._last_activity = time.monotonic()
        self._caught_up_marked = 0.0
        self._last_error_log = 0.0
        self._last_error_at = float("-inf")
        self._assigned_once = False
        self._first_message: float | None = None
        self.cluster_id = UNKNOWN_CLUSTER  # read from the broker by check_topic
        self.topic_id: str | None = None  # read from the broker on assignment, where it gives one
        self.positions: dict[int, int | None] = {}  # partition -> the lake's position (next offset), as we left it
        self.epochs: dict[int, int] = {}  # partition -> log epoch of the files we write
        self._probes: dict[int, tuple[int, str]] = {}  # partition -> (offset, fingerprint) to read back first
        self._halted: dict[int, str] = {}  # partition -> why it stopped (a rewind or a gap)
        self._log_clock: tuple[int, float] | None = None  # (newest Kafka timestamp ms, monotonic time it arrived)
        self.progress = ProgressReporter(self.zone, self.topic, self.group)
        self._last_batch_closed: datetime | None = None
        self.consumer = Consumer(settings.kafka_config(CONSUMER_TUNING, **{
            "group.id": self.group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "error_cb": self._on_client_error,
            "logger": get_logger("kafka"),  # librdkafka's own log lines go to our handlers, not raw stderr
        }))

    # -- life cycle -------------------------------------------------------------------------
    def check_topic(self, timeout: float = 10.0, client: Consumer | AdminClient | None = None) -> int:
        """Number of partitions of the topic; notes the cluster id. A clear error if broker or topic is missing.

        ``client`` is the consumer by default; inside a rebalance callback it must be an admin client
        (see :meth:`_on_assign`)."""
        try:
            metadata = (client or self.consumer).list_topics(self.topic, timeout=timeout)
        except KafkaException as exc:
            raise ConsumerStartError(
                f"cannot reach Kafka at {self.settings.kafka_bootstrap_servers}: {exc.args[0]}"
            ) from exc
        topic = metadata.topics.get(self.topic)
        if topic is None or topic.error is not None or not topic.partitions:
            raise ConsumerStartError(f"topic {self.topic!r} does not exist at {self.settings.kafka_bootstrap_servers}")
        self._note_cluster(metadata.cluster_id or UNKNOWN_CLUSTER)
        return len(topic.partitions)

    def _note_cluster(self, cluster_id: str) -> None:
        if cluster_id != self.cluster_id:
            log.log(logging.WARNING if self._assigned_once else logging.INFO,
                    "Kafka cluster is %s (batch files tagged c%s)", cluster_id, cluster_tag(cluster_id))
        self.cluster_id = cluster_id

    def _refresh_cluster(self, admin: AdminClient) -> None:
        """Re-read the cluster id: a group rejoin may follow a restart of the embedded broker as a new cluster."""
        try:
            self.check_topic(self.options.connect_timeout, client=admin)
        except ConsumerStartError as exc:
            log.warning("cannot refresh the cluster id (%s); keeping %s", exc, self.cluster_id)

    def run(self) -> ConsumeCounts:
        """Consume until a bound is reached or a stop is requested; always close the batch, commit and leave."""
        try:
            self.check_topic(self.options.connect_timeout)
        except ConsumerStartError:
            self._close_client()
            self._shutdown_threads()
            raise
        with ingestion_run("clickstream-consume", log, topic=self.topic, group=self.group) as record:
            self.consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                    on_lost=self._on_lost)
            self.progress.start()
            try:
                self._loop()
                self._flush()
                if self._caught_up() or (self._idle_exit_reached() and self._broker_healthy()):
                    self._mark_caught_up()
                self._report_progress(stopped=True)
            except OSError as exc:  # a full disk, a read-only mount: say so plainly
                raise ConsumerWriteError(
                    f"cannot write to the raw zone at {self.zone.root}: {exc.strerror or exc} (the open batch was"
                    " not published and its offsets not committed; run again once the raw zone can take it)"
                ) from exc
            finally:
                self._abandon(set(self.batches))  # only after a failure: whatever is still open is dropped
                self._close_client()
                self._shutdown_threads()
            record.counts.update(self.counts.as_dict())
        if self._halted:
            raise KafkaLogDiscontinuity("; ".join(self._halted[p] for p in sorted(self._halted))
                                        + " (recorded in the raw zone; to read such a partition again from the log's"
                                          " start, run with --on-rewind=restart-from-log-start)")
        return self.counts

    def _close_client(self) -> None:
        """Close the Kafka client, waiting at most :data:`CLOSE_DEADLINE_SECONDS`. Every batch is
        published and committed (or abandoned) before this, so a client that never finishes closing
        is left behind with an error logged (the group moves its partitions once its session times
        out) rather than keeping the command from returning."""
        closer = threading.Thread(target=self.consumer.close, name="kafka-close", daemon=True)
        closer.start()
        closer.join(CLOSE_DEADLINE_SECONDS)
        if closer.is_alive():
            log.error("the Kafka client did not close within %.0f s; leaving it behind (the raw zone and the "
                      "committed offsets are complete; the group moves its partitions when its session times out)",
                      CLOSE_DEADLINE_SECONDS)

    def _shutdown_threads(self) -> None:
        self._writers.shutdown()

    def _loop(self) -> None:
        opts = self.options
        while not self.stop_requested.is_set():
            want = max(1, min(_ROUND, opts.batch_size - self._pending))
            if opts.max_events is not None:
                want = min(want, opts.max_events - self.counts.messages - self._pending)
                if want <= 0:
                    return
            messages = self.consumer.consume(want, min(opts.batch_timeout, 0.5))
            now = time.monotonic()
            if self.progress.due():  # once per round, never per message
                self._report_progress()
            if messages:
                if self._first_message is None:
                    self._first_message = now
                    self.counts.first_message_at = time.time()
                if not self._pending:
                    self._batch_opened = now
                self._route(messages)
                self._last_activity = now
                self.counts.last_placed_at = time.time()
            if self._pending and (self._pending >= opts.batch_size or now - self._batch_opened >= opts.batch_timeout):
                self._flush()
            if not messages:
                if self._probes and self._broker_healthy() and (
                        self._idle_exit_reached() or self._idle_for() >= opts.caught_up_after):
                    self._probes_unanswered()
                if self._idle_exit_reached():
                    log.info("no message for %.1fs: exiting (--idle-exit)", opts.idle_exit)
                    return
                if self._idle_for() >= opts.caught_up_after and self._broker_healthy():
                    self._flush()  # a quiet stream: make what it sent visible now
                    if now - self._caught_up_marked >= opts.caught_up_after:
                        self._mark_caught_up()

    def _idle_for(self) -> float:
        return time.monotonic() - self._last_activity

    def _broker_healthy(self) -> bool:
        return time.monotonic() - self._last_error_at >= self.options.caught_up_after

    def _caught_up(self) -> bool:
        """Idle with nothing pending and no client error lately: silence means no traffic, not an outage."""
        return not self._pending and self._idle_for() >= self.options.caught_up_after and self._broker_healthy()

    def _idle_exit_reached(self) -> bool:
        if self.options.idle_exit is None:
            return False
        # Joining the group takes seconds: until the first assignment, allow for it.
        allowance = 0.0 if self._assigned_once else GROUP_JOIN_ALLOWANCE
        return self._idle_for() >= self.options.idle_exit + allowance

    def request_stop(self, *_args: object) -> None:
        """Ask the loop to end after the open batch is closed (signal handler, other threads)."""
        self.stop_requested.set()

    # -- the hot path -----------------------------------------------------------------------
    def _route(self, messages: list[Message]) -> None:
        """Parse, place and append one round of messages (see :mod:`.messages`); note the log's clock."""
        if self._probes:
            messages = self._read_probes(messages)
        routed, newest = self._placer.place_round(messages, self.batches, self.positions)
        if newest is not None:
            kind, stamp_ms = newest.timestamp()
            if kind != TIMESTAMP_NOT_AVAILABLE and (self._log_clock is None or stamp_ms > self._log_clock[0]):
                self._log_clock = (stamp_ms, time.monotonic())
        self._append(routed)

    def _append(self, routed: Routed) -> None:
        """Hand this round's lines to the appender thread in one task (once the previous round's are written)."""
        self._writers.wait()
        chunks: list[tuple[StreamingDataFile, list[bytes]]] = []
        for (partition, key), lines in routed.items():
            batch = self.batches[partition]
            spool = batch.files.get(key)
            if spool is None:
                spool = batch.files[key] = open_spool(self.zone, self.topic, self.group, batch, key, self.cluster_id,
                                                      self.epochs.get(batch.partition, 0), self.topic_id)
            if isinstance(key, int):
                batch.events += len(lines)
                if batch.latest_hour is None or key > batch.latest_hour:
                    batch.latest_hour = key
            else:
                batch.quarantined += len(lines)
            self._pending += len(lines)
            chunks.append((spool.handle, lines))
        if chunks:
            self._writers.append(chunks)

    # -- closing and committing -----------------------------------------------------------------
    def _flush(self, partitions: set[int] | None = None, lost: bool = False) -> None:
        """Close the open batches (of ``partitions``, default all): files durable and manifested, then commit.

        Files close in a small thread pool: each waits on fsync, which releases the GIL, so a batch
        costs about one file's durable write instead of the sum of them. ``lost``: the partitions
        may have a new owner already; a batch is published only if the lake shows nobody wrote past
        its start, else dropped (the new owner read those offsets from the broker, so it held them)
        and nothing is committed for it.
        """
        chosen = [b for p, b in sorted(self.batches.items()) if partitions is None or p in partitions]
        if not chosen:
            return
        started = time.perf_counter()
        self._writers.wait()
        with partition_lock(self.zone, self.topic, [b.partition for b in chosen]):
            if lost:
                overtaken = {b.partition for b in chosen
                             if lake_position(self.zone, self.topic, b.partition, self.cluster_id) != b.base}
                if overtaken:
                    log.warning("%s[%s]: another member wrote past the open batch; dropping it (it read those"
                                " offsets from the broker)", self.topic, ",".join(map(str, sorted(overtaken))))
                    self._abandon(overtaken)
                    chosen = [b for b in chosen if b.partition not in overtaken]
            closing = [(spool, {"batch_end_offset": batch.last_offset, "batch_files": len(batch.files),
                                "last_message": fingerprint(batch.last_message) if batch.last_message else None})
                       for batch in chosen for spool in batch.files.values()]
            try:
                self._writers.close(closing)  # re-raises the first error
            except BaseException:
                unpublish(spool for spool, _ in closing)
                raise
            finally:
                for batch in chosen:
                    del self.batches[batch.partition]
            if not chosen:
                return
            steps.reached("consumer.batch-published")
            for batch in chosen:
                self.positions[batch.partition] = batch.last_offset + 1
            self._last_batch_closed = datetime.now(UTC)
            self.progress.batch_published()
            events, quarantined = sum(b.events for b in chosen), sum(b.quarantined for b in chosen)
            if not lost:  # a lost partition's offsets are not ours to commit
                offsets = [TopicPartition(self.topic, b.partition, b.last_offset + 1) for b in chosen]
                try:
                    self.consumer.commit(offsets=offsets, asynchronous=False)
                    steps.reached("consumer.offsets-committed")
                except KafkaException as exc:  # the lake holds the batch; the next commit carries these offsets too
                    log.warning("offset commit failed (%s); the raw zone remains the record of progress", exc.args[0])
        for batch in chosen:
            if batch.latest_hour is not None:
                advance_watermark(self.zone, self.topic, batch.partition, self.options.allowed_lateness,
                                  event_time_max=datetime.fromtimestamp(batch.latest_hour * ONE_HOUR, UTC),
                                  cluster_id=self.cluster_id)
        self._pending -= events + quarantined
        self.counts.messages += events + quarantined
        self.counts.events += events
        self.counts.quarantined += quarantined
        self.counts.files += len(closing)
        self.counts.batches += 1
        if self._first_message is not None:
            self.counts.busy_seconds = time.monotonic() - self._first_message
        log.info("batch: %d events, %d quarantined, %d files, partitions %s, closed in %.3fs (%.0f messages/s)",
                 events, quarantined, len(closing), [b.partition for b in chosen], time.perf_counter() - started,
                 self.counts.rate)

    def _report_progress(self, stopped: bool = False) -> None:
        """Write this member's progress file (:mod:`.progress`): per assigned partition the lake's position
        and the high watermark of the broker's last fetch response (no request; ListOffsets is not trusted)."""
        partitions = []
        for partition in sorted(self.assigned):
            try:
                low, high = self.consumer.get_watermark_offsets(TopicPartition(self.topic, partition), cached=True)
            except KafkaException:
                low = high = -1
            committed = self.positions.get(partition)
            if committed is None and low >= 0:
                committed = low  # nothing in the lake and no batch yet: the log's start
            partitions.append(PartitionProgress(partition, committed, high if high >= 0 else None))
        try:
            member = self.consumer.memberid()
        except (KafkaException, RuntimeError):
            member = None
        counts = self.counts
        self.progress.report(partitions, counts.messages + self._pending, counts.events, counts.quarantined,
                             counts.reasons,
                             kafka_member_id=member or None, last_batch_closed_at=self._last_batch_closed,
                             stopped=stopped)

    def _abandon(self, partitions: set[int]) -> None:
        """Drop the open batches of ``partitions`` unwritten: their spool files are deleted."""
        try:
            self._writers.wait()
        except OSError as exc:  # the files are being deleted anyway
            log.warning("append failed while dropping a batch: %s", exc)
        for partition in partitions:
            batch = self.batches.pop(partition, None)
            if batch is None:
                continue
            for spool in batch.files.values():
                spool.abandon()
            self._pending -= batch.messages

    def _mark_caught_up(self) -> None:
        """No messages for a while: the assigned partitions are caught up as of the log's now (see the module doc)."""
        now = self._log_now()
        if now is None:
            return  # no message read in this run: nothing says what time it is in the log
        for partition in sorted(self.assigned):
            advance_watermark(self.zone, self.topic, partition, self.options.allowed_lateness, caught_up_at=now,
                              cluster_id=self.cluster_id)
        self._caught_up_marked = time.monotonic()

    def _log_now(self) -> datetime | None:
        """The newest message's Kafka timestamp plus the time since it arrived, at most the host clock."""
        if self._log_clock is None:
            return None
        stamp_ms, arrived = self._log_clock
        log_now = datetime.fromtimestamp(stamp_ms / 1000, UTC) + timedelta(seconds=time.monotonic() - arrived)
        return min(log_now, datetime.now(UTC))

    # -- the log's continuity ---------------------------------------------------------------------
    def _read_topic_id(self, admin: AdminClient) -> str | None:
        """The topic's id where the broker gives one (Kafka 2.8+ and the embedded broker do), else None."""
        try:
            described = admin.describe_topics(TopicCollection([self.topic]))[self.topic].result(
                self.options.connect_timeout)
            return str(described.topic_id) if described.topic_id else None
        except (KafkaException, AttributeError, TypeError, ValueError) as exc:
            log.info("the broker gives no topic id (%s): rewinds are found by offsets and fingerprints only", exc)
            return None

    def _log_start(self, partition: int) -> int | None:
        """The partition's log start offset (the low watermark), or None if the broker does not say."""
        try:
            low, _high = self.consumer.get_watermark_offsets(TopicPartition(self.topic, partition),
                                                             timeout=self.options.connect_timeout)
            return low if low >= 0 else None
        except KafkaException:
            return None

    def _check_log(self, partition: int, position: LakePosition) -> tuple[str, dict] | None:
        """A discontinuity between the lake's position and the log, found without reading a message, or None."""
        if position.topic_id and self.topic_id and position.topic_id != self.topic_id:
            return "topic-recreated", {"topic_id_in_lake": position.topic_id, "topic_id_now": self.topic_id}
        start = self._log_start(partition)
        if start is not None and start > position.next_offset:
            return "gap", {"log_start": start, "missing_offsets": start - position.next_offset}
        return None

    def _discontinuity(self, partition: int, position: int, kind: str, numbers: dict) -> int | None:
        """Report a rewind or gap of ``partition``; returns the offset to read from (restart) or None (stop)."""
        restart = self.options.on_rewind == "restart-from-log-start"
        epoch = self.epochs.get(partition, 0) + (1 if restart else 0)
        log_start = self._log_start(partition) if restart else None
        incident = {"detected_at": datetime.now(UTC).isoformat(), "kind": kind, "topic": self.topic,
                    "partition": partition, "cluster_id": self.cluster_id, "lake_next_offset": position,
                    **numbers, "action": "restarted-from-log-start" if restart else "stopped", "log_epoch": epoch}
        record_incident(self.zone, self.topic, partition, incident)
        message = (f"Kafka log {self.topic}[{partition}] does not continue where the raw zone stops ({kind}):"
                   f" the lake holds offsets up to {position - 1}, {orjson.dumps(numbers).decode()}")
        if not restart:
            log.error("%s; this partition is stopped", message)
            self._halted[partition] = message
            self.stop_requested.set()
            return None
        start = log_start or 0
        with partition_lock(self.zone, self.topic, [partition]):
            LogEpoch(self.cluster_id, epoch, start, self.topic_id).write(self.zone, self.topic, partition)
        self.epochs[partition] = epoch
        self.positions[partition] = start
        log.error("%s; reading it again from the log's start (offset %d) as log epoch %d", message, start, epoch)
        return start

    def _read_probes(self, messages: list[Message]) -> list[Message]:
        """Check the first message of each probed partition (the one before the lake's position) and drop it.

        The same message (fingerprint): the log continues the lake's, reading goes on. An earlier
        offset or another message: the log rewound (a new log under the same name); the round's
        messages of that partition are dropped and the rewind reported. A later offset: the message
        is gone (compaction, retention); only a log start past the position is a gap then.
        """
        kept: list[Message] = []
        dropped: set[int] = set()
        for msg in messages:
            partition = msg.partition()
            if msg.error() is not None or partition not in self._probes and partition not in dropped:
                kept.append(msg)
                continue
            if partition in dropped:
                continue
            offset, expected = self._probes.pop(partition)
            found = {"first_offset_read": msg.offset()}
            if msg.offset() == offset and fingerprint(msg) == expected:
                continue  # the lake's last message: already held
            if msg.offset() > offset:
                log.warning("%s[%d]: the message at offset %d is no longer in the log (first is %d)",
                            self.topic, partition, offset, msg.offset())
                problem = self._check_log(partition, LakePosition(offset + 1))
                if problem is None:
                    kept.append(msg)
                    continue
                kind, found = problem
            else:
                kind = "rewind" if msg.offset() < offset else "log-replaced"
            dropped.add(partition)
            restart_at = self._discontinuity(partition, offset + 1, kind, found)
            tp = TopicPartition(self.topic, partition, OFFSET_BEGINNING if restart_at is None else restart_at)
            if restart_at is None:
                self.consumer.pause([tp])
            else:
                self.consumer.seek(tp)
        return kept

    def _probes_unanswered(self) -> None:
        """The stream went quiet with the broker healthy and a probed message never came: the log now
        ends before the lake's position (a shorter new log; some brokers wait instead of saying so)."""
        for partition, (offset, _expected) in sorted(self._probes.items()):
            del self._probes[partition]
            restart_at = self._discontinuity(partition, offset + 1, "log-ends-before-lake",
                                             {"log_start": self._log_start(partition)})
            tp = TopicPartition(self.topic, partition, OFFSET_BEGINNING if restart_at is None else restart_at)
            if restart_at is None:
                self.consumer.pause([tp])
            else:
                self.consumer.seek(tp)
                self._last_activity = time.monotonic()

    # -- callbacks ----------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Resume each partition at the lake's position (or halt it at a discontinuity), then assign.

        The broker is asked through an admin client of its own, never through the consumer: a call into
        the consumer that enters librdkafka through confluent-kafka's call state (``list_topics``,
        ``list_groups``, ``poll``, ``consume``, ``close``) made inside one of its own callbacks clears that
        per-thread state on return, and the next callback served by the same ``consume()`` (a log line,
        an error) then aborts the whole process (``CallState_get: Assertion `cs != NULL'``). The calls
        left here (``get_watermark_offsets``, ``assign``, ``pause``, ``seek``) do not use that state.
        """
        admin = AdminClient(self.settings.kafka_config(logger=get_logger("kafka")))
        if self._assigned_once:
            self._refresh_cluster(admin)
        self.topic_id = self._read_topic_id(admin)
        positions = resume(self.zone, self.topic, [tp.partition for tp in partitions], self.cluster_id)
        steps.reached("consumer.resumed")
        halted = []
        for tp in partitions:
            position = positions.get(tp.partition)
            self.positions[tp.partition] = position.next_offset if position else None
            self.epochs[tp.partition] = position.epoch if position else 0
            self._probes.pop(tp.partition, None)
            if position is None:
                continue
            tp.offset = position.next_offset
            problem = self._check_log(tp.partition, position)
            if problem is not None:
                restart_at = self._discontinuity(tp.partition, position.next_offset, *problem)
                if restart_at is None:
                    halted.append(tp)
                else:
                    tp.offset = restart_at
            elif position.last_message and position.next_offset > 0:
                tp.offset = position.next_offset - 1  # read the lake's last message back first (_read_probes)
                self._probes[tp.partition] = (tp.offset, position.last_message)
        consumer.assign(partitions)
        if halted:
            consumer.pause(halted)
        self.assigned = {tp.partition for tp in partitions}
        self._last_activity = time.monotonic()
        self._assigned_once = True
        log.info("assigned %s[%s] of cluster %s, resuming at %s (from the raw zone; others at the group's committed"
                 " offset)", self.topic, ",".join(str(p) for p in sorted(self.assigned)), self.cluster_id,
                 {p: pos.next_offset for p, pos in positions.items()} or "-")

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {tp.partition for tp in partitions}
        self._flush(revoked)
        self.assigned -= revoked
        self._unassign(consumer)
        log.info("revoked %s[%s] after closing their open batches", self.topic, ",".join(map(str, sorted(revoked))))

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Partitions taken away without a revoke (session lost, broker restarted): publish what we hold
        unless another member already wrote past it; nothing we received is dropped unless the broker held it."""
        lost = {tp.partition for tp in partitions}
        self._flush(lost, lost=True)
        self.assigned -= lost
        self._unassign(consumer)
        log.warning("lost %s[%s]: open batches published unless another member had written past them",
                    self.topic, ",".join(map(str, sorted(lost))))

    @staticmethod
    def _unassign(consumer: Consumer) -> None:
        """Give the assignment up from the revoke or lost callback itself. Left to confluent-kafka, the
        fallback after the callback first asks librdkafka for the rebalance protocol, and when the
        callback runs inside ``close()`` that request can go unanswered for good (librdkafka issue
        4041): a member of a group hung in ``close()`` after ``--idle-exit``. ``unassign`` (a plain
        ``assign(NULL)``) does not enter confluent-kafka's call state (see :meth:`_on_assign`)."""
        consumer.unassign()

    def _on_message_error(self, msg: Message) -> None:
        error = msg.error()
        if error.fatal():
            raise KafkaException(error)
        if error.code() != KafkaError._PARTITION_EOF:
            self._on_client_error(error)

    def _on_client_error(self, error: KafkaError) -> None:
        """Transport errors (broker gone): librdkafka retries; log at most every 5 s."""
        self._last_error_at = time.monotonic()
        if error.fatal():
            log.error("fatal Kafka error: %s", error)
            return
        now = time.monotonic()
        if now - self._last_error_log >= 5:
            log.warning("Kafka client error (retrying): %s", error)
            self._last_error_log = now


def install_signal_handlers(stop: Callable[..., None]) -> None:
    """SIGTERM and SIGINT end the loop after the open batch is closed (main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)


def run_consumer(settings: Settings, options: ConsumerOptions = ConsumerOptions(), topic: str | None = None,
                 handle_signals: bool = True) -> ConsumeCounts:
    """Run one consumer until ``max_events``/``idle_exit`` or a signal; returns what it wrote."""
    consumer = ClickstreamConsumer(settings, options, topic)
    if handle_signals:
        install_signal_handlers(consumer.request_stop)
    return consumer.run()
