"""Records as the manifest counts them: CSV by records (not lines), JSON Lines by lines.

A CSV *record* is what Python's ``csv`` module (default dialect, ``strict=True``) reads as one
row: a quoted field may hold commas, quotes and line ends, so a record may span several physical
lines. Blank lines are not records. A record whose quoting is broken ends at the physical line
where the error shows (``"a"b``), so one bad quote never swallows the records after it, except an
opening quote that is never closed, which runs to the end of the file like in every CSV reader.
The first record of a file is its header; ``record_count`` counts the records after it.

This one reader (:func:`iter_csv_records`) serves the landing intake (which splits records and
keeps each as received) and :func:`count_records` (which ``recomart verify`` and the manifests
use), so a manifest's count equals placed + rejected records by construction. It reads in
bounded chunks; a record longer than a chunk is carried into the next read (which grows), and no
field-size limit applies below the file's own size.

Physical lines end at ``\\n``, ``\\r\\n`` or a lone ``\\r`` (the csv module's rule); line numbers
count them, the file's first line being 1.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    import pyarrow as pa

# Formats whose files hold one document (a PDF, a JSON report): record_count is 1.
DOCUMENT_FORMATS = {"pdf", "json", "bytes"}
CHUNK_BYTES = 8 << 20  # read size: bounds memory; records and counts do not depend on it
_UNTERMINATED = "unexpected end of data"  # the csv module's words for a quote still open at the end


def _lift_field_size_limit() -> None:
    """The csv module refuses fields over 128 KiB by default; here a field may be as long as its file.

    The limit is process-wide, so it is raised once, when the raw zone's record reader is imported.
    """
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # platforms whose C long is 32 bits
            limit //= 2


_lift_field_size_limit()


def format_of(name: str) -> str:
    """The manifest ``format`` for a file name (by extension)."""
    for suffix, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".pdf", "pdf"), (".json", "json")):
        if name.endswith(suffix):
            return fmt
    return "bytes"


@dataclass
class RecordChunk:
    """Consecutive CSV records of one file, each as received (without the line end that closes it).

    The records are byte ranges of ``data``: record ``i`` is ``data[starts[i]:ends[i]]``, and a
    ``\\n`` follows each one there, so a partition file's bytes are taken from ``data`` without
    making a Python string per record (:meth:`joined`). ``plain`` chunks contain no quote and no
    lone carriage return, so a record's fields are exactly its text cut at commas (what
    :meth:`field_ranges` finds, vectorised); otherwise ``fields`` holds each record's parsed fields,
    or the csv module's error for a record whose quoting is broken. ``texts`` decodes the records
    (with the reader's ``errors`` policy) for the sources and tests that want strings.
    """

    data: bytes | bytearray  # the chunk's own buffer, never written once the chunk exists
    starts: np.ndarray  # int64 byte offsets in ``data``
    ends: np.ndarray
    lines: np.ndarray  # int64: the physical line each record starts on
    plain: bool
    fields: list[list[str] | str] | None = None
    errors: str = "strict"

    def __len__(self) -> int:
        return len(self.lines)

    @classmethod
    def of_texts(cls, texts: list[str], lines: np.ndarray, fields: list[list[str] | str], errors: str = "strict"
                 ) -> RecordChunk:
        """A chunk of records given as text with their parsed fields (the csv module's path)."""
        encoded = [text.encode() for text in texts]
        ends = np.cumsum([len(text) + 1 for text in encoded], dtype=np.int64) - 1
        chunk = cls(b"\n".join([*encoded, b""]), ends - np.fromiter(map(len, encoded), np.int64, len(encoded)), ends,
                    lines, False, fields, errors)
        chunk.__dict__["texts"] = texts
        return chunk

    @cached_property
    def texts(self) -> list[str]:
        """Every record as a string."""
        data, errors = self.data, self.errors
        return [data[start:end].decode("utf-8", errors) for start, end in zip(self.starts.tolist(), self.ends.tolist())]

    def text(self, i: int) -> str:
        """Record ``i`` as a string."""
        return self.data[int(self.starts[i]):int(self.ends[i])].decode("utf-8", self.errors)

    def after(self, count: int) -> RecordChunk:
        """The records after the first ``count`` (the records after a file's header)."""
        rest = RecordChunk(self.data, self.starts[count:], self.ends[count:], self.lines[count:], self.plain,
                           self.fields[count:] if self.fields is not None else None, self.errors)
        if "texts" in self.__dict__:
            rest.__dict__["texts"] = self.texts[count:]
        return rest

    @cached_property
    def _with_line_ends(self) -> pa.Array:
        """Every record followed by ``\\n``, as one Arrow binary array over ``data``."""
        import pyarrow as pa

        from recomart_assets.lake import arrow  # pyarrow: only the writers of partition files need it

        return arrow.slices(self.data, self.starts, self.ends + 1, pa.large_binary())

    def joined(self, members: Sequence[int] | np.ndarray) -> bytes:
        """The records ``members`` (positions, in the order given) as received, each followed by ``\\n``."""
        from recomart_assets.lake import arrow

        taken = arrow.take(self._with_line_ends, np.asarray(members, dtype=np.int64))
        offsets, data = arrow.text_offsets(taken)
        return data[offsets[0]:offsets[-1]].tobytes()

    def field_ranges(self, width: int, columns: Sequence[int]) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """For a plain chunk: each record's number of fields, and for each of ``columns`` the start and end
        offsets in ``data`` of that field in every record that has ``width`` fields (in order)."""
        assert self.plain, "a chunk with quotes has its fields parsed by the csv module"
        n = len(self)
        if n == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, [(empty, empty) for _ in columns]
        first, last = int(self.starts[0]), int(self.ends[-1])
        commas = np.flatnonzero(np.frombuffer(self.data, np.uint8, count=last - first, offset=first) == 44) + first
        if len(commas) == n * (width - 1) and width > 1:  # the common case: check that each record has its share
            grid = commas.reshape(n, width - 1)
            if (grid[:, 0] >= self.starts).all() and (grid[:, -1] < self.ends).all():
                widths = np.full(n, width, dtype=np.int64)
                return widths, [_field_bounds(grid, self.starts, self.ends, column) for column in columns]
        low, high = np.searchsorted(commas, self.starts), np.searchsorted(commas, self.ends)
        widths = (high - low + 1).astype(np.int64)
        good = widths == width
        grid = commas[low[good][:, None] + np.arange(width - 1)]
        return widths, [_field_bounds(grid, self.starts[good], self.ends[good], column) for column in columns]


def _field_bounds(commas: np.ndarray, starts: np.ndarray, ends: np.ndarray, column: int) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of field ``column`` of records that all have the same width (their commas by row)."""
    width = commas.shape[1] + 1
    return (starts if column == 0 else commas[:, column - 1] + 1), (ends if column == width - 1 else commas[:, column])


def _line_end_cut(data: bytes | bytearray) -> int:
    """Index just after the last complete line end of ``data`` (0 if none is complete yet).

    A trailing ``\\r`` may be the first half of ``\\r\\n``: the cut goes before its line.
    """
    end = max(data.rfind(b"\n"), data.rfind(b"\r"))
    if end == len(data) - 1 and data[end] == 13:
        end = max(data.rfind(b"\n", 0, end), data.rfind(b"\r", 0, end))
    return end + 1


def _is_plain(data: bytes | bytearray) -> bool:
    # ``in`` is a memchr; ``count`` is not, so it runs only for a chunk that has a carriage return
    return b'"' not in data and (b"\r" not in data or data.count(b"\r") == data.count(b"\r\n"))


def _plain_records(data: bytes | bytearray, line_no: int, errors: str) -> tuple[RecordChunk, int]:
    """Records of a quote-free text, one per non-blank line; returns (chunk, lines consumed)."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n")
    if not data.endswith(b"\n"):  # the file's last line, without a line end
        data += b"\n"
    ends = np.flatnonzero(np.frombuffer(data, np.uint8) == 10)
    starts = np.empty_like(ends)
    starts[0], starts[1:] = 0, ends[:-1] + 1
    consumed = len(ends)
    lines = line_no + np.arange(consumed, dtype=np.int64)
    filled = ends > starts
    if not filled.all():  # blank lines are no records
        starts, ends, lines = starts[filled], ends[filled], lines[filled]
    return RecordChunk(data, starts, ends, lines, True, None, errors), consumed


def _careful_records(text: str, line_no: int, final: bool, errors: str) -> tuple[RecordChunk, str, int]:
    """Records of a text with quotes or lone carriage returns, through the csv module.

    Returns (chunk, unfinished tail, lines consumed): unless ``final``, a record whose quote is
    still open at the end of ``text`` is handed back to be read again with more text.
    """
    physical = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(physical), strict=True)
    texts: list[str] = []
    starts: list[int] = []
    fields: list[list[str] | str] = []
    add_text, add_start, add_fields = texts.append, starts.append, fields.append
    while True:
        begin = reader.line_num
        try:
            row: list[str] | str = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if not final and _UNTERMINATED in str(exc) and reader.line_num == len(physical):
                return RecordChunk.of_texts(texts, np.asarray(starts, dtype=np.int64), fields, errors), \
                    "".join(physical[begin:]), begin
            row = "quoted field not closed before the end of the file" if _UNTERMINATED in str(exc) else str(exc)
        end = reader.line_num
        if row == []:  # a blank line
            continue
        raw = physical[begin] if end == begin + 1 else "".join(physical[begin:end])
        if raw.endswith("\n"):  # the line end that closes the record (inlined: this loop is hot)
            raw = raw[:-2] if raw.endswith("\r\n") else raw[:-1]
        elif raw.endswith("\r"):
            raw = raw[:-1]
        add_text(raw)
        add_start(line_no + begin)
        add_fields(row)
    return RecordChunk.of_texts(texts, np.asarray(starts, dtype=np.int64), fields, errors), "", len(physical)


