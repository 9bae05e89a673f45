"""DuckDB scans of JSON Lines files: every key of every object, types from the first objects."""

from __future__ import annotations

import orjson

from recomart_assets.lake import scanning
from recomart_assets.lake.scanning import connect, scan_fields


def _write(path, records) -> str:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return str(path)


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
