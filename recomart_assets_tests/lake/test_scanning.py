"""DuckDB scans of JSON Lines files: every key of every object, types from the first objects."""

from __future__ import annotations

import threading
import time

import orjson

from recomart_assets.lake import scanning
from recomart_assets.lake.scanning import Lanes, connect, scan_fields


def _write(path, records) -> str:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return str(path)


def test_the_connection_spills_in_utc_and_draws_no_progress_bars(tmp_path):
    connection = connect(str(tmp_path), "64MB")
    settings = connection.execute("SELECT current_setting('TimeZone'), current_setting('temp_directory'), "
                                  "current_setting('enable_progress_bar')").fetchone()
    assert settings == ("UTC", str(tmp_path), False)  # a seal's or a check's log gets no bars of a long scan


def test_every_key_of_every_object_is_found_with_its_types(tmp_path, monkeypatch):
    monkeypatch.setattr(scanning, "TYPE_SAMPLE_ROWS", 3)
    common = [{"a": "x", "b": None}] * 3
    first = _write(tmp_path / "a.jsonl", [{"b": 2, "c": [1]}, *common, {"a": 1.5, "late": True}])
    second = _write(tmp_path / "b.jsonl", [{"z": {"k": 1}}])
    empty = _write(tmp_path / "c.jsonl", [])
    connection = connect(str(tmp_path))
    found = scan_fields(connection, [first, second, empty])
    # the file's most common key set first; types from its first 3 objects ("late" is seen after them)
    assert found == {first: {"a": "string", "b": "integer", "c": "array", "late": "null"},
                     second: {"z": "object"}, empty: {}}
    assert list(found[first]) == ["a", "b", "late", "c"]  # key sets seen as often: by their keys


def test_a_wide_file_streamed_gives_what_duckdb_gives(tmp_path, monkeypatch):
    """Files over WIDE_LINE_BYTES are read line by line in Python: the same fields, types and key counts."""
    monkeypatch.setattr(scanning, "TYPE_SAMPLE_ROWS", 3)
    records = [{"b": 2, "c": [1]}, *[{"a": "x", "b": None}] * 3, {"a": 1.5, "late": True, "n": {"k": 1}}, [1], {}]
    path = _write(tmp_path / "a.jsonl", records)
    connection = connect(str(tmp_path))
    narrow = {path: 0}
    wide = {path: scanning.WIDE_LINE_BYTES + 1}
    assert scan_fields(connection, [path], wide) == scan_fields(connection, [path], narrow)
    assert list(scan_fields(connection, [path], wide)[path]) == ["a", "b", "late", "n", "c"]
    assert scanning.key_counts(connection, [path], ["b"], 2, wide) == scanning.key_counts(connection, [path], ["b"], 2, narrow)
    assert scanning.key_counts(connection, [path], ["b"], 2, wide) == (4, [("a", 4), ("c", 1)])


def test_line_widths_across_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(scanning, "_WIDTH_CHUNK", 7)
    lines = [b"x" * 5, b"y" * 23, b"", b"z" * 9]
    ended = tmp_path / "ended.jsonl"
    ended.write_bytes(b"\n".join(lines) + b"\n")
    open_end = tmp_path / "open.jsonl"
    open_end.write_bytes(b"\n".join([*lines, b"w" * 40]))
    assert scanning.line_widths([str(ended), str(open_end)]) == {str(ended): 23, str(open_end): 40}


def test_types_of_a_plain_file_are_sampled_per_object_as_json_each_gives_them(tmp_path):
    """A file whose objects all have keys, none twice, is sampled by JSON Pointer (cheaper): the same
    types as json_each over its entries; a file with a repeated key or a line that is no object is
    sampled by json_each, which sees every value."""
    plain_file = tmp_path / "plain.jsonl"
    plain_file.write_bytes(b'{"a": 1, "b": "x", "c": 1.5, "d": {"k": [1]}, "e": null, "f": true, "0": [2], '
                           b'"g": 1180591620717411303424}\n{"a": "y", "b": "z", "~/": 18446744073709551615}\n'
                           b'{"b": null}\n')
    path = str(plain_file)
    connection = connect(str(tmp_path))
    names = ["a", "b", "c", "d", "e", "f", "0", "g", "~/"]
    plain = scanning._sample_types(connection, path, names, plain=True)
    assert plain == scanning._sample_types(connection, path, names, plain=False)
    assert scanning.merge_types(plain) == {"a": "mixed", "b": "string", "c": "number", "d": "object", "e": "null",
                                           "f": "boolean", "0": "array", "g": "number", "~/": "integer"}
    repeated = tmp_path / "repeated.jsonl"
    repeated.write_bytes(b'{"a": 1, "a": "x"}\n[1]\n')
    assert scan_fields(connection, [str(repeated)]) == {str(repeated): {"a": "mixed"}}


def test_lanes_run_jobs_side_by_side_one_per_lane_in_item_order(tmp_path):
    lanes = Lanes(str(tmp_path), count=2, memory_limit="64MB")
    busy: set[int] = set()
    overlapped: list[bool] = []
    guard = threading.Lock()

    def job(connection, item: int) -> tuple[int, int]:
        with guard:
            assert id(connection) not in busy, "two jobs on one lane at once"
            busy.add(id(connection))
            overlapped.append(len(busy) > 1)
        try:
            time.sleep(0.02)  # long enough for the other lane to start a job meanwhile
            (threads,) = connection.execute("SELECT current_setting('threads')").fetchone()
            return item * item, threads
        finally:
            with guard:
                busy.discard(id(connection))

    try:
        results = lanes.map(job, list(range(12)))
    finally:
        lanes.close()
    assert [square for square, _ in results] == [n * n for n in range(12)]  # in item order
    assert {threads for _, threads in results} == {1}  # one thread per lane
    assert any(overlapped)  # both lanes worked at the same time