def iter_csv_records(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES, errors: str = "strict") -> Iterator[RecordChunk]:
    """Every record of a UTF-8 CSV stream (the header first), chunk by chunk.

    ``errors`` is the UTF-8 decoding policy (``"replace"`` to count the records of a file that
    may not be UTF-8). Memory is bounded by the chunk size, or by the longest record when that is
    longer. Chunks are cut at line ends (a byte that is never part of a multi-byte character), so
    quote-free chunks are split as bytes and only the others are decoded.
    """
    carry = b""  # bytes after the last complete line (or record) handed out
    line_no = 1  # physical line on which ``carry`` starts
    want = chunk_bytes
    while True:
        # read behind the carried bytes in one fresh buffer: no copy of the block to join or cut it
        data = bytearray(len(carry) + want)
        data[:len(carry)] = carry
        got = stream.readinto(memoryview(data)[len(carry):])  # type: ignore[attr-defined]  # every binary stream has it
        del data[len(carry) + got:]
        final = not got
        carry = b""
        if not final:
            cut = _line_end_cut(data)
            if cut == 0:
                carry, want = bytes(data), len(data) + chunk_bytes  # one line longer than a chunk: read on
                continue
            if cut < len(data):
                carry = bytes(data[cut:])
                del data[cut:]
        want = chunk_bytes
        if data:
            if _is_plain(data):
                chunk, consumed = _plain_records(data, line_no, errors)
            else:
                chunk, tail, consumed = _careful_records(data.decode("utf-8", errors), line_no, final, errors)
                if tail:  # a record still open: read it again with the next block, which grows with it
                    carry = tail.encode() + carry
                    want = max(chunk_bytes, len(carry))
            line_no += consumed
            if len(chunk):
                yield chunk
        if final:
            return


def count_csv_records(stream: BinaryIO) -> int:
    """Records after the header of a CSV stream (undecodable bytes replaced, never an error)."""
    total = sum(len(chunk) for chunk in iter_csv_records(stream, errors="replace"))
    return max(total - 1, 0)


def count_records_in(stream: BinaryIO, fmt: str) -> int:
    """Records in a stream of format ``fmt``, read in bounded chunks (the streaming :func:`count_records`)."""
    if fmt == "csv":
        return count_csv_records(stream)
    if fmt == "jsonl":  # lines as ``bytes.splitlines`` cuts them (\n, \r\n or \r), blank ones skipped
        return sum(1 for line in stream for part in line.splitlines() if part.strip())
    return 1


def count_records(data: bytes, fmt: str) -> int:
    """Records in ``data``: CSV records after the header (see the module docstring), non-blank JSONL lines."""
    if fmt == "jsonl":
        return sum(1 for line in data.splitlines() if line.strip())
    return count_records_in(io.BytesIO(data), fmt)
