"""Reading a landing-zone transaction CSV: the contract header, file facts, and the split by day.

The file is read in fixed-size byte chunks cut at line ends, so memory stays bounded whatever the
file size. Each record keeps its line exactly as received (only ``\\r\\n`` becomes ``\\n``): the
split only decides *where* a line goes, it never re-serialises values. Timestamps are parsed
column-wise with Arrow (ISO 8601 with a zone offset), falling back to pandas for anything else
(naive times, which count as UTC). A line lands in the partition of its UTC date, or is rejected
with a reason when it cannot be placed: wrong number of fields, broken quoting, no parseable
timestamp, or a date outside the partitions (before the first one, or after the ingestion day's
successor). The same bytes, chunk size and ingestion day always give the same output bytes, which
is what makes re-runs and backfills byte-identical.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from upath import UPath

from recomart_assets.defs.shared.partitions import PARTITION_START

CONTRACT_COLUMNS = ("transaction_id", "customer_id", "product_id", "quantity", "price", "rating", "timestamp")
CHUNK_BYTES = 8 << 20  # read size: bounds memory; the output does not depend on it
HEADER_LIMIT = 64 << 10
_EPOCH = date(1970, 1, 1)
_UNPARSEABLE = -(1 << 40)  # day number of a timestamp that does not parse
_FIRST_DAY = (date.fromisoformat(PARTITION_START) - _EPOCH).days
# ISO 8601 with a zone offset: what Arrow casts directly (the common, fast case).
_ZONED_ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$"


@dataclass(frozen=True)
class FileFacts:
    """What one read of a landing file tells: identity, size, encoding and shape."""

    sha256: str
    md5: str
    size: int
    physical_lines: int
    has_nul: bool
    bad_utf8_offset: int | None
    has_text: bool
    needs_csv_count: bool  # quotes or lone carriage returns: count records with the csv module

    @property
    def short_id(self) -> str:
        return self.sha256[:16]


def inspect_file(path: UPath) -> FileFacts:
    """One streaming pass: sha256, md5, size, line count, NUL bytes, UTF-8 validity."""
    sha, md5 = hashlib.sha256(), hashlib.md5()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = newlines = 0
    has_nul = has_text = needs_csv_count = False
    bad_offset: int | None = None
    last = b""
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            sha.update(chunk)
            md5.update(chunk)
            newlines += chunk.count(b"\n")
            has_nul = has_nul or b"\x00" in chunk
            has_text = has_text or bool(chunk.strip())
            needs_csv_count = needs_csv_count or b'"' in chunk or chunk.count(b"\r") != chunk.count(b"\r\n")
            if bad_offset is None:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    bad_offset = size + exc.start
            size += len(chunk)
            last = chunk[-1:]
    if bad_offset is None:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            bad_offset = size
    physical_lines = newlines + (1 if size and last != b"\n" else 0)
    return FileFacts(sha.hexdigest(), md5.hexdigest(), size, physical_lines, has_nul, bad_offset, has_text,
                     needs_csv_count)


def csv_record_count(path: UPath, facts: FileFacts) -> int:
    """Records after the header, counted as ``recomart verify`` counts them (csv module rules)."""
    if not facts.needs_csv_count:
        return max(facts.physical_lines - 1, 0)
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="")
        return max(sum(1 for _ in csv.reader(text)) - 1, 0)


@dataclass(frozen=True)
class Header:
    line: str
    columns: tuple[str, ...]

    @property
    def timestamp_index(self) -> int:
        return self.columns.index("timestamp")


def read_header(path: UPath) -> str:
    """The first line of a (UTF-8, already checked) file, BOM and line end removed."""
    with path.open("rb") as stream:
        head = stream.read(HEADER_LIMIT)
    line = head.split(b"\n", 1)[0].decode("utf-8", errors="replace")
    return line.removeprefix("\ufeff").rstrip("\r")


def content_problem(path: UPath, facts: FileFacts) -> str | None:
    """Why the whole file cannot be ingested (None when it can): checked before any split."""
    if not facts.has_text:
        return "empty file"
    if facts.has_nul:
        return "not a CSV: binary content (NUL bytes)"
    if facts.bad_utf8_offset is not None:
        return f"undecodable bytes: not UTF-8 (first bad byte at offset {facts.bad_utf8_offset})"
    return header_problem(read_header(path))


def parse_header(line: str) -> Header:
    fields = next(csv.reader([line], strict=True), [])
    return Header(line, tuple(fields))


def header_problem(line: str) -> str | None:
    """Compare the header with the contract's columns (any order, each exactly once)."""
    try:
        columns = parse_header(line).columns
    except csv.Error as exc:
        return f"not a CSV: unreadable header ({exc})"
    if len(columns) < 2:
        return "not a CSV: no comma-separated header"
    if not set(columns) & set(CONTRACT_COLUMNS):
        return "not a CSV of transactions: the first line names none of the contract's columns"
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        return f"repeated column(s): {', '.join(repeated)}"
    missing = [c for c in CONTRACT_COLUMNS if c not in columns]
    if missing:
        return f"missing required column(s): {', '.join(missing)}"
    extra = [c for c in columns if c not in CONTRACT_COLUMNS]
    if extra:
        return f"unknown extra column(s): {', '.join(extra)}"
    return None


