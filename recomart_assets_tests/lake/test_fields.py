"""The names of the JSON types a field arrives with, and how a field's types merge."""

from __future__ import annotations

from recomart_assets.lake.fields import MAX_NAME_CHARS, MAX_RECORDED_FIELDS, json_type, key_order, merge_types, recorded


def test_type_names():
    assert [json_type(v) for v in (None, True, 3, 2.5, "s", {}, [])] == [
        "null", "boolean", "integer", "number", "string", "object", "array"]
    assert merge_types({"x": {"null"}, "y": {"null", "string"}, "z": {"string", "integer"}}) == {
        "x": "null", "y": "string", "z": "mixed"}


def test_key_order_is_the_scan_order():
    records = [{"a": 1, "rare": 2, "b": 3}, {"a": 1, "b": 2}, {"a": 1, "b": 2}, {"c": 1}]
    assert key_order(records) == ["a", "b", "rare", "c"]  # most common set first; then by keys


def test_a_seal_records_a_bounded_part_of_a_files_fields():
    fields = {"x" * (MAX_NAME_CHARS + 1): "string", **{f"k{i}": "integer" for i in range(MAX_RECORDED_FIELDS + 5)}}
    entry = recorded(fields, 12_345)
    assert list(entry["fields"]) == [f"k{i}" for i in range(MAX_RECORDED_FIELDS)]
    assert entry["fields_left_out"] == 6 and entry["widest_line"] == 12_345
    assert recorded({"a": "string"}, 10) == {"fields": {"a": "string"}, "fields_left_out": 0, "widest_line": 10}
