"""Transaction CSVs dropped in ``raw_zone/landing/``: their header contract and their splitter.

The landing intake engine (:mod:`recomart_assets.lake.intake`) does everything else. The splitter
is vectorised for the common case: a chunk of records without quotes is split on commas by Arrow,
its timestamps placed by :func:`~recomart_assets.lake.placing.place_many`, and its records grouped
by UTC day with numpy. Each record is kept exactly as received: the split only decides *where* it
goes. A record lands in the partition of its UTC date, or is rejected with a reason when it cannot
be placed: wrong number of fields, broken quoting, or a timestamp the placement helper refuses
(missing, unparseable, before the first partition, later than ingestion time + the allowed clock
skew). A naive timestamp counts as UTC. The same bytes and event-time window always give the same
output bytes, which is what makes re-runs and backfills byte-identical.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from recomart_assets.datasets import TRANSACTIONS
from recomart_assets.lake import arrow
from recomart_assets.lake.intake import (
    ChunkSplit,
    EventTimeWindow,
    Header,
    HeaderContract,
    LandingSource,
    Rejection,
    grouped_lines,
)
from recomart_assets.lake.records import RecordChunk

CONTRACT_COLUMNS = ("transaction_id", "customer_id", "product_id", "quantity", "price", "rating", "timestamp")
CONTRACT = HeaderContract(required=CONTRACT_COLUMNS)
KEY_COLUMN = "transaction_id"  # what a new version of a file is compared with the previous one by


def partition_file_name(sha256: str, hour: int | None = None) -> str:
    """``ingested_<sha16>.csv``: one file per landing file and UTC day (the day is its folder)."""
    return f"ingested_{sha256[:16]}.csv"


def rejects_file_name(sha256: str) -> str:
    """``rejected_<sha16>.csv``: the quarantine file of one landing file's records that cannot be placed, in the
    ingestion day's folder."""
    return f"rejected_{sha256[:16]}.csv"


def _fields(header: Header, chunk: RecordChunk) -> tuple[np.ndarray, pa.Array, pa.Array, dict[int, str]]:
    """Fields per record (-1 where the quoting is broken), the timestamp and transaction id values of
    the records with the header's width (in order), and the csv module's error for broken quoting."""
    width, at, key_at = len(header.columns), header.index("timestamp"), header.index(KEY_COLUMN)
    if chunk.plain:
        widths, [stamps, keys] = chunk.field_ranges(width, [at, key_at])
        return widths, arrow.slices(chunk.data, *stamps), arrow.slices(chunk.data, *keys), {}
    assert chunk.fields is not None, "a chunk that is not plain carries its parsed fields"
    widths = np.empty(len(chunk), dtype=np.int64)
    errors: dict[int, str] = {}
    stamps: list[str] = []
    keys: list[str] = []
    for i, fields in enumerate(chunk.fields):
        if isinstance(fields, str):
            widths[i] = -1
            errors[i] = fields
        else:
            widths[i] = len(fields)
            if len(fields) == width:
                stamps.append(fields[at])
                keys.append(fields[key_at])
    return widths, arrow.texts(stamps), arrow.texts(keys), errors


def split_transactions(header: Header, chunk: RecordChunk, window: EventTimeWindow) -> ChunkSplit:
    """The records of ``chunk`` by UTC day (as received), and those that cannot be placed."""
    width = len(header.columns)
    widths, stamps, keys, errors = _fields(header, chunk)
    good = widths == width
    index = np.flatnonzero(good)
    placements = window.place(stamps, require_offset=False)
    split = ChunkSplit(keys=arrow.keep(keys, placements.ok))
    problems = {int(index[j]): problem.reason for j, problem in placements.problems.items()}
    for i in np.flatnonzero(~good):
        i = int(i)
        problems[i] = (f"malformed line: {errors[i]}" if i in errors
                       else f"malformed line: expected {width} fields, found {widths[i]}")
    split.rejected = [Rejection(int(chunk.lines[i]), problems[i], chunk.text(i)) for i in sorted(problems)]
    placed = index[placements.ok]
    if not len(placed):
        return split
    days = placements.days()[placements.ok]
    first = int(days.min())
    offsets = days - first
    if offsets.max() < 1 << 15:  # a chunk spans a few days: numpy's stable sort of 16-bit keys is a radix sort
        offsets = offsets.astype(np.int16)
    order = np.argsort(offsets, kind="stable")
    counts = np.bincount(offsets)
    present = np.flatnonzero(counts)
    bounds = np.concatenate([[0], np.cumsum(counts[present])])
    for offset, records in zip(present.tolist(), grouped_lines(chunk, placed[order], bounds), strict=True):
        split.placed[(str(np.datetime64(first + offset, "D")), None)] = records
    return split


LANDING = LandingSource(
    dataset=TRANSACTIONS,
    contract=CONTRACT,
    splitter=split_transactions,
    partition_file=partition_file_name,
    rejects_file=rejects_file_name,
    key_column=KEY_COLUMN,
)
