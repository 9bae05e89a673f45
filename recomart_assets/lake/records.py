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

import codecs
import csv
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

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

    ``plain`` chunks contain no quote and no lone carriage return, so a record's fields are exactly
    ``text.split(",")`` (fast, vectorisable); otherwise ``fields`` holds each record's parsed
    fields, or the csv module's error for a record whose quoting is broken.
    """

    texts: list[str]
    lines: np.ndarray  # int64: the physical line each record starts on
    plain: bool
    fields: list[list[str] | str] | None = None

    def __len__(self) -> int:
        return len(self.texts)


def _line_end_cut(text: str) -> int:
    """Index just after the last complete line end of ``text`` (0 if none is complete yet).

    A trailing ``\\r`` may be the first half of ``\\r\\n``: the cut goes before its line.
    """
    end = max(text.rfind("\n"), text.rfind("\r"))
    if end == len(text) - 1 and text[end] == "\r":
        end = max(text.rfind("\n", 0, end), text.rfind("\r", 0, end))
    return end + 1


def _is_plain(text: str) -> bool:
    return '"' not in text and ("\r" not in text or text.count("\r") == text.count("\r\n"))


def _plain_records(text: str, line_no: int) -> tuple[RecordChunk, int]:
    """Records of a quote-free text, one per non-blank line; returns (chunk, lines consumed)."""
    parts = text.replace("\r\n", "\n").split("\n")
    if parts[-1] == "":
        parts.pop()
    consumed = len(parts)
    if "" in parts:  # blank lines are no records
        keep = [i for i, part in enumerate(parts) if part]
        return RecordChunk([parts[i] for i in keep], line_no + np.asarray(keep, dtype=np.int64), True), consumed
    return RecordChunk(parts, line_no + np.arange(consumed, dtype=np.int64), True), consumed


def _careful_records(text: str, line_no: int, final: bool) -> tuple[RecordChunk, str, int]:
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
                return RecordChunk(texts, np.asarray(starts, dtype=np.int64), False, fields), \
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
    return RecordChunk(texts, np.asarray(starts, dtype=np.int64), False, fields), "", len(physical)


def iter_csv_records(stream: BinaryIO, chunk_bytes: int = CHUNK_BYTES, errors: str = "strict") -> Iterator[RecordChunk]:
    """Every record of a UTF-8 CSV stream (the header first), chunk by chunk.

    ``errors`` is the UTF-8 decoding policy (``"replace"`` to count the records of a file that
    may not be UTF-8). Memory is bounded by the chunk size, or by the longest record when that is
    longer.
    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors)
    carry = ""  # text after the last complete line (or record) handed out
    line_no = 1  # physical line on which ``carry`` starts
    want = chunk_bytes
    while True:
        block = stream.read(want)
        final = not block
        text = carry + decoder.decode(block, final=final)
        carry = ""
        if not final:
            cut = _line_end_cut(text)
            if cut == 0:
                carry, want = text, len(text) + chunk_bytes  # one line longer than a chunk: read on
                continue
            text, carry = text[:cut], text[cut:]
        want = chunk_bytes
        if text:
            if _is_plain(text):
                chunk, consumed = _plain_records(text, line_no)
            else:
                chunk, tail, consumed = _careful_records(text, line_no, final)
                if tail:  # a record still open: read it again with the next block, which grows with it
                    carry = tail + carry
                    want = max(chunk_bytes, len(carry))
            line_no += consumed
            if chunk.texts:
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
