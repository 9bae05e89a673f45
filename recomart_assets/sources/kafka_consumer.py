"""``recomart consume``: the clickstream listener that writes Kafka events into the raw zone exactly once.

The loop reads micro-batches (closed by size or by time), parses every message with ``orjson``,
and routes it by its own timestamp (UTC) to the file of its day and hour; messages it cannot
place (not JSON, not an object, no usable timestamp) go to quarantine with the reason and the
original bytes. Events are kept byte for byte as received. At the end of a batch each partition's
files and manifests are written durably (see :mod:`~recomart_assets.sources.clickstream_lake`),
and only then are the offsets committed. On assignment the consumer seeks each partition to the
offset after the last batch the lake holds, so the lake, not the broker, decides where to resume.
Offsets only mean something within one cluster, so the consumer reads the cluster id from the
broker's metadata at start and on every assignment, and only resumes from that cluster's batches
(an embedded in-memory broker is a new cluster each time it starts).

Rebalances: on revoke the pending batch is written and committed before the partitions go; on
loss (another member may already own them) it is dropped unwritten. SIGTERM/SIGINT end the loop
after the current batch is written and committed. A broker that goes away is retried by librdkafka
and logged here; the consumer neither exits nor loses what it holds.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from base64 import b64encode
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import orjson
from confluent_kafka import Consumer, KafkaError, KafkaException, Message, TopicPartition
from upath import UPath

from recomart_assets.config import Settings
from recomart_assets.errors import ConsumerStartError
from recomart_assets.lake import RawZone, write_data_file
from recomart_assets.logs import get_logger, ingestion_run
from recomart_assets.sources.clickstream_lake import (
    DATASET,
    advance_watermark,
    batch_file_name,
    cluster_tag,
    resume_positions,
)

log = get_logger("clickstream.consumer")

_ONE_HOUR = 3600
UNKNOWN_CLUSTER = "unknown"  # for brokers that report no cluster id (Kafka before 0.10.1)
GROUP_JOIN_ALLOWANCE = 20.0  # seconds a consumer may wait for its first assignment before --idle-exit counts


@dataclass(frozen=True)
class ConsumerOptions:
    """How the consumer batches and when it stops (None: run until signalled)."""

    batch_size: int = 50_000  # messages (all partitions) that close a batch
    batch_timeout: float = 1.0  # seconds after which a non-empty batch is closed anyway
    max_events: int | None = None  # stop after this many messages (events + quarantined)
    idle_exit: float | None = None  # stop when no message arrived for this many seconds
    caught_up_after: float = 10.0  # seconds without messages after which the partitions count as caught up
    allowed_lateness: timedelta = timedelta(hours=1)
    group: str | None = None  # default: settings.consumer_group
    connect_timeout: float = 10.0  # seconds to reach the broker at start before giving up with a clear error


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

    @property
    def rate(self) -> float:
        """Messages per second while busy."""
        return self.messages / self.busy_seconds if self.busy_seconds > 0 else 0.0

    def as_dict(self) -> dict[str, int | float]:
        return {"messages": self.messages, "events": self.events, "quarantined": self.quarantined,
                "files": self.files, "batches": self.batches, "busy_seconds": round(self.busy_seconds, 3),
                "rate": round(self.rate), **{f"quarantined_{k}": v for k, v in self.reasons.items()}}


class PartitionBatch:
    """Messages of one partition since the last commit, already routed to their files."""

    __slots__ = ("partition", "first_offset", "last_offset", "hours", "quarantine")

    def __init__(self, partition: int, first_offset: int):
        self.partition = partition
        self.first_offset = first_offset
        self.last_offset = first_offset
        self.hours: dict[float, list[bytes]] = {}  # hours since the epoch (UTC) -> JSON lines
        self.quarantine: dict[str, list[bytes]] = {}  # day -> quarantine records

    @property
    def events(self) -> int:
        return sum(len(lines) for lines in self.hours.values())

    @property
    def quarantined(self) -> int:
        return sum(len(lines) for lines in self.quarantine.values())

    @property
    def latest_hour(self) -> datetime | None:
        """Start of the latest event hour: a lower bound of the latest event time, for the watermark."""
        return datetime.fromtimestamp(max(self.hours) * _ONE_HOUR, UTC) if self.hours else None


def _reason(value: bytes | None) -> str:
    """Why a message could not be placed (the slow path, for rejected messages only)."""
    if value is None:
        return "empty message"
    try:
        event = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(event, dict):
        return f"not a JSON object: {type(event).__name__}"
    if "timestamp" not in event or event["timestamp"] is None:
        return "missing timestamp"
    stamp = event["timestamp"]
    if not isinstance(stamp, str):
        return f"timestamp is not a string: {stamp!r}"
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return f"unparseable timestamp: {stamp!r}"
    if moment.utcoffset() is None:
        return f"timestamp without UTC offset: {stamp!r}"
    return "unknown"


def _reason_key(reason: str) -> str:
    return reason.split(":", 1)[0].replace(" ", "_")


def quarantine_record(msg: Message, reason: str, topic: str) -> bytes:
    """One quarantine line: reason, Kafka coordinates and the original key and value (base64)."""
    value, key = msg.value(), msg.key()
    text = None
    if value is not None:
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return orjson.dumps({
        "reason": reason, "topic": topic, "partition": msg.partition(), "offset": msg.offset(),
        "kafka_timestamp_ms": msg.timestamp()[1], "key_b64": None if key is None else b64encode(key).decode(),
        "value_b64": None if value is None else b64encode(value).decode(), "value_text": text,
        "quarantined_at": datetime.now(UTC).isoformat(),
    })


class ClickstreamConsumer:
    """One member of the consumer group; :meth:`run` is the loop."""

    def __init__(self, settings: Settings, options: ConsumerOptions = ConsumerOptions(), topic: str | None = None):
        self.settings = settings
        self.options = options
        self.topic = topic or settings.clickstream_topic
        self.group = options.group or settings.consumer_group
        self.zone = RawZone.from_settings(settings)
        self.counts = ConsumeCounts()
        self.batches: dict[int, PartitionBatch] = {}
        self.assigned: set[int] = set()
        self.stop_requested = threading.Event()
        self._pending = 0
        self._writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lake-writer")
        self._batch_opened = 0.0
        self._last_activity = time.monotonic()
        self._caught_up_marked = 0.0
        self._last_error_log = 0.0
        self._last_error_at = float("-inf")
        self._assigned_once = False
        self._first_message: float | None = None
        self.cluster_id = UNKNOWN_CLUSTER  # read from the broker by check_topic
        self.consumer = Consumer(settings.kafka_config(**{
            "group.id": self.group,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
            "heartbeat.interval.ms": 1000,
            "max.poll.interval.ms": 300_000,
            "queued.max.messages.kbytes": 32_768,
            "error_cb": self._on_client_error,
            "logger": get_logger("kafka"),  # librdkafka's own log lines go to our handlers, not raw stderr
        }))

    # -- life cycle -------------------------------------------------------------------------
    def check_topic(self, timeout: float = 10.0) -> int:
        """Number of partitions of the topic; notes the cluster id. A clear error if broker or topic is missing."""
        try:
            metadata = self.consumer.list_topics(self.topic, timeout=timeout)
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

    def _refresh_cluster(self) -> None:
        """Re-read the cluster id: a group rejoin may follow a restart of the embedded broker as a new cluster."""
        try:
            self.check_topic(self.options.connect_timeout)
        except ConsumerStartError as exc:
            log.warning("cannot refresh the cluster id (%s); keeping %s", exc, self.cluster_id)

    def run(self) -> ConsumeCounts:
        """Consume until a bound is reached or a stop is requested; always flush, commit and close."""
        try:
            self.check_topic(self.options.connect_timeout)
        except ConsumerStartError:
            self.consumer.close()
            self._writers.shutdown()
            raise
        with ingestion_run("clickstream-consume", log, topic=self.topic, group=self.group) as record:
            self.consumer.subscribe([self.topic], on_assign=self._on_assign, on_revoke=self._on_revoke,
                                    on_lost=self._on_lost)
            try:
                self._loop()
                self._flush()
                if self._caught_up() or (self._idle_exit_reached() and self._broker_healthy()):
                    self._mark_caught_up()
            finally:
                self.consumer.close()
                self._writers.shutdown()
            record.counts.update(self.counts.as_dict())
        return self.counts

    def _loop(self) -> None:
        opts = self.options
        while not self.stop_requested.is_set():
            want = max(1, min(10_000, opts.batch_size - self._pending))
            if opts.max_events is not None:
                want = min(want, opts.max_events - self.counts.messages - self._pending)
                if want <= 0:
                    return
            messages = self.consumer.consume(want, min(opts.batch_timeout, 0.5))
            now = time.monotonic()
            if messages:
                if self._first_message is None:
                    self._first_message = now
                if not self._pending:
                    self._batch_opened = now
                self._route(messages)
                self._last_activity = now
            if self._pending and (self._pending >= opts.batch_size or now - self._batch_opened >= opts.batch_timeout):
                self._flush()
            if not messages:
                if self._idle_exit_reached():
                    log.info("no message for %.1fs: exiting (--idle-exit)", opts.idle_exit)
                    return
                if self._caught_up() and now - self._caught_up_marked >= opts.caught_up_after:
                    self._mark_caught_up()

    def _idle_for(self) -> float:
        return time.monotonic() - self._last_activity

    def _broker_healthy(self) -> bool:
        return time.monotonic() - self._last_error_at >= self.options.caught_up_after

    def _caught_up(self) -> bool:
        """Idle with nothing pending and no client error lately: silence means no traffic, not an outage."""
        return not self._pending and self._idle_for() >= self.options.caught_up_after and self._broker_healthy()

    def _idle_exit_reached(self) -> bool:
        if self.options.idle_exit is None or self._pending:
            return False
        # Joining the group takes seconds: until the first assignment, allow for it.
        allowance = 0.0 if self._assigned_once else GROUP_JOIN_ALLOWANCE
        return self._idle_for() >= self.options.idle_exit + allowance

    def request_stop(self, *_args: object) -> None:
        """Ask the loop to end after the current batch (signal handler, other threads)."""
        self.stop_requested.set()

    # -- the hot path -----------------------------------------------------------------------
    def _route(self, messages: list[Message]) -> None:
        """Parse and route a list of messages; kept lean, it runs once per message."""
        loads, fromiso = orjson.loads, datetime.fromisoformat
        batches = self.batches
        batch: PartitionBatch | None = None
        hours: dict[float, list[bytes]] = {}
        previous: Message | None = None
        routed = 0
        for msg in messages:
            if msg.error() is not None:
                self._on_message_error(msg)
                continue
            partition = msg.partition()
            if batch is None or partition != batch.partition:  # messages come in runs per partition
                if previous is not None:
                    batch.last_offset = previous.offset()
                batch = batches.get(partition)
                if batch is None:
                    batch = batches[partition] = PartitionBatch(partition, msg.offset())
                hours = batch.hours
            previous = msg
            routed += 1
            value = msg.value()
            try:
                moment = fromiso(loads(value)["timestamp"])
            except Exception:  # noqa: BLE001 - any failure means "cannot place"; _reason says why
                moment = None
            if moment is None or moment.tzinfo is None:
                self._quarantine(batch, msg)
                continue
            if b"\n" in value or b"\r" in value:  # pretty-printed JSON: JSONL needs one line per record
                value = orjson.dumps(loads(value))
            lines = hours.get(hour := moment.timestamp() // _ONE_HOUR)
            if lines is None:
                lines = hours[hour] = []
            lines.append(value)
        if previous is not None:
            batch.last_offset = previous.offset()
        self._pending += routed

    def _quarantine(self, batch: PartitionBatch, msg: Message) -> None:
        reason = _reason(msg.value())
        kind, stamp_ms = msg.timestamp()
        moment = datetime.fromtimestamp(stamp_ms / 1000, UTC) if kind and stamp_ms > 0 else datetime.now(UTC)
        batch.quarantine.setdefault(moment.date().isoformat(), []).append(quarantine_record(msg, reason, self.topic))
        key = _reason_key(reason)
        self.counts.reasons[key] = self.counts.reasons.get(key, 0) + 1

    # -- writing and committing -----------------------------------------------------------------
    def _batch_files(self, batch: PartitionBatch) -> list[tuple[UPath, str, list[bytes], dict]]:
        """(path, day, lines, source) of every file of a partition batch."""
        source = {
            "type": "kafka", "cluster_id": self.cluster_id, "topic": self.topic, "partition": batch.partition,
            "consumer_group": self.group,
            "batch_start_offset": batch.first_offset, "batch_end_offset": batch.last_offset,
            "batch_files": len(batch.hours) + len(batch.quarantine),
        }
        files = []
        for hour, lines in sorted(batch.hours.items()):
            start = datetime.fromtimestamp(hour * _ONE_HOUR, UTC)
            name = batch_file_name(self.topic, batch.partition, batch.first_offset, start.hour, self.cluster_id)
            day = start.date().isoformat()
            files.append((self.zone.partition_dir(DATASET, day) / name, day, lines, {**source, "quarantine": False}))
        for day, lines in sorted(batch.quarantine.items()):
            name = batch_file_name(self.topic, batch.partition, batch.first_offset, None, self.cluster_id)
            files.append((self.zone.quarantine_dir(DATASET, day) / name, day, lines, {**source, "quarantine": True}))
        return files

    @staticmethod
    def _write_file(item: tuple[UPath, str, list[bytes], dict]) -> None:
        path, day, lines, source = item
        write_data_file(path, b"\n".join(lines) + b"\n", dataset=DATASET, partition=day, record_count=len(lines),
                        fmt="jsonl", source=source)

    def _flush(self, partitions: set[int] | None = None) -> None:
        """Write the pending batches (of ``partitions``, default all), then commit their offsets.

        Files are written by a small thread pool: each write waits on fsync, which releases the GIL,
        so a batch costs about one file's durable write instead of the sum of them.
        """
        chosen = [b for p, b in sorted(self.batches.items()) if partitions is None or p in partitions]
        if not chosen:
            return
        started = time.perf_counter()
        files = [item for batch in chosen for item in self._batch_files(batch)]
        list(self._writers.map(self._write_file, files))  # re-raises the first write error
        events, quarantined = sum(b.events for b in chosen), sum(b.quarantined for b in chosen)
        for batch in chosen:
            del self.batches[batch.partition]
        offsets = [TopicPartition(self.topic, b.partition, b.last_offset + 1) for b in chosen]
        try:
            self.consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:  # the lake holds the batch; the next commit carries these offsets too
            log.warning("offset commit failed (%s); the raw zone remains the record of progress", exc.args[0])
        for batch in chosen:
            if batch.latest_hour is not None:
                advance_watermark(self.zone, self.topic, batch.partition, self.options.allowed_lateness,
                                  event_time_max=batch.latest_hour, cluster_id=self.cluster_id)
        self._pending -= events + quarantined
        self.counts.messages += events + quarantined
        self.counts.events += events
        self.counts.quarantined += quarantined
        self.counts.files += len(files)
        self.counts.batches += 1
        if self._first_message is not None:
            self.counts.busy_seconds = time.monotonic() - self._first_message
        log.info("batch: %d events, %d quarantined, %d files, partitions %s, written in %.3fs (%.0f messages/s)",
                 events, quarantined, len(files), [b.partition for b in chosen], time.perf_counter() - started,
                 self.counts.rate)

    def _mark_caught_up(self) -> None:
        """No messages for a while: the assigned partitions are caught up as of now."""
        now = datetime.now(UTC)
        for partition in sorted(self.assigned):
            advance_watermark(self.zone, self.topic, partition, self.options.allowed_lateness, caught_up_at=now,
                              cluster_id=self.cluster_id)
        self._caught_up_marked = time.monotonic()

    # -- callbacks ----------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        if self._assigned_once:
            self._refresh_cluster()
        positions = resume_positions(self.zone, self.topic, [tp.partition for tp in partitions], self.cluster_id)
        for tp in partitions:
            if tp.partition in positions:
                tp.offset = positions[tp.partition]
        consumer.assign(partitions)
        self.assigned = {tp.partition for tp in partitions}
        self._last_activity = time.monotonic()
        self._assigned_once = True
        log.info("assigned %s[%s] of cluster %s, resuming at %s (from the raw zone; others at the group's committed"
                 " offset)", self.topic, ",".join(str(p) for p in sorted(self.assigned)), self.cluster_id,
                 positions or "-")

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {tp.partition for tp in partitions}
        self._flush(revoked)
        self.assigned -= revoked
        log.info("revoked %s[%s] after writing their pending batches", self.topic, ",".join(map(str, sorted(revoked))))

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        lost = {tp.partition for tp in partitions}
        for partition in lost:
            batch = self.batches.pop(partition, None)
            if batch is not None:
                self._pending -= batch.events + batch.quarantined
        self.assigned -= lost
        log.warning("lost %s[%s]: pending batches dropped unwritten (the new owner re-reads them)",
                    self.topic, ",".join(map(str, sorted(lost))))

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
    """SIGTERM and SIGINT end the loop after the current batch (main thread only)."""
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
