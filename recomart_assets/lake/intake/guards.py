"""Guards: whole-file problems (empty, binary, not UTF-8, a header that breaks the source's
contract) found before any split, so such a file is quarantined whole with its reason."""

from __future__ import annotations

from upath import UPath

from recomart_assets.lake.intake.contract import Header, LandingSource
from recomart_assets.lake.intake.identity import FileFacts
from recomart_assets.lake.records import RecordChunk, iter_csv_records
from recomart_assets.text import excerpt

HEADER_CHUNK_BYTES = 64 << 10


def header_of(chunk: RecordChunk) -> Header | str:
    """The first record of ``chunk`` as a :class:`Header`, or why it cannot be one."""
    text = chunk.text(0).removeprefix("\ufeff")
    if chunk.plain:
        return Header(text, tuple(text.split(",")))
    assert chunk.fields is not None, "a chunk that is not plain carries its parsed fields"
    fields = chunk.fields[0]
    if isinstance(fields, str):
        return excerpt(f"not a CSV: unreadable header ({fields})")
    return Header(text, tuple([fields[0].removeprefix("\ufeff"), *fields[1:]]))


def read_header(path: UPath) -> Header | str:
    """The file's first record as a :class:`Header`, or why it cannot be one."""
    with path.open("rb") as stream:
        first = next(iter_csv_records(stream, HEADER_CHUNK_BYTES), None)
    return "empty file" if first is None else header_of(first)


def content_problem(source: LandingSource, path: UPath, facts: FileFacts) -> str | None:
    """Why the whole file cannot be ingested (None when it can): checked before any split."""
    if not facts.has_text:
        return "empty file"
    if facts.has_nul:
        return "not a CSV: binary content (NUL bytes)"
    if facts.bad_utf8_offset is not None:
        return f"undecodable bytes: not UTF-8 (first bad byte at offset {facts.bad_utf8_offset})"
    header = read_header(path)
    if isinstance(header, str):
        return header
    return source.contract.problem(source.name, header.columns)
