"""CSV by records, not lines: the one reader behind the intake's split and every record count."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from recomart_assets.lake.records import count_records, count_records_in, iter_csv_records

fields = st.text(alphabet=st.sampled_from('ab,"\n\r x'), max_size=8)
rows = st.lists(st.lists(fields, min_size=1, max_size=4), max_size=12)


def write_csv(table: list[list[str]], terminator: str) -> str:
    """RFC 4180: a field with a comma, quote or line end quoted, its quotes doubled (Python 3.11's
    writer leaves a lone carriage return unquoted when the line terminator is "\\n")."""
    def field(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value

    return "".join(",".join(field(value) for value in row) + terminator for row in table)


@settings(max_examples=200, deadline=None)
@given(rows, st.sampled_from(["\n", "\r\n"]), st.integers(1, 64))
def test_records_of_a_well_formed_file_are_the_rows_written(table, terminator, chunk_bytes):
    """Whatever the fields hold and wherever the chunks cut, each written row is one record."""
    table = [["h1", "h2"], *[row for row in table if row != [""]]]  # a lone empty field writes a blank line
    data = write_csv(table, terminator).encode()
    chunks = list(iter_csv_records(io.BytesIO(data), chunk_bytes))
    parsed = [f for chunk in chunks for f in (chunk.fields or [t.split(",") for t in chunk.texts])]
    assert parsed == table
    assert count_records(data, "csv") == len(table) - 1
    texts = [t for chunk in chunks for t in chunk.texts]
    assert [next(csv.reader([t + "\n"])) for t in texts] == table  # each record's text parses on its own


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('ab,"\n\r'), max_size=80), st.integers(1, 32))
def test_any_text_splits_into_the_same_records_whatever_the_chunk_size(text, chunk_bytes):
    """Hostile text included (stray quotes, lone carriage returns): the chunking never changes the records."""
    data = text.encode()
    whole = [(t, int(line)) for c in iter_csv_records(io.BytesIO(data), 1 << 20) for t, line in zip(c.texts, c.lines)]
    cut = [(t, int(line)) for c in iter_csv_records(io.BytesIO(data), chunk_bytes) for t, line in zip(c.texts, c.lines)]
    assert cut == whole
    assert count_records_in(io.BytesIO(data), "csv") == max(len(whole) - 1, 0)


def test_line_numbers_count_physical_lines():
    data = b'h\n"a\nb"\n\nc\rd\r\ne\n'
    [chunk] = list(iter_csv_records(io.BytesIO(data)))
    assert chunk.texts == ["h", '"a\nb"', "c", "d", "e"]
    assert chunk.lines.tolist() == [1, 2, 5, 6, 7]


def test_no_field_size_limit_below_the_file_size():
    data = b'h\n"' + b"x" * (3 << 20) + b'"\n'
    assert count_records(data, "csv") == 1
    [*_, last] = iter_csv_records(io.BytesIO(data), chunk_bytes=1 << 16)
    assert last.fields == [["x" * (3 << 20)]]


def test_jsonl_counts_non_blank_lines_streaming_or_not():
    data = b'{"a":1}\n\n{"a":2}\r\n{"a":3}\r{"a":4}'
    assert count_records(data, "jsonl") == count_records_in(io.BytesIO(data), "jsonl") == 4


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="ab é", max_size=3), min_size=1, max_size=4), min_size=1, max_size=12),
       st.integers(1, 4), st.sampled_from(["\n", "\r\n"]))
def test_field_ranges_and_joined_records_of_a_plain_chunk(table, width, terminator):
    """Vectorised field bounds agree with cutting each record's text at commas; joined records are the
    records as received, each with one line end."""
    data = "".join(",".join(row) + terminator for row in table).encode()
    chunks = list(iter_csv_records(io.BytesIO(data)))
    for chunk in chunks:
        widths, ranges = chunk.field_ranges(width, range(width))
        assert widths.tolist() == [len(text.split(",")) for text in chunk.texts]
        rows = [text.split(",") for text in chunk.texts if len(text.split(",")) == width]
        columns = [[chunk.data[s:e].decode() for s, e in zip(starts.tolist(), ends.tolist())] for starts, ends in ranges]
        assert [list(row) for row in zip(*columns)] == rows if rows else all(not c for c in columns)
        order = list(range(len(chunk)))[::-1]
        assert chunk.joined(order) == "".join(chunk.texts[i] + "\n" for i in order).encode()