@dataclass(frozen=True)
class Rejected:
    """A line that could not be placed in a partition."""

    line: int  # physical line number in the landing file, header = 1
    reason: str
    record: str


@dataclass
class DayLines:
    """Lines of one chunk for one UTC day, as received, with their line-number range."""

    text: str
    count: int
    first_line: int
    last_line: int


@dataclass
class ChunkSplit:
    days: dict[str, DayLines] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)


def _iter_line_chunks(path: UPath, chunk_bytes: int) -> Iterator[tuple[int, list[str]]]:
    """(number of the first line, lines) per chunk, the header line included in the first."""
    line_no = 1
    carry = b""
    with path.open("rb") as stream:
        while True:
            block = stream.read(chunk_bytes)
            data = carry + block
            if not data:
                return
            if block:
                cut = data.rfind(b"\n") + 1
                if cut == 0:
                    carry = data
                    continue
                data, carry = data[:cut], data[cut:]
            else:
                carry = b""
            lines = data.replace(b"\r\n", b"\n").decode("utf-8").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            yield line_no, lines
            line_no += len(lines)
            if not block:
                return


def _arrow_days(stamps: pa.Array) -> np.ndarray:
    """Day numbers via Arrow's ISO 8601 cast; raises ``ArrowInvalid`` if any value is not zoned ISO."""
    day_values = pc.cast(stamps.cast(pa.timestamp("us", tz="UTC")), pa.date32())
    numbers = pc.cast(pc.cast(day_values, pa.int32()), pa.int64())
    return pc.fill_null(numbers, _UNPARSEABLE).to_numpy(zero_copy_only=False)


def _pandas_days(stamps: pa.Array) -> np.ndarray:
    """Day numbers via pandas' lenient ISO 8601 parser (naive times are UTC); unparseable -> sentinel."""
    parsed = pd.to_datetime(pd.Series(stamps.to_pylist(), dtype=object), utc=True, format="ISO8601", errors="coerce")
    values = parsed.dt.tz_convert(None).to_numpy(dtype="datetime64[D]")
    days = values.astype(np.int64)
    days[np.isnat(values)] = _UNPARSEABLE
    return days


def _day_numbers(stamps: pa.Array) -> np.ndarray:
    """UTC day numbers (days since 1970-01-01) of timestamp strings, ``_UNPARSEABLE`` where none."""
    if len(stamps) == 0:
        return np.empty(0, dtype=np.int64)
    try:
        return _arrow_days(stamps)
    except pa.ArrowInvalid:
        pass
    zoned = pc.fill_null(pc.match_substring_regex(stamps, _ZONED_ISO), False).to_numpy(zero_copy_only=False)
    days = np.full(len(stamps), _UNPARSEABLE, dtype=np.int64)
    rest = ~zoned
    try:
        days[zoned] = _arrow_days(stamps.filter(pa.array(zoned)))
    except pa.ArrowInvalid:  # looks zoned but is no date (2026-13-45T...): pandas decides for all
        rest[:] = True
    if rest.any():
        days[rest] = _pandas_days(stamps.filter(pa.array(rest)))
    return days


