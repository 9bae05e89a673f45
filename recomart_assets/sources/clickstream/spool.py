"""An open batch's files (spool files) and the threads that write and close them.

While a batch is open, its events are appended to one hidden spool file per event hour (and one
quarantine file per day), so memory stays flat however large the batch. One writer thread appends
each round's lines in order while the consumer parses the next round (md5 and the write release the
GIL); closing a batch waits on one fsync per file, which a few closer threads wait on together.
Closing a spool file makes it durable under its final name and writes its manifest (step
``consumer.file-published``, ``docs/protocol.md``); a batch that cannot be published whole is taken
back, manifests first.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from confluent_kafka import Message
from upath import UPath

from recomart_assets.lake import RawZone, open_data_file, steps
from recomart_assets.lake.files import remove_data_files
from recomart_assets.lake.lineage import KafkaBatch
from recomart_assets.lake.manifest import StreamingDataFile
from recomart_assets.logs import get_logger
from recomart_assets.sources.clickstream.batches import DATASET, batch_file_name

log = get_logger("clickstream.consumer")

steps.declare(
    "consumer.file-published",  # one file of the batch fsynced, renamed into place and given its manifest
)

ONE_HOUR = 3600  # seconds: an event file's key is its hour counted in hours since the epoch


class _Abandoned(Exception):
    """Thrown into a spool file's writer to delete it unwritten (a lost partition, a failed batch)."""


class SpoolFile:
    """One file of an open batch: a hidden temporary file until the batch closes (see :func:`open_data_file`)."""

    __slots__ = ("path", "_context", "handle")

    def __init__(self, path: UPath, day: str, source: KafkaBatch):
        self.path = path
        self._context: AbstractContextManager[StreamingDataFile] = open_data_file(
            path, dataset=DATASET, partition=day, fmt="jsonl", source=source)
        self.handle = self._context.__enter__()

    def close(self, **source: object) -> None:
        """Complete the lineage, make the file durable under its name, then write its manifest."""
        self.handle.update_source(**source)
        self._context.__exit__(None, None, None)
        steps.reached("consumer.file-published")

    def abandon(self) -> None:
        """Delete the file unwritten. Closing it flushes buffered bytes, which a full disk refuses: the
        temporary file is removed all the same, so that error is not ours to raise."""
        try:
            self._context.__exit__(_Abandoned, _Abandoned(), None)
        except OSError as exc:
            log.debug("%s: dropped (closing it failed: %s)", self.path.name, exc)


class PartitionBatch:
    """The open batch of one partition: its offset range and its spool files (event hours, quarantine days)."""

    __slots__ = ("partition", "base", "first_offset", "last_offset", "last_message", "files", "events", "quarantined",
                 "latest_hour")

    def __init__(self, partition: int, first_offset: int, base: int | None):
        self.partition = partition
        self.base = base  # the lake's position when the batch opened (None: the lake held nothing of this log)
        self.first_offset = first_offset
        self.last_offset = first_offset
        self.last_message: Message | None = None
        self.files: dict[int | str, SpoolFile] = {}  # hours since the epoch (events) or day (quarantine) -> file
        self.events = 0
        self.quarantined = 0
        self.latest_hour: int | None = None  # hours since the epoch of the latest event, for the watermark

    @property
    def messages(self) -> int:
        """Messages the batch holds: events and quarantined records."""
        return self.events + self.quarantined


def open_spool(zone: RawZone, topic: str, group: str, batch: PartitionBatch, key: int | str, cluster_id: str,
               epoch: int, topic_id: str | None) -> SpoolFile:
    """The spool file of ``batch`` for ``key`` (an event hour since the epoch, or a quarantine day),
    under the batch file name that says which log, partition and offsets it holds."""
    if isinstance(key, int):
        start = datetime.fromtimestamp(key * ONE_HOUR, UTC)
        day, hour = start.date().isoformat(), start.hour
        folder = zone.partition_dir(DATASET, day)
    else:
        day, hour = key, None
        folder = zone.quarantine_dir(DATASET, day)
    name = batch_file_name(topic, batch.partition, batch.first_offset, hour, cluster_id, epoch)
    source = KafkaBatch(topic=topic, partition=batch.partition, batch_start_offset=batch.first_offset,
                        batch_end_offset=batch.first_offset, cluster_id=cluster_id,
                        consumer_group=group, quarantine=hour is None)
    spool = SpoolFile(folder / name, day, source)
    spool.handle.update_source(log_epoch=epoch, topic_id=topic_id)
    return spool


def unpublish(spools: Iterable[SpoolFile]) -> None:
    """Take back the files of a batch that could not be published whole (manifest first): it was
    not committed, so the broker still holds its offsets and the lake must not show half of it."""
    remove_data_files(spool.path for spool in spools)


def _write_chunks(chunks: list[tuple[StreamingDataFile, list[bytes]]]) -> None:
    """The appender thread's task: one round's lines, file by file, as JSONL."""
    for handle, lines in chunks:
        lines.append(b"")  # the final newline
        handle.write(b"\n".join(lines), len(lines) - 1)


class SpoolWriters:
    """The consumer's writer threads: one appender (rounds in order) and a few closers (fsyncs together)."""

    def __init__(self) -> None:
        # One thread appends (in order) while the loop parses the next round; md5 and the write release the GIL.
        self._appender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-append")
        self._appending: Future | None = None
        # Closing a batch waits on one fsync per file: a few threads wait on them together.
        self._closers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lake-close")

    def append(self, chunks: list[tuple[StreamingDataFile, list[bytes]]]) -> None:
        """Hand one round's lines to the appender (call :meth:`wait` first: one round at a time)."""
        self._appending = self._appender.submit(_write_chunks, chunks)

    def wait(self) -> None:
        """Wait for the round being appended; re-raises a failed write."""
        appending, self._appending = self._appending, None
        if appending is not None:
            appending.result()  # re-raises a failed write

    def close(self, closing: list[tuple[SpoolFile, dict[str, object]]]) -> None:
        """Close every spool file with its lineage completion, in parallel; re-raises the first error
        only once every close has ended, so that taking the batch back (:func:`unpublish`) never runs
        beside a close that would then put a file or a manifest back."""
        done, _ = wait([self._closers.submit(spool.close, **source) for spool, source in closing])
        for future in done:
            future.result()  # re-raises the first error

    def shutdown(self) -> None:
        """Stop both thread pools (after the last batch was closed or dropped)."""
        self._appender.shutdown()
        self._closers.shutdown()
