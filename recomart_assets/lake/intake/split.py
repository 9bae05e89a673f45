"""Split: a file's records into partition files named by its sha256, and its rejects into quarantine.

The source's splitter places each chunk's records; this module writes them. Every output is an
atomic data file with its manifest last, named after the content's sha256, so redoing a split
after a crash overwrites identical bytes with identical bytes. The plan lists the files before
the first of them appears, so a failure (or recovery) can take them all back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import orjson
import pyarrow as pa
from upath import UPath

from recomart_assets.errors import IntakeError
from recomart_assets.lake.files import remove_data_files
from recomart_assets.lake.intake.contract import (
    ChunkSplit,
    EventTimeWindow,
    Header,
    LandingSource,
    PartitionKey,
    Rejection,
)
from recomart_assets.lake.intake.guards import header_of
from recomart_assets.lake.intake.names import storable, zone_relative
from recomart_assets.lake.intake.plan import Plan
from recomart_assets.lake.manifest import StreamingDataFile, open_data_files
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.lake.records import CHUNK_BYTES, RecordChunk, iter_csv_records
from recomart_assets.lake.zone import RawZone
from recomart_assets.text import excerpt


def records(path: UPath) -> Iterator[tuple[Header, RecordChunk]]:
    """The file's header and its record chunks after the header."""
    header: Header | None = None
    with path.open("rb") as stream:
        for chunk in iter_csv_records(stream, CHUNK_BYTES):
            if header is None:
                first = header_of(chunk)
                if isinstance(first, str):
                    raise IntakeError(f"{path.name}: {first}")  # content_problem() rules this out first
                header = first
                chunk = chunk.after(1)
            if len(chunk):
                yield header, chunk


def split_chunks(path: UPath, source: LandingSource, window: EventTimeWindow) -> Iterator[tuple[Header, ChunkSplit]]:
    """The source's split of the file, chunk by chunk (what :func:`write_partitions` writes)."""
    for header, chunk in records(path):
        yield header, source.splitter(header, chunk, window)


def rejects_bytes(source: LandingSource, plan: Plan, rows: list[Rejection]) -> bytes:
    """Rejections in the dataset's format: CSV ``line,reason,record`` or one JSON object per line (the
    record as received, its reason cut to a bounded excerpt)."""
    if source.dataset.format == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows((row.line, excerpt(row.reason), row.record) for row in rows)
        return buffer.getvalue().encode()
    return b"".join(
        orjson.dumps({"line": row.line, "reason": excerpt(row.reason), "record": row.record,
                      "landing_file": storable(plan.name), "sha256": plan.sha256}) + b"\n"
        for row in rows
    )


@dataclass
class Written:
    """What a split wrote: records per day, rejected records, and the placed records' key values."""

    counts: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    keys: list[pa.Array] = field(default_factory=list)


Write = tuple[StreamingDataFile, bytes, int]  # a file, bytes to append, how many records they hold


def _append(writes: list[Write]) -> None:
    for out, data, records in writes:
        out.write(data, records=records)


def write_partitions(
    source: LandingSource, zone: RawZone, path: UPath, plan: Plan, bounds: TimeBounds,
    only_days: frozenset[str] | None = None,
) -> Written:
    """Split ``path`` into partition files (and a rejects file); all appear only at the end.

    With ``only_days`` only those partitions are written and rejects are skipped (backfill). The
    files to be written are recorded in the plan (and the marker saved) before the first of them
    appears, so a failure can take them all back. A chunk's bytes are appended (and hashed) on a
    writer thread while the next chunk is split, at most one chunk behind (bounded memory).
    """
    written = Written()
    csv_files = source.dataset.format == "csv"
    with open_data_files() as files, ThreadPoolExecutor(1, thread_name_prefix="split-writer") as writer:
        outputs: dict[PartitionKey | None, StreamingDataFile] = {}
        first_lines: dict[PartitionKey, int] = {}  # each output file's first line of the original
        appending: Future[None] | None = None
        for header, split in split_chunks(path, source, plan.window(bounds)):
            writes: list[Write] = []
            if split.keys is not None:
                written.keys.append(split.keys)
            for key, placed in split.placed.items():
                day, hour = key
                if only_days is not None and day not in only_days:
                    continue
                out = outputs.get(key)
                if out is None:
                    lineage = plan.lineage(lines=[placed.first_line, placed.last_line])
                    out = outputs[key] = files.open(
                        zone.partition_dir(source.name, day) / source.partition_file(plan.sha256, hour),
                        dataset=source.name, partition=day, fmt=source.dataset.format, source=lineage,
                        columns=header.columns,
                    )
                    if csv_files:
                        writes.append((out, (header.text + "\n").encode(), 0))
                writes.append((out, placed.data, placed.count))
                out.update_source(lines=[first_lines.setdefault(key, placed.first_line), placed.last_line])
                written.counts[day] = written.counts.get(day, 0) + placed.count
            if split.rejected and only_days is None:
                rejects = outputs.get(None)
                if rejects is None:
                    rejects = outputs[None] = files.open(
                        zone.quarantine_dir(source.name, plan.ingestion_day) / source.rejects_file(plan.sha256),
                        dataset=source.name, partition=plan.ingestion_day, fmt=source.dataset.format,
                        source=plan.lineage(), columns=("line", "reason", "record"),
                    )
                    if csv_files:
                        writes.append((rejects, b"line,reason,record\n", 0))
                writes.append((rejects, rejects_bytes(source, plan, split.rejected), len(split.rejected)))
                written.rejected += len(split.rejected)
            if appending is not None:
                appending.result()
            appending = writer.submit(_append, writes)
        if appending is not None:
            appending.result()
        if only_days is None:
            plan.record_outputs([
                zone_relative(zone, zone.partition_dir(source.name, key[0]) / source.partition_file(plan.sha256, key[1]))
                if key else zone_relative(zone, zone.quarantine_dir(source.name, plan.ingestion_day)
                                          / source.rejects_file(plan.sha256))
                for key in outputs
            ])
            plan.save(source, zone)
    return written


def take_back(zone: RawZone, outputs: Iterable[str]) -> None:
    """Remove the data files ``outputs`` (relative to the raw zone), manifest first."""
    remove_data_files(zone.root / relative for relative in outputs)