def _careful_fields(line: str) -> list[str] | str:
    """Fields of a line with quotes or carriage returns, or why it is malformed."""
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error as exc:
        return f"malformed line: {exc}"


def _split_lines(
    lines: list[str], first_line: int, header: Header, ingestion_day: date, only_days: frozenset[str] | None
) -> ChunkSplit:
    n = len(lines)
    width = len(header.columns)
    ts_at = header.timestamp_index
    arr = pa.array(lines, pa.string())
    blank = pc.equal(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False)
    fields = pc.add(pc.count_substring(arr, ","), 1).to_numpy(zero_copy_only=False).astype(np.int64)
    careful = [i for i, line in enumerate(lines) if '"' in line or "\r" in line]
    reasons: dict[int, str] = {}
    careful_stamps: dict[int, str] = {}
    for i in careful:
        parsed = _careful_fields(lines[i])
        if isinstance(parsed, str):
            reasons[i] = parsed
            fields[i] = -1
        else:
            fields[i] = len(parsed)
            if len(parsed) == width:
                careful_stamps[i] = parsed[ts_at]
    plain = (fields == width) & ~blank
    plain[careful] = False
    stamps = np.empty(n, dtype=object)
    if plain.any():
        split = pc.split_pattern(arr.filter(pa.array(plain)), ",")
        stamps[plain] = pc.list_element(split, ts_at).to_numpy(zero_copy_only=False)
    for i, value in careful_stamps.items():
        stamps[i] = value
    well_formed = (fields == width) & ~blank
    days = np.full(n, _UNPARSEABLE, dtype=np.int64)
    if well_formed.any():
        days[well_formed] = _day_numbers(pa.array(stamps[well_formed], pa.string()))
    last_day = (ingestion_day - _EPOCH).days + 1
    split = ChunkSplit()
    placed = well_formed & (days >= _FIRST_DAY) & (days <= last_day)
    if only_days is None:
        for i in np.nonzero(~placed & ~blank)[0]:
            split.rejected.append(Rejected(first_line + int(i), _reason(i, fields, width, stamps, days, reasons,
                                                                        ingestion_day), lines[i]))
    index = np.nonzero(placed)[0]
    if not len(index):
        return split
    order = index[np.argsort(days[index], kind="stable")]
    codes, starts = np.unique(days[order], return_index=True)
    bounds = [*starts[1:], len(order)]
    for code, start, stop in zip(codes, starts, bounds, strict=True):
        day = (_EPOCH + timedelta(days=int(code))).isoformat()
        if only_days is not None and day not in only_days:
            continue
        members = order[start:stop]
        text = "\n".join([lines[i] for i in members]) + "\n"
        split.days[day] = DayLines(text, len(members), first_line + int(members[0]), first_line + int(members[-1]))
    return split


def _reason(i: int, fields: np.ndarray, width: int, stamps: np.ndarray, days: np.ndarray, reasons: dict[int, str],
            ingestion_day: date) -> str:
    if i in reasons:
        return reasons[i]
    if fields[i] != width:
        return f"malformed line: expected {width} fields, found {fields[i]}"
    stamp = stamps[i]
    if stamp is None or not str(stamp).strip():
        return "missing timestamp"
    day = int(days[i])
    if day == _UNPARSEABLE:
        return "unparseable timestamp"
    when = (_EPOCH + timedelta(days=day)).isoformat()
    if day < _FIRST_DAY:
        return f"timestamp date {when} before the first partition {PARTITION_START}"
    return f"timestamp date {when} after the day following ingestion ({ingestion_day.isoformat()})"


def split_by_day(
    path: UPath,
    ingestion_day: date,
    only_days: frozenset[str] | None = None,
) -> Iterator[tuple[Header, ChunkSplit]]:
    """Chunk by chunk: the lines of each UTC day, and (unless ``only_days`` is set) the rejects.

    ``only_days`` restricts the output to those partitions (backfills); rejects are not reported
    then, since they belong to the original intake.
    """
    header: Header | None = None
    for first_line, lines in _iter_line_chunks(path, CHUNK_BYTES):
        if header is None:
            header = parse_header(lines[0].removeprefix("\ufeff"))
            lines, first_line = lines[1:], first_line + 1
        if lines:
            yield header, _split_lines(lines, first_line, header, ingestion_day, only_days)
