"""Clickstream CSV exports dropped in ``raw_zone/landing/clickstream/``: the file form of the events.

The landing intake engine (:mod:`recomart_assets.lake.intake`) takes them in exactly like
transaction files (settle window, sha256 ledger, per-file guards, quarantine with reasons, archive);
this module supplies only the header contract and the splitter. Each record becomes one JSON object
(every column of the header, the contract's and any extra ones, in header order; empty cells as
null) in the same ``clickstream/D/`` partitions as the Kafka events, one file per export and event
hour: ``hHH-export-<sha12>.jsonl``. Records that cannot be placed (wrong number of fields, broken
quoting, a timestamp without a UTC offset or outside the event-time bounds) go to
``quarantine/clickstream/<ingestion day>/export-<sha12>.jsonl`` with their reason.
"""

from __future__ import annotations

import numpy as np
import orjson
import pyarrow as pa

from recomart_assets.datasets import CLICKSTREAM
from recomart_assets.lake.intake import (
    ChunkSplit,
    EventTimeWindow,
    Header,
    HeaderContract,
    LandingSource,
    PartitionKey,
    Placed,
    Rejection,
)
from recomart_assets.lake.records import RecordChunk

CONTRACT = HeaderContract(
    required=("user_id", "product_id", "event_type", "timestamp", "device"),
    optional=("event_id", "session_id", "search_term"),
    keep_extra=True,
)
KEY_COLUMN = "event_id"  # optional: exports without it are not compared with their previous version


def partition_file_name(sha256: str, hour: int | None) -> str:
    """``hHH-export-<sha12>.jsonl``: the raw-zone file of one export's events of one UTC hour (the day is its
    folder); distinct from the consumer's batch files."""
    return f"h{hour:02d}-export-{sha256[:12]}.jsonl"


def rejects_file_name(sha256: str) -> str:
    """``export-<sha12>.jsonl``: the quarantine file of one export's records that cannot be placed, in the ingestion
    day's folder."""
    return f"export-{sha256[:12]}.jsonl"


def split_export(header: Header, chunk: RecordChunk, window: EventTimeWindow) -> ChunkSplit:
    """The events of ``chunk`` by UTC day and hour, and the records that cannot be placed."""
    columns, width, at = header.columns, len(header.columns), header.index("timestamp")
    rows = [text.split(",") for text in chunk.texts] if chunk.plain else chunk.fields
    good = [i for i, fields in enumerate(rows) if not isinstance(fields, str) and len(fields) == width]
    placements = window.place([rows[i][at] for i in good], require_offset=True)
    problems = {good[j]: problem.reason for j, problem in placements.problems.items()}
    for i, fields in enumerate(rows):
        if isinstance(fields, str):
            problems[i] = f"malformed line: {fields}"
        elif len(fields) != width:
            problems[i] = f"malformed line: expected {width} fields, found {len(fields)}"
    split = ChunkSplit()
    if KEY_COLUMN in columns:
        key_at = columns.index(KEY_COLUMN)
        split.keys = pa.array([rows[good[j]][key_at] for j in np.flatnonzero(placements.ok)], pa.string())
    split.rejected = [Rejection(int(chunk.lines[i]), problems[i], chunk.texts[i]) for i in sorted(problems)]
    days, hours = placements.days(), placements.hours()
    events: dict[PartitionKey, list[int]] = {}
    for j in np.flatnonzero(placements.ok):
        key = (str(np.datetime64(int(days[j]), "D")), int(hours[j]))
        events.setdefault(key, []).append(good[j])
    for key, members in sorted(events.items()):
        data = b"".join(
            orjson.dumps({name: value or None for name, value in zip(columns, rows[i], strict=True)}) + b"\n"
            for i in members
        )
        split.placed[key] = Placed(data, len(members), int(chunk.lines[members[0]]), int(chunk.lines[members[-1]]))
    return split


LANDING = LandingSource(
    dataset=CLICKSTREAM,
    contract=CONTRACT,
    splitter=split_export,
    partition_file=partition_file_name,
    rejects_file=rejects_file_name,
    key_column=KEY_COLUMN,
)
