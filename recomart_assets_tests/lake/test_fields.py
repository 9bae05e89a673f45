"""The names of the JSON types a field arrives with, and how a field's types merge."""

from __future__ import annotations

from recomart_assets.lake.fields import json_type, merge_types


def test_type_names():
    assert [json_type(v) for v in (None, True, 3, 2.5, "s", {}, [])] == [
        "null", "boolean", "integer", "number", "string", "object", "array"]
    assert merge_types({"x": {"null"}, "y": {"null", "string"}, "z": {"string", "integer"}}) == {
        "x": "null", "y": "string", "z": "mixed"}
