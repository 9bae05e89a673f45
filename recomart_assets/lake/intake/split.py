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
from contextlib import ExitStack
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
from recomart_assets.lake.manifest import StreamingDataFile, open_data_file
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


def write_partitions(
    source: LandingSource, zone: RawZone, path: UPath, plan: Plan, bounds: TimeBounds,
    only_days: frozenset[str] | None = None,
) -> Written:
    """Split ``path`` into partition files (and a rejects file); all appear only at the end.

    With ``only_days`` only those partitions are written and rejects are skipped (backfill). The
    files to be written are recorded in the plan (and the marker saved) before the first of them
    appears, so a failure can take them all back.
    """
    written = Written()
    csv_files = source.dataset.format == "csv"
    with ExitStack() as stack:
        outputs: dict[PartitionKey | None, StreamingDataFile] = {}
        first_lines: dict[PartitionKey, int] = {}  # each output file's first line of the original
        for header, split in split_chunks(path, source, plan.window(bounds)):
            if split.keys is not None:
                written.keys.append(split.keys)
            for key, placed in split.placed.items():
                day, hour = key
                if only_days is not None and day not in only_days:
                    continue
                out = outputs.get(key)
                if out is None:
                    lineage = plan.lineage(lines=[placed.first_line, placed.last_line])
                    out = outputs[key] = stack.enter_context(open_data_file(
                        zone.partition_dir(source.name, day) / source.partition_file(plan.sha256, hour),
                        dataset=source.name, partition=day, fmt=source.dataset.format, source=lineage,
                        columns=header.columns,
                    ))
                    if csv_files:
                        out.write((header.text + "\n").encode())
                out.write(placed.data, records=placed.count)
                out.update_source(lines=[first_lines.setdefault(key, placed.first_line), placed.last_line])
                written.counts[day] = written.counts.get(day, 0) + placed.count
            if split.rejected and only_days is None:
                rejects = outputs.get(None)
                if rejects is None:
                    rejects = outputs[None] = stack.enter_context(open_data_file(
                        zone.quarantine_dir(source.name, plan.ingestion_day) / source.rejects_file(plan.sha256),
                        dataset=source.name, partition=plan.ingestion_day, fmt=source.dataset.format,
                        source=plan.lineage(), columns=("line", "reason", "record"),
                    ))
                    if csv_files:
                        rejects.write(b"line,reason,record\n")
                rejects.write(rejects_bytes(source, plan, split.rejected), records=len(split.rejected))
                written.rejected += len(split.rejected)
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
