"""The names of the JSON types a field arrives with, and how a field's types merge."""

from __future__ import annotations

from recomart_assets.lake.fields import json_type, key_order, merge_types


def test_type_names():
    assert [json_type(v) for v in (None, True, 3, 2.5, "s", {}, [])] == [
        "null", "boolean", "integer", "number", "string", "object", "array"]
    assert merge_types({"x": {"null"}, "y": {"null", "string"}, "z": {"string", "integer"}}) == {
        "x": "null", "y": "string", "z": "mixed"}


def test_key_order_is_the_scan_order():
    records = [{"a": 1, "rare": 2, "b": 3}, {"a": 1, "b": 2}, {"a": 1, "b": 2}, {"c": 1}]
    assert key_order(records) == ["a", "b", "rare", "c"]  # most common set first; then by keys
